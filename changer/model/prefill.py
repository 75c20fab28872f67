"""Pull-push pre-fill: a smooth first guess of the hole from the pixels around it.

In the chroma setting the hole of ``X`` is flat key colour: a residual generator has to
draw the whole neck and shirt from nothing there, and early in training (or on clothes it
never saw) it draws 8x8 token-grid blocks. With ``ChangerConfig.prefill`` the hole is
first filled by pull-push interpolation (Gortler et al. 1996, "The Lumigraph"): the known
pixels are averaged down an image pyramid and the coarse averages are pushed back up into
the unknown ones. The result is smooth and takes its colours from the nearest known
pixels (shirt below, key colour beside), so the network only adds what interpolation
cannot know. It has no parameters and costs a few small poolings.
"""

from __future__ import annotations

import math

import torch
import torch.nn.functional as F


def pull_push(img: torch.Tensor, known: torch.Tensor) -> torch.Tensor:
    """``img (B, C, H, W)`` with its pixels where ``known (B, 1, H, W)`` is 0 interpolated.

    Known pixels keep their values (to float precision); a batch item with no known
    pixel comes back unchanged.
    """
    known = known.to(img.dtype)
    levels = [(img * known, known)]
    while min(levels[-1][1].shape[-2:]) > 1:
        num, w = levels[-1]
        size = (math.ceil(num.shape[-2] / 2), math.ceil(num.shape[-1] / 2))
        levels.append((F.adaptive_avg_pool2d(num, size), F.adaptive_avg_pool2d(w, size)))
    num, w = levels[-1]
    filled = num / w.clamp_min(1e-6)
    for num, w in reversed(levels[:-1]):
        up = F.interpolate(filled, size=num.shape[-2:], mode="bilinear", align_corners=False)
        # a fully known pixel keeps its own average, a partly known one mixes in the coarser guess
        alpha = (w * 4.0).clamp(0.0, 1.0)
        filled = alpha * (num / w.clamp_min(1e-6)) + (1.0 - alpha) * up
    has_known = known.flatten(1).amax(1).view(-1, 1, 1, 1) > 0
    out = torch.where(known > 0.5, img, filled)
    return torch.where(has_known, out, img)
