"""What every blending method receives: the :class:`BlendInputs` of one picture.

The same record is built by the training-sample construction (self-reconstruction, see
``changer.data.sample``), by the evaluation protocol (seeded from the frame id) and by the
inference pipeline (a real source head on a real target). Learned models turn it into
tensors with :func:`to_model_tensors`; the non-learned baselines of ``eval.baselines`` use
the arrays directly. Keeping a single record is what makes "identical inputs for every
method" true by construction.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import torch

RGB = tuple[int, int, int]

DEFAULT_KEY_COLOR: RGB = (0, 177, 64)
"""Chroma-key green (the usual broadcast "chroma green")."""

BLUE_KEY_COLOR: RGB = (0, 71, 187)
"""Chroma-key blue."""


@dataclass
class BlendInputs:
    """Inputs of one blend, all ``H x W`` arrays of the same size.

    Attributes:
        target: ``HxWx3 uint8``; the target in the chroma-key setting (or on its real
            background for the ``no_chroma`` setting) with the removed region painted in
            ``key_color``.
        hole: ``HxW bool``; the removed region (what a method has to produce), including
            the area under the pasted head.
        head_gray: ``HxWx3 uint8``; the gray source head placed on the target, zero
            outside ``head_mask``.
        head_mask: ``HxW bool``; where the pasted head is.
        color_ref: ``HxWx3 uint8``; the colour reference ``C`` (a colour head on black,
            not aligned with the target).
        color_ref_mask: ``HxW bool``; the head pixels of ``color_ref``.
        body_ref: ``HxWx3 uint8``; the body reference ``B``: visible neck and body of the
            target on black.
        body_ref_mask: ``HxW bool``; the pixels of ``body_ref`` that hold the body.
        key_color: the key colour (RGB) the foreground is produced on.
        head_rgb: optional ``HxWx3 uint8`` colour version of the pasted head; only the
            ``no_colorizer`` ablation reads it (it takes a colour head instead of a
            reference).
        chroma: whether ``target`` is in the chroma-key setting (False for ``no_chroma``).
    """

    target: np.ndarray
    hole: np.ndarray
    head_gray: np.ndarray
    head_mask: np.ndarray
    color_ref: np.ndarray
    color_ref_mask: np.ndarray
    body_ref: np.ndarray
    body_ref_mask: np.ndarray
    key_color: RGB = DEFAULT_KEY_COLOR
    head_rgb: np.ndarray | None = None
    chroma: bool = True

    @property
    def size(self) -> tuple[int, int]:
        """``(H, W)``."""
        return self.target.shape[:2]

    def composed_input(self, colour_head: bool = False) -> np.ndarray:
        """The picture ``X`` a person would see: target with hole, head pasted on top."""
        head = self.head_rgb if colour_head and self.head_rgb is not None else self.head_gray
        out = self.target.copy()
        out[self.head_mask] = head[self.head_mask]
        return out


@dataclass
class Sample:
    """A :class:`BlendInputs` with its ground truth (self-reconstruction)."""

    inputs: BlendInputs
    gt: np.ndarray
    """``HxWx3 uint8``: the target frame on the key colour (or on its real background)."""
    labels: np.ndarray
    """``HxW uint8``: the 5-class labels of the ground-truth frame."""
    frame_id: str = ""
    extras: dict[str, np.ndarray] = field(default_factory=dict)
    """Intermediate arrays kept for previews (the original frame, true head, H² head, long hair)."""


def image_to_tensor(img: np.ndarray) -> torch.Tensor:
    """``HxWx3 uint8`` -> ``3xHxW float`` in ``[-1, 1]``."""
    return torch.from_numpy(np.ascontiguousarray(img)).permute(2, 0, 1).float().div(127.5).sub(1.0)


def mask_to_tensor(mask: np.ndarray) -> torch.Tensor:
    """``HxW bool`` -> ``1xHxW float`` in ``{0, 1}``."""
    return torch.from_numpy(np.ascontiguousarray(mask)).float().unsqueeze(0)


def tensor_to_image(t: torch.Tensor) -> np.ndarray:
    """``3xHxW`` in ``[-1, 1]`` -> ``HxWx3 uint8``."""
    arr = (t.detach().float().clamp(-1, 1).add(1).mul(127.5)).round().byte()
    return arr.permute(1, 2, 0).cpu().numpy()


def to_model_tensors(inputs: BlendInputs, colour_head: bool = False) -> dict[str, torch.Tensor]:
    """Tensors a learned model takes (no batch dimension).

    ``x``: 5 channels = composed input RGB (gray head, or colour head when
    ``colour_head``), hole mask (hole minus pasted head: what has to be invented), head
    mask. ``c``: colour reference RGB. ``b``: body reference RGB. ``key``: the key colour
    as a ``3`` tensor in ``[-1, 1]``. All images in ``[-1, 1]``.
    """
    fill = inputs.hole & ~inputs.head_mask
    return {
        "x": torch.cat(
            [
                image_to_tensor(inputs.composed_input(colour_head)),
                mask_to_tensor(fill),
                mask_to_tensor(inputs.head_mask),
            ]
        ),
        "c": image_to_tensor(inputs.color_ref),
        "b": image_to_tensor(inputs.body_ref),
        "key": torch.tensor(inputs.key_color, dtype=torch.float32).div(127.5).sub(1.0),
    }
