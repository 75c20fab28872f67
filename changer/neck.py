"""The new neck's colour: the generated neck takes the new face's chroma.

The network draws the neck under a pasted head from nothing (it is inside the hole), and
its hue drifts from the face above it: washed out, gray or bluish under a new chin in
cross-identity blends (a review counted a smeared neck in about 37 of 51 pairs).
:func:`tint_neck` shifts the a*b* of the generated neck by the difference of the face's
and the neck's medians, keeping lightness (the shading under the chin is the network's),
so the neck's colour matches the face it belongs to. On self-blends of the test frames
(``python -m eval.self_blend --every 6 --variant untinted:neck_tint=0 --variant default``)
it brings the neck's median a*b* nearer the true neck's (6.39 -> 5.11 on HDTF, 5.01 ->
3.87 on Vox) and the neck's PSNR up by 0.07 / 0.08 dB (``docs/experiments/blending.md``).

Where the neck is: the source's own neck (its label map's neck class), carried along with
the head by the alignment, inside the generated region. The shift fades in over a few
pixels from that region's border (not from the chin, where neck and face should join in
one hue), and pixels whose colour is far from both the face's and
the neck's (a scarf, a collar of another colour) are left as they are.
"""

from __future__ import annotations

import cv2
import numpy as np

MIN_PIXELS = 16
"""Fewer neck or face pixels than this: nothing to go by, nothing changed."""

FADE = 0.02
"""Width of the fade-in at the neck region's border, as a fraction of the picture side."""

FAR = 30.0
"""a*b* distance (CIELAB, 0..255 scale) from both the face's and the neck's median beyond
which a pixel is taken for something else than skin and keeps its colour."""


def tint_neck(fg: np.ndarray, neck: np.ndarray, face: np.ndarray, strength: float = 1.0) -> np.ndarray:
    """``fg`` (``HxWx3 uint8`` RGB) with the chroma of its ``neck`` pixels moved toward the
    chroma of its ``face`` pixels by ``strength`` (0: unchanged; 1: the neck's inner part,
    past the fade, gets the face's median chroma).

    The shift fades in from the neck's borders except where it meets the face (under the
    chin the two should join in one hue). Only the ``neck`` pixels change; the others are
    returned bit for bit.
    """
    if strength <= 0 or neck.sum() < MIN_PIXELS or face.sum() < MIN_PIXELS:
        return fg
    rows, cols = np.nonzero(neck)
    box = (slice(rows.min(), rows.max() + 1), slice(cols.min(), cols.max() + 1))
    lab = cv2.cvtColor(fg, cv2.COLOR_RGB2LAB).astype(np.float32)
    ab = lab[..., 1:]
    face_ab, neck_ab = np.median(ab[face], axis=0), np.median(ab[neck], axis=0)
    near = np.minimum(np.linalg.norm(ab[box] - face_ab, axis=-1), np.linalg.norm(ab[box] - neck_ab, axis=-1)) <= FAR
    weight = _fade(neck, face, max(1.0, FADE * max(fg.shape[:2])))[box] * near * strength
    out = fg.copy()
    region = lab[box]
    region[..., 1:] += weight[..., None] * (face_ab - neck_ab)
    tinted = cv2.cvtColor(np.clip(region, 0, 255).round().astype(np.uint8), cv2.COLOR_LAB2RGB)
    changed = weight > 0
    out[box][changed] = tinted[changed]
    return out


def _fade(mask: np.ndarray, keep: np.ndarray, width: float) -> np.ndarray:
    """0 outside ``mask``, rising to 1 at ``width`` pixels from the nearest pixel that is in
    neither ``mask`` nor ``keep`` (no fade towards ``keep``; the picture's edge counts as outside)."""
    inside = cv2.distanceTransform(np.pad(mask | keep, 1).astype(np.uint8), cv2.DIST_L2, 3)[1:-1, 1:-1]
    return np.where(mask, np.clip(inside / width, 0.0, 1.0), 0.0).astype(np.float32)
