"""The blender's inference path (changer.blenders.choose_inference, ModelBlender.inference_path)."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from changer import blenders
from changer.blenders import INFERENCE_ENV, ModelBlender, choose_inference
from changer.imageio import InputError
from changer.inputs import BlendInputs
from changer.model import CHANGER, ChangerConfig

SMALL = {"channels": (8, 16, 16, 32), "dim": 32, "heads": 2, "colorizer_depth": 1, "blender_depth": 1}


def _inputs(size: int = 64, seed: int = 0) -> BlendInputs:
    rng = np.random.default_rng(seed)
    target = rng.integers(0, 256, (size, size, 3), dtype=np.uint8)
    hole = np.zeros((size, size), bool)
    hole[size // 4:, size // 4:3 * size // 4] = True
    head = np.zeros_like(hole)
    head[size // 4:size // 2, size // 4:3 * size // 4] = True
    gray = np.where(head[..., None], rng.integers(0, 256, (size, size, 1), dtype=np.uint8), 0).astype(np.uint8)
    ref = rng.integers(0, 256, (size, size, 3), dtype=np.uint8)
    body = np.zeros_like(hole)
    body[3 * size // 4:] = True
    return BlendInputs(target=target, hole=hole, head_gray=np.repeat(gray, 3, 2), head_mask=head, color_ref=ref,
                       color_ref_mask=head, body_ref=np.where(body[..., None], ref, 0).astype(np.uint8),
                       body_ref_mask=body, key_color=(0, 177, 64))


def _model() -> CHANGER:
    torch.manual_seed(0)
    return CHANGER(ChangerConfig.variant_config("full", flip_ensemble=True, **SMALL)).eval()


def test_the_path_follows_the_cpu_and_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(INFERENCE_ENV, raising=False)
    monkeypatch.setattr(blenders, "cpu_has_bf16", lambda: True)
    assert choose_inference("cpu") == "bf16"
    assert choose_inference("cuda") == "fp32"  # a GPU runs as it always has
    monkeypatch.setattr(blenders, "cpu_has_bf16", lambda: False)
    assert choose_inference("cpu") == "fp32"
    monkeypatch.setenv(INFERENCE_ENV, "bf16")
    assert choose_inference("cpu") == "bf16"
    monkeypatch.setenv(INFERENCE_ENV, " FP32 ")
    assert choose_inference("cpu") == "fp32"
    assert choose_inference("cpu", "auto") == "fp32"
    monkeypatch.setenv(INFERENCE_ENV, "fast")
    with pytest.raises(InputError, match=INFERENCE_ENV):
        choose_inference("cpu")


def test_bf16_needs_the_cpu_flags(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(blenders, "cpu_flags", lambda: frozenset({"avx2", "avx512f"}))
    assert not blenders.cpu_has_bf16()
    monkeypatch.setattr(blenders, "cpu_flags", lambda: frozenset({"avx512f", "amx_bf16"}))
    assert blenders.cpu_has_bf16() == torch.backends.mkldnn.is_available()


def test_the_bf16_path_blends_like_fp32() -> None:
    torch.set_num_threads(1)
    ref = ModelBlender(_model(), device="cpu", inference="fp32")
    fast = ModelBlender(_model(), device="cpu", inference="bf16")
    assert ref.inference_path == "fp32" and not ref.model.flip_batch
    assert fast.inference_path == "bf16" and fast.model.flip_batch
    assert "inference_path='bf16'" in repr(fast)
    items = [_inputs(64, 0), _inputs(64, 1)]
    for a, b, item in zip(ref.batch(items), fast.batch(items), items):
        assert a.dtype == b.dtype == np.uint8 and a.shape == b.shape == (64, 64, 3)
        assert np.abs(a.astype(int) - b.astype(int)).mean() < 2.0  # bfloat16 rounding, no more
        assert np.array_equal(a[~item.hole], b[~item.hole])  # outside the hole: the target, exactly
