"""The training-sample construction of DESIGN.md §1, and its seeded evaluation variant.

From a target frame ``T`` (with labels) and a reference frame ``R`` of the same clip:

* ground truth: ``T`` on the key colour (``T_green``), or ``T`` itself when
  ``chroma=False`` (the ``no_chroma`` ablation);
* hole: head and neck of ``T`` dilated, joined (with H²) by a randomly transformed head
  mask and, sometimes, long hair of another identity;
* ``X``: the target with the hole painted in the key colour and the **gray** head of ``T``
  pasted back;
* ``C``: the colour head of ``R`` on black; ``B``: the visible neck and body of ``T`` on
  black.

The builder only draws from the ``numpy`` generator it is given; the evaluation protocol
passes one seeded from the frame id (:func:`frame_seed`), so every method sees identical
inputs for a frame and different frames get different holes.
"""

from __future__ import annotations

import zlib
from dataclasses import dataclass, field

import cv2
import numpy as np

from changer import labels as L
from changer.data.augment import H2Config, dilate, long_hair, transform_head
from changer.inputs import DEFAULT_KEY_COLOR, RGB, BlendInputs, Sample

PROTOCOL_VERSION = 1
"""Bump when the evaluation inputs change: cached results keyed by it become stale."""

@dataclass(frozen=True)
class SampleConfig:
    """How samples are built. Lengths are fractions of the image side."""

    key_color: RGB = DEFAULT_KEY_COLOR
    chroma: bool = True
    h2: bool = True
    h2_config: H2Config = field(default_factory=H2Config)
    hole_margin: tuple[float, float] = (0.02, 0.05)
    """Dilation of head+neck that forms the base hole (random in training)."""


def frame_seed(frame_id: str, version: int = PROTOCOL_VERSION) -> int:
    """A stable 32-bit seed for a frame (Python's ``hash`` is salted per process)."""
    return zlib.crc32(f"changer-eval-v{version}:{frame_id}".encode())


def to_gray(img: np.ndarray) -> np.ndarray:
    """RGB -> gray replicated on 3 channels (luma, as OpenCV computes it)."""
    return np.repeat(cv2.cvtColor(img, cv2.COLOR_RGB2GRAY)[..., None], 3, axis=2)


def on_key(img: np.ndarray, mask: np.ndarray, key: RGB) -> np.ndarray:
    """``img`` inside ``mask``, the key colour elsewhere."""
    return np.where(mask[..., None], img, np.asarray(key, np.uint8)).astype(np.uint8)


def on_black(img: np.ndarray, mask: np.ndarray) -> np.ndarray:
    """``img`` inside ``mask``, black elsewhere."""
    return np.where(mask[..., None], img, 0).astype(np.uint8)


class SampleBuilder:
    """Builds :class:`~changer.inputs.Sample` records from frames (see module docstring)."""

    def __init__(self, config: SampleConfig | None = None):
        self.config = config or SampleConfig()

    def build(
        self,
        target: np.ndarray,
        target_labels: np.ndarray,
        reference: np.ndarray,
        reference_labels: np.ndarray,
        rng: np.random.Generator,
        frame_id: str = "",
        donor_labels: np.ndarray | None = None,
    ) -> Sample:
        """One sample from a target frame and a reference frame of the same clip.

        ``donor_labels``: labels of a frame of another identity (same size), whose hair
        the long-hair part of H² lets fall onto the shoulders.
        """
        cfg = self.config
        if target.shape[:2] != target_labels.shape or reference.shape[:2] != reference_labels.shape:
            raise ValueError("image and label map sizes differ")
        side = max(target_labels.shape)
        head = L.head_mask(target_labels)
        neck = target_labels == L.NECK
        fg = L.foreground_mask(target_labels)

        margin = rng.uniform(*cfg.hole_margin) if cfg.h2 else float(np.mean(cfg.hole_margin))
        removed = head | neck
        extras: dict[str, np.ndarray] = {"head": head}
        if cfg.h2:
            moved = transform_head(head, rng, cfg.h2_config)
            removed = removed | moved
            extras["head_h2"] = moved
            if rng.random() < cfg.h2_config.long_hair_prob:
                donor = (None, None) if donor_labels is None else (donor_labels == L.HAIR, L.head_mask(donor_labels))
                hair = long_hair(head, target_labels == L.FACE, rng, cfg.h2_config, *donor)
                removed = removed | hair
                extras["long_hair"] = hair
        hole = dilate(removed, round(margin * side)) | head

        gt = on_key(target, fg, cfg.key_color) if cfg.chroma else target.copy()
        holed = gt.copy()
        holed[hole] = cfg.key_color
        body = L.neck_body_mask(target_labels) & ~hole
        ref_head = L.head_mask(reference_labels)
        inputs = BlendInputs(
            target=holed,
            hole=hole,
            head_gray=on_black(to_gray(target), head),
            head_mask=head,
            color_ref=on_black(reference, ref_head),
            color_ref_mask=ref_head,
            body_ref=on_black(target, body),
            body_ref_mask=body,
            key_color=cfg.key_color,
            head_rgb=on_black(target, head),
            chroma=cfg.chroma,
        )
        return Sample(inputs=inputs, gt=gt, labels=target_labels, frame_id=frame_id, extras=extras)
