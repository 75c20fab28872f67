"""Plotly figures of an evaluation: bars with 95% CIs, a quality scatter, per-frame spreads.

All figures take the tables of :class:`eval.runner.EvalResult` (``summary`` from
:func:`eval.stats.summarize`, ``per_frame`` with one row per method x split x frame).
LPIPS is drawn only where it was measured: with LPIPS unavailable the scatter shows PSNR
against SSIM and says so in its title, and LPIPS panels are left out of the report; no
other number is ever plotted under the LPIPS name. HTML is written self-contained
(``include_plotlyjs=True``): the report must open offline.
"""

from __future__ import annotations

import html
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import plotly.graph_objects as go

from eval.stats import LOWER_IS_BETTER, METRICS, summary_markdown  # noqa: F401 (re-exported for reports)

TITLES: dict[str, str] = {
    "psnr": "PSNR (dB), whole image",
    "ssim": "SSIM, whole image",
    "lpips": "LPIPS (AlexNet), whole image",
    "psnr_region": "PSNR (dB), blend region",
    "ssim_region": "SSIM, blend region",
    "lpips_region": "LPIPS (AlexNet), blend region",
}


def _title(metric: str) -> str:
    """Axis/figure title of a metric, with the direction of "better"."""
    better = "lower is better" if metric in LOWER_IS_BETTER else "higher is better"
    return f"{TITLES.get(metric, metric)} ({better})"


def _ordered_unique(values: pd.Series) -> list[str]:
    """Distinct values in order of appearance."""
    return list(dict.fromkeys(str(v) for v in values))


def _none_if_nan(values: Sequence[float]) -> list[float | None]:
    """Plotly leaves ``None`` out; ``NaN`` must not become a drawn zero."""
    return [None if v is None or not np.isfinite(v) else float(v) for v in values]


def lpips_measured(summary: pd.DataFrame) -> bool:
    """Whether the summary holds any LPIPS value."""
    rows = summary[summary.metric == "lpips"]
    return bool(len(rows)) and bool((rows.n > 0).any())


def bar_figure(summary: pd.DataFrame, metric: str) -> go.Figure:
    """Grouped bars: x = split, one bar per method, error bars = 95% CI half-widths."""
    rows = summary[summary.metric == metric]
    splits = _ordered_unique(summary.split)
    fig = go.Figure()
    for method in _ordered_unique(summary.method):
        part = rows[rows.method == method].set_index("split").reindex(splits)
        fig.add_trace(
            go.Bar(
                name=method,
                x=splits,
                y=_none_if_nan(part["mean"].tolist()),
                error_y=dict(type="data", array=_none_if_nan(part["ci95"].tolist()), visible=True),
                customdata=part["n"].fillna(0).astype(int).tolist(),
                hovertemplate="%{x}: %{y:.4f} ± %{error_y.array:.4f} (n=%{customdata})<extra>" + method + "</extra>",
            )
        )
    missing = rows.empty or not (rows.n > 0).any()
    title = _title(metric) + (" — not measured (unavailable)" if missing else "")
    fig.update_layout(barmode="group", title=title, xaxis_title="split", yaxis_title=metric, legend_title="method")
    return fig


