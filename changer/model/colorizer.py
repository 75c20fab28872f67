"""The Head Colorizer: colours the gray head of ``X`` from the colour reference ``C``.

Queries are the ``E(X)`` tokens, keys/values the ``phi_c(C)`` tokens (cross-attention).
Two by-products feed the rest of the network and the losses:

* ``head_rgb``: an auxiliary ToRGB image at full resolution, the coloured head on the key
  colour. Each token predicts its ``s x s`` patch of pixels (linear + pixel shuffle), which
  is sharper than upsampling a ``1/s`` image and costs almost nothing. It is supervised on
  the head only, so outside the head it is replaced by the key colour.
* ``z_c``: a global colour code (mean of the output tokens, normalised and projected) that
  modulates every decoder scale.

Without a reference (the ``no_colorizer`` ablation) the blocks keep their self-attention
(same capacity), but there is no cross-attention and no ``head_rgb``.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
import torch.nn.functional as F
from torch import nn

from changer.model.attention import TransformerBlock, to_map


@dataclass
class ColorizerOutput:
    """``tokens (B, N, dim)``, ``z_c (B, dim)``, ``head_rgb (B, 3, H, W)`` or ``None``."""

    tokens: torch.Tensor
    z_c: torch.Tensor
    head_rgb: torch.Tensor | None


class HeadColorizer(nn.Module):
    """Transformer blocks (self + cross to ``phi_c(C)``), ToRGB head and colour code."""

    def __init__(
        self, dim: int, heads: int, depth: int, stride: int, mlp_ratio: float = 2.0,
        use_reference: bool = True, sa_pool: int = 1,
    ) -> None:
        super().__init__()
        self.stride = stride
        self.blocks = nn.ModuleList(
            TransformerBlock(dim, heads, mlp_ratio, cross=use_reference, sa_pool=sa_pool)
            for _ in range(depth)
        )
        self.norm = nn.LayerNorm(dim)
        self.to_rgb = nn.Linear(dim, 3 * stride * stride) if use_reference else None
        self.to_z = nn.Linear(dim, dim)

    def forward(
        self,
        tokens: torch.Tensor,
        hw: tuple[int, int],
        ref: torch.Tensor | None,
        head_mask: torch.Tensor,
        key: torch.Tensor,
    ) -> ColorizerOutput:
        """``tokens``: ``E(X)`` tokens on the ``hw`` grid; ``ref``: ``phi_c(C)`` tokens (or
        ``None`` without reference); ``head_mask``: ``(B, 1, H, W)``; ``key``: ``(B, 3)``."""
        for block in self.blocks:
            tokens = block(tokens, hw, ref)
        t = self.norm(tokens)
        z_c = self.to_z(t.mean(1))
        head_rgb = None
        if self.to_rgb is not None:
            rgb = F.pixel_shuffle(to_map(self.to_rgb(t), hw), self.stride).tanh()
            head_rgb = rgb * head_mask + key[:, :, None, None] * (1 - head_mask)
        return ColorizerOutput(tokens, z_c, head_rgb)
