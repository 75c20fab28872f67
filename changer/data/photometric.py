"""Photometric training augmentation: new clothing colours and new lighting.

The training split has 16 identities, so a network can learn "the regenerated shoulders
of this kind of person are dark" instead of reading the colours from the body reference
``B`` and the skin from the colour reference ``C``. Two cheap, label-aware changes break
that shortcut (training only; evaluation frames are never touched):

* :func:`recolor_clothes` turns the body class (clothes) to a random hue, saturation and
  brightness. It is applied to the target frame *before* the sample is built, so ``X``,
  ``B`` and the ground truth all show the same new clothes and the only way to get the
  hole right is to copy from ``B``.
* :func:`relight` applies one random white balance and gamma to the target and to the
  reference frame alike (same clip, same light), widening the range of skin tones and
  lighting the model sees.
"""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np

from changer import labels as L


@dataclass(frozen=True)
class PhotometricConfig:
    """Probabilities and ranges of the two augmentations."""

    clothes_prob: float = 0.6
    saturation: tuple[float, float] = (0.5, 1.6)
    value: tuple[float, float] = (0.6, 1.4)
    relight_prob: float = 0.8
    channel_gain: tuple[float, float] = (0.85, 1.15)
    gamma: tuple[float, float] = (0.8, 1.25)


def recolor_clothes(
    img: np.ndarray, labels: np.ndarray, rng: np.random.Generator, cfg: PhotometricConfig
) -> np.ndarray:
    """``img`` with the body-class pixels given a random hue, saturation and value.

    Hue is rotated (not set) so patterns and shading survive; the change is blended over a
    one-pixel feather so label edges do not turn into hard colour steps.
    """
    body = labels == L.BODY
    if not body.any():
        return img
    hsv = cv2.cvtColor(np.ascontiguousarray(img), cv2.COLOR_RGB2HSV).astype(np.float32)
    hsv[..., 0] = (hsv[..., 0] + rng.uniform(0, 180)) % 180
    hsv[..., 1] = np.clip(hsv[..., 1] * rng.uniform(*cfg.saturation), 0, 255)
    hsv[..., 2] = np.clip(hsv[..., 2] * rng.uniform(*cfg.value), 0, 255)
    new = cv2.cvtColor(hsv.astype(np.uint8), cv2.COLOR_HSV2RGB)
    alpha = cv2.GaussianBlur(body.astype(np.float32), (3, 3), 0)[..., None]
    return np.clip(img * (1 - alpha) + new * alpha + 0.5, 0, 255).astype(np.uint8)


def relight_params(rng: np.random.Generator, cfg: PhotometricConfig) -> tuple[np.ndarray, float]:
    """One random ``(per-channel gain, gamma)`` pair."""
    return rng.uniform(*cfg.channel_gain, size=3).astype(np.float32), float(rng.uniform(*cfg.gamma))


def relight(img: np.ndarray, gain: np.ndarray, gamma: float) -> np.ndarray:
    """``img`` under another white balance (``gain`` per RGB channel) and tone curve."""
    x = (img.astype(np.float32) / 255.0) ** gamma * gain
    return np.clip(x * 255.0 + 0.5, 0, 255).astype(np.uint8)


def augment_pair(
    target: np.ndarray,
    target_labels: np.ndarray,
    reference: np.ndarray,
    rng: np.random.Generator,
    cfg: PhotometricConfig | None = None,
) -> tuple[np.ndarray, np.ndarray]:
    """The target and reference frames after the random photometric changes."""
    cfg = cfg or PhotometricConfig()
    if rng.random() < cfg.clothes_prob:
        target = recolor_clothes(target, target_labels, rng, cfg)
    if rng.random() < cfg.relight_prob:
        gain, gamma = relight_params(rng, cfg)
        target, reference = relight(target, gain, gamma), relight(reference, gain, gamma)
    return target, reference
