"""Plotly figures (eval.figures) and the qualitative grid (eval.grid)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from PIL import Image

from changer.data.synthetic import write_synthetic_dataset
from eval.figures import (
    bar_figure,
    distribution_figure,
    figures_html,
    report_figures,
    scatter_figure,
    write_html,
)
from eval.grid import grid_columns, qualitative_grid, render_grid, save_grid
from eval.runner import EvalRequest, load_split
from eval.stats import summarize

METHODS = ["full", "no_fpat", "poisson"]
SPLITS = ["test_hdtf", "test_vox"]


def _per_frame(lpips: bool) -> pd.DataFrame:
    rng = np.random.default_rng(0)
    rows = []
    for m, method in enumerate(METHODS):
        for split in SPLITS:
            for i in range(4):
                rows.append({
                    "method": method, "split": split, "frame_id": f"{split}-clip/{i:04d}",
                    "psnr": 25 + m + rng.normal(), "ssim": 0.9 - 0.01 * m + 0.01 * rng.normal(),
                    "lpips": 0.05 + 0.01 * m if lpips else np.nan,
                    "psnr_region": 20 + m + rng.normal(), "ssim_region": 0.8 + 0.01 * rng.normal(),
                    "lpips_region": 0.1 + 0.01 * m if lpips else np.nan,
                })
    return pd.DataFrame(rows)


def test_bar_figure_has_every_method_and_split_with_ci() -> None:
    summary = summarize(_per_frame(lpips=False))
    fig = bar_figure(summary, "psnr")
    assert [t.name for t in fig.data] == METHODS
    for trace in fig.data:
        assert list(trace.x) == SPLITS
        assert all(v is not None and v > 0 for v in trace.error_y.array)
    expected = summary[(summary.metric == "psnr") & (summary.method == "poisson") & (summary.split == "test_vox")]
    assert fig.data[2].y[1] == pytest.approx(float(expected["mean"].iloc[0]))
    assert fig.layout.barmode == "group"


def test_scatter_without_lpips_is_psnr_vs_ssim_and_says_so() -> None:
    summary = summarize(_per_frame(lpips=False))
    fig = scatter_figure(summary, lpips_available=False)
    assert "LPIPS unavailable" in fig.layout.title.text and "SSIM" in fig.layout.yaxis.title.text
    assert [t.name for t in fig.data] == METHODS
    ssim = summary[(summary.metric == "ssim") & (summary.method == "full")]["mean"].tolist()
    assert list(fig.data[0].y) == pytest.approx(ssim) and list(fig.data[0].text) == SPLITS
    # Inferred from the table too: no LPIPS value means no LPIPS axis.
    assert "LPIPS unavailable" in scatter_figure(summary).layout.title.text


def test_scatter_with_lpips_plots_lpips() -> None:
    summary = summarize(_per_frame(lpips=True))
    fig = scatter_figure(summary)
    assert fig.layout.title.text.startswith("PSNR vs LPIPS") and "unavailable" not in fig.layout.title.text
    assert list(fig.data[1].y) == pytest.approx([0.06, 0.06])


def test_distribution_figure_has_every_method_and_split() -> None:
    fig = distribution_figure(_per_frame(lpips=False), "ssim_region")
    assert [t.name for t in fig.data] == METHODS
    for trace in fig.data:
        assert sorted(set(trace.x)) == SPLITS and len(trace.y) == 8


def test_report_leaves_out_lpips_panels_and_html_is_self_contained(tmp_path: Path) -> None:
    per_frame = _per_frame(lpips=False)
    figs = report_figures(summarize(per_frame), per_frame, lpips_available=False)
    titles = [f.layout.title.text for f in figs]
    assert len(figs) == 2 + 2 * 4 and not any("LPIPS (AlexNet)" in t for t in titles)
    path = write_html(figs[2], tmp_path / "bar.html")
    text = path.read_text()
    assert 'src="https://cdn' not in text and len(text) > 1_000_000
    page = figures_html(figs)
    assert page.count("Plotly.newPlot") == len(figs) and len(page) < len(text) + 500_000


def test_qualitative_grid_has_rows_per_frame_and_columns_per_method(tmp_path: Path) -> None:
    from changer.data.blend_dataset import BlendDataset
    from changer.data.dataset import TalkingHeads

    root = write_synthetic_dataset(tmp_path, splits={"test_hdtf": 1}, size=64)
    ds = BlendDataset(TalkingHeads(root).frames("test_hdtf"), size=64)
    samples = [ds.sample(i) for i in range(3)]
    outputs = {m: [s.gt for s in samples] for m in METHODS[:2]}
    grid = qualitative_grid(samples, outputs)
    bar = max(64 // 12, 14)  # label_tile's caption bar
    assert grid.shape == (3 * (64 + bar), len(grid_columns(METHODS[:2])) * 64, 3)
    assert grid_columns(["a"]) == ["input X", "a", "ground truth"]


def test_render_grid_runs_methods_on_protocol_frames(tmp_path: Path) -> None:
    root = write_synthetic_dataset(tmp_path / "data", splits={"test_hdtf": 2}, frames_per_clip=3, size=64)
    request = EvalRequest(data_root=root, splits=["test_hdtf"], methods=["paste", "inpaint"], resolution=64, max_frames=4,
                          cache_dir=tmp_path / "cache")
    assert len(load_split(request, "test_hdtf").picks) == 4
    path = save_grid(render_grid(request, rows=3), tmp_path / "grid.png")
    with Image.open(path) as im:
        w, h = im.size
    bar = max(64 // 12, 14)
    assert (h, w) == (3 * (64 + bar), 4 * 64)
