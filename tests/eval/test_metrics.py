"""Metrics of the evaluation protocol: PSNR/SSIM/LPIPS, whole image and blend region."""

from __future__ import annotations

import importlib.util
import math
from pathlib import Path

import lpips
import numpy as np
import pytest
import torch
from skimage.metrics import structural_similarity

from eval.metrics import (
    METRIC_KEYS,
    LPIPSMetric,
    LPIPSUnavailableError,
    backbone_checkpoint,
    evaluate_pair,
    evaluate_pairs,
    psnr,
    psnr_region,
    ssim,
    ssim_region,
)

H, W = 40, 52


def _const(value: int, shape: tuple[int, int] = (H, W)) -> np.ndarray:
    return np.full((*shape, 3), value, np.uint8)


def _noise(rng: np.random.Generator, shape: tuple[int, int] = (H, W)) -> np.ndarray:
    return rng.integers(0, 256, (*shape, 3), dtype=np.uint8)


def _box(y0: int, y1: int, x0: int, x1: int, shape: tuple[int, int] = (H, W)) -> np.ndarray:
    mask = np.zeros(shape, bool)
    mask[y0:y1, x0:x1] = True
    return mask


@pytest.fixture(scope="module")
def rand_lpips() -> LPIPSMetric:
    """LPIPS plumbing with a random AlexNet trunk (no download; not real LPIPS)."""
    metric = LPIPSMetric(pnet_rand=True)
    assert metric.available, metric.reason
    return metric


# --------------------------------------------------------------------------- PSNR


def test_psnr_constant_offset_is_hand_computed() -> None:
    # Every channel of every pixel differs by 10 -> MSE 100.
    assert psnr(_const(110), _const(100)) == pytest.approx(10 * math.log10(255**2 / 100), abs=1e-12)


def test_psnr_identical_is_inf() -> None:
    img = _noise(np.random.default_rng(1))
    assert psnr(img, img) == math.inf
    assert psnr_region(img, img, _box(5, 20, 5, 20)) == math.inf


def test_psnr_region_only_counts_masked_pixels() -> None:
    region = _box(10, 30, 8, 28)  # 400 of 2080 pixels
    gt = _const(100)
    pred = gt.copy()
    pred[region] = 110
    assert psnr_region(pred, gt, region) == pytest.approx(10 * math.log10(255**2 / 100), abs=1e-12)
    whole_mse = 100 * region.sum() / region.size
    assert psnr(pred, gt) == pytest.approx(10 * math.log10(255**2 / whole_mse), abs=1e-12)
    # Differences outside the region do not count.
    pred[~region] = 0
    assert psnr_region(pred, gt, region) == pytest.approx(10 * math.log10(255**2 / 100), abs=1e-12)


def test_empty_region_is_nan() -> None:
    rng = np.random.default_rng(2)
    empty = np.zeros((H, W), bool)
    pred, gt = _noise(rng), _noise(rng)
    assert math.isnan(psnr_region(pred, gt, empty))
    assert math.isnan(ssim_region(pred, gt, empty))


# --------------------------------------------------------------------------- SSIM


def test_ssim_identical_is_one() -> None:
    img = _noise(np.random.default_rng(3))
    assert ssim(img, img) == pytest.approx(1.0)
    assert ssim_region(img, img, _box(0, H, 0, W)) == pytest.approx(1.0)


def test_ssim_matches_skimage() -> None:
    rng = np.random.default_rng(4)
    gt = _noise(rng)
    pred = np.clip(gt.astype(int) + rng.integers(-30, 31, gt.shape), 0, 255).astype(np.uint8)
    expected = structural_similarity(gt, pred, data_range=255, channel_axis=-1)
    assert ssim(pred, gt) == pytest.approx(expected, abs=1e-12)
    assert 0.0 < ssim(pred, gt) < 1.0


def test_ssim_region_is_mean_of_map_over_mask() -> None:
    rng = np.random.default_rng(5)
    gt, pred = _noise(rng), _noise(rng)
    _, full = structural_similarity(gt, pred, data_range=255, channel_axis=-1, full=True)
    region = _box(6, 25, 10, 40)  # inside the 3-pixel border skimage leaves out
    assert ssim_region(pred, gt, region) == pytest.approx(full[region].mean(), abs=1e-12)
    # A mask over the whole image gives skimage's whole-image value (same border rule).
    assert ssim_region(pred, gt, np.ones((H, W), bool)) == pytest.approx(ssim(pred, gt), abs=1e-12)


# --------------------------------------------------------------------------- validation


@pytest.mark.parametrize(
    "pred, gt, region",
    [
        (_const(0, (H, W + 1)), _const(0), np.ones((H, W), bool)),  # shape mismatch
        (_const(0).astype(np.float32), _const(0), np.ones((H, W), bool)),  # not uint8
        (_const(0)[..., :1], _const(0)[..., :1], np.ones((H, W), bool)),  # not RGB
        (_const(0), _const(0), np.ones((H, W), np.uint8)),  # mask not bool
        (_const(0), _const(0), np.ones((H, W + 1), bool)),  # mask size
    ],
)
def test_invalid_inputs_raise(pred: np.ndarray, gt: np.ndarray, region: np.ndarray) -> None:
    with pytest.raises(ValueError):
        evaluate_pair(pred, gt, region)


# --------------------------------------------------------------------------- LPIPS


