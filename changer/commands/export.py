"""``changer export``: bundle a trained model folder (fp16, model card) and optionally push it."""

from __future__ import annotations

import argparse
from pathlib import Path


def run(args: argparse.Namespace) -> int:
    from changer.hub import export_model, push_model

    metrics = args.metrics.read_text() if args.metrics else None
    fp16 = None if args.precision == "auto" else args.precision == "fp16"
    info = export_model(args.model, args.out, fp16=fp16, metrics_md=metrics)
    print(f"wrote {args.out}: {'fp16' if info['fp16'] else 'fp32'} weights, {info['bytes'] / 1e6:.1f} MB "
          f"(fp16 max output change {info['fp16_max_error']:.2e})")
    if args.push:
        print(f"pushed to {push_model(args.out, args.push)}")
    return 0


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("export", help="bundle a trained model (fp16 when harmless, model card); --push to the Hub")
    p.add_argument("model", type=Path, help="model folder written by `changer train` (RUN/model)")
    p.add_argument("--out", type=Path, required=True, help="destination folder, e.g. changer/weights/default")
    p.add_argument("--precision", choices=("auto", "fp16", "fp32"), default="auto")
    p.add_argument("--metrics", type=Path, help="a Markdown table of measured metrics for the model card")
    p.add_argument("--push", metavar="REPO_ID", help="also upload to this Hugging Face Hub repo")
    p.set_defaults(handler=run)
