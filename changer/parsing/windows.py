"""Picture helpers shared by the parser and the no-face check: input format, square windows.

A *window* is a square ``(top, left, side)`` in picture pixels; it may reach outside the
picture, where crops are padded.
"""

from __future__ import annotations

import cv2
import numpy as np

PORTRAIT_FACE_SHARE = 0.45
"""Face height / window side of a talking-head framing. The training frames have
0.40-0.83 (5th-95th percentile, median 0.70); a little below the middle keeps the
neck and shoulders of a long face in the window."""


def as_rgb(img: np.ndarray) -> np.ndarray:
    """``HxWx3 uint8`` from a gray, RGB or RGBA uint8 array."""
    img = np.asarray(img)
    if img.dtype != np.uint8:
        raise ValueError(f"the parser expects uint8 pixels, got {img.dtype}")
    if img.ndim == 2:
        return np.repeat(img[..., None], 3, axis=2)
    if img.ndim == 3 and img.shape[2] in (3, 4):
        return img[..., :3]
    raise ValueError(f"the parser expects an HxWx3 RGB image, got shape {img.shape}")


def fit_longest(img: np.ndarray, side: int) -> tuple[np.ndarray, float]:
    """``img`` shrunk (area interpolation) so that its longer side is at most ``side``, and
    the factor applied (1.0: unchanged, the same array)."""
    h, w = img.shape[:2]
    k = side / max(h, w)
    if k >= 1:
        return img, 1.0
    return cv2.resize(img, (max(1, round(w * k)), max(1, round(h * k))), interpolation=cv2.INTER_AREA), k


def window_borders(window: tuple[int, int, int], shape: tuple[int, ...]) -> tuple[int, int, int, int]:
    """How far the square ``(top, left, side)`` reaches out of a picture of ``shape``:
    ``(top, bottom, left, right)``."""
    top, left, side = window
    h, w = shape[:2]
    return max(0, -top), max(0, top + side - h), max(0, -left), max(0, left + side - w)


def window_crop(img: np.ndarray, window: tuple[int, int, int], border: int = cv2.BORDER_CONSTANT) -> np.ndarray:
    """The square ``(top, left, side)`` of ``img`` (uint8), filled by ``border`` (zeros by
    default) where it leaves the picture."""
    top, left, side = window
    crop = img[max(0, top):top + side, max(0, left):left + side]
    return cv2.copyMakeBorder(crop, *window_borders(window, img.shape), border, value=0)


def framing(cx: float, cy: float, face_size: float, face_share: float = PORTRAIT_FACE_SHARE) -> tuple[int, int, int]:
    """The square ``(top, left, side)`` that frames a face of ``face_size`` centred at
    ``(cx, cy)`` as the parser's second pass does (:func:`changer.parsing.parser.portrait_window`)."""
    side = max(16, int(round(face_size / face_share)))
    return int(round(cy - 0.45 * side)), int(round(cx - side / 2)), side
