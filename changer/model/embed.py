"""Reference embeddings ``phi_c`` (colour reference ``C``) and ``phi_b`` (body reference ``B``).

Both references are people on black, so a light conv stem suffices: strided convs down
to the same token grid as ``E(X)``, one residual block for context, a 1x1 projection to
the token width and the shared-scheme positional encoding.
"""

from __future__ import annotations

import torch
from torch import nn

from changer.model.attention import PosEmbed, to_tokens
from changer.model.blocks import ResBlock, down


class RefEmbed(nn.Module):
    """Image ``(B, 3, H, W)`` -> tokens ``(B, (H/s)*(W/s), dim)`` on the ``1/s`` grid."""

    def __init__(self, channels: tuple[int, ...], dim: int, in_channels: int = 3) -> None:
        super().__init__()
        widths = (in_channels, *channels[:-1])  # one stride-2 conv per level below the top
        self.stem = nn.Sequential(*(down(a, b) for a, b in zip(widths[:-1], widths[1:])))
        self.block = ResBlock(widths[-1])
        self.proj = nn.Conv2d(widths[-1], dim, 1)
        self.pos = PosEmbed(dim)

    def forward(self, img: torch.Tensor) -> tuple[torch.Tensor, tuple[int, int]]:
        """Returns ``(tokens, (h, w))``."""
        return to_tokens(self.proj(self.block(self.stem(img))), self.pos)
