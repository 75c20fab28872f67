"""Bundling a trained model: fp16 weights when harmless (int8 when asked), a model card, loadable offline."""

import json
from pathlib import Path

import pytest
import torch
from safetensors import safe_open

from changer import quantize
from changer.hub import MAX_FP16_ERROR, _probe_inputs, export_model
from changer.model import CHANGER, ChangerConfig

TINY = dict(channels=(8, 16, 16, 32), dim=32, heads=2, colorizer_depth=1, blender_depth=1)


def _saved(tmp_path):
    torch.manual_seed(0)
    folder = tmp_path / "run" / "model"
    CHANGER(ChangerConfig(**TINY)).save_pretrained(folder)
    (folder / "training.json").write_text(json.dumps({"budget": "7 steps of batch 2", "perceptual": "feature-matching"}))
    return folder


def _probe_difference(a: Path, b: Path) -> float:
    """Largest output difference of two model folders on the export's probe input."""
    ma, mb = CHANGER.from_pretrained(str(a)), CHANGER.from_pretrained(str(b))
    with torch.inference_mode():
        return (ma(*_probe_inputs(ma))["y"] - mb(*_probe_inputs(mb))["y"]).abs().max().item()


def test_export_writes_fp16_weights_and_a_model_card(tmp_path):
    src = _saved(tmp_path)
    info = export_model(src, tmp_path / "bundle", metrics_md="| psnr | 30 |")
    assert info["precision"] in ("fp16", "fp32")
    assert info["precision"] == "fp32" or info["max_error"] <= MAX_FP16_ERROR
    assert sorted(p.name for p in (tmp_path / "bundle").iterdir()) == [
        "README.md", "config.json", "model.safetensors", "training.json"]
    card = (tmp_path / "bundle" / "README.md").read_text()
    assert "7 steps of batch 2" in card and "| psnr | 30 |" in card and "library_name: changer" in card

    assert _probe_difference(src, tmp_path / "bundle") == pytest.approx(info["max_error"], abs=1e-6)


def test_export_can_keep_fp32(tmp_path):
    info = export_model(_saved(tmp_path), tmp_path / "bundle", precision="fp32")
    src_bytes = (tmp_path / "run" / "model" / "model.safetensors").stat().st_size
    assert info["precision"] == "fp32" and info["max_error"] == 0.0 and abs(info["bytes"] - src_bytes) < 4096


def test_export_int8_loads_back_close_to_the_source(tmp_path):
    src = _saved(tmp_path)
    half = export_model(src, tmp_path / "half", precision="fp16")
    info = export_model(src, tmp_path / "int8", precision="int8")
    assert info["precision"] == "int8" and 0 < info["max_error"] < 0.2  # a tiny random network
    assert info["bytes"] < half["bytes"]
    assert quantize.is_int8(tmp_path / "int8" / "model.safetensors")
    assert "storage: int8" in (tmp_path / "int8" / "README.md").read_text()
    assert "storage: int8" not in (tmp_path / "half" / "README.md").read_text()
    with safe_open(str(tmp_path / "int8" / "model.safetensors"), framework="pt") as f:
        assert any(f.get_tensor(k).dtype == torch.int8 for k in f.keys())  # noqa: SIM118 (safe_open has no __iter__)

    loaded = CHANGER.from_pretrained(str(tmp_path / "int8"))
    assert all(p.dtype == torch.float32 for p in loaded.parameters())
    # what the export measured is what loading the folder gives (on the same probe input)
    assert _probe_difference(src, tmp_path / "int8") == pytest.approx(info["max_error"], abs=1e-6)

    again = export_model(tmp_path / "int8", tmp_path / "again", precision="fp16")  # an int8 source re-exports
    assert again["precision"] == "fp16" and not quantize.is_int8(tmp_path / "again" / "model.safetensors")


def test_export_refuses_an_unknown_precision(tmp_path):
    with pytest.raises(ValueError, match="unknown precision"):
        export_model(_saved(tmp_path), tmp_path / "bundle", precision="int4")


