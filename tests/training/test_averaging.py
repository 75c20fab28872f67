"""Checkpoint averaging: the mean of the snapshots, in the trainer and by ``changer average``."""

import json

import pytest
import torch
from safetensors.torch import load_file, save_file

from changer.cli import main as cli_main
from changer.model import ChangerConfig
from changer.training.averaging import average_state_dicts, snapshot_path, snapshots
from changer.training.config import TrainConfig
from changer.training.trainer import train

TINY = dict(channels=(8, 16, 16, 32), dim=32, heads=2, colorizer_depth=1, blender_depth=1, train_size=48)


def _write(path, **tensors):
    path.parent.mkdir(parents=True, exist_ok=True)
    save_file(tensors, str(path))


def test_average_is_the_elementwise_mean_and_keeps_dtype_and_int_buffers(tmp_path):
    a, b = tmp_path / "a.safetensors", tmp_path / "b.safetensors"
    _write(a, w=torch.tensor([1.0, 2.0]).half(), n=torch.tensor([3]))
    _write(b, w=torch.tensor([3.0, 6.0]).half(), n=torch.tensor([7]))
    mean = average_state_dicts([a, b])
    assert mean["w"].dtype == torch.float16 and mean["w"].tolist() == [2.0, 4.0]
    assert mean["n"].tolist() == [7]  # integer buffers: from the last file


def test_average_refuses_mismatched_or_no_files(tmp_path):
    a, b, c = (tmp_path / f"{n}.safetensors" for n in "abc")
    _write(a, w=torch.zeros(2))
    _write(b, v=torch.zeros(2))
    _write(c, w=torch.zeros(3))
    with pytest.raises(ValueError, match="names differ"):
        average_state_dicts([a, b])
    with pytest.raises(ValueError, match="shape"):
        average_state_dicts([a, c])
    with pytest.raises(ValueError, match="no weight files"):
        average_state_dicts([])


def test_snapshots_are_listed_in_step_order_from_a_start(tmp_path):
    for step in (1000, 250, 1750, 500):
        _write(snapshot_path(tmp_path, step), w=torch.zeros(1))
    (tmp_path / "snapshots" / "notes.txt").write_text("not a snapshot")
    assert [p.name for p in snapshots(tmp_path, 500)] == ["step_500.safetensors", "step_1000.safetensors",
                                                          "step_1750.safetensors"]
    assert [p.name for p in snapshots(tmp_path, 500, 1000)] == ["step_500.safetensors", "step_1000.safetensors"]
    assert snapshots(tmp_path, 0, 0) == []  # end=0 is a bound, not "no bound"


def test_trainer_exports_the_mean_of_its_checkpoints(synthetic_data, tmp_path):
    torch.set_num_threads(1)
    cfg = TrainConfig(steps=6, batch_size=2, crop_size=48, adv_start=2, num_workers=0, log_every=2,
                      sample_every=100, checkpoint_every=2, average_from=4)
    _write(snapshot_path(tmp_path / "run", 8), w=torch.zeros(1))  # left by an older, longer run
    folder = train(ChangerConfig.variant_config("full", **TINY), cfg, synthetic_data, tmp_path / "run", cpu=True)
    kept = snapshots(tmp_path / "run", 0, 6)
    assert [p.name for p in kept] == ["step_4.safetensors", "step_6.safetensors"]
    exported = load_file(str(folder / "model.safetensors"))
    expected = average_state_dicts(kept)
    assert all(torch.equal(exported[k], expected[k]) for k in expected)
    last = load_file(str(kept[-1]))
    assert any(not torch.equal(exported[k], last[k]) for k in last), "the average differs from the last weights"
    info = json.loads((folder / "training.json").read_text())
    assert info["averaged_steps"] == [4, 6] and "mean of the 2 checkpoints" in info["budget"]


def test_changer_average_rewrites_the_run_model(tmp_path, capsys):
    run = tmp_path / "run"
    _write(run / "model" / "model.safetensors", w=torch.tensor([9.0]))
    (run / "model" / "training.json").write_text(json.dumps({"budget": "10 steps"}))
    for step, value in ((5, 1.0), (10, 3.0), (1, 100.0)):
        _write(snapshot_path(run, step), w=torch.tensor([value]))
    assert cli_main(["average", str(run), "--from", "5"]) == 0
    assert load_file(str(run / "model" / "model.safetensors"))["w"].tolist() == [2.0]
    info = json.loads((run / "model" / "training.json").read_text())
    assert info["averaged_steps"] == [5, 10] and info["budget"].startswith("10 steps; weights: the mean")
    with pytest.raises(SystemExit, match="no step_N"):
        cli_main(["average", str(tmp_path / "empty"), "--from", "0"])
