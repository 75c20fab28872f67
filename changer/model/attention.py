"""Transformer pieces: positional encodings, (masked) attention and the pre-norm block.

Everything is resolution agnostic so one set of weights runs at 128, 256 and 512:

* :class:`PosEmbed` encodes each token's *normalised* image position (centre of its
  patch in ``[0, 1]``) with fixed 2D sin/cos features computed at run time, followed by
  a learned projection; a token at the same image location gets the same code at every
  resolution, and ``X`` tokens and the (aligned) body-reference tokens share the scheme.
* Each block starts with a depthwise 3x3 conv on the token map (a conditional
  positional encoding, CPE) that adds local relative position and neighbourhood context.
"""

from __future__ import annotations

import math

import torch
import torch.nn.functional as F
from torch import nn


class PosEmbed(nn.Module):
    """Learned projection of fixed 2D sin/cos features of normalised token positions."""

    def __init__(self, dim: int, n_freqs: int = 16, max_freq: float = 32.0) -> None:
        super().__init__()
        # phase = pi * f * t, t in [0, 1]; f from 1 to max_freq (f/2 cycles per image side)
        freqs = math.pi * torch.logspace(0.0, math.log2(max_freq), n_freqs, base=2.0)
        self.register_buffer("freqs", freqs, persistent=False)
        self.proj = nn.Linear(4 * n_freqs, dim)

    def forward(self, h: int, w: int) -> torch.Tensor:
        """``(h * w, dim)`` codes for an ``h x w`` grid, row-major like ``flatten(2)``."""
        dev = self.freqs.device
        ys = (torch.arange(h, device=dev, dtype=torch.float32) + 0.5) / h
        xs = (torch.arange(w, device=dev, dtype=torch.float32) + 0.5) / w
        py = ys[:, None] * self.freqs  # (h, F)
        px = xs[:, None] * self.freqs  # (w, F)
        fy = torch.cat([py.sin(), py.cos()], 1)[:, None, :].expand(h, w, -1)
        fx = torch.cat([px.sin(), px.cos()], 1)[None, :, :].expand(h, w, -1)
        feats = torch.cat([fy, fx], -1).reshape(h * w, -1)
        return self.proj(feats.to(self.proj.weight.dtype))


def to_tokens(fmap: torch.Tensor, pos: PosEmbed) -> tuple[torch.Tensor, tuple[int, int]]:
    """Feature map ``(B, C, h, w)`` -> tokens ``(B, h*w, C)`` plus positional codes."""
    h, w = fmap.shape[-2:]
    return fmap.flatten(2).transpose(1, 2) + pos(h, w), (h, w)


def to_map(tokens: torch.Tensor, hw: tuple[int, int]) -> torch.Tensor:
    """Tokens ``(B, h*w, C)`` -> feature map ``(B, C, h, w)``."""
    return tokens.transpose(1, 2).reshape(tokens.shape[0], -1, *hw)


class Attention(nn.Module):
    """Multi-head attention via ``F.scaled_dot_product_attention``.

    ``context=None`` is self-attention. ``mask`` is an additive float mask broadcastable to
    ``(B, heads, Nq, Nk')`` (``0`` allowed, ``-inf`` blocked). With ``null_kv`` a learned
    key/value pair is appended to the context (``Nk' = Nk + 1``); callers' masks must then
    include its column (see :func:`changer.model.fpat.type_attention_mask`). Every query may
    always attend the null token, so no row of the mask is ever fully blocked.
    """

    def __init__(self, dim: int, heads: int, null_kv: bool = False) -> None:
        super().__init__()
        self.heads = heads
        self.q = nn.Linear(dim, dim)
        self.kv = nn.Linear(dim, 2 * dim)
        self.out = nn.Linear(dim, dim)
        self.null_kv = nn.Parameter(torch.randn(2, dim) * 0.02) if null_kv else None

    def forward(
        self,
        x: torch.Tensor,
        context: torch.Tensor | None = None,
        mask: torch.Tensor | None = None,
    ) -> torch.Tensor:
        b, n, d = x.shape
        k, v = self.kv(x if context is None else context).chunk(2, dim=-1)
        if self.null_kv is not None:
            nk, nv = self.null_kv.to(k.dtype)[:, None, :].expand(2, b, d)[:, :, None, :]
            k, v = torch.cat([k, nk], 1), torch.cat([v, nv], 1)

        def split(t: torch.Tensor) -> torch.Tensor:
            return t.reshape(b, t.shape[1], self.heads, d // self.heads).transpose(1, 2)

        if mask is not None:
            mask = mask.to(x.dtype)
        o = F.scaled_dot_product_attention(split(self.q(x)), split(k), split(v), attn_mask=mask)
        return self.out(o.transpose(1, 2).reshape(b, n, d))


class TransformerBlock(nn.Module):
    """Pre-norm block: CPE, self-attention, optional cross-attention (masked), MLP.

    ``sa_pool > 1`` average-pools the keys/values of the self-attention (PVT-style spatial
    reduction): queries stay on the token grid, the context they read is ``sa_pool`` times
    coarser, which cuts the quadratic cost ``sa_pool**2`` times.

    The order self -> cross -> MLP means that, in one block, a query's output depends on
    the context only through its own (masked) cross-attention row; FPAT's type isolation
    is therefore exact per block (the tests check it).
    """

    def __init__(
        self,
        dim: int,
        heads: int,
        mlp_ratio: float = 2.0,
        cross: bool = True,
        self_attn: bool = True,
        null_kv: bool = False,
        sa_pool: int = 1,
    ) -> None:
        super().__init__()
        self.sa_pool = sa_pool
        self.cpe = nn.Conv2d(dim, dim, 3, padding=1, groups=dim)
        self.norm_sa = nn.LayerNorm(dim) if self_attn else None
        self.self_attn = Attention(dim, heads) if self_attn else None
        self.norm_q = nn.LayerNorm(dim) if cross else None
        self.norm_ctx = nn.LayerNorm(dim) if cross else None
        self.cross_attn = Attention(dim, heads, null_kv=null_kv) if cross else None
        hidden = int(dim * mlp_ratio)
        self.norm_mlp = nn.LayerNorm(dim)
        self.mlp = nn.Sequential(nn.Linear(dim, hidden), nn.GELU(), nn.Linear(hidden, dim))

    def forward(
        self,
        x: torch.Tensor,
        hw: tuple[int, int],
        context: torch.Tensor | None = None,
        mask: torch.Tensor | None = None,
    ) -> torch.Tensor:
        """``x``: ``(B, h*w, dim)`` queries on an ``hw`` grid; ``context``: ``(B, Nk, dim)``."""
        x = x + self.cpe(to_map(x, hw)).flatten(2).transpose(1, 2)
        if self.self_attn is not None:
            h = self.norm_sa(x)
            ctx = None
            if self.sa_pool > 1:
                ctx = F.avg_pool2d(to_map(h, hw), self.sa_pool, ceil_mode=True, count_include_pad=False)
                ctx = ctx.flatten(2).transpose(1, 2)
            x = x + self.self_attn(h, ctx)
        if self.cross_attn is not None:
            if context is None:
                raise ValueError("this block has cross-attention and needs a context")
            x = x + self.cross_attn(self.norm_q(x), self.norm_ctx(context), mask)
        return x + self.mlp(self.norm_mlp(x))
