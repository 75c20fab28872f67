"""``changer.quantize``: int8 per-channel storage, its round trip and its file marker."""

from __future__ import annotations

from pathlib import Path

import pytest
import torch
from safetensors.torch import save_file

from changer import quantize


def _tensors() -> dict[str, torch.Tensor]:
    g = torch.Generator().manual_seed(0)
    w = torch.randn(16, 8, 3, 3, generator=g) * torch.logspace(-3, 0, 16).view(-1, 1, 1, 1)
    w[3] = 0.0  # an all-zero channel
    return {"conv.weight": w, "conv.bias": torch.randn(16, generator=g),
            "small.weight": torch.randn(4, 4, generator=g), "steps": torch.tensor([7], dtype=torch.int64)}


def test_int8_is_within_half_a_step_per_channel() -> None:
    t = _tensors()
    q = quantize.quantize_int8(t)
    assert q["conv.weight"].dtype == torch.int8
    scale = q["conv.weight" + quantize.SCALE_SUFFIX]
    assert scale.shape == (16, 1, 1, 1)
    back = quantize.dequantize(q)
    assert set(back) == set(t)  # scale keys consumed
    err = (back["conv.weight"] - t["conv.weight"]).abs()
    assert torch.all(err <= scale / 2 + 1e-7)
    # per channel, so the smallest channel keeps its precision (a global scale would zero it)
    assert err[0].max() < t["conv.weight"].abs().max() / 254 / 100 and torch.all(back["conv.weight"][3] == 0)


def test_other_tensors_are_fp16_or_untouched() -> None:
    q = quantize.quantize_int8(_tensors())
    assert q["conv.bias"].dtype == torch.float16 and q["small.weight"].dtype == torch.float16  # under MIN_NUMEL
    assert q["steps"].dtype == torch.int64 and q["steps"].item() == 7


def test_stored_precisions_and_round_trip() -> None:
    t = _tensors()
    assert quantize.stored(t, "fp32")["conv.weight"].dtype == torch.float32
    assert quantize.stored(t, "fp16")["conv.weight"].dtype == torch.float16
    for precision in quantize.PRECISIONS:
        back = quantize.round_trip(t, precision)
        assert back["conv.weight"].is_floating_point() and back["conv.weight"].shape == t["conv.weight"].shape
    assert torch.equal(quantize.round_trip(t, "fp32")["conv.weight"], t["conv.weight"])
    with pytest.raises(ValueError, match="unknown precision"):
        quantize.stored(t, "int4")


def test_reserved_suffix_is_refused() -> None:
    with pytest.raises(ValueError, match="reserved suffix"):
        quantize.quantize_int8({"x" + quantize.SCALE_SUFFIX: torch.zeros(64, 64)})


def test_file_marker_and_float_loading(tmp_path: Path) -> None:
    t = _tensors()
    for precision in quantize.PRECISIONS:
        path = tmp_path / f"{precision}.safetensors"
        save_file(quantize.stored(t, precision), str(path), metadata=quantize.metadata(precision))
        assert quantize.is_int8(path) == (precision == "int8")
        loaded = quantize.load_float(path)
        assert set(loaded) == set(t)
        assert torch.allclose(loaded["conv.weight"].float(), t["conv.weight"], atol=2e-2)
