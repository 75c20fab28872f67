"""A frontal-face detector that needs nothing downloaded: OpenCV's LBP cascade as shipped
with scikit-image (``skimage.data.lbp_frontal_face_cascade_filename()``).

Two users: the no-face check (:mod:`changer.parsing.face_check`) asks whether a face lies
where the parser put one, and the parser's face search (:meth:`LabelParser.parse
<changer.parsing.parser.LabelParser.parse>`) asks where faces too small for its first
pass might be. The cascade is loose (it fires on many textures and on faces upside down),
so its boxes are proposals for the parser to judge, never an answer on their own.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from functools import cache
from typing import Any

import numpy as np

_lock = threading.Lock()  # one cascade object, shared by the app's worker threads


@dataclass(frozen=True)
class Box:
    """A detection: top-left corner ``(top, left)`` and ``side`` in pixels (boxes are square)."""

    top: int
    left: int
    side: int


def frontal_faces(
    gray: np.ndarray, min_side: int, max_side: int | None = None, neighbours: int = 2, scale_step: float = 1.1,
) -> list[Box]:
    """Frontal faces in ``gray`` (``HxW``, uint8 or float in ``[0, 1]``) of ``min_side`` to
    ``max_side`` pixels (default: the picture's shorter side), largest first.

    ``neighbours``: how many overlapping raw detections a face needs (more: fewer false
    ones, fewer faces); ``scale_step``: the factor between the sizes searched.
    """
    img = np.asarray(gray)
    img = img.astype(np.float32) / 255.0 if img.dtype == np.uint8 else img.astype(np.float32)
    top = min(img.shape[:2]) if max_side is None else max_side
    if min(img.shape[:2]) < min_side or top < min_side:
        return []
    with _lock:
        found = _cascade().detect_multi_scale(
            img=img, scale_factor=scale_step, step_ratio=1, min_size=(min_side, min_side),
            max_size=(top, top), min_neighbor_number=neighbours,
        )
    boxes = [Box(int(d["r"]), int(d["c"]), int(max(d["width"], d["height"]))) for d in found]
    return sorted(boxes, key=lambda b: -b.side)


@cache
def _cascade() -> Any:
    """The LBP frontal-face cascade that ships with scikit-image (loaded once)."""
    from skimage.data import lbp_frontal_face_cascade_filename
    from skimage.feature import Cascade

    return Cascade(lbp_frontal_face_cascade_filename())
