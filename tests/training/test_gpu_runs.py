"""scripts/gpu_runs.sh: runs started side by side in the background, their status and export."""

import json
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

SCRIPT = Path(__file__).resolve().parents[2] / "scripts" / "gpu_runs.sh"
TINY = {"model": {"variant": "full", "channels": [8, 16, 16, 32], "dim": 32, "heads": 2, "colorizer_depth": 1,
                  "blender_depth": 1, "train_size": 48},
        "train": {"batch_size": 2, "crop_size": 48, "log_every": 2}}


def _sh(*args: str, env: dict[str, str] | None = None, timeout: float = 300) -> str:
    done = subprocess.run(["bash", str(SCRIPT), *args], capture_output=True, text=True, timeout=timeout,
                          env={**os.environ, "PYTHON": sys.executable, **(env or {})})
    if done.returncode:
        raise subprocess.CalledProcessError(done.returncode, args, done.stdout, done.stderr[-2000:])
    return done.stdout


@pytest.mark.slow
def test_start_status_export(synthetic_data: Path, tmp_path: Path) -> None:
    configs = []
    for name in ("a", "b"):
        configs.append(tmp_path / f"{name}.json")
        configs[-1].write_text(json.dumps(TINY))
    out = tmp_path / "runs"
    env = {"WORKERS": "0", "TRAIN_ARGS": "--probe-steps 3", "OMP_NUM_THREADS": "1"}
    started = _sh("start", str(synthetic_data), str(out), "0.1", *map(str, configs), env=env)
    assert started.count("started") == 2
    waited = _sh("wait", str(out), "4")  # returns once both runs have ended with their models
    assert waited.count("[model written]") == 2
    assert all("stopped at step" in (out / f"{n}.log").read_text() for n in "ab")  # not at a checkpoint
    assert all((out / n / "model" / "training.json").is_file() for n in "ab")
    _sh("export", str(out), str(tmp_path / "export"))
    for name in "ab":
        folder = tmp_path / "export" / name
        assert json.loads((folder / "config.json").read_text())["flip_ensemble"] is True
        assert (folder / "training_log.csv").is_file() and (folder / "README.md").is_file()
    with pytest.raises(subprocess.CalledProcessError):
        _sh("start", str(synthetic_data))  # too few arguments: usage, exit 2


def test_wait_fails_as_soon_as_a_run_dies(synthetic_data: Path, tmp_path: Path) -> None:
    broken = tmp_path / "broken.json"
    broken.write_text(json.dumps({**TINY, "train": {**TINY["train"], "no_such_option": 1}}))
    out = tmp_path / "runs"
    _sh("start", str(synthetic_data), str(out), "1", str(broken), env={"WORKERS": "0"})
    start = time.monotonic()
    with pytest.raises(subprocess.CalledProcessError) as err:
        _sh("wait", str(out), "2", timeout=120)
    assert err.value.returncode == 1 and "ended without a model" in err.value.stderr
    assert time.monotonic() - start < 60  # not after the two minutes
