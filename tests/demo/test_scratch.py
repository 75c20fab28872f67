"""The app's temporary output folders (demo.scratch)."""

from __future__ import annotations

import shutil

import pytest

from demo.scratch import ScratchSpace


def test_only_the_newest_runs_are_kept_and_close_removes_the_root() -> None:
    space = ScratchSpace("changer-test-", keep=2)
    runs = []
    for _ in range(3):
        runs.append(space.new())
        (runs[-1] / "out.png").write_bytes(b"x")  # a folder with a file in it still goes
    assert not runs[0].exists() and runs[1].is_dir() and runs[2].is_dir()
    assert all(run.parent == space.root for run in runs)
    assert len(set(runs)) == 3

    shutil.rmtree(space.root)  # a temp cleaner took it: the next run still gets a folder
    assert space.new().is_dir()
    space.close()
    assert not space.root.exists()


def test_keep_must_be_positive() -> None:
    with pytest.raises(ValueError, match="at least 1"):
        ScratchSpace("changer-test-", keep=0)
