"""Reference embeddings ``phi_c`` (colour reference ``C``) and ``phi_b`` (body reference ``B``).

Both references are people on black, so a light conv stem suffices: strided convs down
to the token grid of ``E(X)``, one residual block for context, a 1x1 projection to the
token width and the shared-scheme positional encoding. ``phi_b`` stays on the token grid
(``B`` is aligned with ``X`` and FPAT types its patches); ``phi_c`` is pooled once more by
default (``config.color_ref_pool``): ``C`` comes from another frame, so it is not aligned
and only supplies colours, and 4x fewer keys make the colorizer's cross-attention 4x
cheaper.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

from changer.model.attention import PosEmbed, to_tokens
from changer.model.blocks import ResBlock, down


class RefEmbed(nn.Module):
    """Image ``(B, 3, H, W)`` -> tokens ``(B, (H/s)*(W/s), dim)`` on the ``1/s`` grid.

    ``pool > 1`` average-pools the token map (ceil mode, so any multiple of ``s`` works):
    fewer keys where the reference is not aligned with ``X`` and only supplies content.
    """

    def __init__(self, channels: tuple[int, ...], dim: int, in_channels: int = 3, pool: int = 1) -> None:
        super().__init__()
        self.pool = pool
        widths = (in_channels, *channels[:-1])  # one stride-2 conv per level below the top
        self.stem = nn.Sequential(*(down(a, b) for a, b in zip(widths[:-1], widths[1:])))
        self.block = ResBlock(widths[-1])
        self.proj = nn.Conv2d(widths[-1], dim, 1)
        self.pos = PosEmbed(dim)

    def forward(self, img: torch.Tensor) -> tuple[torch.Tensor, tuple[int, int]]:
        """Returns ``(tokens, (h, w))``."""
        fmap = self.proj(self.block(self.stem(img)))
        if self.pool > 1:
            fmap = F.avg_pool2d(fmap, self.pool, ceil_mode=True, count_include_pad=False)
        return to_tokens(fmap, self.pos)
