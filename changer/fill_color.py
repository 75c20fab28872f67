"""Colour-correct what the network drew so it meets the real pixels around it without a band.

The network fills a ring between the real head and the kept body. Along the ring's borders
real pixels lie right next to generated ones: the target's own neck and clothes outside the
hole, and the real face and neck skin of the pasted head inside it. The offset between
them, measured along those borders, is spread smoothly over the generated person (a
normalized convolution) and added to it. Hair edges are never measured (they carry the
source's backdrop), and pixels the network drew as background are left alone (they are
replaced by the background).
"""

from __future__ import annotations

import cv2
import numpy as np

SPREAD = 0.08
"""σ of the spread of the border offsets, as a share of the window side."""

REACH = 3
"""Pixels of generated area next to a real pixel where the offset is measured."""


def _blur(img: np.ndarray, sigma: float) -> np.ndarray:
    return cv2.GaussianBlur(img, (0, 0), sigma, borderType=cv2.BORDER_REPLICATE)


def border_offset(generated: np.ndarray, real: np.ndarray, real_mask: np.ndarray, region: np.ndarray,
                  spread: float) -> np.ndarray:
    """``HxWx3 float32`` offset (real minus generated) measured where ``region`` touches
    ``real_mask`` and spread over the picture with a Gaussian of σ ``spread`` pixels
    (zero where nothing was measured)."""
    kernel = np.ones((2 * REACH + 1, 2 * REACH + 1), np.uint8)
    edge = region & (cv2.dilate(real_mask.astype(np.uint8), kernel) > 0)
    if not edge.any():
        return np.zeros(generated.shape, np.float32)
    m = real_mask.astype(np.float32)
    local = _blur(real.astype(np.float32) * m[..., None], REACH) / np.maximum(_blur(m, REACH), 1e-6)[..., None]
    offset = (local - generated.astype(np.float32)) * edge[..., None]
    w = _blur(edge.astype(np.float32), spread)
    field = _blur(offset, spread) / np.maximum(w, 1e-6)[..., None]
    confidence = np.clip(w / max(float(w.max()), 1e-6) * 4.0, 0.0, 1.0)  # fades out far from any border
    return field * confidence[..., None]


def correct_fill(fg: np.ndarray, region: np.ndarray, real: np.ndarray, real_mask: np.ndarray,
                 spread: float | None = None) -> np.ndarray:
    """``fg`` (the network's person colours) with the border offset added inside ``region``
    (the generated person); ``real``/``real_mask``: the real pixels beside it."""
    if not region.any() or not real_mask.any():
        return fg
    spread = SPREAD * max(fg.shape[:2]) if spread is None else spread
    field = border_offset(fg, real, real_mask, region, spread)
    out = fg.astype(np.float32)
    out[region] += field[region]
    return np.clip(np.rint(out), 0, 255).astype(np.uint8)
