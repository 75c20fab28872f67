"""Train for a wall-clock budget, with the schedule scaled to the speed measured on the way.

For a borrowed accelerator with a hard time limit (how the bundled default was trained):
the number of steps is not known in advance, so the run first measures its speed over
``--probe-steps`` steps, then sets ``steps`` (the budget at that speed, less a margin for
the slower adversarial phase), ``adv_start`` and ``lr_decay_start`` as fractions of it,
and stops at whichever of the two limits comes first. The realised schedule (``steps`` =
the steps actually made; the planned ``adv_start`` and ``lr_decay_start``) is saved in the
exported ``training.json`` and ``run_config.json``, so a fixed-step config repeats it.

    python scripts/train_for_minutes.py --config configs/default_256.json --data DIR \\
        --out runs/gpu --minutes 11
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from changer.training.config import load_run_config
from changer.training.trainer import Trainer


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--config", required=True, help="run config JSON (its step counts are replaced)")
    p.add_argument("--data", required=True, help="dataset root with a train split")
    p.add_argument("--out", type=Path, required=True)
    p.add_argument("--minutes", type=float, required=True, help="wall-time budget of the training loop")
    p.add_argument("--probe-steps", type=int, default=400)
    p.add_argument("--adv-fraction", type=float, default=0.12, help="adversarial loss from this share of the steps")
    p.add_argument("--decay-fraction", type=float, default=0.7, help="learning-rate decay from this share")
    p.add_argument("--gan-slowdown", type=float, default=0.8, help="expected speed of the adversarial phase, relative")
    p.add_argument("--average-fraction", type=float,
                   help="export the mean of the checkpoints from this share of the steps on "
                        "(changer.training.averaging), with a checkpoint every tenth of the run")
    p.add_argument("--num-workers", type=int, help="data-loader workers (default: the config's)")
    args = p.parse_args(argv)

    model_cfg, cfg = load_run_config(args.config)
    # probe: no discriminator, constant learning rate, stop at the probe or the budget
    cfg.steps, cfg.adv_start, cfg.lr_decay_start = args.probe_steps, 10**9, None
    cfg.max_minutes = args.minutes
    if args.num_workers is not None:
        cfg.num_workers = args.num_workers
    trainer = Trainer(model_cfg, cfg, args.data, args.out)
    trainer.fit()
    state = trainer.state
    if state.step == args.probe_steps:
        rate = state.step / state.wall_seconds
        cfg.steps = max(state.step + 1, int(rate * 60.0 * args.minutes * args.gan_slowdown))
        cfg.adv_start = int(args.adv_fraction * cfg.steps)
        cfg.lr_decay_start = int(args.decay_fraction * cfg.steps)
        if args.average_fraction is not None:
            cfg.checkpoint_every = max(1, cfg.steps // 10)
            cfg.average_from = max(state.step + 1, int(args.average_fraction * cfg.steps))
        print(f"{rate:.2f} steps/s: {cfg.steps} steps, adversarial from {cfg.adv_start}, "
              f"decay from {cfg.lr_decay_start}, averaging from {cfg.average_from}", flush=True)
        trainer.fit()  # continues from the probe; max_minutes counts the probe's time too
    if state.step < cfg.steps:  # the budget ran out first: record the steps made
        cfg.steps = state.step
        trainer.export(args.out / "model")
    (args.out / "run_config.json").write_text(
        json.dumps({"model": model_cfg.to_dict(), "train": cfg.to_dict()}, indent=2))
    print(f"stopped at step {state.step} after {state.wall_seconds / 60:.1f} min", flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