def test_lpips_unavailable_without_weights(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    def no_network(*args: object, **kwargs: object) -> None:
        raise AssertionError("tried to download")

    monkeypatch.setattr(torch.hub, "load_state_dict_from_url", no_network)
    monkeypatch.setattr(torch.hub, "download_url_to_file", no_network)
    metric = LPIPSMetric(hub_dir=tmp_path)  # an empty hub cache
    assert metric.is_reference and metric.name == "lpips-alex"
    assert not metric.available
    assert str(backbone_checkpoint("alex", tmp_path)) in (metric.reason or "")
    with pytest.raises(LPIPSUnavailableError):
        metric(_const(0), _const(0))

    result = evaluate_pair(_const(10), _const(20), _box(5, 20, 5, 20), metric)
    assert result["lpips"] is None and result["lpips_region"] is None
    assert result["lpips_available"] is False
    assert result["lpips_reason"] == metric.reason
    assert result["psnr"] == pytest.approx(10 * math.log10(255**2 / 100))


def test_lpips_unavailable_without_the_package(monkeypatch: pytest.MonkeyPatch) -> None:
    real_find_spec = importlib.util.find_spec
    monkeypatch.setattr(importlib.util, "find_spec", lambda name, *a: None if name == "lpips" else real_find_spec(name, *a))
    metric = LPIPSMetric(pnet_rand=True)  # needs no trunk weights, only the package
    assert not metric.available
    assert "lpips package is not installed" in (metric.reason or "")


def test_lpips_detection_follows_the_hub_cache() -> None:
    # Here the AlexNet weights are absent (no network); wherever they are cached, LPIPS is on.
    metric = LPIPSMetric()
    assert metric.available == backbone_checkpoint("alex").is_file()
    assert (metric.reason is None) == metric.available


def test_lpips_unloadable_weights_are_caught(tmp_path: Path) -> None:
    ckpt = backbone_checkpoint("alex", tmp_path)
    ckpt.parent.mkdir(parents=True)
    ckpt.write_bytes(b"not a checkpoint")
    hub_before = torch.hub.get_dir()
    metric = LPIPSMetric(hub_dir=tmp_path)
    assert not metric.available
    assert "failed" in (metric.reason or "")
    assert torch.hub.get_dir() == hub_before  # the temporary hub dir is undone


def test_no_metric_means_no_lpips() -> None:
    result = evaluate_pair(_const(10), _const(20), _box(5, 20, 5, 20))
    assert set(METRIC_KEYS) <= set(result)
    assert result["lpips"] is None and result["lpips_available"] is False and result["lpips_reason"]


def test_random_trunk_is_labelled_not_lpips(rand_lpips: LPIPSMetric) -> None:
    assert not rand_lpips.is_reference
    assert "not LPIPS" in rand_lpips.name
    result = evaluate_pair(_const(10), _const(20), _box(5, 20, 5, 20), rand_lpips)
    assert result["lpips_available"] is True and result["lpips_is_reference"] is False
    assert result["lpips_name"] == rand_lpips.name


def test_lpips_plumbing_identical_is_zero(rand_lpips: LPIPSMetric) -> None:
    img = _noise(np.random.default_rng(6))
    value = rand_lpips(img, img, _box(5, 30, 5, 30))
    assert value.whole == pytest.approx(0.0, abs=1e-9)
    assert value.region == pytest.approx(0.0, abs=1e-9)


def test_lpips_plumbing_matches_the_package(rand_lpips: LPIPSMetric) -> None:
    rng = np.random.default_rng(7)
    pred, gt = _noise(rng), _noise(rng)
    region = _box(4, 30, 12, 45)
    value = rand_lpips(pred, gt, region)
    assert math.isfinite(value.whole) and value.whole > 0

    model = rand_lpips._model
    assert isinstance(model, lpips.LPIPS)
    to_t = lambda img: torch.from_numpy(img).permute(2, 0, 1)[None].float() / 127.5 - 1  # noqa: E731
    with torch.no_grad():
        whole = model(to_t(pred), to_t(gt)).item()
        model.spatial = True
        try:
            spatial = model(to_t(pred), to_t(gt))[0, 0].numpy()
        finally:
            model.spatial = False
    assert value.whole == pytest.approx(whole, rel=1e-5)
    assert value.region == pytest.approx(float(spatial[region].mean()), rel=1e-5)


def test_lpips_batch_equals_single_pairs(rand_lpips: LPIPSMetric) -> None:
    rng = np.random.default_rng(8)
    shapes = [(H, W), (H, W), (33, 47), (H, W)]  # two sizes: grouped into separate batches
    preds = [_noise(rng, s) for s in shapes]
    gts = [_noise(rng, s) for s in shapes]
    regions = [_box(2, 20, 3, 30, s) for s in shapes]
    batched = rand_lpips.compute_batch(preds, gts, regions, batch_size=2)
    for p, g, r, b in zip(preds, gts, regions, batched):
        single = rand_lpips(p, g, r)
        assert b.whole == pytest.approx(single.whole, rel=1e-5)
        assert b.region == pytest.approx(single.region, rel=1e-5)
    results = evaluate_pairs(preds, gts, regions, rand_lpips)
    assert [r["lpips"] for r in results] == pytest.approx([b.whole for b in batched], rel=1e-5)
    assert math.isnan(rand_lpips(preds[0], gts[0], np.zeros((H, W), bool)).region)
