"""``CHANGER``: the hub-loadable model (``config.json`` + ``model.safetensors`` + model card).

It wraps either generator (``arch="changer"`` or the ``"h2sb"`` baseline) and does what
both share: input checks, the default key colour, the optional pull-push pre-fill of the
hole (``config.prefill``), and the output composition
``y = pred * m + x_rgb * (1 - m)`` with ``m = fill | head``. The network produces the
fill and re-renders the head (``X`` carries a gray head there); every other pixel of
``X`` passes through exactly.

Loading reads safetensors only (never a pickle) and is strict: a folder whose weights
do not match its ``config.json`` fails loudly instead of running half-initialised.
"""

from __future__ import annotations

from typing import Any

import torch
from torch import nn

from changer.hub_mixin import SafetensorsHubMixin, merge_config

from changer.model.config import ChangerConfig
from changer.model.generator import IN_CHANNELS, ChangerGenerator
from changer.model.h2sb import Head2SceneBlender
from changer.model.prefill import pull_push

MODEL_CARD = """
---
{{ card_data }}
---

# CHANGER head blender ({{ arch }}, variant `{{ variant }}`)

Head blending with chroma keying, an open implementation of *CHANGER: Towards
High-fidelity Head Blending with Chroma Keying for Industrial Applications* (WACV 2025,
[paper]({{ paper_url }})).

- Architecture: `{{ arch }}`, variant `{{ variant }}`, {{ n_params }} parameters.
- Input: `x` (composed target with gray head, fill mask, head mask), `c` (colour
  reference), `b` (body reference), `key` (key colour); all images in `[-1, 1]`, sides
  multiples of {{ stride }}.
- Output: the whole foreground on the key colour; key it out and composite onto any
  background.

```python
from changer.model import CHANGER
model = CHANGER.from_pretrained("path/or/repo-id")
out = model(x, c, b)["y"]
```

Weights are stored as safetensors only.
"""


