"""Faces with dlib: detection, 68 landmarks and the 128-d identity descriptor, offline.

The models come inside the ``face-recognition-models`` package (nothing is downloaded):

- the HOG frontal face detector (built into dlib);
- ``shape_predictor_68_face_landmarks.dat``: 68 landmarks, trained on iBUG 300-W, whose
  licence allows **research use only**;
- ``dlib_face_recognition_resnet_model_v1.dat``: the ResNet face descriptor (dlib's own
  threshold for "the same person" is a distance of 0.6), free to use (CC0 / Boost).

Each model is loaded once, on first use. Images are ``HxWx3 uint8`` RGB.

A face the detector misses (small, tilted, painted) can still be measured when a box is
known from elsewhere (the head parser's face region): :func:`find_face` takes it as a hint.
"""

from __future__ import annotations

import importlib.util
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

import numpy as np

SAME_PERSON = 0.6
"""dlib's descriptor distance below which two faces are taken for the same person."""

# 68-point landmark index ranges (iBUG 300-W numbering).
JAW = slice(0, 17)
BROWS = slice(17, 27)
NOSE = slice(27, 36)
RIGHT_EYE = slice(36, 42)  # the person's right eye: on the left of the picture
LEFT_EYE = slice(42, 48)
OUTER_LIPS = slice(48, 60)
INNER_LIPS = slice(60, 68)

Box = tuple[int, int, int, int]
"""``(x0, y0, x1, y1)`` in pixels."""


@dataclass(frozen=True)
class Face:
    """One face: its box and 68 landmarks (``68x2`` float, ``x, y`` pixels)."""

    box: Box
    landmarks: np.ndarray
    detected: bool
    """False when the box came from a hint because the detector found no face."""

    @property
    def size(self) -> float:
        """Distance from the eyes' midpoint to the chin (pixels): the face's scale."""
        return float(np.linalg.norm(self.eyes_centre - self.landmarks[8]))

    @property
    def eyes_centre(self) -> np.ndarray:
        return (self.landmarks[RIGHT_EYE].mean(0) + self.landmarks[LEFT_EYE].mean(0)) / 2

    @property
    def yaw(self) -> float:
        """Approximate yaw (degrees, 0 = frontal): where the nose tip lies between the jaw's
        two ends, read on a cylinder."""
        left, right, nose = self.landmarks[0], self.landmarks[16], self.landmarks[30]
        axis = right - left
        span = float(np.dot(axis, axis))
        if span <= 0:
            return float("nan")
        r = float(np.dot(nose - left, axis)) / span  # 0..1 along the jaw line
        return float(np.degrees(np.arcsin(np.clip(2 * r - 1, -1, 1))))

    @property
    def roll(self) -> float:
        """Angle (degrees) of the line from the right to the left eye; positive = clockwise."""
        dx, dy = self.landmarks[LEFT_EYE].mean(0) - self.landmarks[RIGHT_EYE].mean(0)
        return float(np.degrees(np.arctan2(dy, dx)))


def _model_file(name: str) -> Path:
    """A model file of ``face-recognition-models`` (found without importing the package,
    whose ``__init__`` needs the removed ``pkg_resources``)."""
    spec = importlib.util.find_spec("face_recognition_models")
    if spec is None or not spec.submodule_search_locations:
        raise RuntimeError("the face-recognition-models package is not installed (pip install face-recognition-models)")
    path = Path(next(iter(spec.submodule_search_locations))) / "models" / name
    if not path.is_file():
        raise RuntimeError(f"face-recognition-models lacks {name}")
    return path


@cache
def _dlib() -> Any:
    import dlib

    return dlib


@cache
def _detector() -> Any:
    return _dlib().get_frontal_face_detector()


@cache
def _predictor() -> Any:
    return _dlib().shape_predictor(str(_model_file("shape_predictor_68_face_landmarks.dat")))


@cache
def _encoder() -> Any:
    return _dlib().face_recognition_model_v1(str(_model_file("dlib_face_recognition_resnet_model_v1.dat")))


def detect(img: np.ndarray, upsample: int | None = None) -> list[Box]:
    """Face boxes, largest first. ``upsample`` (None = once for pictures under 512 px, so
    that faces of about 40 px are found) trades time for smaller faces."""
    img = np.ascontiguousarray(img)
    if upsample is None:
        upsample = 1 if max(img.shape[:2]) < 512 else 0
    rects = _detector()(img, upsample)
    boxes = [(r.left(), r.top(), r.right(), r.bottom()) for r in rects]
    return sorted(boxes, key=lambda b: -(b[2] - b[0]) * (b[3] - b[1]))


def landmarks(img: np.ndarray, box: Box) -> np.ndarray:
    """The 68 landmarks (``68x2`` float) of the face in ``box``."""
    rect = _dlib().rectangle(*(int(v) for v in box))
    shape = _predictor()(np.ascontiguousarray(img), rect)
    return np.array([[p.x, p.y] for p in shape.parts()], np.float64)


def find_face(img: np.ndarray, hint: Box | None = None) -> Face | None:
    """The main face of ``img``: the detection that overlaps ``hint`` most (the largest
    without a hint); with no detection, the landmarks inside ``hint``; None without either."""
    boxes = detect(img)
    if hint is not None and boxes:
        best = max(boxes, key=lambda b: _overlap(b, hint))
        boxes = [best] if _overlap(best, hint) > 0 else []
    if boxes:
        return Face(boxes[0], landmarks(img, boxes[0]), detected=True)
    if hint is None:
        return None
    return Face(hint, landmarks(img, hint), detected=False)


def descriptor(img: np.ndarray, face: Face) -> np.ndarray:
    """The 128-d identity descriptor of ``face`` (from its landmarks, dlib's 150 px chip)."""
    dlib = _dlib()
    rect = dlib.rectangle(*(int(v) for v in face.box))
    points = dlib.points([dlib.point(int(round(x)), int(round(y))) for x, y in face.landmarks])
    shape = dlib.full_object_detection(rect, points)
    return np.asarray(_encoder().compute_face_descriptor(np.ascontiguousarray(img), shape), np.float64)


def box_from_mask(mask: np.ndarray) -> Box | None:
    """A square-ish face box for the predictor from a face region mask (the parser's face
    class spans forehead to chin and ear to ear, about what dlib's detector boxes), or None."""
    ys, xs = np.nonzero(mask)
    if len(xs) == 0:
        return None
    x0, x1, y0, y1 = xs.min(), xs.max() + 1, ys.min(), ys.max() + 1
    # dlib's boxes start at the brows: drop the top fifth (forehead), keep the chin.
    y0 = int(y0 + 0.2 * (y1 - y0))
    return int(x0), int(y0), int(x1), int(y1)


def _overlap(a: Box, b: Box) -> float:
    """Intersection over union of two boxes."""
    ix = max(0, min(a[2], b[2]) - max(a[0], b[0]))
    iy = max(0, min(a[3], b[3]) - max(a[1], b[1]))
    inter = ix * iy
    union = (a[2] - a[0]) * (a[3] - a[1]) + (b[2] - b[0]) * (b[3] - b[1]) - inter
    return inter / union if union > 0 else 0.0
