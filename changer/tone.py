"""Tone curves: bring a face's lightness to a chosen level.

Two users:

* the parser's second pass on underexposed photos (:func:`changer.parsing.parser.relit`);
* the pasted face's lightness (:func:`head_curve`, :func:`apply_curve_within`). The Head
  Colorizer learnt to colour a gray head from a colour reference while keeping the gray
  image's lightness: in training the gray head is the target's own. Across people the gray
  head is the *source's*, so without a correction the new face keeps the source's
  lightness (measured on real frames: the output face's mean L* stays within 6 of the
  source face's, whatever the target's), and a brightly lit face lands on a dim photo.
  Matching the gray face to the target's face makes "the target's skin tone" hold for
  lightness as well as colour. Only the face is bent: hair lightness is the person's own
  (a brightened face must not turn black hair gray).

The curve that moves a face's median is a gamma: black stays black and white stays white,
so nothing clips. It is bounded (:data:`GAMMA_RANGE`): darkening a bright face by more
than a gamma of 3 would turn its shadows black, so such a face ends lighter than the
target's. (A gain to darken was tried too: the blender then gave low-contrast, hazy faces.)
"""

from __future__ import annotations

import cv2
import numpy as np

from changer import labels as L

MIN_FACE_PIXELS = 16
"""A face with fewer pixels than this has no usable lightness."""

GAMMA_RANGE = (1 / 3, 3.0)
"""Bounds of :func:`curve_to`'s gamma: the strongest brightening and darkening."""


def luma(img: np.ndarray) -> np.ndarray:
    """``HxW uint8`` luma (OpenCV's RGB -> gray) of an ``HxWx3`` uint8 picture; gray passes through."""
    return img if img.ndim == 2 else cv2.cvtColor(img, cv2.COLOR_RGB2GRAY)


def face_luma(img: np.ndarray, labels: np.ndarray) -> float | None:
    """Median luma of the person's face (:func:`changer.labels.main_face_mask`), None without one."""
    face = L.main_face_mask(labels)
    if face is None or int(face.sum()) < MIN_FACE_PIXELS:
        return None
    return float(np.median(luma(img)[face]))


def curve_to(level: float, target: float) -> np.ndarray:
    """A 256-entry uint8 lookup table, the gamma that takes the value ``level`` (0-255) to
    ``target``, bounded by :data:`GAMMA_RANGE`."""
    level, target = (min(max(float(v), 1.0), 254.0) / 255.0 for v in (level, target))
    gamma = float(np.clip(np.log(target) / np.log(level), *GAMMA_RANGE))
    return np.round(255.0 * (np.arange(256) / 255.0) ** gamma).astype(np.uint8)


def apply_curve(img: np.ndarray, curve: np.ndarray | None) -> np.ndarray:
    """``curve[img]`` for a uint8 picture; None returns ``img``."""
    return img if curve is None else cv2.LUT(img, curve)


def apply_curve_within(img: np.ndarray, curve: np.ndarray | None, mask: np.ndarray, feather: float) -> np.ndarray:
    """``img`` with :func:`apply_curve` inside ``mask``, blended out over about ``feather``
    pixels (a Gaussian of that sigma on the mask) so no seam appears at its border."""
    if curve is None or not mask.any():
        return img
    weight = mask.astype(np.float32)
    if feather > 0:
        weight = cv2.GaussianBlur(weight, (0, 0), feather)
    if img.ndim == 3:
        weight = weight[..., None]
    out = img.astype(np.float32) * (1.0 - weight) + apply_curve(img, curve).astype(np.float32) * weight
    return np.round(out).astype(np.uint8)


def head_curve(source: np.ndarray, source_labels: np.ndarray, target: np.ndarray,
               target_labels: np.ndarray) -> np.ndarray | None:
    """The curve that gives the source's face the target face's median luma (None when
    either face is missing)."""
    src, tgt = face_luma(source, source_labels), face_luma(target, target_labels)
    if src is None or tgt is None:
        return None
    return curve_to(src, tgt)