class CHANGER(
    nn.Module,
    SafetensorsHubMixin,
    library_name="changer",
    paper_url="https://arxiv.org/abs/2411.00652",
    tags=["head-blending", "chroma-key", "image-to-image", "face"],
    pipeline_tag="image-to-image",
    license="apache-2.0",
    model_card_template=MODEL_CARD,
):
    """Head blender; see :class:`ChangerConfig` for the architectures and ablations."""

    def __init__(self, config: ChangerConfig | dict | None = None, **kwargs: Any) -> None:
        """``config`` as a dataclass or dict; ``kwargs`` override single fields.

        ``from_pretrained`` passes the saved ``config.json`` both as ``config`` and as
        keyword arguments, which this merge accepts.
        """
        super().__init__()
        self.config = merge_config(ChangerConfig, config, kwargs, "CHANGER")
        # What save_pretrained writes as config.json: always the full, validated config.
        self._hub_mixin_config = self.config
        net = ChangerGenerator if self.config.arch == "changer" else Head2SceneBlender
        self.net = net(self.config)
        # Output-ensemble members (config.members); empty for a single model, so its
        # weight names stay those of ``net``.
        self.members = nn.ModuleList(ChangerGenerator(cfg) for cfg in self.config.member_configs())
        self.flip_batch = False
        """Run the flip ensemble's plain and mirrored pass as one batch of twice the size
        (faster on a CPU; :class:`changer.blenders.ModelBlender` sets it for its fast path)."""
        self.register_buffer(
            "default_key",
            torch.tensor(self.config.key_color, dtype=torch.float32) / 127.5 - 1.0,
            persistent=False,
        )

    @property
    def stride(self) -> int:
        """Input sides must be multiples of this (8 for the default 4-level widths)."""
        return self.config.stride


    def _check(
        self,
        x: torch.Tensor,
        c: torch.Tensor,
        b: torch.Tensor,
        b_mask: torch.Tensor | None,
        fg_types: torch.Tensor | None,
    ) -> None:
        s = self.stride
        if x.ndim != 4 or x.shape[1] != IN_CHANNELS:
            raise ValueError(f"x must be (B, {IN_CHANNELS}, H, W), got {tuple(x.shape)}")
        for name, t in (("c", c), ("b", b)):
            if t.ndim != 4 or t.shape[1] != 3 or t.shape[0] != x.shape[0]:
                raise ValueError(f"{name} must be (B, 3, H, W) with B={x.shape[0]}, got {tuple(t.shape)}")
        if b.shape[-2:] != x.shape[-2:]:
            raise ValueError(f"b must have the size of x ({tuple(x.shape[-2:])}), got {tuple(b.shape[-2:])}")
        for name, t in (("x", x), ("c", c)):
            h, w = t.shape[-2:]
            if h % s or w % s:
                raise ValueError(
                    f"{name}: height and width must be multiples of {s}, got {h}x{w}; pad or resize"
                )
        n, _, h, w = x.shape
        if b_mask is not None and tuple(b_mask.shape) != (n, 1, h, w):
            raise ValueError(f"b_mask must be {(n, 1, h, w)}, got {tuple(b_mask.shape)}")
        if fg_types is not None and tuple(fg_types.shape) != (n, h // s, w // s):
            raise ValueError(
                f"fg_types must be {(n, h // s, w // s)} (token grid), got {tuple(fg_types.shape)}"
            )

    def forward(
        self,
        x: torch.Tensor,
        c: torch.Tensor,
        b: torch.Tensor,
        key: torch.Tensor | None = None,
        *,
        b_mask: torch.Tensor | None = None,
        fg_types: torch.Tensor | None = None,
    ) -> dict[str, torch.Tensor | None]:
        """Blend.

        Args:
            x: ``(B, 5, H, W)``: composed RGB (gray head; colour head for ``no_colorizer``)
                in ``[-1, 1]``, fill mask (hole minus head), head mask.
            c: ``(B, 3, H', W')`` colour reference in ``[-1, 1]`` (ignored by ``no_colorizer``).
            b: ``(B, 3, H, W)`` body reference in ``[-1, 1]`` (ignored by ``h2sb``).
            key: ``(3,)`` or ``(B, 3)`` key colour in ``[-1, 1]``; default ``config.key_color``.
            b_mask: optional ``(B, 1, H, W)`` body mask of ``b``; default: its non-black pixels.
            fg_types: optional ``(B, H/s, W/s)`` ground-truth types on the token grid used by
                FPAT instead of the predicted ones (teacher forcing during training).

        Returns:
            ``y``: ``(B, 3, H, W)`` in ``[-1, 1]``, the whole foreground on the key colour;
            ``pred``: the network's RGB before composition; ``mask``: ``(B, 1, H, W)`` the
            region taken from ``pred``; ``head_rgb``: ``(B, 3, H, W)`` colorizer auxiliary
            output or ``None``; ``fg_logits``: ``(B, 3, H/s, W/s)`` or ``None``;
            ``fg_types``: ``(B, H/s, W/s)`` types FPAT used, or ``None``. With
            ``config.flip_ensemble`` in eval mode, ``y`` and ``pred`` are the means of the
            plain and the mirrored pass; the other outputs are the plain pass's. With
            ``config.members``, ``y`` and ``pred`` are the means over all generators; the
            other outputs are the first generator's.
        """
        self._check(x, c, b, b_mask, fg_types)
        if self.config.flip_ensemble and not self.training and self.flip_batch:
            return self._flip_batched(x, c, b, key, b_mask, fg_types)
        out = self._forward(x, c, b, key, b_mask, fg_types)
        if self.config.flip_ensemble and not self.training:
            mirrored = self._forward(
                x.flip(-1), c.flip(-1), b.flip(-1), key,
                None if b_mask is None else b_mask.flip(-1),
                None if fg_types is None else fg_types.flip(-1),
            )
            for name in ("y", "pred"):
                out[name] = (out[name] + mirrored[name].flip(-1)) / 2
        return out

    def _flip_batched(
        self,
        x: torch.Tensor,
        c: torch.Tensor,
        b: torch.Tensor,
        key: torch.Tensor | None,
        b_mask: torch.Tensor | None,
        fg_types: torch.Tensor | None,
    ) -> dict[str, torch.Tensor | None]:
        """The flip ensemble's two passes as one batch (:attr:`flip_batch`): the same
        outputs as two passes up to float rounding (every layer works per item)."""
        n = x.shape[0]

        def both(t: torch.Tensor | None) -> torch.Tensor | None:
            return None if t is None else torch.cat([t, t.flip(-1)])

        if key is not None and key.ndim == 2:
            key = torch.cat([key, key])
        out = self._forward(both(x), both(c), both(b), key, both(b_mask), both(fg_types))
        for name, t in out.items():
            if t is None:
                continue
            out[name] = (t[:n] + t[n:].flip(-1)) / 2 if name in ("y", "pred") else t[:n]
        return out

    def _forward(
        self,
        x: torch.Tensor,
        c: torch.Tensor,
        b: torch.Tensor,
        key: torch.Tensor | None,
        b_mask: torch.Tensor | None,
        fg_types: torch.Tensor | None,
    ) -> dict[str, torch.Tensor | None]:
        """One pass of :meth:`forward` (no mirror ensemble)."""
        if x.device.type == "cpu":  # oneDNN convs are several times faster in NHWC
            x, c, b = (t.contiguous(memory_format=torch.channels_last) for t in (x, c, b))
        k = self.default_key if key is None else key.to(x)
        k = k.expand(x.shape[0], 3) if k.ndim == 1 else k
        x_in = self._prefilled(x) if self.config.prefill else x
        out = self.net(x_in, c, b, k, b_mask=b_mask, fg_types=fg_types)
        m = (x[:, 3:4] + x[:, 4:5]).clamp(0.0, 1.0)
        pred = self._rgb(out["pred"], x_in)
        if len(self.members):
            preds = [pred] + [self._rgb(g(x_in, c, b, k, b_mask=b_mask, fg_types=fg_types)["pred"], x_in)
                              for g in self.members]
            pred = torch.stack(preds).mean(0)
        y = (pred * m + x[:, :3] * (1.0 - m)).contiguous()
        return {"y": y, "pred": pred, "mask": m, "head_rgb": out["head_rgb"],
                "fg_logits": out["fg_logits"], "fg_types": out["fg_types"]}

    def _rgb(self, pred: torch.Tensor, x_in: torch.Tensor) -> torch.Tensor:
        """A generator's output as RGB in ``[-1, 1]``, in float32 (under bf16 autocast the
        network's last conv gives bfloat16; the members' mean and the composition stay float32)."""
        pred = pred.float()
        if not self.config.residual:
            return pred
        # The gray head already holds the luminance: predicting a change of X's RGB
        # (up to the full [-1, 1] range) learns the colouring far faster than redrawing it.
        return (x_in[:, :3] + 2.0 * pred).clamp(-1.0, 1.0)

    @staticmethod
    def _prefilled(x: torch.Tensor) -> torch.Tensor:
        """``x`` with its fill region pull-push interpolated from the pixels that are
        neither fill nor head (the gray head would pass its lack of colour on)."""
        fill, head = x[:, 3:4], x[:, 4:5]
        known = (1.0 - fill) * (1.0 - head)
        rgb = pull_push(x[:, :3], known)
        rgb = rgb * fill + x[:, :3] * (1.0 - fill)
        nhwc = x.is_contiguous(memory_format=torch.channels_last)
        out = torch.cat([rgb, x[:, 3:]], 1)
        return out.contiguous(memory_format=torch.channels_last if nhwc else torch.contiguous_format)

    def generate_model_card(self, *args: Any, **kwargs: Any):  # noqa: ANN201 (ModelCard)
        """Model card filled with this model's architecture, variant and size."""
        kwargs.setdefault("arch", self.config.arch)
        kwargs.setdefault("variant", self.config.variant)
        kwargs.setdefault("n_params", f"{self.num_parameters() / 1e6:.2f}M")
        kwargs.setdefault("stride", self.stride)
        return super().generate_model_card(*args, **kwargs)
