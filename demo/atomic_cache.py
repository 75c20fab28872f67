"""Gradio's picture cache written atomically.

Gradio stores every picture a handler returns under the hash of its bytes and rewrites that
file in place each time (``processing_utils.save_pil_to_cache``). Two blends with the same
result at once (two visitors on the same example) then rewrite a file while it is being
served: the download breaks ("Too little data for declared Content-Length"; seen in
``scripts/load_test.py`` with 20 identical blends). :func:`install` makes the write atomic
(a temporary file renamed into place, and none when the file is already there: the name is
the hash of its bytes), as Gradio already does for files (``save_file_to_cache``).
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path


def save_pil_to_cache(img, cache_dir: str, name: str = "image", format: str = "webp") -> str:  # noqa: A002 - Gradio's name
    """``gradio.processing_utils.save_pil_to_cache``, written once and atomically."""
    from gradio.processing_utils import encode_pil_to_bytes, hash_bytes

    data = encode_pil_to_bytes(img, format)
    folder = Path(cache_dir) / hash_bytes(data)
    folder.mkdir(exist_ok=True, parents=True)
    path = (folder / f"{name}.{format}").resolve()
    if path.is_file() and path.stat().st_size == len(data):
        os.utime(path)  # Gradio's delete_cache ages files by ctime: handed out again, kept again
        return str(path)
    fd, staging = tempfile.mkstemp(dir=folder, prefix=f".{name}.")
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data)
        os.replace(staging, path)
    except BaseException:
        Path(staging).unlink(missing_ok=True)
        raise
    return str(path)


def install() -> bool:
    """Put :func:`save_pil_to_cache` in Gradio's place; False when this Gradio has no such function."""
    from gradio import processing_utils

    if not hasattr(processing_utils, "save_pil_to_cache") or not hasattr(processing_utils, "hash_bytes"):
        return False
    processing_utils.save_pil_to_cache = save_pil_to_cache
    return True