def scatter_figure(summary: pd.DataFrame, lpips_available: bool | None = None, region: bool = False) -> go.Figure:
    """Mean PSNR against mean LPIPS per method (one point per split, CI error bars).

    With LPIPS unavailable (``lpips_available=False``, or no LPIPS value in ``summary``)
    the y axis is SSIM and the title says that LPIPS is unavailable.
    """
    if lpips_available is None:
        lpips_available = lpips_measured(summary)
    suffix = "_region" if region else ""
    x_metric, y_metric = "psnr" + suffix, ("lpips" if lpips_available else "ssim") + suffix
    wide = summary.pivot_table(index=["method", "split"], columns="metric", values=["mean", "ci95"], dropna=False)
    fig = go.Figure()
    for method in _ordered_unique(summary.method):
        splits = [s for s in _ordered_unique(summary.split) if (method, s) in wide.index]
        get = lambda stat, metric: _none_if_nan([wide.loc[(method, s), (stat, metric)] for s in splits])  # noqa: E731
        fig.add_trace(
            go.Scatter(
                name=method,
                x=get("mean", x_metric),
                y=get("mean", y_metric),
                error_x=dict(type="data", array=get("ci95", x_metric), visible=True),
                error_y=dict(type="data", array=get("ci95", y_metric), visible=True),
                text=splits,
                mode="markers+text",
                textposition="top center",
                marker=dict(size=11),
            )
        )
    where = "blend region" if region else "whole image"
    title = f"PSNR vs {'LPIPS' if lpips_available else 'SSIM'} ({where})"
    if not lpips_available:
        title += " — LPIPS unavailable"
    fig.update_layout(title=title, xaxis_title=_title(x_metric), yaxis_title=_title(y_metric), legend_title="method")
    return fig


def distribution_figure(per_frame: pd.DataFrame, metric: str) -> go.Figure:
    """Per-frame spread: one box per method and split (points shown), non-finite values left out."""
    fig = go.Figure()
    for method in _ordered_unique(per_frame.method):
        part = per_frame[per_frame.method == method]
        values = pd.to_numeric(part[metric], errors="coerce")
        keep = np.isfinite(values.to_numpy(dtype=float))
        fig.add_trace(
            go.Box(
                name=method,
                x=part.split[keep].astype(str).tolist(),
                y=values[keep].tolist(),
                boxpoints="all",
                jitter=0.3,
                text=part.frame_id[keep].astype(str).tolist(),
                hovertemplate="%{text}: %{y:.4f}<extra>" + method + "</extra>",
            )
        )
    fig.update_layout(boxmode="group", title=f"Per-frame {_title(metric)}", xaxis_title="split", yaxis_title=metric)
    return fig


def report_figures(summary: pd.DataFrame, per_frame: pd.DataFrame, lpips_available: bool | None = None) -> list[go.Figure]:
    """The figures of a report: scatter (whole, region), bars and boxes per measured metric."""
    if lpips_available is None:
        lpips_available = lpips_measured(summary)
    metrics = [m for m in METRICS if lpips_available or not m.startswith("lpips")]
    figs = [scatter_figure(summary, lpips_available), scatter_figure(summary, lpips_available, region=True)]
    figs += [bar_figure(summary, m) for m in metrics]
    figs += [distribution_figure(per_frame, m) for m in metrics]
    return figs


def write_html(fig: go.Figure, path: str | Path) -> Path:
    """One figure as a self-contained HTML file (plotly.js embedded: works offline)."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.write_html(path, include_plotlyjs=True)
    return path


def figures_html(figs: Sequence[go.Figure], title: str = "CHANGER evaluation", note: str = "") -> str:
    """Several figures in one self-contained page (plotly.js embedded once)."""
    parts = [fig.to_html(full_html=False, include_plotlyjs=(i == 0)) for i, fig in enumerate(figs)]
    note_html = f"<p>{html.escape(note)}</p>" if note else ""
    return (
        f"<!DOCTYPE html><html><head><meta charset='utf-8'><title>{html.escape(title)}</title></head>"
        f"<body><h1>{html.escape(title)}</h1>{note_html}" + "".join(f"<div>{p}</div>" for p in parts) + "</body></html>"
    )


def write_figures(result: Any, path: str | Path) -> Path:
    """The report figures of an :class:`~eval.runner.EvalResult` as one HTML page."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    figs = report_figures(result.summary, result.per_frame, result.lpips_available)
    note = "" if result.lpips_available else f"LPIPS unavailable: {result.lpips_reason}"
    path.write_text(figures_html(figs, note=note), encoding="utf-8")
    return path
