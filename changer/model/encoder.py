"""The encoder ``E``: the 5-channel input ``X`` to the token-grid feature map plus skips."""

from __future__ import annotations

import torch
from torch import nn

from changer.model.blocks import ResBlock, conv3x3, down


class Encoder(nn.Module):
    """Conv pyramid: a full-resolution stem, then ``len(channels) - 1`` strided stages.

    The full-resolution level is a single conv (it only forwards fine detail to the
    decoder's last skip); each intermediate level is a strided conv plus one residual
    block; the top level is a strided conv only when ``top_block=False`` (CHANGER: the
    transformer is the processing at that level). This keeps a CPU forward cheap.
    """

    def __init__(self, in_channels: int, channels: tuple[int, ...], top_block: bool = True) -> None:
        super().__init__()
        self.stem = nn.Sequential(conv3x3(in_channels, channels[0]), nn.SiLU())
        self.downs = nn.ModuleList(down(a, b) for a, b in zip(channels[:-1], channels[1:]))
        self.blocks = nn.ModuleList(
            ResBlock(c) if top_block or i < len(channels) - 2 else nn.Identity()
            for i, c in enumerate(channels[1:])
        )

    def forward(self, x: torch.Tensor) -> tuple[torch.Tensor, list[torch.Tensor]]:
        """Returns ``(feat, skips)``: ``feat`` at ``1/stride`` and ``skips[i]`` at ``1/2**i``
        (``skips[-1] is feat``)."""
        h = self.stem(x)
        skips = [h]
        for down_, block in zip(self.downs, self.blocks):
            h = block(down_(h))
            skips.append(h)
        return h, skips