def test_export_carries_the_loss_curve_and_eval_metrics(tmp_path, capsys):
    from changer.cli import main

    src = _saved(tmp_path)
    (src.parent / "log.csv").write_text("step,l1\n25,0.1\n50,0.05\n")
    summary = tmp_path / "summary.csv"
    summary.write_text(
        "method,split,metric,mean,ci95,n,n_inf,n_nan\n"
        "mine,test_hdtf,psnr,23.456,0.5,60,0,0\n"
        "other,test_hdtf,psnr,99.0,0.5,60,0,0\n"
    )
    assert main(["export", str(src), "--out", str(tmp_path / "mine"), "--metrics", str(summary)]) == 0
    bundle = tmp_path / "mine"
    assert (bundle / "training_log.csv").read_text() == (src.parent / "log.csv").read_text()
    card = (bundle / "README.md").read_text()
    assert "23.46 ± 0.50" in card and "99.00" not in card and "training_log.csv" in card
    assert main(["export", str(src), "--out", str(tmp_path / "x"), "--metrics", str(summary), "--method", "nope"]) == 2
    assert "no rows for method 'nope'" in capsys.readouterr().err


def test_export_can_switch_on_the_flip_ensemble(tmp_path):
    src = _saved(tmp_path)
    export_model(src, tmp_path / "bundle", config_overrides={"flip_ensemble": True})
    model = CHANGER.from_pretrained(str(tmp_path / "bundle"))
    assert model.config.flip_ensemble and not CHANGER.from_pretrained(str(src)).config.flip_ensemble
    assert "flip_ensemble" in (tmp_path / "bundle" / "README.md").read_text()
    with pytest.raises(ValueError, match="unknown config fields"):
        export_model(src, tmp_path / "other", config_overrides={"no_such_field": 1})
    assert not (tmp_path / "other").exists()


def test_model_card_names_the_earlier_stages_loss_curves_that_are_present(tmp_path):
    from changer.hub import model_card

    folder = _saved(tmp_path)
    (folder / "training.json").write_text(json.dumps({"budget": "two stages", "stages": [
        {"step": 10, "log": "training_log_stage1.csv"}, {"step": 5, "log": "training_log_missing.csv"},
        {"step": 5, "log": "training_log.csv"}]}))
    (folder / "training_log_stage1.csv").write_text("step,l1\n5,0.1\n")
    card = model_card(folder, None)
    assert "Stage 1: `training_log_stage1.csv`." in card
    assert "missing" not in card and "Stage 3" not in card


def test_changer_ensemble_writes_one_loadable_folder_with_every_members_record(tmp_path, capsys):
    from changer.cli import main

    first = _saved(tmp_path)
    (first / "training_log.csv").write_text("step,l1\n5,0.1\n")
    torch.manual_seed(1)
    second = tmp_path / "other"
    CHANGER(ChangerConfig(**{**TINY, "dim": 16})).save_pretrained(second)
    out = tmp_path / "ens"
    assert main(["ensemble", str(first), str(second), "--out", str(out)]) == 0
    assert "the mean of 2 models" in capsys.readouterr().out
    model = CHANGER.from_pretrained(str(out))
    assert len(model.members) == 1 and model.config.members[0]["dim"] == 16
    training = json.loads((out / "training.json").read_text())
    assert "Member 1: 7 steps of batch 2" in training["budget"] and "Member 2: not recorded" in training["budget"]
    assert (out / "member1_training_log.csv").is_file()
    card = (out / "README.md").read_text()
    assert "the mean of 2 independently trained generators" in card and "`member1_training_log.csv`" in card

    with pytest.raises(SystemExit, match="not model folders.*nowhere"):
        main(["ensemble", str(first), str(tmp_path / "nowhere"), "--out", str(tmp_path / "e2")])
    with pytest.raises(SystemExit, match="not empty"):
        main(["ensemble", str(first), str(second), "--out", str(out)])

    third = tmp_path / "blue"
    CHANGER(ChangerConfig(**TINY, key_color=(0, 71, 187))).save_pretrained(third)
    with pytest.raises(SystemExit, match="fed differently.*key_color"):
        main(["ensemble", str(first), str(third), "--out", str(tmp_path / "bad")])

    # ... and `changer split` gives each member back as a folder of its own, with its record
    assert main(["split", str(out), "--out", str(tmp_path / "parts")]) == 0
    parts = tmp_path / "parts"
    for source, part in ((first, parts / "member1"), (second, parts / "member2")):
        assert _probe_difference(source, part) <= MAX_FP16_ERROR  # the ensemble was stored in fp16
    assert json.loads((parts / "member1" / "training.json").read_text())["budget"] == "7 steps of batch 2"
    assert (parts / "member1" / "training_log.csv").read_text() == "step,l1\n5,0.1\n"
    assert not (parts / "member2" / "training_log.csv").exists()
    with pytest.raises(SystemExit, match="not an ensemble"):
        main(["split", str(first), "--out", str(tmp_path / "single")])
    with pytest.raises(SystemExit, match="not empty"):
        main(["split", str(out), "--out", str(parts)])


