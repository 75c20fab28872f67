"""Model loads are checked against changer.limits before any weight tensor exists (issue 27)."""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from types import SimpleNamespace

import pytest
import torch

from changer import hub_mixin, limits
from changer.blenders import DEFAULT_MODEL_DIR
from changer.model import CHANGER

FULL = DEFAULT_MODEL_DIR.parent / "full"


def _folder(tmp_path: Path, config: dict, weights: Path = FULL / "model.safetensors") -> Path:
    folder = tmp_path / "model"
    folder.mkdir()
    (folder / "config.json").write_text(json.dumps(config))
    shutil.copy(weights, folder / "model.safetensors")
    return folder


def _count_real_builds(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Devices CHANGER is built on from now on ('meta' for the checks' probe)."""
    built: list[str] = []
    stock = CHANGER.__init__

    def init(self, *args, **kwargs):
        built.append(str(torch.empty(0).device))  # the default device inside `with torch.device(...)`
        stock(self, *args, **kwargs)

    monkeypatch.setattr(CHANGER, "__init__", init)
    return built


def test_a_config_of_huge_widths_is_refused_before_any_layer(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    folder = _folder(tmp_path, {"arch": "changer", "channels": [100000] * 4, "dim": 65536, "heads": 1})
    built = _count_real_builds(monkeypatch)
    with pytest.raises(ValueError, match="channels must be between 1 and 512"):
        CHANGER.from_pretrained(folder)
    assert "cpu" not in built


def test_a_big_network_within_the_field_bounds_is_counted_on_the_meta_device(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    folder = _folder(tmp_path, {"arch": "changer", "channels": [512] * 6, "dim": 1024, "heads": 32,
                                "blender_depth": 16, "colorizer_depth": 16})
    built = _count_real_builds(monkeypatch)
    with pytest.raises(ValueError, match=r"network of \d+ M numbers; at most 100 M"):
        CHANGER.from_pretrained(folder)
    assert built == ["meta"]


def test_weights_that_do_not_fit_the_config_are_refused_from_the_header(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    config = json.loads((FULL / "config.json").read_text())
    folder = _folder(tmp_path, {**config, "channels": [16, 32, 64, 256]})
    built = _count_real_builds(monkeypatch)
    with pytest.raises(RuntimeError, match=r"do not fit the config \(wrong shapes: net\.encoder"):
        CHANGER.from_pretrained(folder)
    assert built == ["meta"]


def test_oversized_files_are_refused_by_their_size(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    folder = _folder(tmp_path, json.loads((FULL / "config.json").read_text()))
    monkeypatch.setattr(limits, "MAX_WEIGHT_BYTES", 1000)
    with pytest.raises(ValueError, match="model.safetensors is 3.6 MB; at most 0.0 MB"):
        CHANGER.from_pretrained(folder)
    monkeypatch.setattr(limits, "MAX_WEIGHT_BYTES", 1 << 30)
    monkeypatch.setattr(limits, "MAX_CONFIG_BYTES", 10)
    with pytest.raises(ValueError, match="config.json is"):
        CHANGER.from_pretrained(folder)


def test_bundled_models_still_load() -> None:
    assert CHANGER.from_pretrained(FULL).num_parameters() > 0
    assert CHANGER.from_pretrained(DEFAULT_MODEL_DIR).num_parameters() > 0  # an int8 ensemble


def test_a_hub_repo_is_sized_from_its_file_list_before_a_download(monkeypatch: pytest.MonkeyPatch) -> None:
    from huggingface_hub import HfApi

    files = {"config.json": 900, "model.safetensors": 2 << 30}
    asked: list[dict] = []

    def model_info(self, repo_id, **kwargs):
        asked.append(kwargs)
        return SimpleNamespace(siblings=[SimpleNamespace(rfilename=k, size=v) for k, v in files.items()])

    def no_download(*args, **kwargs):
        raise AssertionError("downloaded before the size check")

    monkeypatch.setattr(HfApi, "model_info", model_info)
    monkeypatch.setattr("huggingface_hub.hub_mixin.hf_hub_download", no_download)
    with pytest.raises(ValueError, match="someone/big's model.safetensors is 2048.0 MB"):
        CHANGER.from_pretrained("someone/big")
    assert asked[0]["files_metadata"] is True
    del files["model.safetensors"]
    with pytest.raises(FileNotFoundError, match="no model.safetensors"):
        hub_mixin.check_hub_files("someone/pickles")
