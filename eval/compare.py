"""Paired comparison of two methods on the same frames.

Every method of one ``changer eval`` run sees identical inputs, so "does A beat B" is best
answered per frame: the mean of ``A - B`` has a far narrower interval than the two
separate means of the summary table. Frames of one clip are not independent (same person,
same clothes), so the difference is also given over clips (mean per clip first, then a
Student-t interval across clips), the honest unit when the clips are few.

``python -m eval.compare outputs/eval/readme/per_frame.csv --a default --b h2sb``
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pandas as pd

from eval.stats import LOWER_IS_BETTER, METRICS, mean_ci

COLUMNS = ("split", "metric", "diff", "ci95_frames", "n_frames", "frames_better",
           "ci95_clips", "n_clips", "clips_better")


def clip_of(frame_id: str) -> str:
    """The clip of a frame id ``clip/frame``."""
    return frame_id.rsplit("/", 1)[0]


def paired(df: pd.DataFrame, a: str, b: str, metrics: Sequence[str] = ("psnr", "psnr_region", "ssim")) -> pd.DataFrame:
    """Per split and metric: mean of ``a - b`` over the frames both have, its 95% interval
    over frames and over clips, and the share of frames and clips where ``a`` is better.

    Raises ``ValueError`` if a method is missing from ``df``.
    """
    for name in (a, b):
        if name not in set(df["method"]):
            raise ValueError(f"method {name!r} not in the table (it has: {', '.join(sorted(set(df['method'])))})")
    rows = []
    for split, group in df.groupby("split", sort=False):
        for metric in metrics:
            table = group.pivot_table(index="frame_id", columns="method", values=metric)
            if a not in table or b not in table:
                continue
            diff = (table[a] - table[b]).replace([np.inf, -np.inf], np.nan).dropna()
            if diff.empty:
                continue
            sign = -1.0 if metric in LOWER_IS_BETTER else 1.0
            by_clip = diff.groupby(diff.index.map(clip_of)).mean()
            frames, clips = mean_ci(diff), mean_ci(by_clip)
            rows.append((split, metric, frames.mean, frames.ci95, frames.n, float((sign * diff > 0).mean()),
                         clips.ci95, clips.n, float((sign * by_clip > 0).mean())))
    return pd.DataFrame(rows, columns=list(COLUMNS))


def against(df: pd.DataFrame, reference: str, metrics: Sequence[str] = METRICS) -> pd.DataFrame:
    """Every other method of ``df`` paired against ``reference``, for a table on screen: one
    row per method and split, a ``"+diff ± ci95 (share of frames better)"`` text cell per
    metric (the interval over frames). Metrics with no finite difference (LPIPS where it is
    unavailable) are left out; the table is empty when ``df`` holds one method only."""
    methods = [m for m in dict.fromkeys(df["method"]) if m != reference]
    records: list[dict[str, str]] = []
    shown: list[str] = []
    for method in methods:
        table = paired(df, method, reference, [m for m in metrics if m in df.columns])
        for split, rows in table.groupby("split", sort=False):
            record = {"method": method, "minus": reference, "split": str(split)}
            for r in rows.itertuples(index=False):
                digits = 2 if r.metric.startswith("psnr") else 4
                spread = "" if np.isnan(r.ci95_frames) else f" ± {r.ci95_frames:.{digits}f}"  # one frame: no interval
                record[r.metric] = f"{r.diff:+.{digits}f}{spread} ({r.frames_better:.0%})"
                shown += [] if r.metric in shown else [r.metric]
            records.append(record)
    columns = ["method", "minus", "split", *[m for m in metrics if m in shown]]
    return pd.DataFrame(records, columns=columns).fillna("")


def markdown(table: pd.DataFrame, a: str, b: str) -> str:
    """The comparison as a Markdown table."""
    lines = [f"`{a}` minus `{b}` (paired, same frames)", "",
             "| split | metric | difference | 95% CI (frames) | 95% CI (clips) | frames better | clips better |",
             "|---|---|---|---|---|---|---|"]
    for r in table.itertuples(index=False):
        digits = 2 if r.metric.startswith("psnr") else 4
        lines.append(
            f"| {r.split} | {r.metric} | {r.diff:+.{digits}f} | ±{r.ci95_frames:.{digits}f} (n={r.n_frames}) "
            f"| ±{r.ci95_clips:.{digits}f} (n={r.n_clips}) | {r.frames_better:.0%} | {r.clips_better:.0%} |"
        )
    return "\n".join(lines)


def main(argv: Sequence[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("per_frame", type=Path, help="per_frame.csv written by `changer eval`")
    p.add_argument("--a", required=True, help="method name as in the table (e.g. default)")
    p.add_argument("--b", required=True, help="the method to compare against (e.g. h2sb)")
    p.add_argument("--metrics", default="psnr,psnr_region,ssim", help="comma-separated metric columns")
    args = p.parse_args(argv)
    try:
        table = paired(pd.read_csv(args.per_frame), args.a, args.b, args.metrics.split(","))
    except (OSError, ValueError, KeyError) as err:
        print(f"eval.compare: {err}", file=sys.stderr)
        return 2
    print(markdown(table, args.a, args.b))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
