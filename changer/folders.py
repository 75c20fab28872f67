"""What a model folder is: ``config.json`` beside ``model.safetensors``.

One definition for every place that tells a local model folder from a Hub repo id or a
baseline name: the blender factory, the parser loader, the ensemble exporter and the
evaluation cache. It imports nothing heavy, so light modules can use it without torch.
"""

from __future__ import annotations

import os
import stat
import tempfile
from pathlib import Path

CONFIG = "config.json"
WEIGHTS = "model.safetensors"
MODEL_FILES = (WEIGHTS, CONFIG)
"""The files every model folder holds, weights first (the order the evaluation cache hashes)."""


def _stat(path: str | os.PathLike[str]) -> os.stat_result | None:
    """``os.stat`` of ``path``, or None where there is nothing, including names no file system
    takes (too long, a NUL byte, ``~nosuchuser``) that make ``Path.exists`` raise."""
    try:
        return Path(path).expanduser().stat()
    except (OSError, RuntimeError, ValueError):
        return None


def exists(path: str | os.PathLike[str]) -> bool:
    """Whether something is at ``path`` (False, not an error, for an impossible name)."""
    return _stat(path) is not None


def is_file(path: str | os.PathLike[str]) -> bool:
    """Whether ``path`` is a file (False, not an error, for an impossible name)."""
    found = _stat(path)
    return found is not None and stat.S_ISREG(found.st_mode)


def is_model_folder(path: str | os.PathLike[str]) -> bool:
    """Whether ``path`` is a local folder holding ``config.json`` and ``model.safetensors``."""
    p = Path(path)
    return all(is_file(p / name) for name in MODEL_FILES)


def writable_folder(path: str | os.PathLike[str], what: str = "--out") -> Path:
    """``path`` made (with its parents) and checked writable before any work is done, so a
    bad output path costs no run; a ``ValueError`` in words otherwise."""
    folder = Path(path)
    if folder.exists() and not folder.is_dir():
        raise ValueError(f"{what}: {folder} is a file, not a folder")
    try:
        folder.mkdir(parents=True, exist_ok=True)
        with tempfile.TemporaryFile(dir=folder):
            pass
    except OSError as err:
        raise ValueError(f"{what}: cannot write to {folder} ({err.strerror or err})") from None
    return folder


def picture_path(path: str | os.PathLike[str], what: str = "--out") -> Path:
    """An output picture's path checked before any work: an extension Pillow writes (.png,
    .jpg, ...) and a writable folder (:func:`writable_folder`)."""
    from PIL import Image

    out = Path(path)
    if out.is_dir() or out.suffix.lower() not in Image.registered_extensions():
        raise ValueError(f"{what}: {out} is not a picture's file name (give one ending in .png or .jpg)")
    writable_folder(out.parent, what)
    return out


def describe_error(err: Exception) -> str:
    """An error in words for a message: a file-system error as "what: path" (not
    "[Errno 20] ..."), anything else as its text."""
    if isinstance(err, OSError) and err.strerror and err.filename is not None:
        return f"{err.strerror}: {err.filename}"
    return str(err)
