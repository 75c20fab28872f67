"""scripts/train_for_minutes.py: the schedule comes from the measured speed and is saved."""

import importlib.util
import json
from pathlib import Path

import torch

from changer.model import CHANGER

SCRIPT = Path(__file__).resolve().parents[2] / "scripts" / "train_for_minutes.py"
TINY = dict(variant="full", channels=[8, 16, 16, 32], dim=32, heads=2, colorizer_depth=1, blender_depth=1,
            train_size=48)


def _run(data: Path, tmp_path: Path, *extra: str) -> Path:
    """Run the script on a tiny model; returns its output folder."""
    torch.set_num_threads(1)
    spec = importlib.util.spec_from_file_location("train_for_minutes", SCRIPT)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    config = tmp_path / "run.json"
    config.write_text(json.dumps({"model": TINY, "train": {"batch_size": 2, "crop_size": 48, "log_every": 2,
                                                         "num_workers": 0}}))
    out = tmp_path / "run"
    assert module.main(["--config", str(config), "--data", str(data), "--out", str(out),
                        "--probe-steps", "3", *extra]) == 0
    return out


def test_schedule_from_measured_speed(synthetic_data, tmp_path):
    out = _run(synthetic_data, tmp_path, "--minutes", "0.1")
    train = json.loads((out / "run_config.json").read_text())["train"]
    done = json.loads((out / "model" / "training.json").read_text())["step"]
    assert train["steps"] == done >= 3
    # set from the probe (planned steps, which the budget may cut short: then the saved
    # schedule still repeats what happened, lr_factor ignores a decay start past the end)
    assert train["adv_start"] < 10**9 and train["lr_decay_start"] is not None
    assert train["adv_start"] < train["lr_decay_start"]
    assert CHANGER.from_pretrained(str(out / "model")).config.channels == (8, 16, 16, 32)


def test_average_fraction_exports_a_mean_of_late_checkpoints(synthetic_data, tmp_path):
    # plans ~3 s of steps at the probe's speed, so the 30-s budget never cuts the run short
    out = _run(synthetic_data, tmp_path, "--minutes", "0.5", "--gan-slowdown", "0.1", "--average-fraction", "0.5")
    train = json.loads((out / "run_config.json").read_text())["train"]
    info = json.loads((out / "model" / "training.json").read_text())
    assert train["average_from"] > 3  # after the probe
    assert train["steps"] == info["step"]
    averaged = info["averaged_steps"]  # checkpoints every tenth of the planned run, and the last step
    assert averaged and min(averaged) >= train["average_from"] and max(averaged) == info["step"]
