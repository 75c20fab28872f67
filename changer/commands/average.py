"""``changer average``: make a run's model the mean of its last checkpoints (see
:mod:`changer.training.averaging`)."""

from __future__ import annotations

import argparse
from pathlib import Path


def run(args: argparse.Namespace) -> int:
    from changer.training.averaging import average_run

    try:
        files = average_run(args.run, args.start)
    except ValueError as err:
        raise SystemExit(f"changer average: {err}") from err
    print(f"wrote {args.run / 'model'}: the mean of {len(files)} checkpoints ({', '.join(p.stem for p in files)})")
    return 0


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("average", help="make RUN/model the mean of the run's snapshots from a step on")
    p.add_argument("run", type=Path, help="run folder of `changer train` with snapshots/step_N.safetensors")
    p.add_argument("--from", dest="start", type=int, required=True, help="average the snapshots at or after this step")
    p.set_defaults(handler=run)
