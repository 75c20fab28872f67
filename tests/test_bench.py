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
