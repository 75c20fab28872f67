"""Bounded retention of Gradio's cached files (uploads and served outputs).

Gradio's ``delete_cache`` removes files by age only: a day's uploads stay, however many.
:func:`bound_folder` keeps Gradio's cache folder within a file count and a byte budget by
removing the oldest files first; :func:`start_sweeper` runs it every minute in a daemon
thread. Files younger than ``min_age`` (an upload whose job is still running) and files
Gradio keeps on purpose (``keep``: the examples) are never removed, nor anything older than
``since`` (the app's start: what was there before belongs to the app's own build).
"""

from __future__ import annotations

import logging
import os
import threading
import time
from collections.abc import Callable, Iterable
from pathlib import Path

log = logging.getLogger("changer.app")

MAX_FILES = 400
"""Cached files kept at most (``$CHANGER_CACHE_FILES``)."""
MAX_BYTES = 2 * 2**30
"""Bytes of cached files kept at most (``$CHANGER_CACHE_BYTES``)."""
MIN_AGE = 300.0
"""Seconds a cached file is kept at least (a job still using its upload)."""


def bound_folder(folder: str | os.PathLike[str], max_files: int = MAX_FILES, max_bytes: int = MAX_BYTES,
                 min_age: float = MIN_AGE, keep: Iterable[str] = (), since: float | None = None,
                 now: float | None = None) -> list[Path]:
    """Remove the oldest files under ``folder`` until at most ``max_files`` files and
    ``max_bytes`` bytes are left (as far as ``min_age``, ``keep`` and ``since`` allow), and the
    folders they leave empty. Returns the files removed."""
    now = time.time() if now is None else now
    kept = {os.path.realpath(k) for k in keep}
    files = []
    for dirpath, _dirs, names in os.walk(folder):
        for name in names:
            path = os.path.join(dirpath, name)
            try:
                info = os.lstat(path)
            except OSError:
                continue
            files.append((max(info.st_mtime, info.st_ctime), info.st_size, path))  # a copy keeps its mtime
    files.sort()
    count, total = len(files), sum(size for _, size, _ in files)
    removed = []
    for made, size, path in files:
        if count <= max_files and total <= max_bytes:
            break
        if now - made < min_age or (since is not None and made < since) or os.path.realpath(path) in kept:
            continue
        try:
            os.remove(path)
        except OSError:
            continue
        count, total = count - 1, total - size
        removed.append(Path(path))
        parent = os.path.dirname(path)
        if parent != os.fspath(folder):
            try:
                os.rmdir(parent)  # Gradio keeps each file in a folder of its own
            except OSError:
                pass
    return removed


def start_sweeper(folder: str | os.PathLike[str], keep: Callable[[], Iterable[str]] = tuple, every: float = 60.0,
                  max_files: int | None = None, max_bytes: int | None = None) -> threading.Thread:
    """Run :func:`bound_folder` on ``folder`` every ``every`` seconds in a daemon thread, for
    files made from now on; the bounds from ``$CHANGER_CACHE_FILES`` / ``$CHANGER_CACHE_BYTES``
    when not given."""
    max_files = max_files or int(os.environ.get("CHANGER_CACHE_FILES") or MAX_FILES)
    max_bytes = max_bytes or int(os.environ.get("CHANGER_CACHE_BYTES") or MAX_BYTES)
    since = time.time()

    def sweep() -> None:
        while True:
            time.sleep(every)
            try:
                removed = bound_folder(folder, max_files, max_bytes, keep=keep(), since=since)
            except Exception as err:  # noqa: BLE001 - never let the sweeper die
                log.warning("cache sweep failed: %s", err)
                continue
            if removed:
                log.info("cache sweep: removed %d old files", len(removed))

    thread = threading.Thread(target=sweep, name="changer-cache-sweeper", daemon=True)
    thread.start()
    return thread
