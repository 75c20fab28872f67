"""Temporary folders of the app (downloads, grids, CSVs, Gradio's uploads) that do not pile up.

Gradio copies every file a handler returns into its own cache before the page gets it, so
a run's folder is needed only until its handler's outputs are posted. A long-running app
(a Space stays up for weeks) would otherwise leave one folder per run in the temporary
directory: :class:`ScratchSpace` keeps the newest ``keep`` runs and at most ``max_bytes``, and
removes its whole root when the interpreter exits (``atexit``) or is stopped by SIGTERM or
SIGINT (:func:`clean_up_on_signals`, which ``app.py`` installs).

Every root is named ``<prefix><pid>-<random>``, so a process starting up can tell the folders
of processes that are gone (killed, or a container stopped) from those of one still running
on the same machine, and removes them (:func:`remove_stale`).
"""

from __future__ import annotations

import atexit
import os
import re
import shutil
import signal
import tempfile
import threading
import time
from collections import deque
from collections.abc import Callable, Iterable
from pathlib import Path

PREFIXES = ("changer-blend-", "changer-eval-", "changer-gradio-")
"""The app's temporary roots (``changer-gradio-``: Gradio's uploads, see ``app.py``)."""

STALE_AGE = 24 * 3600
"""A root without a process id in its name (made before they had one) counts as stale after this (s)."""


def folder_bytes(folder: Path) -> int:
    """Bytes of the files under ``folder`` (0 when it is gone)."""
    total = 0
    for dirpath, _dirs, files in os.walk(folder):
        for name in files:
            try:
                total += os.lstat(os.path.join(dirpath, name)).st_size
            except OSError:
                pass
    return total


class ScratchSpace:
    """Per-run folders under one temporary root owned by this process."""

    def __init__(self, prefix: str, keep: int = 32, max_bytes: int = 512 * 2**20) -> None:
        if keep < 1:
            raise ValueError("keep must be at least 1")
        self.root = Path(tempfile.mkdtemp(prefix=f"{prefix}{os.getpid()}-"))
        self.keep = keep
        self.max_bytes = max_bytes
        self._runs: deque[Path] = deque()
        self._lock = threading.Lock()
        atexit.register(self.close)

    def new(self) -> Path:
        """A fresh, empty folder for one run; the oldest beyond ``keep``, or beyond
        ``max_bytes`` together, are removed (never the new one)."""
        with self._lock:
            self.root.mkdir(parents=True, exist_ok=True)  # e.g. after a tmp cleaner took it
            while len(self._runs) >= self.keep or (self._runs and sum(map(folder_bytes, self._runs)) > self.max_bytes):
                shutil.rmtree(self._runs.popleft(), ignore_errors=True)
            run = Path(tempfile.mkdtemp(dir=self.root))
            self._runs.append(run)
            return run

    def close(self) -> None:
        """Remove the root and everything in it."""
        with self._lock:
            shutil.rmtree(self.root, ignore_errors=True)
            self._runs.clear()


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # someone else's process
        return True
    except OSError:
        return False
    return True


def remove_stale(prefixes: Iterable[str] = PREFIXES, folder: str | os.PathLike[str] | None = None,
                 max_age: float = STALE_AGE) -> list[Path]:
    """Remove the temporary roots of app processes that are gone: ``<prefix><pid>-...`` whose
    process no longer runs, and roots without a pid older than ``max_age`` seconds. Returns them."""
    folder = Path(folder or tempfile.gettempdir())
    removed = []
    for prefix in prefixes:
        pattern = re.compile(re.escape(prefix) + r"(\d+)-")
        for path in folder.glob(f"{prefix}*"):
            if not path.is_dir() or path.is_symlink():
                continue
            match = pattern.match(path.name)
            if match:
                stale = int(match.group(1)) != os.getpid() and not _alive(int(match.group(1)))
            else:
                try:
                    stale = time.time() - path.stat().st_mtime > max_age
                except OSError:
                    stale = False
            if stale:
                shutil.rmtree(path, ignore_errors=True)
                removed.append(path)
    return removed


def clean_up_on_signals(*cleanups: Callable[[], object], signals: Iterable[int] = (signal.SIGTERM, signal.SIGINT)) -> None:
    """On SIGTERM or SIGINT run ``cleanups`` (each at most once, errors ignored), then stop the
    way Ctrl-C does (``KeyboardInterrupt`` in the main thread: Gradio closes its server, which
    deletes its cached files, and ``atexit`` runs). A second signal exits at once. Call from
    the main thread."""
    done = threading.Event()

    def run_cleanups() -> None:
        if done.is_set():
            return
        done.set()
        for cleanup in cleanups:
            try:
                cleanup()
            except Exception:  # noqa: BLE001 - best effort while stopping
                pass

    def handler(signum: int, frame: object) -> None:
        if done.is_set():
            os._exit(128 + signum)
        run_cleanups()
        raise KeyboardInterrupt

    for sig in signals:
        signal.signal(sig, handler)
    atexit.register(run_cleanups)
