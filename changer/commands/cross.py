"""``changer cross``: blend cross-identity pairs with each method and score what users see.

``changer cross --pairs PAIRS.txt --out DIR [--methods default,laplacian]`` writes
``cross.csv``, ``summary.csv`` and ``sheet.png`` (see :mod:`eval.panel` for the pairs file
and :mod:`eval.cross_identity` for the metrics).
"""

from __future__ import annotations

import argparse
from typing import Any


def register(sub: Any) -> None:
    """Add ``cross`` to the ``changer`` subcommands (eval is imported only when it runs)."""
    p = sub.add_parser("cross", help="blend and score cross-identity pairs (a pairs file) with each method")
    add_arguments(p)
    p.set_defaults(handler=command)


def add_arguments(p: argparse.ArgumentParser) -> None:
    """The options of ``changer cross`` (shared with ``python -m eval.panel``)."""
    from changer.cli import out_path

    p.add_argument("--pairs", default=None, help="pairs file (default: the dev panel, eval/panels/dev.txt)")
    p.add_argument("--out", required=True, type=out_path, help="folder for cross.csv, summary.csv and sheet.png")
    p.add_argument("--methods", default="default", help="comma-separated: bundled models, model folders, Hub ids, baselines; NAME:network for the "
                   "paper's pure output (the network draws the head)")
    p.add_argument("--data", default=None, help="root for 'data:' paths (default: $CHANGER_DATA or the set beside the repo)")
    p.add_argument("--color-reference", choices=("target", "source"), default="target",
                   help="whose colours the new head takes (skin_de is measured only with 'target')")
    p.add_argument("--no-cache", action="store_true", help="blend every pair again")


def command(args: argparse.Namespace) -> int:
    """Run the panel and write its files; prints the summary and every failed pair."""
    from tqdm.auto import tqdm

    from changer.pipeline import BlendOptions
    from eval.cache import ResultCache
    from eval.panel import DEV_PANEL, read_pairs, run_panel, wide_summary, write_panel

    methods = [m.strip() for m in args.methods.split(",") if m.strip()]
    if not methods:
        raise ValueError("--methods: give at least one method")
    pairs = read_pairs(args.pairs or DEV_PANEL, args.data)
    with tqdm(total=len(pairs) * len(methods), unit="blend", desc="cross-identity") as bar:
        def progress(done: int, total: int, desc: str) -> None:
            bar.set_description(desc[:60], refresh=False)
            bar.update(done - bar.n)

        run = run_panel(pairs, methods, options=BlendOptions(color_reference=args.color_reference),
                        progress=progress, cache=None if args.no_cache else ResultCache())
    paths = write_panel(run, args.out)
    print(wide_summary(run.summary()).to_string(index=False))
    for row in run.rows:
        if row["status"] != "ok":
            print(f"{row['status']}: {row['method']}, {row['pair']}: {row['message']}")
    for name, path in paths.items():
        print(f"wrote {path}")
    return 0
