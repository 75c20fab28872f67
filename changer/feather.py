"""The paste-back's weight: where, and how strongly, the blend replaces the target (the
feathered hole, ramped at window borders inside the picture: :func:`paste_weight`), the
per-pixel mix by that weight (:func:`mix`), and the distance to a mask under both."""

from __future__ import annotations

import cv2
import numpy as np

from changer.data.augment import mask_box
from changer.window import Window, region


def distance(mask: np.ndarray) -> np.ndarray:
    """Euclidean distance (pixels) of every pixel to ``mask`` (0 on it); fast at any radius."""
    if not mask.any():
        return np.full(mask.shape, np.inf, np.float32)
    return cv2.distanceTransform((~mask).astype(np.uint8), cv2.DIST_L2, cv2.DIST_MASK_PRECISE)


def paste_weight(hole: np.ndarray, window: Window, shape: tuple[int, int], feather: float,
                 inside: bool = False) -> np.ndarray:
    """Feathered hole over the picture's part of the window (``region``'s window slices):
    1 on the hole, a smooth fall to exactly 0 at ``2 * feather * side``; with ``inside``, the
    fall lies inside the hole instead (1 from ``feather * side`` in, 0 on and outside its
    edge), so every pixel outside the hole stays the target's.

    Where the window's own border lies inside the image the weight also ramps down to 0,
    so nothing outside the window is needed. The distance to the hole is taken only
    within the fall's reach of both the hole and the picture, which holds every hole
    pixel that near a weighted pixel: exact, and seconds faster on large photos.
    """
    x0, y0, side = window
    h, w = shape
    _, _, wr, wc = region(window, shape)
    weight = np.zeros((max(0, wr.stop - wr.start), max(0, wc.stop - wc.start)), np.float32)
    if weight.size == 0:  # a window that misses the picture
        return weight
    f = max(1, round(feather * side))
    box = mask_box(hole)
    if box is not None:
        reach = f if inside else 2 * f
        bx0, by0 = max(0, box[0] - reach, wc.start - reach), max(0, box[1] - reach, wr.start - reach)
        bx1, by1 = min(side, box[2] + reach, wc.stop + reach), min(side, box[3] + reach, wr.stop + reach)
        if bx0 < bx1 and by0 < by1:
            part = hole[by0:by1, bx0:bx1]
            if inside:  # distance into the hole from its edge: 0 outside
                t = np.clip((distance(~part) - 0.5) / np.float32(reach), 0.0, 1.0) * part
                near = t * t * (3.0 - 2.0 * t)
            else:
                t = np.clip(distance(part) / np.float32(reach), 0.0, 1.0)
                near = 1.0 - t * t * (3.0 - 2.0 * t)
            ox0, oy0, ox1, oy1 = max(bx0, wc.start), max(by0, wr.start), min(bx1, wc.stop), min(by1, wr.stop)
            if ox0 < ox1 and oy0 < oy1:
                weight[oy0 - wr.start : oy1 - wr.start, ox0 - wc.start : ox1 - wc.start] = \
                    near[oy0 - by0 : oy1 - by0, ox0 - bx0 : ox1 - bx0]
    ramp = np.clip((np.arange(side, dtype=np.float32) + 0.5) / f, 0, 1)
    rows, cols = np.ones(side, np.float32), np.ones(side, np.float32)
    if y0 > 0:
        rows = np.minimum(rows, ramp)
    if y0 + side < h:
        rows = np.minimum(rows, ramp[::-1])
    if x0 > 0:
        cols = np.minimum(cols, ramp)
    if x0 + side < w:
        cols = np.minimum(cols, ramp[::-1])
    weight *= rows[wr, None]
    weight *= cols[None, wc]
    return weight


def mix(inside: np.ndarray, outside: np.ndarray, weight: np.ndarray) -> np.ndarray:
    """``weight * inside + (1 - weight) * outside`` per pixel: exactly ``inside`` where the
    weight is 1 and ``outside`` where it is 0. ``uint8`` images are mixed by OpenCV (rounded,
    no float copies: mixing a 16 MP window in numpy floats took over a second)."""
    if inside.dtype == np.uint8:
        weight = np.asarray(weight, np.float32)  # OpenCV takes float32 weights only
        return cv2.blendLinear(inside, outside, weight, 1.0 - weight)
    return weight * inside + (1.0 - weight) * outside
