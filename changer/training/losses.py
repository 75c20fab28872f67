"""Losses of CHANGER training (DESIGN.md §1).

Generator: L1 over the whole image and weighted on the hole, a perceptual term, hinge
adversarial loss, the colorizer's auxiliary L1 on the head, cross-entropy of the
predicted foreground types and, optionally, an L1 on the mean colour of the hidden
clothes (:func:`region_mean_l1`). The perceptual term is LPIPS-VGG when its ImageNet weights
can be loaded; otherwise (as on machines without network) discriminator feature
matching stands in, and the log says which one ran.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence

import torch
import torch.nn.functional as F

from changer.training.config import LossWeights

log = logging.getLogger(__name__)


def hinge_d_loss(real: Sequence[torch.Tensor], fake: Sequence[torch.Tensor]) -> torch.Tensor:
    """Hinge loss of a multi-scale discriminator (mean over scales)."""
    terms = [F.relu(1 - r).mean() + F.relu(1 + f).mean() for r, f in zip(real, fake, strict=True)]
    return torch.stack(terms).mean()


def hinge_g_loss(fake: Sequence[torch.Tensor]) -> torch.Tensor:
    """Generator side of the hinge loss."""
    return torch.stack([-f.mean() for f in fake]).mean()


def feature_matching(
    real_feats: Sequence[Sequence[torch.Tensor]], fake_feats: Sequence[Sequence[torch.Tensor]]
) -> torch.Tensor:
    """L1 between discriminator features of real and fake (real detached)."""
    terms = [
        F.l1_loss(f, r.detach())
        for rs, fs in zip(real_feats, fake_feats, strict=True)
        for r, f in zip(rs, fs, strict=True)
    ]
    return torch.stack(terms).mean()


def masked_l1(pred: torch.Tensor, target: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
    """Mean absolute error over the pixels where ``mask`` (``Bx1xHxW``) is set."""
    err = (pred - target).abs() * mask
    return err.sum() / (mask.sum() * pred.shape[1]).clamp_min(1.0)


def region_mean_l1(pred: torch.Tensor, target: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
    """L1 between the mean colours of ``pred`` and ``target`` over ``mask`` (``Bx1xHxW``),
    per sample, averaged over the samples whose mask is not empty (0 if none is).

    Per-pixel L1 on a fill whose texture cannot be known gets gradients of random sign,
    so a colour offset of the whole region is learnt slowly; the mean's error is one
    coherent signal. Used on the hidden clothes, whose colour the visible clothes give.
    """
    area = mask.sum((1, 2, 3))
    keep = area > 0
    if not keep.any():
        return pred.sum() * 0.0

    def mean(t: torch.Tensor) -> torch.Tensor:
        return (t * mask).sum((2, 3))[keep] / area[keep, None]

    return (mean(pred) - mean(target)).abs().mean()


def type_cross_entropy(logits: torch.Tensor, types: torch.Tensor) -> torch.Tensor:
    """Cross-entropy of predicted foreground types against the labels at the logits' grid.

    Labels are downsampled by taking the most frequent type in each cell (one-hot then
    area pooling), which is fairer to thin regions than nearest sampling.
    """
    n = logits.shape[1]
    onehot = F.one_hot(types.long(), n).permute(0, 3, 1, 2).float()
    target = F.adaptive_avg_pool2d(onehot, logits.shape[-2:]).argmax(1)
    return F.cross_entropy(logits, target)


class Perceptual(torch.nn.Module):
    """LPIPS-VGG if its weights load, else ``None`` (the trainer then uses feature matching)."""

    def __init__(self) -> None:
        super().__init__()
        self.net = self._try_lpips_vgg()

    @property
    def available(self) -> bool:
        return self.net is not None

    @staticmethod
    def _try_lpips_vgg() -> torch.nn.Module | None:
        try:
            import lpips
            from torchvision.models import VGG16_Weights

            ckpt = torch.hub.get_dir() + "/checkpoints/" + VGG16_Weights.IMAGENET1K_V1.url.rsplit("/", 1)[-1]
            import os

            if not os.path.isfile(ckpt):
                log.info("LPIPS-VGG weights not cached (%s): using feature matching", ckpt)
                return None
            net = lpips.LPIPS(net="vgg", verbose=False)
        except Exception as err:  # noqa: BLE001 - any failure means "not available"
            log.info("LPIPS-VGG unavailable (%s): using feature matching", err)
            return None
        for p in net.parameters():
            p.requires_grad_(False)
        return net.eval()

    def forward(self, pred: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
        assert self.net is not None
        return self.net(pred, target).mean()


def generator_losses(
    out: dict[str, torch.Tensor | None],
    batch: dict[str, torch.Tensor],
    weights: LossWeights,
) -> dict[str, torch.Tensor]:
    """The reconstruction terms of the generator (everything but adversarial/perceptual)."""
    y, gt, hole = out["y"], batch["y"], batch["hole"]
    terms = {"l1": F.l1_loss(y, gt), "l1_hole": masked_l1(y, gt, hole)}
    head_rgb = out.get("head_rgb")
    if head_rgb is not None and weights.colorizer > 0:
        key = batch["key"][:, :, None, None]
        head_target = gt * batch["head"] + key * (1 - batch["head"])
        terms["colorizer"] = F.l1_loss(head_rgb, head_target)
    logits = out.get("fg_logits")
    if logits is not None and weights.foreground > 0:
        terms["foreground"] = type_cross_entropy(logits, batch["types"])
    if weights.clothes_mean > 0:
        terms["clothes_mean"] = region_mean_l1(y, gt, batch["hidden_clothes"])
    return terms


def weighted_sum(terms: dict[str, torch.Tensor], weights: LossWeights) -> torch.Tensor:
    """Sum of the terms, each times its weight from ``weights`` (by name)."""
    return sum(getattr(weights, name) * value for name, value in terms.items())