def test_ensemble_training_states_a_shared_data_note_once(tmp_path):
    from changer.hub import ensemble_training

    def member(name: str, data: str) -> Path:
        folder = tmp_path / name
        folder.mkdir()
        (folder / "training.json").write_text(json.dumps({"budget": f"{name} steps", "data": data}))
        return folder

    same = ensemble_training([member("a", "every third frame."), member("b", "every third frame.")])
    assert same["data"] == "Every member: every third frame."
    assert same["budget"].endswith("Member 1: a steps. Member 2: b steps.")
    mixed = ensemble_training([tmp_path / "a", member("c", "all frames.")])
    assert mixed["data"] == "Member 1: every third frame. Member 2: all frames."


def test_export_of_a_fine_tune_states_the_stages_it_started_from(tmp_path):
    """``init_from`` in the run's record: the starting model's stages come first, with their curves."""
    first = _saved(tmp_path / "a")
    (first / "training.json").write_text(json.dumps({"budget": "GPU run.", "data": "every third frame"}))
    (first / "training_log.csv").write_text("step,l1\n1,0.5\n")
    run = _saved(tmp_path / "b")
    (run / "training.json").write_text(json.dumps({"budget": "CPU fine-tune", "train": {"init_from": str(first)}}))
    (run.parent / "log.csv").write_text("step,l1\n1,0.2\n")
    export_model(run, tmp_path / "ft", precision="fp32")
    record = json.loads((tmp_path / "ft" / "training.json").read_text())
    assert record["budget"].startswith("2 stages") and "(1) GPU run. (2) CPU fine-tune." in record["budget"]
    assert [s.get("log") for s in record["stages"]] == ["training_log_stage1.csv", "training_log.csv"]
    assert record["stages"][0]["data"] == "every third frame"
    assert (tmp_path / "ft" / "training_log_stage1.csv").read_text() == "step,l1\n1,0.5\n"
    assert (tmp_path / "ft" / "training_log.csv").read_text() == "step,l1\n1,0.2\n"
    assert "Stage 1: `training_log_stage1.csv`." in (tmp_path / "ft" / "README.md").read_text()

    # a fine-tune of the fine-tune: three stages, the earlier two carried over with their curves
    again = _saved(tmp_path / "c")
    (again / "training.json").write_text(json.dumps({"budget": "second fine-tune",
                                                     "train": {"init_from": str(tmp_path / "ft")}}))
    export_model(again, tmp_path / "ft2", precision="fp32")
    record = json.loads((tmp_path / "ft2" / "training.json").read_text())
    assert record["budget"].startswith("3 stages") and "(3) second fine-tune." in record["budget"]
    assert (tmp_path / "ft2" / "training_log_stage2.csv").read_text() == "step,l1\n1,0.2\n"
    assert (tmp_path / "ft2" / "training_log_stage1.csv").read_text() == "step,l1\n1,0.5\n"

    # the starting folder is gone: the record stays as it was
    (tmp_path / "gone").mkdir()
    (run / "training.json").write_text(json.dumps({"budget": "x", "train": {"init_from": str(tmp_path / "nowhere")}}))
    export_model(run, tmp_path / "gone" / "m", precision="fp32")
    assert "stages" not in json.loads((tmp_path / "gone" / "m" / "training.json").read_text())
