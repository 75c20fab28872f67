"""Self-blends through the whole Blend pipeline (eval.self_blend)."""

from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np
import pandas as pd
import pytest

from changer import labels as L
from changer.blenders import BaselineBlender
from changer.data.dataset import TalkingHeads
from changer.pipeline import HeadBlendingPipeline
from eval.self_blend import BAND, METRICS, ab_distance, main, parse_variant, regions, self_blend


def test_parse_variant() -> None:
    assert parse_variant("plain:edge_softness=0,mend_seam=false") == ("plain", {"edge_softness": 0.0, "mend_seam": False})
    assert parse_variant("default") == ("default", {})
    assert parse_variant("wide: feather=0.05") == ("wide", {"feather": 0.05})
    assert parse_variant("k:key_color=0/177/64,resolution=256,color_reference=source,align_offset=0.1/0") == (
        "k", {"key_color": (0, 177, 64), "resolution": 256, "color_reference": "source", "align_offset": (0.1, 0)})
    for bad in ("x:sharpness=1", "x:edge_softness"):
        with pytest.raises(ValueError, match="BlendOptions field"):
            parse_variant(bad)
    assert parse_variant("old:seam_line_level=none,background_margin=0.01") == (
        "old", {"seam_line_level": None, "background_margin": 0.01})
    for bad in ("x:color_reference=both", "x:edge_softness=-1", "x:key_color=999/0/0", "x:seam_line_level=-2",
                "x:background_margin=0.5"):
        with pytest.raises(ValueError, match="variant"):  # checked before any frame is blended
            parse_variant(bad)
    with pytest.raises(ValueError, match="name first"):
        parse_variant("edge_softness=0")


def test_regions_follow_the_head_outline_and_the_jaw() -> None:
    labels = np.zeros((80, 80), np.uint8)
    cv2.circle(labels, (40, 30), 18, L.FACE, -1)
    labels[48:, 25:55] = L.NECK
    masks = regions(labels)
    head, background = L.head_mask(labels), labels == L.BACKGROUND
    to_background = cv2.distanceTransform((~background).astype(np.uint8), cv2.DIST_L2, 3)
    to_person = cv2.distanceTransform(background.astype(np.uint8), cv2.DIST_L2, 3)
    outline = masks["outline"]
    assert outline.any() and masks["seam"].any()
    assert (to_background[outline & head] <= BAND).all() and (outline & head).sum() > 50
    assert (to_person[outline & background] <= BAND).all() and (outline & background).sum() > 50
    assert not (outline & (labels == L.NECK)).any()
    assert masks["seam"][48, 40] and not masks["seam"][10, 40] and not masks["seam"][75, 40]


def test_ab_distance_sees_hue_not_lightness() -> None:
    skin = np.full((20, 20, 3), (205, 150, 125), np.uint8)
    mask = np.zeros((20, 20), bool)
    mask[5:15, 5:15] = True
    darker = (skin * 0.7).astype(np.uint8)  # shading: a small a*b* move only
    gray = np.full_like(skin, 150)
    assert ab_distance(skin, skin, mask) == 0
    assert ab_distance(darker, skin, mask) < 8
    assert ab_distance(gray, skin, mask) > 20
    assert np.isnan(ab_distance(gray, skin, np.zeros_like(mask)))  # nothing to compare


def test_self_blend_rows_and_variants(synthetic_data: Path) -> None:
    frames = TalkingHeads(synthetic_data).frames("test_hdtf")[:2]
    pipe = HeadBlendingPipeline(BaselineBlender("paste", resolution=64))
    table = self_blend(pipe, frames, [("hard", {"edge_softness": 0.0}), ("default", {})], source_scale=1.5)
    assert len(table) == 4 and set(table["method"]) == {"hard", "default"}
    assert set(table["frame_id"]) == {f.frame_id for f in frames}  # clip/idx, as the runner writes them
    assert np.isfinite(table[list(METRICS)].to_numpy()).all()
    by = table.pivot_table(index="frame_id", columns="method", values="psnr_outline")
    assert (by["hard"] != by["default"]).all()  # the variant reaches the pipeline


def test_command_writes_the_rows(synthetic_data: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "rows.csv"
    code = main(["--data", str(synthetic_data), "--splits", "test_hdtf", "--every", "2", "--model", "paste",
                 "--variant", "hard:edge_softness=0", "--variant", "default", "--out", str(out)])
    assert code == 0
    assert set(pd.read_csv(out)["method"]) == {"hard", "default"}
    assert "`default` minus `hard`" in capsys.readouterr().out
    assert main(["--data", str(synthetic_data), "--variant", "x:nope=1"]) == 2
    assert main(["--data", str(tmp_path / "nowhere"), "--splits", "test_hdtf"]) == 2
