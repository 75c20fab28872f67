"""Checkpoint averaging: the mean of a run's last generator checkpoints as its model.

Late in a run the weights wander around a minimum from one checkpoint to the next (the
adversarial term keeps them moving even at a low learning rate). Their element-wise mean
(stochastic weight averaging, Izmailov et al. 2018, in its simplest form: equal weights on
the saved checkpoints) lies nearer the middle of that region and usually reconstructs a
little better than any single one. It costs nothing at inference.

The trainer keeps one snapshot per checkpoint from ``TrainConfig.average_from`` on
(``RUN/snapshots/step_N.safetensors``) and exports their mean; ``changer average`` does
the same for any list of weight files with identical tensors.
"""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from pathlib import Path

import torch
from safetensors.torch import load_file, save_file

SNAPSHOT_DIR = "snapshots"
_SNAPSHOT_NAME = re.compile(r"step_(\d+)\.safetensors")


def snapshot_path(run_dir: str | Path, step: int) -> Path:
    """Where the trainer keeps the generator weights of checkpoint ``step``."""
    return Path(run_dir) / SNAPSHOT_DIR / f"step_{step}.safetensors"


def snapshot_step(path: str | Path) -> int:
    """The step of a snapshot file named ``step_N.safetensors`` (``ValueError`` for another name)."""
    match = _SNAPSHOT_NAME.fullmatch(Path(path).name)
    if match is None:
        raise ValueError(f"{path}: not a step_N.safetensors snapshot")
    return int(match[1])


def snapshots(run_dir: str | Path, start: int = 0, end: int | None = None) -> list[Path]:
    """The run's snapshot files with ``start <= step <= end`` (no upper bound when None), in step order."""
    matches = ((_SNAPSHOT_NAME.fullmatch(p.name), p) for p in (Path(run_dir) / SNAPSHOT_DIR).glob("step_*"))
    found = sorted((int(m[1]), p) for m, p in matches if m)
    return [p for step, p in found if step >= start and (end is None or step <= end)]


def average_state_dicts(files: Sequence[str | Path]) -> dict[str, torch.Tensor]:
    """Element-wise mean of the floating-point tensors of ``files`` (computed in fp32).

    Every file must hold the same tensor names and shapes; other tensors (integer buffers)
    are taken from the last file. Raises ``ValueError`` otherwise or when ``files`` is empty.
    """
    if not files:
        raise ValueError("no weight files to average")
    last = load_file(str(files[-1]))
    sums = {k: v.float().clone() for k, v in last.items() if v.is_floating_point()}
    for path in files[:-1]:
        tensors = load_file(str(path))
        if tensors.keys() != last.keys():
            diff = sorted(set(tensors) ^ set(last))[:5]
            raise ValueError(f"{path}: tensor names differ from {files[-1]} ({diff})")
        for name, total in sums.items():
            if tensors[name].shape != total.shape:
                raise ValueError(f"{path}: {name} has shape {tuple(tensors[name].shape)}, "
                                 f"{files[-1]} has {tuple(total.shape)}")
            total += tensors[name].float()
    return {k: (sums[k] / len(files)).to(v.dtype) if k in sums else v for k, v in last.items()}


def save_average(files: Sequence[str | Path], out_file: str | Path) -> Path:
    """Write the mean of ``files`` to ``out_file`` (safetensors); returns the path."""
    out_file = Path(out_file)
    out_file.parent.mkdir(parents=True, exist_ok=True)
    save_file(average_state_dicts(files), str(out_file), metadata={"format": "pt"})
    return out_file


def save_snapshot(run_dir: str | Path, step: int, state_dict: dict[str, torch.Tensor]) -> Path:
    """Keep the generator weights of checkpoint ``step`` for a later average."""
    path = snapshot_path(run_dir, step)
    path.parent.mkdir(parents=True, exist_ok=True)
    save_file(state_dict, str(path))
    return path


def annotate(info: dict, files: Sequence[str | Path]) -> dict:
    """Record in a ``training.json`` dict which steps its weights average (none: ``[]``).

    Sets ``averaged_steps`` and, when there are any, appends to ``budget`` a note such as
    "weights: the mean of the 5 checkpoints at steps 1000-1800".
    """
    steps = [snapshot_step(p) for p in files]
    info["averaged_steps"] = steps
    if steps:
        note = f"weights: the mean of the {len(steps)} checkpoints at steps {min(steps)}-{max(steps)}"
        info["budget"] = f"{info['budget']}; {note}" if info.get("budget") else note
    return info


def average_run(run_dir: str | Path, start: int) -> list[Path]:
    """Make ``RUN/model`` the mean of the run's snapshots from ``start`` on, in place.

    What the trainer exports when ``TrainConfig.average_from`` is set, for a run that kept
    snapshots; ``RUN/checkpoint`` still holds the last weights. ``training.json`` records
    the averaged steps. Returns the averaged files.
    """
    run_dir = Path(run_dir)
    files = snapshots(run_dir, start)
    if not files:
        raise ValueError(f"{run_dir / SNAPSHOT_DIR}: no step_N.safetensors at or after step {start}")
    model_dir = run_dir / "model"
    save_average(files, model_dir / "model.safetensors")
    info_path = model_dir / "training.json"
    info = json.loads(info_path.read_text()) if info_path.is_file() else {}
    info_path.write_text(json.dumps(annotate(info, files), indent=2))
    return files
