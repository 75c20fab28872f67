"""``changer train``: train CHANGER, an ablation or the h2sb baseline."""

from __future__ import annotations

import argparse

from changer.cli import out_path


def run(args: argparse.Namespace) -> int:
    from dataclasses import replace

    from changer.cli import data_root
    from changer.training.config import load_run_config
    from changer.training.trainer import train

    model_cfg, train_cfg = load_run_config(args.config)
    overrides = {k: v for k, v in {"steps": args.steps, "batch_size": args.batch_size,
                                   "max_minutes": args.max_minutes, "num_workers": args.num_workers,
                                   "seed": args.seed}.items() if v is not None}
    train_cfg = replace(train_cfg, **overrides)
    folder = train(model_cfg, train_cfg, data_root(args.data), args.out, resume=args.resume, cpu=args.cpu)
    print(f"model written to {folder}")
    return 0


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("train", help="train a model (a variant name or a JSON config)",
                       description="Train under accelerate; `accelerate launch -m changer.cli train ...` for many devices.")
    p.add_argument("--config", required=True, help="JSON config file or variant: full, no_h2, no_fpat, no_chroma, no_colorizer, h2sb")
    p.add_argument("--data", help="dataset root (default: $CHANGER_DATA or the set beside the repo)")
    p.add_argument("--out", type=out_path, required=True, help="run folder (checkpoints, logs, samples, model/)")
    p.add_argument("--resume", action="store_true", help="continue from the run folder's checkpoint")
    p.add_argument("--steps", type=int, help="override the number of steps")
    p.add_argument("--batch-size", type=int)
    p.add_argument("--max-minutes", type=float, help="stop after this wall time (checkpointed)")
    p.add_argument("--num-workers", type=int)
    p.add_argument("--seed", type=int)
    p.add_argument("--cpu", action="store_true", help="force the CPU even if a GPU is present")
    p.set_defaults(handler=run)
