"""``changer.folders``: the one test of what a model folder is."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from changer.folders import (
    MODEL_FILES,
    describe_error,
    is_model_folder,
    picture_path,
    writable_folder,
)


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


def test_output_paths_are_checked_before_any_work(tmp_path: Path) -> None:
    assert writable_folder(tmp_path / "a" / "b") == tmp_path / "a" / "b" and (tmp_path / "a" / "b").is_dir()
    (tmp_path / "file").write_text("x")
    with pytest.raises(ValueError, match="--out: .*file is a file, not a folder"):
        writable_folder(tmp_path / "file")
    with pytest.raises(ValueError, match=r"--out: cannot write to .*file/sub \(Not a directory\)"):
        writable_folder(tmp_path / "file" / "sub")
    assert picture_path(tmp_path / "new" / "x.png") == tmp_path / "new" / "x.png"
    for bad in (tmp_path / "x.txt", tmp_path / "noext", tmp_path):
        with pytest.raises(ValueError, match="not a picture's file name"):
            picture_path(bad, "--out")
    with pytest.raises(ValueError, match="--json: .*file is a file"):
        picture_path(tmp_path / "file" / "x.png", "--json")


def test_errors_in_words() -> None:
    assert describe_error(NotADirectoryError(20, "Not a directory", "a/b")) == "Not a directory: a/b"
    assert describe_error(ValueError("bad -n")) == "bad -n"
