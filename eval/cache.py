"""On-disk cache of per-frame evaluation results, one entry per (method, split).

An entry is the per-frame table of one method on one split (CSV, pandas), stored under
``<cache dir>/<key[:2]>/<key>.csv`` with a ``.json`` beside it that records what went into
the key (for people; the key alone decides a hit). The key is the sha256 of:

* the **method identity** (:func:`method_identity`): for a model folder the sha256 of
  ``model.safetensors`` and ``config.json`` bytes (retraining or editing the config is a
  miss); for a baseline its name and a version (:func:`baseline_identity`: the baseline's
  ``version`` attribute or a ``BASELINES_VERSION`` constant where defined, else the sha256
  of the ``eval.baselines`` source);
* the split name, the evaluated frame ids and a fingerprint of the split's files (frame
  and label bytes: the references and long-hair donors come from the whole split);
* ``PROTOCOL_VERSION`` of the sample construction and the sha256 of the ``eval.metrics``
  source (changed inputs or metrics make old numbers stale);
* the options: key colour, resolution, ``max_frames``, chroma setting, LPIPS availability
  (a cache filled without LPIPS is not reused once LPIPS is available).

Per-(method, split) entries mean that adding a method to a request only computes that
method. The qualitative grid's tiles (a method's outputs on a few frames) are cached the
same way, as one PNG per (method, split, frames) with the same kind of sidecar
(:meth:`ResultCache.get_images`), so a grid over cached methods runs no model.

The default folder is ``$CHANGER_CACHE/eval`` when ``CHANGER_CACHE`` is set, else
``~/.cache/changer/eval``.
"""

from __future__ import annotations

import hashlib
import io
import json
import os
import tempfile
from collections.abc import Iterable, Sequence
from functools import lru_cache
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from PIL import Image

from changer.folders import MODEL_FILES, is_model_folder

CACHE_ENV = "CHANGER_CACHE"
CACHE_FORMAT = 1
"""Bump when the stored table's layout changes."""

def default_cache_dir() -> Path:
    """``$CHANGER_CACHE/eval``, else ``~/.cache/changer/eval``."""
    env = os.environ.get(CACHE_ENV)
    return Path(env) / "eval" if env else Path.home() / ".cache" / "changer" / "eval"


def sha256_file(path: str | os.PathLike[str], chunk: int = 1 << 20) -> str:
    """Hex sha256 of a file's bytes (read in chunks: model files can be large)."""
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        while block := f.read(chunk):
            digest.update(block)
    return digest.hexdigest()


def sha256_files(paths: Iterable[str | os.PathLike[str]]) -> str:
    """sha256 over several files' names and bytes, in the given order."""
    digest = hashlib.sha256()
    for p in paths:
        digest.update(Path(p).name.encode() + b"\0" + sha256_file(p).encode())
    return digest.hexdigest()


@lru_cache(maxsize=None)
def module_source_hash(module_name: str) -> str:
    """sha256 of an imported module's source file (its code version, for cache keys)."""
    import importlib

    module = importlib.import_module(module_name)
    return sha256_file(module.__file__)  # type: ignore[arg-type]


def baseline_identity(name: str) -> str:
    """``baseline:<name>:<version>``: the baseline's own ``version`` attribute, else a
    ``BASELINES_VERSION`` constant of ``eval.baselines``, else that module's source hash
    (then editing any baseline invalidates all of them: safe, if coarse)."""
    import eval.baselines as baselines

    version = getattr(baselines.BASELINES.get(name), "version", None)
    if version is None:
        version = getattr(baselines, "BASELINES_VERSION", None)
    return f"baseline:{name}:{version if version is not None else module_source_hash('eval.baselines')}"


def method_identity(method: str) -> str | None:
    """What a method's numbers depend on, or ``None`` when it cannot be pinned (no caching).

    A local model folder: ``model:<sha256 of its weights and config>``; a baseline name:
    :func:`baseline_identity`. Anything else (e.g. a Hub repo id that is resolved at load
    time) has no stable identity here and is never cached.
    """
    from eval.baselines import BASELINES

    if method in BASELINES:
        return baseline_identity(method)
    if is_model_folder(method):
        return "model:" + sha256_files(Path(method) / name for name in MODEL_FILES)
    return None


