"""Appearance augmentation of training frames: mirroring and clothes recolouring.

The ``train`` split has 16 identities in 29 clips, so 29 outfits. Trained on them as
they are, a blender learns those outfits: on a new person it paints the hole's shirt in
colours from the training set (a dark red scarf where a white shirt was) instead of
continuing the clothes it can see below the hole. Recolouring the clothes of the target
frame (hue turned anywhere on the circle, saturation and brightness scaled) makes the
outfit's colour unpredictable from anything but the visible body, so copying it from
there is the only way to lower the loss. Skin and hair keep their colours: the head's
come from the colour reference, and the neck follows the face.

The change is made to the frame before the sample is built, so ground truth, body
reference and input all agree. Evaluation never uses it.
"""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np

from changer import labels as L


@dataclass(frozen=True)
class AppearanceConfig:
    """Which appearance augmentations training applies, and how strongly."""

    hflip: bool = False
    """Mirror the target frame (and its labels) with probability 0.5."""
    recolour_prob: float = 0.0
    """Probability of recolouring the clothes (label ``BODY``) of a target frame."""
    saturation: tuple[float, float] = (0.6, 1.4)
    """Range of the factor on the clothes' saturation."""
    value: tuple[float, float] = (0.7, 1.3)
    """Range of the factor on the clothes' brightness (HSV value)."""

    @classmethod
    def from_dict(cls, d: dict) -> AppearanceConfig:
        d = dict(d)
        for name in ("saturation", "value"):
            if name in d:
                d[name] = tuple(d[name])
        return cls(**d)


def recolour_clothes(
    img: np.ndarray,
    labels: np.ndarray,
    hue_shift: float,
    saturation: float,
    value: float,
) -> np.ndarray:
    """``img`` (``H x W x 3`` uint8 RGB) with its ``BODY`` pixels recoloured in HSV.

    ``hue_shift`` in degrees, ``saturation`` and ``value`` as factors; every other pixel
    is returned unchanged.
    """
    body = labels == L.BODY
    if not body.any():
        return img.copy()
    hsv = cv2.cvtColor(np.ascontiguousarray(img), cv2.COLOR_RGB2HSV_FULL).astype(np.float32)
    hsv[..., 0] = np.mod(hsv[..., 0] + hue_shift * 256.0 / 360.0, 256.0)
    hsv[..., 1] *= saturation
    hsv[..., 2] *= value
    hsv = np.clip(np.rint(hsv), 0, 255).astype(np.uint8)
    recoloured = cv2.cvtColor(hsv, cv2.COLOR_HSV2RGB_FULL)
    return np.where(body[..., None], recoloured, img)


def augment_appearance(
    img: np.ndarray, labels: np.ndarray, rng: np.random.Generator, cfg: AppearanceConfig
) -> tuple[np.ndarray, np.ndarray]:
    """A training frame and its labels after the augmentations ``cfg`` turns on.

    An augmentation that is off draws nothing from ``rng``, so runs without it keep
    their random stream."""
    if cfg.hflip and rng.random() < 0.5:
        img, labels = np.ascontiguousarray(img[:, ::-1]), np.ascontiguousarray(labels[:, ::-1])
    if cfg.recolour_prob > 0 and rng.random() < cfg.recolour_prob:
        img = recolour_clothes(
            img, labels, rng.uniform(0.0, 360.0), rng.uniform(*cfg.saturation), rng.uniform(*cfg.value)
        )
    return img, labels
