"""Reader for the talking-heads layout (and any folder laid out the same way).

::

    manifest.csv                      one row per clip (clip_id, identity, split, ...)
    frames/<clip_id>/<idx>.jpg        RGB frame
    parsing/<clip_id>/<idx>.png       label map, values 0..4 (see ``changer.labels``)

A folder without ``manifest.csv`` is accepted too: every clip folder under ``frames/`` is
then one clip of a split named after the folder (useful for "any folder in the same
layout", e.g. a user's own benchmark).
"""

from __future__ import annotations

import csv
import os
import shutil
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path

import numpy as np
from PIL import Image

from changer.labels import NUM_CLASSES

DATA_ENV = "CHANGER_DATA"
SPLITS = ("train", "test_hdtf", "test_vox", "test_green")
VALIDATION = "val"
"""Split name :meth:`TalkingHeads.write_subset` gives held-out identities."""
_FRAME_EXTS = (".jpg", ".jpeg", ".png")


def default_data_root() -> Path | None:
    """The dataset root: ``$CHANGER_DATA``, else the talking-heads set beside the repo."""
    env = os.environ.get(DATA_ENV)
    if env:
        return Path(env)
    repo = Path(__file__).resolve().parents[2]
    for candidate in (repo.parent / "shared" / "data" / "talking-heads",):
        if (candidate / "frames").is_dir():
            return candidate
    return None


@dataclass(frozen=True)
class Frame:
    """One frame of a clip: where its picture and label map are."""

    clip_id: str
    identity: str
    split: str
    index: str
    image_path: Path
    label_path: Path

    @property
    def frame_id(self) -> str:
        """A stable id, ``<clip_id>/<idx>``; the evaluation protocol seeds from it."""
        return f"{self.clip_id}/{self.index}"

    def load_image(self) -> np.ndarray:
        """``HxWx3 uint8`` RGB."""
        return _read(self.image_path, lambda im: np.asarray(im.convert("RGB")))

    def load_labels(self) -> np.ndarray:
        """``HxW uint8`` label map with values in ``0..4``."""
        labels = _read(self.label_path, np.asarray)
        if labels.ndim != 2 or labels.max(initial=0) >= NUM_CLASSES:
            raise ValueError(f"{self.label_path}: not a {NUM_CLASSES}-class label map")
        return labels.astype(np.uint8)

    def load_pair(self) -> tuple[np.ndarray, np.ndarray]:
        """Image and label map together, refused unless they have the same size (a map of
        another size would be stretched over the picture and mislabel it)."""
        img, labels = self.load_image(), self.load_labels()
        if img.shape[:2] != labels.shape:
            raise ValueError(
                f"{self.image_path} is {img.shape[1]}x{img.shape[0]} px but its label map "
                f"{self.label_path} is {labels.shape[1]}x{labels.shape[0]}"
            )
        return img, labels


def _read(path: Path, decode: Callable[[Image.Image], np.ndarray]) -> np.ndarray:
    """Decode a dataset picture; any decoder failure becomes a ``ValueError`` naming the file."""
    try:
        with Image.open(path) as im:
            return decode(im)
    except (OSError, SyntaxError, ValueError) as err:  # PIL's UnidentifiedImageError is an OSError
        raise ValueError(f"{path}: unreadable image ({err})") from None


@dataclass(frozen=True)
class Clip:
    """A clip: an identity and its frames in time order."""

    clip_id: str
    identity: str
    split: str
    frames: tuple[Frame, ...]


def _manifest_rows(path: Path) -> list[dict[str, str]]:
    """The clip rows of ``manifest.csv``: each clip once, rows without a split skipped.

    A manifest that is not UTF-8 text or lacks the ``clip_id`` or ``split`` column raises a
    ``ValueError`` that names the file.
    """
    try:
        with path.open(newline="", encoding="utf-8-sig") as f:
            reader = csv.DictReader(f)
            missing = {"clip_id", "split"} - set(reader.fieldnames or ())
            rows = list(reader)
    except UnicodeDecodeError as err:
        raise ValueError(f"{path}: not a UTF-8 CSV file ({err.reason})") from None
    except csv.Error as err:
        raise ValueError(f"{path}: not a readable CSV file ({err})") from None
    if missing and rows:
        raise ValueError(f"{path}: missing column(s) {', '.join(sorted(missing))}")
    unique: dict[str, dict[str, str]] = {}
    for row in rows:
        if row.get("clip_id") and row.get("split"):
            unique.setdefault(row["clip_id"], row)
    return list(unique.values())


