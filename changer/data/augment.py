"""H² augmentation: make a self-reconstruction hole look like a cross-identity hole.

When a *different* head is put on a target, the region to regenerate is shaped by both
heads and may hide long hair of the old head. In training the pasted head is the
target's own, so without help the hole would hug that head exactly and the model would
learn a shortcut. H² breaks it in two ways (DESIGN.md §1):

* head shape: the head mask is moved, scaled, rotated, dilated and elastically warped;
  the hole is built from the true *and* the transformed mask;
* long hair: sometimes the hair of another identity, falling onto the shoulders, is added
  to the hole, so the model learns to regenerate neck, body and key colour behind hair
  that is no longer there.

All sizes are fractions of the image size, so the same config works at 128, 256 or 512.
"""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np


@dataclass(frozen=True)
class H2Config:
    """Ranges of the H² augmentation (lengths as fractions of the image side)."""

    scale: tuple[float, float] = (0.9, 1.2)
    rotation_deg: float = 12.0
    translate: float = 0.04
    dilate: tuple[float, float] = (0.0, 0.04)
    elastic_strength: float = 0.03
    elastic_smoothness: float = 0.06
    long_hair_prob: float = 0.35
    long_hair_length: tuple[float, float] = (0.3, 0.8)
    """How far long hair falls below the chin, as a fraction of the head height."""


def mask_box(mask: np.ndarray) -> tuple[int, int, int, int] | None:
    """``(x0, y0, x1, y1)`` bounding box of a boolean mask (exclusive end), or None."""
    rows = np.flatnonzero(mask.any(axis=1))
    if rows.size == 0:
        return None
    cols = np.flatnonzero(mask.any(axis=0))  # not np.nonzero: ten times faster on large photos
    return int(cols[0]), int(rows[0]), int(cols[-1]) + 1, int(rows[-1]) + 1


def disk(radius: int) -> np.ndarray:
    """An elliptic structuring element of the given radius."""
    r = max(int(radius), 0)
    return cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (2 * r + 1, 2 * r + 1))


def dilate(mask: np.ndarray, radius: int) -> np.ndarray:
    """Boolean dilation by a disk; radius 0 returns a copy."""
    if radius <= 0:
        return mask.copy()
    return cv2.dilate(mask.astype(np.uint8), disk(radius)).astype(bool)


def warp_mask(mask: np.ndarray, matrix: np.ndarray) -> np.ndarray:
    """Apply a 2x3 affine matrix to a boolean mask."""
    h, w = mask.shape
    out = cv2.warpAffine(mask.astype(np.uint8) * 255, matrix, (w, h), flags=cv2.INTER_LINEAR)
    return out > 127


def elastic_warp(mask: np.ndarray, rng: np.random.Generator, strength: float, smoothness: float) -> np.ndarray:
    """Warp a mask by a smooth random displacement field (lengths in image fractions)."""
    h, w = mask.shape
    side = max(h, w)
    sigma = max(smoothness * side, 1.0)
    field = rng.standard_normal((2, h, w)).astype(np.float32)
    field = np.stack([cv2.GaussianBlur(f, (0, 0), sigma) for f in field])
    field *= strength * side / (np.abs(field).max() + 1e-8)
    gx, gy = np.meshgrid(np.arange(w, dtype=np.float32), np.arange(h, dtype=np.float32))
    out = cv2.remap(mask.astype(np.uint8) * 255, gx + field[0], gy + field[1], cv2.INTER_LINEAR)
    return out > 127


def transform_head(mask: np.ndarray, rng: np.random.Generator, cfg: H2Config) -> np.ndarray:
    """The head-shape part of H²: a random similarity, dilation and elastic warp."""
    box = mask_box(mask)
    if box is None:
        return mask.copy()
    side = max(mask.shape)
    cx, cy = (box[0] + box[2]) / 2, (box[1] + box[3]) / 2
    angle = rng.uniform(-cfg.rotation_deg, cfg.rotation_deg)
    scale = rng.uniform(*cfg.scale)
    matrix = cv2.getRotationMatrix2D((cx, cy), angle, scale)
    matrix[:, 2] += rng.uniform(-cfg.translate, cfg.translate, size=2) * side
    out = warp_mask(mask, matrix)
    out = dilate(out, round(rng.uniform(*cfg.dilate) * side))
    return elastic_warp(out, rng, cfg.elastic_strength, cfg.elastic_smoothness)


def long_hair(
    head: np.ndarray,
    face: np.ndarray,
    rng: np.random.Generator,
    cfg: H2Config,
    donor_hair: np.ndarray | None = None,
    donor_head: np.ndarray | None = None,
) -> np.ndarray:
    """The long-hair part of H²: a hair region falling from the head onto the shoulders.

    The donor's hair (another identity) is moved onto this head's box; then the hair at
    both sides of the face is extended downwards by a random, ragged length. Without a
    donor the head's own outline is used as the hair cap.
    """
    box = mask_box(head)
    if box is None:
        return np.zeros_like(head)
    cap = _donor_cap(head, donor_hair, donor_head)
    x0, y0, x1, y1 = box
    head_h = y1 - y0
    fbox = mask_box(face) or box
    chin = fbox[3]
    length = rng.uniform(*cfg.long_hair_length) * head_h
    h, w = head.shape
    out = cap.copy()
    # Columns beside the face, where hair would fall; each gets a ragged length.
    cols = np.arange(w)
    side = (cols >= x0 - 0.1 * (x1 - x0)) & (cols < x1 + 0.1 * (x1 - x0))
    side &= (cols < fbox[0] + 0.15 * (fbox[2] - fbox[0])) | (cols >= fbox[2] - 0.15 * (fbox[2] - fbox[0]))
    ragged = cv2.GaussianBlur(rng.standard_normal((1, w)).astype(np.float32), (0, 0), max(w * 0.02, 1))[0]
    ragged = ragged / (np.abs(ragged).max() + 1e-8)
    rows = np.arange(h)[:, None]
    top = np.where(cap.any(axis=0), np.argmax(cap, axis=0), chin)
    bottom = chin + length * (1 + 0.25 * ragged)
    out |= side[None, :] & (rows >= np.minimum(top, chin)[None, :]) & (rows < bottom[None, :])
    return cv2.morphologyEx(out.astype(np.uint8), cv2.MORPH_CLOSE, disk(max(w // 64, 1))).astype(bool)


def _donor_cap(head: np.ndarray, donor_hair: np.ndarray | None, donor_head: np.ndarray | None) -> np.ndarray:
    """The donor's hair mask moved so that the donor's head box matches this head's box."""
    box = mask_box(head)
    dbox = mask_box(donor_head) if donor_head is not None else None
    if donor_hair is None or dbox is None or box is None or not donor_hair.any():
        return head.copy()
    sx = (box[2] - box[0]) / max(dbox[2] - dbox[0], 1)
    sy = (box[3] - box[1]) / max(dbox[3] - dbox[1], 1)
    matrix = np.array(
        [[sx, 0, box[0] - sx * dbox[0]], [0, sy, box[1] - sy * dbox[1]]], dtype=np.float32
    )
    return warp_mask(donor_hair, matrix)
