"""Gradio's cached files bounded in count and bytes (demo/retention.py)."""

from __future__ import annotations

import os
from pathlib import Path

from demo.retention import bound_folder


def _file(folder: Path, name: str, size: int, age: float, now: float) -> Path:
    path = folder / name / "upload.png"  # Gradio keeps each file in a folder of its own
    path.parent.mkdir(parents=True)
    path.write_bytes(b"x" * size)
    os.utime(path, (now - age, now - age))
    return path


def test_the_oldest_files_go_first_until_count_and_bytes_fit(tmp_path: Path) -> None:
    now = os.stat(tmp_path).st_ctime + 10_000  # every file's ctime is older than min_age then
    files = [_file(tmp_path, f"f{i}", 100, age=5000 - i * 100, now=now) for i in range(10)]
    removed = bound_folder(tmp_path, max_files=6, max_bytes=10_000, min_age=60, now=now)
    assert removed == files[:4] and not files[0].parent.exists() and files[4].exists()
    removed = bound_folder(tmp_path, max_files=100, max_bytes=250, min_age=60, now=now)
    assert removed == files[4:8] and [f for f in files if f.exists()] == files[8:]


def test_young_and_kept_files_stay(tmp_path: Path) -> None:
    now = os.stat(tmp_path).st_ctime + 10_000
    example = _file(tmp_path, "example", 100, age=9000, now=now)
    young = _file(tmp_path, "young", 100, age=0, now=now)
    old = _file(tmp_path, "old", 100, age=8000, now=now)
    assert bound_folder(tmp_path, max_files=0, max_bytes=0, min_age=60, keep=[str(example)], now=now) == [old]
    assert example.exists() and young.exists()
