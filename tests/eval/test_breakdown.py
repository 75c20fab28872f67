"""The error breakdown (eval.breakdown): shares add up, oracles only ever help."""

from __future__ import annotations

import numpy as np

from changer import labels as L
from changer.data.blend_dataset import BlendDataset
from changer.data.dataset import TalkingHeads
from eval.breakdown import REGIONS, breakdown, frame_breakdown, regions
from eval.runner import EvalRequest


def _sample(synthetic_data):
    frames = TalkingHeads(synthetic_data).frames("test_hdtf")
    return BlendDataset(frames, size=64).sample(0)


def test_regions_are_disjoint_and_cover_the_hole(synthetic_data) -> None:
    s = _sample(synthetic_data)
    masks = regions(s)
    total = sum(m.astype(int) for m in masks.values())
    assert total.max() == 1
    assert np.array_equal(total.astype(bool), s.inputs.hole | s.inputs.head_mask)
    assert masks["fill_fg"].any() and masks["fill_bg"].any()


def test_shares_and_oracles(synthetic_data) -> None:
    s = _sample(synthetic_data)
    pred = s.inputs.target.copy()  # key colour in the hole: all error is in the hole
    row = frame_breakdown(s, pred)
    assert abs(sum(row[f"share_{r}"] for r in REGIONS) - 1.0) < 1e-9
    assert row["share_fill_bg"] < 1e-9  # the key colour is right where the truth is background
    for r in REGIONS:
        assert row[f"psnr_gt_{r}"] >= row["psnr"] - 1e-9
    assert row["psnr_shape_mean"] > row["psnr"]
    perfect = frame_breakdown(s, s.gt)
    assert perfect["psnr"] == np.inf and all(perfect[f"share_{r}"] == 0 for r in REGIONS)


def test_breakdown_runs_methods_on_protocol_inputs(synthetic_data) -> None:
    request = EvalRequest(data_root=synthetic_data, resolution=64)
    df = breakdown(["paste", "laplacian"], ["test_hdtf"], request, batch_size=4)
    n = len(TalkingHeads(synthetic_data).frames("test_hdtf"))
    assert len(df) == 2 * n and set(df.method) == {"paste", "laplacian"}
    assert df.groupby("method").psnr.mean().nunique() == 2


def test_colour_distances(synthetic_data) -> None:
    s = _sample(synthetic_data)
    clothes = s.labels == L.BODY
    fill_clothes, visible = regions(s)["fill_fg"] & clothes, s.inputs.body_ref_mask & clothes
    assert fill_clothes.any() and visible.any()
    assert frame_breakdown(s, s.gt)["clothes_colour_err"] == 0.0
    pred = s.gt.copy()
    pred[fill_clothes] = np.clip(pred[fill_clothes].astype(int) + [30, 0, 0], 0, 255).astype(np.uint8)
    row = frame_breakdown(s, pred)
    assert 0 < row["clothes_colour_err"] <= 30 + 1e-9
    expected = np.linalg.norm(s.gt[visible].astype(float).mean(0) - s.gt[fill_clothes].astype(float).mean(0))
    assert abs(row["visible_clothes_err"] - expected) < 1e-9
