"""FPAT: the type attention mask, type isolation of the blender, and the all-blocked guard."""

from __future__ import annotations

import torch

from changer.labels import TYPE_BACKGROUND, TYPE_BODY, TYPE_HEAD
from changer.model import CHANGER, type_attention_mask
from changer.model.fpat import FPAT, ForegroundHead, key_types_from_mask

NEG = float("-inf")


def test_mask_allows_same_type_and_null() -> None:
    q = torch.tensor([[TYPE_BACKGROUND, TYPE_HEAD, TYPE_BODY]])
    k = torch.tensor([[TYPE_BODY, TYPE_BACKGROUND, TYPE_BODY]])
    m = type_attention_mask(q, k)
    assert m.shape == (1, 1, 3, 4) and m.dtype == torch.float32
    expected = torch.tensor(
        [[NEG, 0.0, NEG, 0.0], [NEG, NEG, NEG, 0.0], [0.0, NEG, 0.0, 0.0]]
    )
    assert torch.equal(m[0, 0], expected)


def test_mask_without_null_falls_back_to_all_keys() -> None:
    q = torch.tensor([[TYPE_HEAD, TYPE_BODY]])
    k = torch.tensor([[TYPE_BODY, TYPE_BODY]])
    m = type_attention_mask(q, k, null_token=False)
    assert m.shape == (1, 1, 2, 2)
    assert torch.equal(m[0, 0], torch.zeros(2, 2))  # head row: nothing allowed -> everything
    k = torch.tensor([[TYPE_BODY, TYPE_BACKGROUND]])
    m = type_attention_mask(q, k, null_token=False)
    assert torch.equal(m[0, 0], torch.tensor([[0.0, 0.0], [0.0, NEG]]))
    # softmax of every row is finite
    assert torch.isfinite(m.softmax(-1)).all()


def _setup(dim: int = 32, hw: tuple[int, int] = (4, 4)) -> tuple[FPAT, torch.Tensor, ...]:
    fpat = FPAT(dim, heads=2, depth=1, sa_pool=2).eval()
    n = hw[0] * hw[1]
    q = torch.randn(1, n, dim)
    ref = torch.randn(1, n, dim)
    qt = torch.tensor([[TYPE_BACKGROUND, TYPE_HEAD, TYPE_BODY, TYPE_BODY] * (n // 4)])
    kt = torch.tensor([[TYPE_BODY, TYPE_BACKGROUND] * (n // 2)])
    return fpat, q, ref, qt, kt


def test_fpat_blocks_cross_type_attention() -> None:
    fpat, q, ref, qt, kt = _setup()
    hw = (4, 4)
    with torch.no_grad():
        base = fpat(q, hw, ref, qt, kt)
        for t in (TYPE_BACKGROUND, TYPE_HEAD, TYPE_BODY):
            rows = qt[0] == t
            other = ref.clone()
            other[0, kt[0] != t] += torch.randn_like(other[0, kt[0] != t]) * 3
            out = fpat(q, hw, other, qt, kt)
            assert torch.allclose(out[0, rows], base[0, rows], atol=1e-5), f"type {t} leaked"
            if (kt[0] == t).any():  # same-type keys do matter
                same = ref.clone()
                same[0, kt[0] == t] += torch.randn_like(same[0, kt[0] == t]) * 3
                out = fpat(q, hw, same, qt, kt)
                assert (out[0, rows] - base[0, rows]).abs().max() > 1e-3


def test_unmasked_fpat_mixes_types() -> None:
    fpat, q, ref, qt, kt = _setup()
    fpat.masked = False
    with torch.no_grad():
        base = fpat(q, (4, 4), ref)
        other = ref.clone()
        other[0, kt[0] == TYPE_BACKGROUND] += torch.randn_like(other[0, kt[0] == TYPE_BACKGROUND]) * 3
        body = qt[0] == TYPE_BODY
        assert (fpat(q, (4, 4), other)[0, body] - base[0, body]).abs().max() > 1e-3


def test_fpat_absent_type_is_finite() -> None:
    fpat, q, ref, qt, _ = _setup()
    no_body = torch.full_like(qt, TYPE_BACKGROUND)  # no body keys at all
    out = fpat(q, (4, 4), ref, torch.full_like(qt, TYPE_BODY), no_body)
    assert torch.isfinite(out).all()
    out.sum().backward()
    assert all(torch.isfinite(p.grad).all() for p in fpat.parameters() if p.grad is not None)


def test_key_types_from_mask() -> None:
    mask = torch.zeros(1, 1, 16, 16)
    mask[..., 12:, :] = 1
    mask[..., 0, 0] = 1  # a single body pixel marks its patch
    kt = key_types_from_mask(mask, 8).reshape(2, 2)
    assert kt.tolist() == [[TYPE_BODY, TYPE_BACKGROUND], [TYPE_BODY, TYPE_BODY]]


def test_foreground_head_shape() -> None:
    head = ForegroundHead(32)
    assert head(torch.randn(2, 12, 32), (3, 4)).shape == (2, 3, 3, 4)


def test_model_with_empty_body_reference_is_finite(small_config, make_inputs) -> None:
    model = CHANGER(small_config("full")).eval()
    x, c, _ = make_inputs(64)
    b = torch.full_like(c, -1.0)  # no body at all: every key is background
    with torch.no_grad():
        out = model(x, c, b, fg_types=torch.full((1, 8, 8), TYPE_BODY))
    assert torch.isfinite(out["y"]).all()