class TalkingHeads:
    """A dataset root in the talking-heads layout."""

    def __init__(self, root: str | os.PathLike[str]):
        self.root = Path(root)
        if not (self.root / "frames").is_dir() or not (self.root / "parsing").is_dir():
            raise FileNotFoundError(
                f"{self.root} is not a talking-heads folder: it needs frames/ and parsing/ "
                f"(set {DATA_ENV} or pass --data)"
            )

    @cached_property
    def _clip_rows(self) -> list[dict[str, str]]:
        manifest = self.root / "manifest.csv"
        if manifest.is_file():
            return _manifest_rows(manifest)
        name = self.root.name
        return [
            {"clip_id": p.name, "identity": p.name, "split": name}
            for p in sorted((self.root / "frames").iterdir())
            if p.is_dir()
        ]

    @property
    def splits(self) -> list[str]:
        """Split names present, in manifest order."""
        return list(dict.fromkeys(r["split"] for r in self._clip_rows))

    def clips(self, split: str | Sequence[str] | None = None) -> list[Clip]:
        """Clips of one split, several splits, or all (``None``)."""
        wanted = {split} if isinstance(split, str) else set(split) if split else None
        if wanted is not None and (unknown := wanted - set(self.splits)):
            raise ValueError(f"unknown split(s) {sorted(unknown)}; {self.root} has {self.splits}")
        return [
            self._clip(r) for r in self._clip_rows if wanted is None or r["split"] in wanted
        ]

    def frames(self, split: str | Sequence[str] | None = None) -> list[Frame]:
        """All frames of the chosen split(s), clip by clip, in time order."""
        return [f for clip in self.clips(split) for f in clip.frames]

    def _clip(self, row: dict[str, str]) -> Clip:
        clip_id = row["clip_id"]
        frame_dir, label_dir = self.root / "frames" / clip_id, self.root / "parsing" / clip_id
        pictures: dict[str, Path] = {}  # one frame per index: 0000.jpg and 0000.png are one frame
        for p in sorted(frame_dir.iterdir()):
            if p.suffix.lower() in _FRAME_EXTS and (label_dir / f"{p.stem}.png").is_file():
                pictures.setdefault(p.stem, p)
        frames = tuple(
            Frame(
                clip_id=clip_id,
                identity=row.get("identity", clip_id),
                split=row["split"],
                index=stem,
                image_path=p,
                label_path=label_dir / f"{stem}.png",
            )
            for stem, p in pictures.items()
        )
        return Clip(clip_id, row.get("identity", clip_id), row["split"], frames)

    def __iter__(self) -> Iterator[Frame]:
        return iter(self.frames())

    def write_subset(
        self, dst: str | os.PathLike[str], splits: Sequence[str], every: int = 1, holdout: Sequence[str] = ()
    ) -> int:
        """Copy every ``every``-th frame (and its labels) of ``splits`` to a new root in the
        same layout, with a manifest of those clips; returns the number of frames copied.

        For taking the training data where size is limited (what travels to a borrowed
        GPU machine); neighbouring frames of a clip are nearly identical. The clips of the
        ``holdout`` identities are written as split :data:`VALIDATION` instead of their own:
        a validation set disjoint by identity from what is trained on, for choosing between
        models without looking at the test splits.
        """
        if every < 1:
            raise ValueError(f"every must be at least 1, got {every}")
        dst = Path(dst)
        if dst.exists() and any(dst.iterdir()):
            raise ValueError(f"{dst} exists and is not empty")
        clips = self.clips(list(splits))
        rows = [r for r in self._clip_rows if r["split"] in set(splits)]
        held = set(holdout)
        if unknown := held - {r.get("identity", r["clip_id"]) for r in rows}:
            raise ValueError(f"holdout identities {sorted(unknown)} are not in the splits {list(splits)}")
        rows = [{**r, "split": VALIDATION} if r.get("identity", r["clip_id"]) in held else r for r in rows]
        copied = 0
        for clip in clips:
            for frame in clip.frames[::every]:
                for src, folder in ((frame.image_path, "frames"), (frame.label_path, "parsing")):
                    target = dst / folder / clip.clip_id / src.name
                    target.parent.mkdir(parents=True, exist_ok=True)
                    shutil.copy2(src, target)
                copied += 1
        with (dst / "manifest.csv").open("w", newline="") as f:
            writer = csv.DictWriter(f, fieldnames=list(rows[0]) if rows else ["clip_id", "identity", "split"])
            writer.writeheader()
            writer.writerows(rows)
        return copied
