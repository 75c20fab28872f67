"""The decoder ``D``: blended tokens + encoder skips + colour code ``z`` -> RGB in ``[-1, 1]``.

Each scale upsamples (:class:`~changer.model.blocks.Up`, sub-pixel or bilinear), adds the
encoder skip of that scale (additive skips: as informative as concatenation here and
half the conv cost) and runs one residual block whose normalisation is FiLM-modulated
by ``z``. The full-resolution level is one conv only, the cheapest way to get the
encoder's full-resolution detail into the output.
"""

from __future__ import annotations

import torch
from torch import nn

from changer.model.blocks import ResBlock, Up, conv3x3, norm


class Decoder(nn.Module):
    """``(B, in_dim, h, w)`` at ``1/stride`` + skips -> ``(B, 3, H, W)`` (tanh)."""

    def __init__(self, in_dim: int, channels: tuple[int, ...], z_dim: int, upsample: str = "pixelshuffle") -> None:
        super().__init__()
        top = channels[-1]
        self.inp = nn.Conv2d(in_dim + top, top, 1)  # tokens + top-level skip
        self.top = ResBlock(top, z_dim)
        rev = channels[::-1]
        self.ups = nn.ModuleList(Up(a, b, upsample) for a, b in zip(rev[:-1], rev[1:]))
        self.blocks = nn.ModuleList(ResBlock(c, z_dim) for c in rev[1:-1])
        self.out = nn.Sequential(norm(channels[0]), nn.SiLU(), conv3x3(channels[0], 3))

    def forward(self, feat: torch.Tensor, skips: list[torch.Tensor], z: torch.Tensor) -> torch.Tensor:
        """``skips[i]`` is the encoder output at ``1/2**i`` (``skips[-1]`` at ``1/stride``)."""
        h = self.top(self.inp(torch.cat([feat, skips[-1]], 1)), z)
        for i, up_ in enumerate(self.ups):
            h = up_(h) + skips[-2 - i]
            if i < len(self.blocks):
                h = self.blocks[i](h, z)
        return self.out(h).tanh()
