"""Multi-scale PatchGAN: per-scale logits and features, gradients."""

from __future__ import annotations

import torch

from changer.model import ChangerConfig, MultiScaleDiscriminator


def test_per_scale_logits_and_features() -> None:
    disc = MultiScaleDiscriminator(in_channels=8, base=8, n_layers=3, num_scales=3)
    # 128 px: the third scale (32 px) still leaves a 2x2 logit map
    img, cond = torch.randn(2, 3, 128, 128), torch.randn(2, 5, 128, 128)
    outs = disc(img, cond)
    assert len(outs) == 3
    sizes = []
    for logits, feats in outs:
        assert logits.shape[:2] == (2, 1)
        assert len(feats) == 4 and all(f.shape[0] == 2 for f in feats)
        sizes.append(logits.shape[-1])
    assert sizes[0] > sizes[1] > sizes[2]
    sum(o[0].mean() for o in outs).backward()
    assert all(p.grad is not None for p in disc.parameters())


def test_from_config() -> None:
    cfg = ChangerConfig(disc_channels=8, disc_scales=2, disc_layers=2)
    disc = MultiScaleDiscriminator.from_config(cfg, cond_channels=5)
    outs = disc(torch.randn(1, 3, 64, 64), torch.randn(1, 5, 64, 64))
    assert len(outs) == 2 and len(outs[0][1]) == 3
