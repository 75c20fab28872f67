"""The cross-identity panel and ``changer cross`` (eval.panel, changer.commands.cross)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from PIL import Image

from changer.cli import main as changer_main
from eval.cross_identity import METRICS
from eval.panel import DEV_PANEL, read_pairs, summarize, zoom

PORTRAITS = Path(__file__).resolve().parents[2] / "examples" / "portraits"


def test_pairs_file_paths_comments_quotes_and_data_prefix(tmp_path: Path) -> None:
    (tmp_path / "pairs.txt").write_text(
        "# a comment\n\na.jpg  sub/b.png  # trailing comment\n'with space.jpg' /abs/c.jpg\ndata:frames/x/0001.jpg d.jpg\n")
    pairs = read_pairs(tmp_path / "pairs.txt", data_root=tmp_path / "data")
    assert [(p.source, p.target) for p in pairs] == [
        (str(tmp_path / "a.jpg"), str(tmp_path / "sub/b.png")),
        (str(tmp_path / "with space.jpg"), "/abs/c.jpg"),
        (str(tmp_path / "data/frames/x/0001.jpg"), str(tmp_path / "d.jpg")),
    ]
    assert [p.line for p in pairs] == [3, 4, 5]


@pytest.mark.parametrize("text, message", [("a.jpg\n", "line|:1: expected"), ("a b c\n", ":1: expected"),
                                           ("# only comments\n", "no pairs"), ("'a b\n", ":1:")])
def test_a_malformed_pairs_file_is_a_message(tmp_path: Path, text: str, message: str) -> None:
    (tmp_path / "p.txt").write_text(text)
    with pytest.raises(ValueError, match=message.split("|")[-1]):
        read_pairs(tmp_path / "p.txt")


def test_the_dev_panel_reads_and_its_portraits_exist() -> None:
    pairs = read_pairs(DEV_PANEL, data_root="/data")
    assert 14 <= len(pairs) <= 20
    local = [p for pair in pairs for p in (pair.source, pair.target) if not p.startswith("/data")]
    assert local and all(Path(p).is_file() for p in local)


def test_summary_counts_failures_and_means_only_blends_that_ran() -> None:
    rows = [{"method": "m", "status": "ok", "seconds": 1.0, **dict.fromkeys(METRICS, 0.5)},
            {"method": "m", "status": "ok", "seconds": 3.0, **dict.fromkeys(METRICS, 1.5)},
            {"method": "m", "status": "refused", "seconds": 0.1, **dict.fromkeys(METRICS, float("nan"))}]
    s = summarize(pd.DataFrame(rows)).set_index("metric")
    assert s.loc["kept", "mean"] == 1.0 and s.loc["kept", "n"] == 2 and s.loc["kept", "failed"] == 1
    assert s.loc["seconds", "mean"] == 2.0


def test_zoom_is_a_square_around_the_jaw() -> None:
    img = np.zeros((300, 200, 3), np.uint8)
    head = np.zeros((300, 200), bool)
    head[50:150, 60:140] = True
    crop = zoom(img, {"source_head": head})
    assert crop.shape[0] == crop.shape[1] == 110


@pytest.mark.slow
def test_changer_cross_writes_tables_and_sheet_and_reports_a_bad_pair(tmp_path: Path, capsys) -> None:
    pairs = tmp_path / "pairs.txt"
    pairs.write_text(f"{PORTRAITS / 'art_14.jpg'} {PORTRAITS / 'art_5.jpg'}\n"
                     f"{PORTRAITS / 'art_5.jpg'} missing.jpg\n")
    out = tmp_path / "out"
    assert changer_main(["cross", "--pairs", str(pairs), "--out", str(out), "--methods", "paste", "--no-cache"]) == 0
    table = pd.read_csv(out / "cross.csv")
    assert list(table.columns[:7]) == ["pair", "source", "target", "method", "seconds", "status", "message"]
    assert list(table["status"]) == ["ok", "unreadable"] and set(METRICS) <= set(table.columns)
    ok = table.iloc[0]
    assert ok["id_src"] < ok["id_tgt"] and 0.5 < ok["kept"] <= 1
    summary = pd.read_csv(out / "summary.csv")
    assert (summary["failed"] == 1).all() and set(summary["metric"]) >= set(METRICS)
    sheet = np.asarray(Image.open(out / "sheet.png"))
    assert sheet.shape[0] > 2 * 256 and sheet.shape[1] >= 4 * 256
    assert "unreadable" in capsys.readouterr().out


def test_changer_cross_with_a_bad_method_or_file_is_a_one_line_error(tmp_path: Path, capsys) -> None:
    assert changer_main(["cross", "--pairs", str(tmp_path / "none.txt"), "--out", str(tmp_path / "o")]) == 2
    assert "cannot read the pairs file" in capsys.readouterr().err
