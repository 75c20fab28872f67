"""Means, 95% confidence intervals and the summary table (eval.stats)."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
from scipy import stats as sps

from eval.stats import SUMMARY_COLUMNS, mean_ci, summarize, summary_markdown, wide_table


def test_ci_matches_hand_computation() -> None:
    ci = mean_ci([1.0, 2.0, 3.0, 4.0])
    # By hand: mean 2.5; squared deviations 2.25+0.25+0.25+2.25 = 5, sample variance 5/3;
    # t(0.975, 3) = 3.182446 (t table); half-width = t * sqrt(5/3) / sqrt(4).
    t_table = 3.182446305284263
    assert sps.t.ppf(0.975, 3) == pytest.approx(t_table, rel=1e-12)
    assert ci.mean == 2.5
    assert ci.ci95 == pytest.approx(t_table * math.sqrt(5 / 3) / 2, rel=1e-12)
    assert (ci.n, ci.n_inf, ci.n_nan) == (4, 0, 0)


def test_single_value_has_no_interval() -> None:
    ci = mean_ci([7.0])
    assert ci.mean == 7.0 and ci.n == 1 and math.isnan(ci.ci95)


def test_non_finite_values_are_excluded_and_counted() -> None:
    ci = mean_ci([30.0, float("inf"), 32.0, float("nan")])
    assert ci.mean == 31.0
    assert (ci.n, ci.n_inf, ci.n_nan) == (2, 1, 1)
    assert ci.ci95 == pytest.approx(sps.t.ppf(0.975, 1) * np.std([30, 32], ddof=1) / math.sqrt(2))


def test_all_nan_gives_nan_mean_and_zero_n() -> None:
    ci = mean_ci([float("nan")] * 3)
    assert math.isnan(ci.mean) and math.isnan(ci.ci95) and ci.n == 0 and ci.n_nan == 3


def _frames() -> pd.DataFrame:
    rows = []
    for method, base in (("b_method", 20.0), ("a_method", 25.0)):
        for split in ("test_vox", "test_hdtf"):
            for i in range(3):
                rows.append({"method": method, "split": split, "frame_id": f"c/{i}", "psnr": base + i,
                             "ssim": 0.5 + 0.1 * i, "lpips": float("nan")})
    return pd.DataFrame(rows)


def test_summarize_groups_in_order_of_appearance() -> None:
    summary = summarize(_frames())
    assert list(summary.columns) == list(SUMMARY_COLUMNS)
    assert list(dict.fromkeys(summary.method)) == ["b_method", "a_method"]
    assert list(dict.fromkeys(summary.split)) == ["test_vox", "test_hdtf"]
    assert len(summary) == 2 * 2 * 3  # methods x splits x metrics present
    row = summary[(summary.method == "a_method") & (summary.split == "test_hdtf") & (summary.metric == "psnr")].iloc[0]
    assert row["mean"] == 26.0 and row["n"] == 3
    assert row["ci95"] == pytest.approx(sps.t.ppf(0.975, 2) * 1.0 / math.sqrt(3))
    lp = summary[summary.metric == "lpips"]
    assert (lp.n == 0).all() and lp["mean"].isna().all()


def test_markdown_table_shows_mean_pm_ci_and_na() -> None:
    text = summary_markdown(summarize(_frames()))
    lines = text.splitlines()
    assert lines[0].startswith("| method | split | psnr ↑ | ssim ↑ | lpips ↓")
    assert len(lines) == 2 + 4
    assert "26.00 ± 2.48" in text and "n/a" in text
    assert wide_table(summarize(_frames())).shape == (4, 5)
