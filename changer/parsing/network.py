"""``ParserNet``: a small 5-class head-parsing network (about 0.36 M parameters at the default
widths; the bundled parser is a wider one, 0.55 M).

A MobileNetV2-style encoder (inverted residual blocks with depthwise 3x3 convolutions) to
1/32 resolution with a global-context branch, and a light U-Net decoder (bilinear
upsampling, skip connections, depthwise-separable convolutions) back to 1/2 resolution;
the logits are upsampled bilinearly to the input size. Fully convolutional: any input
size works (sides are replicate-padded to a multiple of 32 and the logits cropped back).

Like :class:`~changer.model.CHANGER` it is a :class:`huggingface_hub.PyTorchModelHubMixin`
model: ``save_pretrained`` writes ``config.json`` + ``model.safetensors``; loading reads
safetensors only (never a pickle) and is strict.
"""

from __future__ import annotations

from typing import Any

import torch
import torch.nn.functional as F
from torch import nn

from changer.hub_mixin import SafetensorsHubMixin, merge_config

from changer.parsing.config import ParserConfig

MODEL_CARD = """
---
{{ card_data }}
---

# CHANGER head parser

A small 5-class parsing network (0 background, 1 face, 2 hair, 3 neck, 4 body) used by the
CHANGER head-blending pipeline when the user gives no label maps. {{ n_params }} parameters,
trained on the talking-heads pseudo-labels (research and internal evaluation only).

```python
from changer.parsing import HeadParser
labels = HeadParser.from_pretrained("path/or/repo-id")(rgb)  # HxWx3 uint8 -> HxW uint8
```

Weights are stored as safetensors only.
"""


def _bn_act(c: int, act: bool = True) -> list[nn.Module]:
    return [nn.BatchNorm2d(c), nn.ReLU(inplace=True)] if act else [nn.BatchNorm2d(c)]


class ConvBNAct(nn.Sequential):
    """``k x k`` convolution, batch norm, ReLU."""

    def __init__(self, cin: int, cout: int, k: int = 3, stride: int = 1, groups: int = 1, act: bool = True) -> None:
        super().__init__(nn.Conv2d(cin, cout, k, stride, k // 2, groups=groups, bias=False), *_bn_act(cout, act))


class InvertedResidual(nn.Module):
    """MobileNetV2 block: 1x1 expand, depthwise 3x3 (maybe strided), 1x1 project; residual when shapes match."""

    def __init__(self, cin: int, cout: int, stride: int = 1, expand: int = 3) -> None:
        super().__init__()
        hidden = cin * expand
        layers: list[nn.Module] = [] if expand == 1 else [ConvBNAct(cin, hidden, 1)]
        layers += [ConvBNAct(hidden, hidden, 3, stride, groups=hidden), ConvBNAct(hidden, cout, 1, act=False)]
        self.body = nn.Sequential(*layers)
        self.residual = stride == 1 and cin == cout

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        y = self.body(x)
        return x + y if self.residual else y


class SeparableConv(nn.Sequential):
    """Depthwise 3x3 then pointwise 1x1, each with batch norm and ReLU."""

    def __init__(self, cin: int, cout: int) -> None:
        super().__init__(ConvBNAct(cin, cin, 3, groups=cin), ConvBNAct(cin, cout, 1))


class GlobalContext(nn.Module):
    """Adds a projection of the global average to every position (cheap image-level context)."""

    def __init__(self, c: int) -> None:
        super().__init__()
        self.proj = nn.Sequential(nn.Conv2d(c, c, 1), nn.ReLU(inplace=True))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x + self.proj(x.mean(dim=(2, 3), keepdim=True))


class DecoderBlock(nn.Module):
    """Upsample x2 (bilinear), concatenate the skip, separable conv."""

    def __init__(self, cin: int, cskip: int, cout: int) -> None:
        super().__init__()
        self.conv = SeparableConv(cin + cskip, cout)

    def forward(self, x: torch.Tensor, skip: torch.Tensor) -> torch.Tensor:
        x = F.interpolate(x, size=skip.shape[-2:], mode="bilinear", align_corners=False)
        return self.conv(torch.cat([x, skip], dim=1))


class ParserNet(
    nn.Module,
    SafetensorsHubMixin,
    library_name="changer",
    tags=["image-segmentation", "face-parsing", "human-parsing"],
    pipeline_tag="image-segmentation",
    license="apache-2.0",
    model_card_template=MODEL_CARD,
):
    """``(B, 3, H, W)`` RGB in ``[0, 1]`` -> ``(B, num_classes, H, W)`` logits, any ``H, W``."""

    def __init__(self, config: ParserConfig | dict | None = None, **kwargs: Any) -> None:
        """``config`` as a dataclass or dict; ``kwargs`` override single fields (the Hub
        mixin passes the saved ``config.json`` both ways, which this merge accepts)."""
        super().__init__()
        self.config = merge_config(ParserConfig, config, kwargs, "ParserNet")
        self._hub_mixin_config = self.config
        cfg = self.config
        w, d = cfg.widths, cfg.depths
        self.stem = nn.Sequential(ConvBNAct(3, w[0], 3, 2), *[SeparableConv(w[0], w[0]) for _ in range(d[0])])
        self.stages = nn.ModuleList()
        for i in range(1, 5):
            blocks = [InvertedResidual(w[i - 1], w[i], 2, cfg.expand)]
            blocks += [InvertedResidual(w[i], w[i], 1, cfg.expand) for _ in range(d[i] - 1)]
            self.stages.append(nn.Sequential(*blocks))
        self.context = GlobalContext(w[4])
        dw = cfg.decoder_widths
        skips = (w[3], w[2], w[1], w[0])
        ins = (w[4], *dw[:-1])
        self.decoder = nn.ModuleList(DecoderBlock(ci, cs, co) for ci, cs, co in zip(ins, skips, dw))
        self.head = nn.Conv2d(dw[-1], cfg.num_classes, 1)
        self.register_buffer("mean", torch.tensor([0.485, 0.456, 0.406]).view(1, 3, 1, 1), persistent=False)
        self.register_buffer("std", torch.tensor([0.229, 0.224, 0.225]).view(1, 3, 1, 1), persistent=False)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """Logits at the input size for RGB ``x`` in ``[0, 1]``."""
        if x.ndim != 4 or x.shape[1] != 3:
            raise ValueError(f"ParserNet expects (B, 3, H, W), got {tuple(x.shape)}")
        h, w = x.shape[-2:]
        s = self.config.stride
        ph, pw = (-h) % s, (-w) % s
        x = (x - self.mean) / self.std
        if ph or pw:
            x = F.pad(x, (0, pw, 0, ph), mode="replicate")
        feats = [self.stem(x)]
        for stage in self.stages:
            feats.append(stage(feats[-1]))
        y = self.context(feats[4])
        for block, skip in zip(self.decoder, (feats[3], feats[2], feats[1], feats[0])):
            y = block(y, skip)
        y = F.interpolate(self.head(y), size=x.shape[-2:], mode="bilinear", align_corners=False)
        return y[..., :h, :w]

    def generate_model_card(self, *args: Any, **kwargs: Any):  # noqa: ANN201 (ModelCard)
        kwargs.setdefault("n_params", f"{self.num_parameters() / 1e6:.2f}M")
        return super().generate_model_card(*args, **kwargs)
