"""The learned baseline: a HeSer-style Head2Scene blender (UNet + region colour reference).

Same inputs and outputs as the CHANGER generator. The colour reference enters the way
HeSer's blender uses its region colour reference, as a per-region colour: the mean
colour of ``C``'s head pixels, broadcast to full resolution as 3 input channels (and,
with the key colour, as the FiLM code of every decoder scale). There is no attention and
no body reference: the UNet must inpaint neck/body from the context of ``X`` alone.
"""

from __future__ import annotations

import torch
from torch import nn

from changer.model.blocks import ResBlock
from changer.model.config import ChangerConfig
from changer.model.decoder import Decoder
from changer.model.encoder import Encoder
from changer.model.fpat import nonblack_mask


def region_colour(img: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
    """Mean colour ``(B, 3)`` of ``img`` over ``mask`` (zeros where the mask is empty)."""
    area = mask.sum((2, 3))
    return (img * mask).sum((2, 3)) / area.clamp_min(1.0)


class Head2SceneBlender(nn.Module):
    """UNet on ``[x, mean colour of C's head, key colour]`` (11 channels)."""

    def __init__(self, cfg: ChangerConfig) -> None:
        super().__init__()
        top = cfg.channels[-1]
        z_dim = 6  # (region colour, key)
        self.encoder = Encoder(5 + 3 + 3, cfg.channels)
        # as deep at the bottleneck as CHANGER's transformer stack
        self.mid = nn.ModuleList(
            ResBlock(top, z_dim) for _ in range(max(1, cfg.colorizer_depth + cfg.blender_depth))
        )
        self.decoder = Decoder(top, cfg.channels, z_dim=z_dim, upsample=cfg.upsample)

    def forward(
        self,
        x: torch.Tensor,
        c: torch.Tensor,
        b: torch.Tensor,
        key: torch.Tensor,
        b_mask: torch.Tensor | None = None,
        fg_types: torch.Tensor | None = None,
    ) -> dict[str, torch.Tensor | None]:
        """``b``, ``b_mask`` and ``fg_types`` are accepted for a common signature and unused."""
        colour = region_colour(c, nonblack_mask(c))  # C is a head on black
        h, w = x.shape[-2:]
        extra = torch.cat([colour, key], 1)
        feat, skips = self.encoder(torch.cat([x, extra[:, :, None, None].expand(-1, -1, h, w)], 1))
        for block in self.mid:
            feat = block(feat, extra)
        pred = self.decoder(feat, skips, extra)
        return {"pred": pred, "head_rgb": None, "fg_logits": None, "fg_types": None}
