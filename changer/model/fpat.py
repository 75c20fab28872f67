"""Foreground prediction and FPAT (Foreground Predictive Attention Transformer).

The Body Blender lets the colorizer output (queries) attend to the body reference
``phi_b(B)`` (keys/values), but only across patches *of the same foreground type*:

* query types: ``argmax`` of the predicted type logits (:class:`ForegroundHead`, 3 types
  of :mod:`changer.labels`: background / head / neck+body), or ground-truth types passed
  in by the trainer (teacher forcing);
* key types: from the body reference's own mask (``B`` is neck+body on black): a patch is
  ``TYPE_BODY`` if any of its pixels is body, else ``TYPE_BACKGROUND``;
* rule: a query attends a key iff their types are equal (a neck/body query sees body
  patches, a background query sees background patches). ``B`` holds no head patches, so
  head queries see none of ``B``;
* guard: a learned *null* key/value token is appended to the keys and every query may
  always attend it. A query with no same-type key (every head query; every query when
  ``B`` is empty) then attends only the null token and receives a learned "nothing to
  copy" value, instead of the NaN an all ``-inf`` softmax row gives. No case analysis,
  and the output stays differentiable and finite.

Information still crosses types through the self-attention among queries (as in the
paper); the isolation is exact per block.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

from changer.labels import NUM_TYPES, TYPE_BACKGROUND, TYPE_BODY
from changer.model.attention import TransformerBlock, to_map


def type_attention_mask(
    query_types: torch.Tensor, key_types: torch.Tensor, null_token: bool = True
) -> torch.Tensor:
    """Additive attention mask allowing only same-type query/key pairs.

    Args:
        query_types: ``(B, Nq)`` integer types.
        key_types: ``(B, Nk)`` integer types.
        null_token: append an always-allowed column for a null key (last column).

    Returns:
        ``(B, 1, Nq, Nk [+ 1])`` float mask, ``0`` where allowed, ``-inf`` elsewhere. Without
        ``null_token``, rows with no allowed key fall back to allowing every key (plain
        attention) so that the softmax stays finite.
    """
    allowed = query_types[:, :, None] == key_types[:, None, :]
    if null_token:
        allowed = F.pad(allowed, (0, 1), value=True)
    else:
        allowed = allowed | ~allowed.any(-1, keepdim=True)
    mask = torch.zeros(allowed.shape, dtype=torch.float32, device=allowed.device)
    return mask.masked_fill_(~allowed, float("-inf"))[:, None]


def key_types_from_mask(mask: torch.Tensor, stride: int) -> torch.Tensor:
    """Body mask ``(B, 1, H, W)`` -> key types ``(B, (H/s)*(W/s))``: ``TYPE_BODY`` where any
    pixel of the patch is body, else ``TYPE_BACKGROUND``."""
    body = F.max_pool2d(mask.float(), stride).flatten(1) > 0.5
    return torch.where(body, TYPE_BODY, TYPE_BACKGROUND)


def nonblack_mask(img: torch.Tensor, eps: float = 0.5 / 127.5) -> torch.Tensor:
    """``(B, 1, H, W)`` mask of the pixels of a ``[-1, 1]`` image that are not pure black.

    The mask of a reference on black (``B``'s body, ``C``'s head) when none is given; a
    body's exactly-black pixels are lost, but the patch-level "any pixel" rule of
    :func:`key_types_from_mask` makes that rarely matter.
    """
    return (img > -1.0 + eps).any(1, keepdim=True).float()


class ForegroundHead(nn.Module):
    """Predicts foreground type logits ``(B, 3, h, w)`` on the token grid (conv head, so the
    prediction sees each token's neighbourhood)."""

    def __init__(self, dim: int) -> None:
        super().__init__()
        self.norm = nn.LayerNorm(dim)
        self.net = nn.Sequential(
            nn.Conv2d(dim, dim // 2, 3, padding=1), nn.SiLU(), nn.Conv2d(dim // 2, NUM_TYPES, 1)
        )

    def forward(self, tokens: torch.Tensor, hw: tuple[int, int]) -> torch.Tensor:
        return self.net(to_map(self.norm(tokens), hw))


class FPAT(nn.Module):
    """Body Blender: blocks of self-attention among queries, type-masked cross-attention to
    the body-reference tokens (with a null token), MLP. With ``masked=False`` (``no_fpat``)
    the cross-attention is plain; the null token is kept so both variants match in size."""

    def __init__(self, dim: int, heads: int, depth: int, mlp_ratio: float = 2.0,
                 masked: bool = True, sa_pool: int = 1) -> None:
        super().__init__()
        self.masked = masked
        self.blocks = nn.ModuleList(
            TransformerBlock(dim, heads, mlp_ratio, cross=True, null_kv=True, sa_pool=sa_pool)
            for _ in range(depth)
        )

    def forward(
        self,
        tokens: torch.Tensor,
        hw: tuple[int, int],
        ref: torch.Tensor,
        query_types: torch.Tensor | None = None,
        key_types: torch.Tensor | None = None,
    ) -> torch.Tensor:
        """``tokens``: ``(B, Nq, dim)`` queries; ``ref``: ``(B, Nk, dim)`` keys/values;
        ``query_types (B, Nq)`` and ``key_types (B, Nk)`` are required when masked."""
        mask = None
        if self.masked:
            if query_types is None or key_types is None:
                raise ValueError("masked FPAT needs query_types and key_types")
            mask = type_attention_mask(query_types, key_types, null_token=True)
        for block in self.blocks:
            tokens = block(tokens, hw, ref, mask)
        return tokens
