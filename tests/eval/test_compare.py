"""eval.compare: paired differences per frame and per clip, direction of "better"."""

import numpy as np
import pandas as pd
import pytest

from eval.compare import against, clip_of, main, paired


def _table() -> pd.DataFrame:
    rng = np.random.default_rng(0)
    rows = []
    for clip in ("c1", "c2", "c3"):
        for i in range(4):
            fid = f"{clip}/{i:04d}"
            base = rng.normal(20, 2)
            gain = 1.0 if clip != "c3" else -0.5  # a beats b on two clips of three
            rows.append({"method": "b", "split": "s", "frame_id": fid, "psnr": base, "lpips": 0.3})
            rows.append({"method": "a", "split": "s", "frame_id": fid, "psnr": base + gain, "lpips": 0.2})
    return pd.DataFrame(rows)


def test_paired_difference_frames_and_clips():
    table = paired(_table(), "a", "b", ["psnr", "lpips"])
    psnr = table[table.metric == "psnr"].iloc[0]
    assert psnr["diff"] == pytest.approx((8 * 1.0 - 4 * 0.5) / 12)
    assert psnr["n_frames"] == 12 and psnr["n_clips"] == 3
    assert psnr["frames_better"] == pytest.approx(8 / 12)
    assert psnr["clips_better"] == pytest.approx(2 / 3)
    assert psnr["ci95_clips"] > psnr["ci95_frames"] > 0  # 3 clips say less than 12 frames
    lpips = table[table.metric == "lpips"].iloc[0]
    assert lpips["diff"] == pytest.approx(-0.1) and lpips["frames_better"] == 1.0  # lower is better


def test_missing_method_and_cli(tmp_path, capsys):
    with pytest.raises(ValueError, match="not in the table"):
        paired(_table(), "a", "zzz")
    assert clip_of("retalking-2/0049") == "retalking-2"
    path = tmp_path / "per_frame.csv"
    _table().to_csv(path, index=False)
    assert main([str(path), "--a", "a", "--b", "b", "--metrics", "psnr"]) == 0
    out = capsys.readouterr().out
    assert "| s | psnr | +0.50 |" in out
    assert main([str(path), "--a", "a", "--b", "zzz"]) == 2
    assert "not in the table" in capsys.readouterr().err


def test_against_pairs_every_other_method_with_the_reference_for_the_screen():
    table = _table()
    table.loc[table.method == "b", "lpips"] = np.nan  # unavailable for one method: no lpips difference
    third = table[table.method == "a"].assign(method="c", psnr=lambda d: d.psnr - 3.0)
    shown = against(pd.concat([table, third]), "b")
    assert list(shown.columns) == ["method", "minus", "split", "psnr"]
    assert list(shown.method) == ["a", "c"] and set(shown.minus) == {"b"}
    a, c = shown.psnr
    half = paired(_table(), "a", "b", ["psnr"]).ci95_frames.iloc[0]
    assert a == f"+0.50 ± {half:.2f} (67%)"
    assert c.startswith("-2.50 ± ") and c.endswith("(0%)")
    one = _table().groupby("method").head(1)  # one frame per method: a difference, no interval
    assert list(against(one, "b").psnr) == ["+1.00 (100%)"]
    alone = against(_table()[_table().method == "b"], "b")
    assert alone.empty and list(alone.columns) == ["method", "minus", "split"]
