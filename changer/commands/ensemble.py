"""``changer ensemble``: combine trained models into one output-ensemble model folder; ``changer split``: the reverse."""

from __future__ import annotations

import argparse
from pathlib import Path

from changer.cli import out_path


def run(args: argparse.Namespace) -> int:
    from changer.commands.export import metrics_markdown
    from changer.hub import export_ensemble

    metrics = metrics_markdown(args.metrics, args.method or args.out.name) if args.metrics else None
    try:
        info = export_ensemble(args.models, args.out, metrics_md=metrics, precision=args.precision)
    except ValueError as err:
        raise SystemExit(f"changer ensemble: {err}") from err
    print(f"wrote {args.out}: the mean of {len(args.models)} models, {info['precision']} weights, "
          f"{info['bytes'] / 1e6:.1f} MB (max output change {info['max_error']:.2e})")
    return 0


def run_split(args: argparse.Namespace) -> int:
    from changer.hub import split_ensemble

    try:
        folders = split_ensemble(args.model, args.out)
    except ValueError as err:
        raise SystemExit(f"changer split: {err}") from err
    print(f"wrote {len(folders)} model folders: {', '.join(str(f) for f in folders)}")
    return 0


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("ensemble", help="one model whose output is the mean of several trained models' outputs")
    p.add_argument("models", type=Path, nargs="+", help="two or more model folders (config.json + model.safetensors)")
    p.add_argument("--out", type=out_path, required=True, help="destination folder, new or empty (e.g. changer/weights/ens)")
    p.add_argument("--precision", choices=("auto", "fp16", "fp32", "int8"), default="auto",
                   help="weight storage; auto: fp16 when harmless, else fp32; int8: per-channel, about half of fp16")
    p.add_argument("--metrics", type=Path,
                   help="measured metrics for the model card: a Markdown file, or a summary.csv of `changer eval`")
    p.add_argument("--method", help="the method's name in --metrics summary.csv (default: the --out folder's name)")
    p.set_defaults(handler=run)
    p = sub.add_parser("split", help="write each generator of an ensemble as its own model folder (to fine-tune it)")
    p.add_argument("model", type=Path, help="an ensemble model folder, e.g. changer/weights/default")
    p.add_argument("--out", type=out_path, required=True, help="new or empty folder; gets member1, member2, ...")
    p.set_defaults(handler=run_split)
