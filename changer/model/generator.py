"""The CHANGER generator: ``E(X)`` -> Head Colorizer -> foreground prediction -> FPAT -> ``D``.

It predicts the RGB of the whole picture; :class:`~changer.model.CHANGER` keeps only
its pixels in the region to produce (fill + head) and passes the rest of ``X`` through.
"""

from __future__ import annotations

import torch
from torch import nn

from changer.model.attention import PosEmbed, to_map, to_tokens
from changer.model.colorizer import HeadColorizer
from changer.model.config import ChangerConfig
from changer.model.decoder import Decoder
from changer.model.embed import RefEmbed
from changer.model.encoder import Encoder
from changer.model.fpat import FPAT, ForegroundHead, key_types_from_mask, nonblack_mask

IN_CHANNELS = 5  # x: RGB, fill mask, head mask (changer.inputs.to_model_tensors)


class ChangerGenerator(nn.Module):
    """The network of DESIGN.md section 1 (``arch="changer"``, all ablation switches)."""

    def __init__(self, cfg: ChangerConfig) -> None:
        super().__init__()
        self.stride = cfg.stride
        self.encoder = Encoder(IN_CHANNELS, cfg.channels, top_block=False)
        self.proj = nn.Conv2d(cfg.channels[-1], cfg.dim, 1)
        self.pos = PosEmbed(cfg.dim)
        self.phi_c = RefEmbed(cfg.channels, cfg.dim, pool=cfg.color_ref_pool) if cfg.use_colorizer else None
        self.phi_b = RefEmbed(cfg.channels, cfg.dim)
        self.colorizer = HeadColorizer(
            cfg.dim, cfg.heads, cfg.colorizer_depth, cfg.stride, cfg.mlp_ratio,
            use_reference=cfg.use_colorizer, sa_pool=cfg.sa_pool,
        )
        self.fg_head = ForegroundHead(cfg.dim) if cfg.use_fpat else None
        self.blender = FPAT(
            cfg.dim, cfg.heads, cfg.blender_depth, cfg.mlp_ratio, masked=cfg.use_fpat, sa_pool=cfg.sa_pool
        )
        self.decoder = Decoder(cfg.dim, cfg.channels, z_dim=cfg.dim + 3, upsample=cfg.upsample)  # z = (z_c, key)

    def forward(
        self,
        x: torch.Tensor,
        c: torch.Tensor,
        b: torch.Tensor,
        key: torch.Tensor,
        b_mask: torch.Tensor | None = None,
        fg_types: torch.Tensor | None = None,
    ) -> dict[str, torch.Tensor | None]:
        """See :meth:`changer.model.CHANGER.forward`; returns ``pred`` (uncomposed RGB),
        ``head_rgb``, ``fg_logits`` and ``fg_types``."""
        feat, skips = self.encoder(x)
        q, hw = to_tokens(self.proj(feat), self.pos)
        ref_c = self.phi_c(c)[0] if self.phi_c is not None else None
        col = self.colorizer(q, hw, ref_c, x[:, 4:5], key)

        ref_b, _ = self.phi_b(b)
        fg_logits = query_types = key_types = None
        if self.fg_head is not None:
            fg_logits = self.fg_head(col.tokens, hw)
            if fg_types is None:
                fg_types = fg_logits.detach().argmax(1)
            query_types = fg_types.flatten(1)
            mask = nonblack_mask(b) if b_mask is None else b_mask
            key_types = key_types_from_mask(mask, self.stride)
        else:
            fg_types = None
        tokens = self.blender(col.tokens, hw, ref_b, query_types, key_types)

        z = torch.cat([col.z_c, key], 1)
        pred = self.decoder(to_map(tokens, hw), skips, z)
        return {"pred": pred, "head_rgb": col.head_rgb, "fg_logits": fg_logits, "fg_types": fg_types}
