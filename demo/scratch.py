"""Temporary output folders of the app (downloads, grids, CSVs) that do not pile up.

Gradio copies every file a handler returns into its own cache before the page gets it, so
a run's folder is needed only until its handler's outputs are posted. A long-running app
(a Space stays up for weeks) would otherwise leave one folder per run in the temporary
directory: :class:`ScratchSpace` keeps the newest ``keep`` and removes the rest, and the
whole root when the interpreter exits normally (``atexit``; a process killed by a signal
leaves at most ``keep`` runs behind).
"""

from __future__ import annotations

import atexit
import shutil
import tempfile
import threading
from collections import deque
from pathlib import Path


class ScratchSpace:
    """Per-run folders under one temporary root owned by this process."""

    def __init__(self, prefix: str, keep: int = 32) -> None:
        if keep < 1:
            raise ValueError("keep must be at least 1")
        self.root = Path(tempfile.mkdtemp(prefix=prefix))
        self.keep = keep
        self._runs: deque[Path] = deque()
        self._lock = threading.Lock()
        atexit.register(self.close)

    def new(self) -> Path:
        """A fresh, empty folder for one run; the oldest beyond ``keep`` are removed."""
        with self._lock:
            self.root.mkdir(parents=True, exist_ok=True)  # e.g. after a tmp cleaner took it
            run = Path(tempfile.mkdtemp(dir=self.root))
            self._runs.append(run)
            while len(self._runs) > self.keep:
                shutil.rmtree(self._runs.popleft(), ignore_errors=True)
            return run

    def close(self) -> None:
        """Remove the root and everything in it."""
        with self._lock:
            shutil.rmtree(self.root, ignore_errors=True)
            self._runs.clear()
