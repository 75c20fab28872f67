"""``changer bench``: per-stage latency and memory table on a tiny synthetic case."""

from __future__ import annotations

from pathlib import Path

import pytest
import torch

from changer.cli import main
from changer.commands.bench import STAGES
from changer.parsing import ParserConfig, ParserNet

TINY = {"widths": (4, 8, 8, 16, 16), "depths": (1, 1, 1, 1, 1), "expand": 1, "decoder_widths": (8, 8, 8, 8),
        "input_size": 64}


@pytest.fixture
def tiny_parser(tmp_path: Path) -> Path:
    ParserNet(ParserConfig(**TINY)).save_pretrained(tmp_path / "parser")
    return tmp_path / "parser"


def _rows(out: str) -> list[list[str]]:
    return [[c.strip() for c in line.strip("|").split("|")] for line in out.splitlines() if line.startswith("| ")]


def test_bench_prints_every_stage(tiny_parser: Path, capsys: pytest.CaptureFixture[str]) -> None:
    torch.set_num_threads(1)
    code = main(["bench", "--model", "paste", "--sizes", "96", "--repeats", "1", "--warmup", "0",
                 "--parser", str(tiny_parser), "--resolution", "64"])
    assert code == 0
    out = capsys.readouterr().out
    for stage in STAGES:
        assert f"{stage} ms" in out
    assert "python_peak MiB" in out and "max_rss MiB" in out and "method paste" in out
    header, row = _rows(out)
    assert row[0] == "96"
    values = dict(zip(header, row))
    for stage in STAGES:
        assert float(values[f"{stage} ms"]) >= 0.0
    assert float(values["total ms"]) >= float(values["model ms"])


def test_bench_without_parser_and_json(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code = main(["bench", "--model", "paste", "--sizes", "80,96", "--repeats", "1", "--warmup", "0",
                 "--parser", "none", "--resolution", "64", "--json", str(tmp_path / "b.json")])
    assert code == 0
    rows = _rows(capsys.readouterr().out)
    assert [r[0] for r in rows[1:]] == ["80", "96"]
    assert rows[1][1] == "-"  # no parser: no parse stage
    import json

    data = json.loads((tmp_path / "b.json").read_text())
    assert data[0]["parse"] is None and data[0]["model"] > 0


def test_bench_rejects_half_a_pair(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["bench", "--model", "paste", "--source", "a.png"]) == 2
    assert "--target" in capsys.readouterr().err


def test_bench_names_the_inference_path_and_start_up(tiny_parser: Path, capsys: pytest.CaptureFixture[str]) -> None:
    torch.set_num_threads(1)
    assert main(["bench", "--model", "paste", "--sizes", "96", "--repeats", "1", "--warmup", "1",
                 "--parser", str(tiny_parser), "--resolution", "64"]) == 0
    out = capsys.readouterr().out
    assert "inference -" in out  # a baseline runs no network
    assert "start-up: imports" in out and "model load" in out and "first blend" in out


def test_bench_real_pair_needs_no_other_pictures(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["bench", "--model", "paste", "--real", "--source", "a.png", "--target", "b.png"]) == 2
    assert "--real" in capsys.readouterr().err


def test_bench_compares_two_checkouts(tiny_parser: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """--compare runs both checkouts in turn (here this one twice) and prints paired ratios."""
    repo = Path(__file__).resolve().parents[1]
    code = main(["bench", "--model", "paste", "--sizes", "96", "--repeats", "1", "--warmup", "0",
                 "--parser", str(tiny_parser), "--resolution", "64", "--threads", "1",
                 "--compare", str(repo), "--rounds", "2", "--json", str(tmp_path / "c.json")])
    assert code == 0
    out = capsys.readouterr().out
    rows = _rows(out)
    assert rows[0] == ["size", "stage", "this ms", "other ms", "this, lowest", "other, lowest", "other / this"]
    stages = [r[1] for r in rows[1:]]
    for stage in STAGES:
        assert stage in stages
    total = next(r for r in rows[1:] if r[1] == "total")
    assert float(total[2]) > 0 and float(total[4]) <= float(total[2]) and float(total[6].split()[0]) > 0
    import json

    runs = json.loads((tmp_path / "c.json").read_text())
    assert len(runs["this"]) == len(runs["other"]) == 2


def test_bench_compare_needs_a_checkout(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["bench", "--model", "paste", "--compare", str(tmp_path)]) == 2
    assert "no checkout" in capsys.readouterr().err
