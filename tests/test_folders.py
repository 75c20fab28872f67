"""``changer.folders``: the one test of what a model folder is."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from changer.folders import MODEL_FILES, is_model_folder


def test_a_model_folder_needs_both_files(tmp_path: Path) -> None:
    assert not is_model_folder(tmp_path)
    (tmp_path / "config.json").write_text("{}")
    assert not is_model_folder(tmp_path)
    (tmp_path / "model.safetensors").write_bytes(b"")
    assert is_model_folder(tmp_path)
    assert is_model_folder(str(tmp_path))


def test_paths_that_are_not_folders(tmp_path: Path) -> None:
    assert not is_model_folder(tmp_path / "missing")
    (tmp_path / "config.json").mkdir()  # a folder where the file should be
    (tmp_path / "model.safetensors").write_bytes(b"")
    assert not is_model_folder(tmp_path)
    assert not is_model_folder("owner/repo")  # a Hub repo id


def test_weights_come_first_for_the_cache_fingerprint() -> None:
    assert MODEL_FILES == ("model.safetensors", "config.json")


def test_importing_it_loads_no_torch() -> None:
    code = "import sys, changer.folders; sys.exit('torch' in sys.modules)"
    assert subprocess.run([sys.executable, "-c", code], check=False).returncode == 0
