"""``changer export``: bundle a trained model folder (fp16, fp32 or int8 weights, model card) and optionally push it."""

from __future__ import annotations

import argparse
from pathlib import Path

from changer.cli import out_path


def metrics_markdown(path: Path, method: str) -> str:
    """The model card's metrics: a Markdown file as it is, or the rows of ``method`` in a
    ``summary.csv`` written by ``changer eval`` (with that run's command line context)."""
    if path.suffix.lower() != ".csv":
        return path.read_text()
    import pandas as pd

    from eval.stats import summary_markdown

    summary = pd.read_csv(path)
    rows = summary[summary["method"] == method]
    if rows.empty:
        methods = ", ".join(sorted(summary["method"].unique()))
        raise ValueError(f"--metrics {path}: no rows for method {method!r} (it has: {methods}); pass --method")
    note = ("Self-reconstruction on held-out identities (DESIGN.md section 2), 256x256, mean ± 95% CI, "
            f"from `{path}` written by `changer eval`; `n/a`: LPIPS weights unavailable.")
    return note + "\n\n" + summary_markdown(rows)


def run(args: argparse.Namespace) -> int:
    from changer.hub import export_model, push_model

    metrics = metrics_markdown(args.metrics, args.method or args.out.name) if args.metrics else None
    overrides = {"flip_ensemble": True} if args.flip_ensemble else None
    info = export_model(args.model, args.out, precision=args.precision, metrics_md=metrics, config_overrides=overrides)
    print(f"wrote {args.out}: {info['precision']} weights, {info['bytes'] / 1e6:.1f} MB "
          f"(max output change {info['max_error']:.2e})")
    if args.push:
        print(f"pushed to {push_model(args.out, args.push)}")
    return 0


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("export", help="bundle a trained model (fp16 when harmless, model card); --push to the Hub")
    p.add_argument("model", type=Path, help="model folder written by `changer train` (RUN/model)")
    p.add_argument("--out", type=out_path, required=True, help="destination folder, e.g. changer/weights/default")
    p.add_argument("--precision", choices=("auto", "fp16", "fp32", "int8"), default="auto",
                   help="weight storage; auto: fp16 when harmless, else fp32; int8: per-channel, about half of fp16")
    p.add_argument("--metrics", type=Path,
                   help="measured metrics for the model card: a Markdown file, or a summary.csv of `changer eval`")
    p.add_argument("--method", help="the method's name in --metrics summary.csv (default: the --out folder's name)")
    p.add_argument("--flip-ensemble", action="store_true",
                   help="set the inference option flip_ensemble in the exported config (mean with the mirrored pass)")
    p.add_argument("--push", metavar="REPO_ID", help="also upload to this Hugging Face Hub repo")
    p.set_defaults(handler=run)
