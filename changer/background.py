"""The target's own background behind the new person (``output_background="original"``): the
old person inpainted away where the new one does not cover it (:func:`paste_original`)."""

from __future__ import annotations

import cv2
import numpy as np

from changer import chroma
from changer.feather import distance, mix
from changer.person_layer import Layer


def paste_original(
    tgt: np.ndarray, layer: Layer, fg: np.ndarray, alpha: np.ndarray, weight: np.ndarray,
    rows: slice, cols: slice, side: int, margin: float = 0.01,
) -> np.ndarray:
    """The new person on the target's own background, changed only where ``weight > 0``.

    The background is rebuilt over the old person grown by 1% of the window side, and by
    ``margin`` of it where the new person is further than that away: there the old hair's
    soft edge, beyond its parsed outline, would stay as a ghost outline; where the new
    person's outline runs close to the old one it is the right edge and is kept. Only on a
    smooth background (:func:`_smooth`): inpainting a wider strip of a flag or a bookshelf
    smears it more than the ghost shows there."""
    region = tgt[rows, cols]
    grow = max(2, round(0.01 * side))
    wide = max(grow, round(margin * side))
    from_old = distance(layer.alpha[rows, cols] > 0.02)
    old_person = from_old <= grow
    if wide > grow:
        far = _far_from(alpha[rows, cols] > 0.5, wide)
        around = (from_old > wide) & (from_old <= 3 * wide) & far & (weight > 0)
        if _smooth(region, around, side):
            old_person |= (from_old <= wide) & far
    bg = _original_background(region, old_person, weight > 0)
    comp = chroma.composite(fg[rows, cols], alpha[rows, cols], bg)
    image = tgt.copy()
    image[rows, cols] = mix(comp, region, weight)
    return image


def _original_background(tgt: np.ndarray, old_person: np.ndarray, area: np.ndarray) -> np.ndarray:
    """``tgt`` with the old person inpainted (Telea) inside ``area``; at most 512 px for speed."""
    fill = old_person & area
    if not fill.any():
        return tgt
    h, w = fill.shape
    k = min(1.0, 512.0 / max(h, w))
    size = (max(1, round(w * k)), max(1, round(h * k)))
    small = cv2.resize(tgt, size, interpolation=cv2.INTER_AREA)
    small_fill = cv2.resize(fill.astype(np.uint8), size, interpolation=cv2.INTER_NEAREST)
    small_fill = cv2.dilate(small_fill, np.ones((3, 3), np.uint8))
    painted = cv2.inpaint(small, small_fill, 5, cv2.INPAINT_TELEA)
    painted = cv2.resize(painted, (w, h), interpolation=cv2.INTER_LINEAR)
    return np.where(fill[..., None], painted, tgt)


BUSY_BACKGROUND = 20.0
"""Above this 75th percentile of the gradient (Sobel, gray levels, window at 256 px) the
background beyond the old person is busy: a flag's stripes give 35-117, a plain or blurred
wall 4-11 (``docs/experiments/blending.md``)."""


def _smooth(region: np.ndarray, around: np.ndarray, side: int) -> bool:
    """Whether the picture is smooth over ``around`` (the background just beyond the strip
    that would be rebuilt), judged with the window at 256 px so that the size of the photo
    does not matter."""
    if not around.any():
        return False
    k = min(1.0, 256.0 / side)
    h, w = around.shape
    size = (max(1, round(w * k)), max(1, round(h * k)))
    gray = cv2.resize(cv2.cvtColor(region, cv2.COLOR_RGB2GRAY), size, interpolation=cv2.INTER_AREA).astype(np.float32)
    where = cv2.resize(around.astype(np.uint8), size, interpolation=cv2.INTER_NEAREST) > 0
    if not where.any():
        return False
    gradient = np.hypot(cv2.Sobel(gray, cv2.CV_32F, 1, 0, ksize=3), cv2.Sobel(gray, cv2.CV_32F, 0, 1, ksize=3))
    return float(np.percentile(gradient[where], 75)) <= BUSY_BACKGROUND


def _far_from(mask: np.ndarray, reach: float, most: int = 512) -> np.ndarray:
    """Pixels further than ``reach`` from ``mask``, told on a copy at most ``most`` px on a
    side (a few pixels' precision is plenty for this, and a 4000 px window costs 10 ms)."""
    h, w = mask.shape
    k = min(1.0, most / max(h, w))
    if k == 1.0:
        return distance(mask) > reach
    small = cv2.resize(mask.astype(np.uint8), (max(1, round(w * k)), max(1, round(h * k))), interpolation=cv2.INTER_AREA)
    far = (distance(small > 0) > reach * k).astype(np.uint8)
    return cv2.resize(far, (w, h), interpolation=cv2.INTER_NEAREST) > 0
