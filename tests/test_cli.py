"""The ``changer`` console command."""

import subprocess
import sys

import numpy as np
from PIL import Image

from changer.cli import main


def test_help_lists_the_subcommands():
    out = subprocess.run([sys.executable, "-m", "changer.cli", "--help"], capture_output=True, text=True, check=True)
    for name in ("data", "train", "eval", "blend"):
        assert name in out.stdout, f"`changer --help` does not list {name}"


def test_data_preview_writes_the_grid(synthetic_data, tmp_path, capsys):
    out = tmp_path / "grid.png"
    code = main(["data", "preview", "--data", str(synthetic_data), "--split", "test_hdtf", "--out", str(out),
                 "-n", "3", "--size", "64"])
    assert code == 0 and out.is_file()
    grid = np.asarray(Image.open(out))
    # 3 rows of captioned 64 px tiles, 7 columns (frame, labels, hole, X, C, B, ground truth).
    assert grid.shape[1] == 7 * 64 and grid.shape[0] > 3 * 64
    assert "wrote" in capsys.readouterr().out


def test_bad_split_is_a_clear_error(synthetic_data, tmp_path, capsys):
    code = main(["data", "preview", "--data", str(synthetic_data), "--split", "nope", "--out", str(tmp_path / "g.png")])
    assert code == 2
    assert "unknown split" in capsys.readouterr().err


def test_bad_output_paths_and_counts_are_one_line_before_any_work(synthetic_data, tmp_path, capsys):
    (tmp_path / "afile").write_text("x")
    code = main(["eval", "--data", str(synthetic_data), "--splits", "test_hdtf", "--methods", "paste",
                 "--out", str(tmp_path / "afile" / "sub")])
    err = capsys.readouterr().err
    assert code == 2 and "--out: cannot write to" in err and "Traceback" not in err
    assert "frame" not in err  # refused before the run: no progress bar
    assert main(["data", "preview", "--data", str(synthetic_data), "-n", "0", "--out", str(tmp_path / "p.png")]) == 2
    assert "-n must be at least 1" in capsys.readouterr().err
    assert main(["data", "preview", "--data", str(synthetic_data), "--out", str(tmp_path)]) == 2
    assert "not a picture's file name" in capsys.readouterr().err


def test_blank_output_paths_and_huge_bench_sizes_are_refused(tmp_path, capsys, monkeypatch):
    import pytest

    monkeypatch.chdir(tmp_path)
    for argv in (["eval", "--splits", "test_hdtf", "--methods", "paste", "--out", ""],
                 ["blend", "--source", "a.png", "--target", "b.png", "--out", "  "],
                 ["data", "subset", "--splits", "train", "--out", ""],
                 ["bench", "--json", ""]):
        with pytest.raises(SystemExit) as exit_info:
            main(argv)
        assert exit_info.value.code == 2
        assert "a blank one would write into the current folder" in capsys.readouterr().err
    assert list(tmp_path.iterdir()) == []  # nothing written where the command ran
    with pytest.raises(SystemExit):
        main(["bench", "--sizes", "256,99999"])
    assert "sizes must be whole numbers <= 8192" in capsys.readouterr().err
