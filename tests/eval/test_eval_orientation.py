"""eval.orientation: framings, counting, and the measured claim on one real frame."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from changer.orientation import STRONG
from eval.orientation import FRAMINGS, check, main, summary


def test_summary_counts_by_framing() -> None:
    table = pd.DataFrame({
        "framing": ["plain"] * 4 + ["wide"] * 4,
        "strong": [16] * 8,
        "needs": [0, 1, 2, 3, 0, 1, 2, 3],
        "found": [0, 1, 0, 2, 1, 1, 2, 3],
    })
    counts = summary(table).loc[16]
    assert counts.loc["plain"].to_dict() == {"upright": 1, "upright_turned": 0, "turned": 3, "put_upright": 1,
                                             "left": 1, "wrong": 1}
    assert counts.loc["wide", "upright_turned"] == 1 and counts.loc["wide", "put_upright"] == 3
    assert counts.loc["all", "turned"] == 6 and counts.loc["all", "put_upright"] == 4


def test_framings_keep_pictures_valid() -> None:
    img = np.random.default_rng(0).integers(0, 255, (256, 256, 3), dtype=np.uint8)
    for name, framing in FRAMINGS.items():
        out = framing(img)
        assert out.dtype == np.uint8 and out.ndim == 3 and min(out.shape[:2]) >= 64, name


def test_a_real_frame_is_never_turned_wrongly(shared_data: Path) -> None:
    """Quick framings of one held-out frame in their four turns, with the bundled parser."""
    from changer.data.dataset import TalkingHeads
    from changer.pipeline import find_parser

    frame = TalkingHeads(shared_data).frames("test_hdtf")[0]
    counts = summary(check(find_parser(), [frame], framings=["plain", "small", "portrait", "jpeg20"])).loc[STRONG]
    assert counts.loc["all", "upright_turned"] == 0 and counts.loc["all", "wrong"] == 0
    assert counts.loc["plain", "put_upright"] == 3
    assert counts.loc["all", "put_upright"] >= counts.loc["all", "turned"] / 2


def test_command_prints_the_counts(synthetic_data: Path, capsys: pytest.CaptureFixture[str]) -> None:
    common = ["--data", str(synthetic_data), "--splits", "test_hdtf", "--per-clip", "1"]
    assert main([*common, "--strong", "12,16", "--framings", "plain,halfbody"]) == 0
    out = capsys.readouterr().out
    assert "upright_turned" in out and "halfbody" in out and "tilt15" not in out
    assert main([*common, "--identities", "nobody"]) == 2
    assert main([*common, "--framings", "sideways"]) == 2
