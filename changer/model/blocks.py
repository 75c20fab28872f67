"""Conv building blocks shared by the encoder, the embeddings, the decoder and the baseline."""

from __future__ import annotations

import math

import torch
import torch.nn.functional as F
from torch import nn

from changer.model.config import UPSAMPLE_MODES


def norm(ch: int) -> nn.GroupNorm:
    """GroupNorm with up to 8 groups (batch-size independent, fine at batch 1)."""
    return nn.GroupNorm(math.gcd(ch, 8), ch)


def conv3x3(cin: int, cout: int, stride: int = 1) -> nn.Conv2d:
    """3x3 conv that keeps (or halves, with ``stride=2``) the resolution."""
    return nn.Conv2d(cin, cout, 3, stride=stride, padding=1)


class ResBlock(nn.Module):
    """Pre-activation residual block (GroupNorm, SiLU, conv) x 2.

    With ``z_dim > 0`` the second normalisation is modulated by a global code ``z``
    (FiLM / AdaIN style: ``(1 + gamma(z)) * norm(h) + beta(z)``), which is how the
    decoder receives the colour code ``z_c`` at every scale.
    """

    def __init__(self, ch: int, z_dim: int = 0) -> None:
        super().__init__()
        self.norm1, self.conv1 = norm(ch), conv3x3(ch, ch)
        self.norm2, self.conv2 = norm(ch), conv3x3(ch, ch)
        self.act = nn.SiLU()
        self.film = nn.Linear(z_dim, 2 * ch) if z_dim > 0 else None
        if self.film is not None:  # start as identity modulation
            nn.init.zeros_(self.film.weight)
            nn.init.zeros_(self.film.bias)

    def forward(self, h: torch.Tensor, z: torch.Tensor | None = None) -> torch.Tensor:
        r = self.conv1(self.act(self.norm1(h)))
        r = self.norm2(r)
        if self.film is not None and z is not None:
            gamma, beta = self.film(z)[:, :, None, None].chunk(2, dim=1)
            r = r * (1 + gamma) + beta
        return h + self.conv2(self.act(r))


def down(cin: int, cout: int) -> nn.Sequential:
    """Strided 3x3 conv (halves the resolution) followed by SiLU."""
    return nn.Sequential(conv3x3(cin, cout, stride=2), nn.SiLU())


class Up(nn.Module):
    """2x upsampling with a 1x1 conv ``cin -> cout`` (cheap on a CPU: no 3x3 conv at the
    high resolution).

    ``mode="pixelshuffle"``: the conv gives ``4 * cout`` channels and a pixel shuffle places
    them (sub-pixel convolution). ICNR init makes it start as nearest upsampling, but
    three of them in a row still leave 8x8 blocks in wide smooth regions until training
    has learnt to hide them. ``mode="bilinear"``: the conv gives ``cout`` channels that are
    upsampled bilinearly (the two commute, so the conv runs at the low resolution); a
    regenerated neck or shoulder starts smooth. Configs written before the flag existed
    load as ``"pixelshuffle"``.
    """

    def __init__(self, cin: int, cout: int, mode: str = "pixelshuffle") -> None:
        super().__init__()
        if mode not in UPSAMPLE_MODES:
            raise ValueError(f"upsample mode must be one of {UPSAMPLE_MODES}, got {mode!r}")
        self.mode = mode
        self.conv = nn.Conv2d(cin, (4 if mode == "pixelshuffle" else 1) * cout, 1)
        if mode == "pixelshuffle":
            with torch.no_grad():  # ICNR: the 4 sub-pixels of each output channel share weights
                w = torch.empty(cout, cin, 1, 1)
                nn.init.kaiming_uniform_(w, a=math.sqrt(5))
                self.conv.weight.copy_(w.repeat_interleave(4, dim=0))
                self.conv.bias.copy_(self.conv.bias[::4].repeat_interleave(4))

    def forward(self, h: torch.Tensor) -> torch.Tensor:
        if self.mode == "bilinear":
            return F.interpolate(self.conv(h), scale_factor=2, mode="bilinear", align_corners=False)
        out = F.pixel_shuffle(self.conv(h), 2)  # always NCHW-contiguous
        if h.is_contiguous(memory_format=torch.channels_last):  # stay NHWC (fast CPU convs)
            out = out.contiguous(memory_format=torch.channels_last)
        return out
