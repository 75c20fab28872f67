"""Means with 95% confidence intervals, and the per method x split x metric summary.

Non-finite values are never averaged in and never replaced by a number:

* ``+inf``/``-inf`` (PSNR of an exactly reproduced image or region, see ``eval.metrics``)
  are **excluded** from the mean and counted in ``n_inf``. Capping (say at 100 dB) would
  put an arbitrary number into the mean; excluding keeps the mean a mean of real
  measurements and the count says how many perfect frames there were. On real frames a
  real method never reaches ``inf``; a non-zero ``n_inf`` is a red flag to look at.
* ``NaN`` (LPIPS unavailable, or a region metric of an empty region) is excluded and
  counted in ``n_nan``. A metric with no finite value has ``mean = NaN`` and ``n = 0``.

The interval is Student's t: ``t.ppf(0.975, n - 1) * std(ddof=1) / sqrt(n)`` over the
``n`` finite values (frames are the independent units); ``n = 1`` has no spread estimate, so
its half-width is ``NaN``.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy import stats as sps

METRICS: tuple[str, ...] = ("psnr", "ssim", "lpips", "psnr_region", "ssim_region", "lpips_region")
"""The per-frame metric columns that are summarised (``eval.metrics.METRIC_KEYS``)."""

SUMMARY_COLUMNS: tuple[str, ...] = ("method", "split", "metric", "mean", "ci95", "n", "n_inf", "n_nan")
"""Columns of :func:`summarize`'s table."""

LOWER_IS_BETTER: frozenset[str] = frozenset({"lpips", "lpips_region", "neck_ab_err"})
"""Metrics where smaller is better (all others: larger is better)."""


@dataclass(frozen=True)
class MeanCI:
    """A mean with the half-width of its 95% confidence interval.

    ``n`` counts the finite values used; ``n_inf`` and ``n_nan`` those left out.
    """

    mean: float
    ci95: float
    n: int
    n_inf: int = 0
    n_nan: int = 0


def mean_ci(values: Iterable[float], confidence: float = 0.95) -> MeanCI:
    """Mean and Student-t confidence half-width of the finite ``values`` (see module doc)."""
    arr = np.asarray(list(values), dtype=np.float64)
    nan = np.isnan(arr)
    inf = np.isinf(arr)
    finite = arr[~nan & ~inf]
    n = int(finite.size)
    if n == 0:
        return MeanCI(float("nan"), float("nan"), 0, int(inf.sum()), int(nan.sum()))
    mean = float(finite.mean())
    if n == 1:
        half = float("nan")
    else:
        t = float(sps.t.ppf(0.5 + confidence / 2, n - 1))
        half = t * float(finite.std(ddof=1)) / float(np.sqrt(n))
    return MeanCI(mean, half, n, int(inf.sum()), int(nan.sum()))


def summarize(df: pd.DataFrame, metrics: Sequence[str] | None = None) -> pd.DataFrame:
    """Per method x split x metric: ``mean``, ``ci95`` (half-width), ``n``, ``n_inf``, ``n_nan``.

    ``df`` is a per-frame table with columns ``method``, ``split`` and the metric columns.
    Rows keep the order in which methods and splits first appear, then :data:`METRICS` order.
    """
    metrics = [m for m in (metrics or METRICS) if m in df.columns]
    rows = []
    for (method, split), group in df.groupby(["method", "split"], sort=False):
        for metric in metrics:
            ci = mean_ci(pd.to_numeric(group[metric], errors="coerce"))
            rows.append((method, split, metric, ci.mean, ci.ci95, ci.n, ci.n_inf, ci.n_nan))
    return pd.DataFrame(rows, columns=list(SUMMARY_COLUMNS))


def wide_table(summary: pd.DataFrame, digits: dict[str, int] | None = None) -> pd.DataFrame:
    """One row per method x split, one ``"mean ± ci95"`` text cell per metric.

    Metrics with no finite value show ``n/a`` (e.g. LPIPS where it is unavailable); a
    missing half-width (one frame) shows the mean alone; ``inf`` exclusions are noted.
    """
    digits = digits or {}
    cells: dict[tuple[str, str], dict[str, str]] = {}
    order: list[str] = []
    for row in summary.itertuples(index=False):
        key = (str(row.method), str(row.split))
        cells.setdefault(key, {})[str(row.metric)] = _cell(row, digits.get(str(row.metric), _digits(str(row.metric))))
        if row.metric not in order:
            order.append(str(row.metric))
    records = [{"method": m, "split": s, **{k: v.get(k, "") for k in order}} for (m, s), v in cells.items()]
    return pd.DataFrame(records, columns=["method", "split", *order])


def summary_markdown(summary: pd.DataFrame, digits: dict[str, int] | None = None) -> str:
    """The summary as a Markdown table (``mean ± ci95``), for the README and the CLI."""
    table = wide_table(summary, digits)
    header = [_header(c) for c in table.columns]
    lines = ["| " + " | ".join(header) + " |", "|" + "|".join("---" for _ in header) + "|"]
    lines += ["| " + " | ".join(str(v) for v in rec) + " |" for rec in table.itertuples(index=False)]
    return "\n".join(lines)


def _digits(metric: str) -> int:
    """Decimals shown: PSNR in dB with 2, the others (0..1 scores) with 4."""
    return 2 if metric.startswith("psnr") else 4


def _header(column: str) -> str:
    """Column title with the direction of "better"."""
    if column in ("method", "split"):
        return column
    arrow = "↓" if column in LOWER_IS_BETTER else "↑"
    return f"{column} {arrow}"


def _cell(row: object, digits: int) -> str:
    """``mean ± ci95`` text for one summary row."""
    mean, half, n_inf = float(row.mean), float(row.ci95), int(row.n_inf)  # type: ignore[attr-defined]
    if np.isnan(mean):
        text = "n/a"
    elif np.isnan(half):
        text = f"{mean:.{digits}f}"
    else:
        text = f"{mean:.{digits}f} ± {half:.{digits}f}"
    return text + (f" ({n_inf} inf excl.)" if n_inf else "")