def entry_key(payload: dict[str, Any]) -> str:
    """The cache key: sha256 of the payload as canonical JSON."""
    text = json.dumps({"cache_format": CACHE_FORMAT, **payload}, sort_keys=True, default=str)
    return hashlib.sha256(text.encode()).hexdigest()


class ResultCache:
    """Per-(method, split) per-frame tables on disk, addressed by :func:`entry_key`."""

    def __init__(self, root: str | os.PathLike[str] | None = None):
        self.root = Path(root) if root is not None else default_cache_dir()

    def path(self, key: str) -> Path:
        """Where the table of ``key`` lives."""
        return self.root / key[:2] / f"{key}.csv"

    def get(self, key: str) -> pd.DataFrame | None:
        """The stored table, or ``None`` on a miss: no entry, an unreadable one, or one whose
        bytes no longer match the checksum written beside it (cut short, edited)."""
        try:
            found = _read_entry(self.path(key), "csv_sha256")
            if found is None:
                return None
            return pd.read_csv(io.BytesIO(found[1]), dtype={"frame_id": str, "method": str, "split": str})
        except (OSError, ValueError, pd.errors.ParserError):  # JSONDecodeError is a ValueError
            return None

    def put(self, key: str, table: pd.DataFrame, payload: dict[str, Any] | None = None) -> Path:
        """Store ``table`` under ``key`` (atomically: a crash never leaves half a file), with a
        sidecar ``.json`` holding ``payload`` and the table's checksum."""
        data = table.to_csv(index=False, float_format="%.17g").encode("utf-8")
        return _write_entry(self.path(key), data, payload or {}, "csv_sha256")

    def image_path(self, key: str) -> Path:
        """Where the images of ``key`` live (one PNG, the images stacked top to bottom)."""
        return self.path(key).with_suffix(".png")

    def get_images(self, key: str) -> list[np.ndarray] | None:
        """The stored ``H x W x 3 uint8`` images of ``key``, or ``None`` on a miss (no entry,
        an unreadable one, or one whose bytes no longer match its checksum)."""
        try:
            found = _read_entry(self.image_path(key), "png_sha256")
            if found is None:
                return None
            count = int(found[0]["count"])
            with Image.open(io.BytesIO(found[1])) as im:
                stack = np.asarray(im.convert("RGB"))
        except (OSError, ValueError, KeyError, TypeError):  # JSONDecodeError is a ValueError
            return None
        if count < 1 or stack.shape[0] % count:
            return None
        return list(np.split(stack, count))

    def put_images(self, key: str, images: Sequence[np.ndarray], payload: dict[str, Any] | None = None) -> Path:
        """Store same-sized ``H x W x 3 uint8`` images under ``key`` (losslessly, as PNG,
        atomically), with a sidecar ``.json`` holding ``payload``, the count and the checksum."""
        shapes = {np.shape(i) for i in images}
        if len(shapes) != 1 or len(next(iter(shapes))) != 3 or next(iter(shapes))[2] != 3:
            raise ValueError("put_images needs one or more H x W x 3 images of one size")
        buffer = io.BytesIO()
        Image.fromarray(np.vstack([np.asarray(i, np.uint8) for i in images])).save(buffer, format="PNG")
        return _write_entry(self.image_path(key), buffer.getvalue(), {**(payload or {}), "count": len(images)},
                            "png_sha256")


def _read_entry(path: Path, checksum: str) -> tuple[dict[str, Any], bytes] | None:
    """An entry's sidecar record and bytes (read once), or ``None`` when the bytes do not
    match the record's ``checksum`` field; a missing or unreadable entry raises."""
    record = json.loads(path.with_suffix(".json").read_text())
    data = path.read_bytes()
    if not isinstance(record, dict) or record.get(checksum) != hashlib.sha256(data).hexdigest():
        return None
    return record, data


def _write_entry(path: Path, data: bytes, record: dict[str, Any], checksum: str) -> Path:
    """Write an entry's bytes, then its sidecar ``.json``: ``record`` plus the bytes' sha256
    under ``checksum`` (both atomically)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    _atomic_write(path, data)
    record = {**record, checksum: hashlib.sha256(data).hexdigest()}
    _atomic_write(path.with_suffix(".json"), json.dumps(record, indent=2, sort_keys=True, default=str).encode("utf-8"))
    return path


def _atomic_write(path: Path, data: bytes) -> None:
    """Write ``data`` to a temporary file beside ``path``, then rename it into place."""
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=path.name, suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
