"""How weights are stored: fp32, fp16, or int8 with one scale per output channel.

A model folder's ``model.safetensors`` may hold its large weight tensors as int8, each with
an fp32 scale per output channel (``<name>.int8_scale``), and every other floating tensor in
fp16. The file's metadata says so (``"quantization": "int8-per-channel"``), and loading
(:class:`changer.hub_mixin.SafetensorsHubMixin`) turns the tensors back into floats before
the strict ``load_state_dict``: the network always runs in float, so int8 halves the file
against fp16, not the compute. ``changer export --precision int8`` measures what it costs.
"""

from __future__ import annotations

import os

import torch
from safetensors import safe_open
from safetensors.torch import load_file

PRECISIONS = ("fp32", "fp16", "int8")
INT8 = "int8-per-channel"
"""Value of the safetensors metadata key ``quantization`` in an int8 file."""
SCALE_SUFFIX = ".int8_scale"
MIN_NUMEL = 1024
"""Smaller tensors (biases, norms, tiny kernels) stay fp16: they hold almost no bytes."""


def _quantizable(t: torch.Tensor) -> bool:
    return t.is_floating_point() and t.ndim >= 2 and t.numel() >= MIN_NUMEL


def quantize_int8(tensors: dict[str, torch.Tensor]) -> dict[str, torch.Tensor]:
    """Symmetric int8 per output channel (dim 0) for weight tensors, fp16 for other floats.

    Each channel's scale is its largest magnitude over 127, so every stored value is within
    half a step (``scale / 2``) of the original; integer tensors are kept as they are.
    """
    out: dict[str, torch.Tensor] = {}
    for name, t in tensors.items():
        if name.endswith(SCALE_SUFFIX):
            raise ValueError(f"tensor name {name!r} ends with the reserved suffix {SCALE_SUFFIX!r}")
        if _quantizable(t):
            w = t.detach().float()
            scale = w.abs().flatten(1).amax(1) / 127.0
            scale = torch.where(scale > 0, scale, torch.ones_like(scale))  # all-zero channel
            scale = scale.view(-1, *([1] * (w.ndim - 1)))
            out[name] = (w / scale).round().clamp(-127, 127).to(torch.int8)
            out[name + SCALE_SUFFIX] = scale.contiguous()
        elif t.is_floating_point():
            out[name] = t.detach().half()
        else:
            out[name] = t.detach()
    return out


def dequantize(tensors: dict[str, torch.Tensor]) -> dict[str, torch.Tensor]:
    """The float state dict of :func:`quantize_int8`'s output (scale keys consumed)."""
    out: dict[str, torch.Tensor] = {}
    for name, t in tensors.items():
        if name.endswith(SCALE_SUFFIX):
            continue
        scale = tensors.get(name + SCALE_SUFFIX)
        out[name] = t.float() * scale if scale is not None else t
    return out


def stored(tensors: dict[str, torch.Tensor], precision: str) -> dict[str, torch.Tensor]:
    """The tensors as written to ``model.safetensors`` at ``precision`` (see :data:`PRECISIONS`)."""
    if precision == "int8":
        return quantize_int8(tensors)
    if precision == "fp16":
        return {k: v.half() if v.is_floating_point() else v for k, v in tensors.items()}
    if precision == "fp32":
        return {k: v.float() if v.is_floating_point() else v for k, v in tensors.items()}
    raise ValueError(f"unknown precision {precision!r}; expected one of {PRECISIONS}")


def round_trip(tensors: dict[str, torch.Tensor], precision: str) -> dict[str, torch.Tensor]:
    """What loading gives back after storing ``tensors`` at ``precision``."""
    return dequantize(stored(tensors, precision))


def metadata(precision: str) -> dict[str, str]:
    """The safetensors metadata of a file written at ``precision``."""
    return {"format": "pt", **({"quantization": INT8} if precision == "int8" else {})}


def is_int8(path: str | os.PathLike[str]) -> bool:
    """Whether a safetensors file holds int8 weights to be dequantized on load."""
    with safe_open(os.fspath(path), framework="pt") as f:
        return (f.metadata() or {}).get("quantization") == INT8


def load_float(path: str | os.PathLike[str], device: str = "cpu") -> dict[str, torch.Tensor]:
    """A safetensors file's state dict, int8 weights already turned back into floats."""
    tensors = load_file(os.fspath(path), device=device)
    return dequantize(tensors) if is_int8(path) else tensors
