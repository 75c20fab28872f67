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


def test_runs_are_bounded_in_bytes_too() -> None:
    space = ScratchSpace("changer-test-", keep=10, max_bytes=1000)
    first = space.new()
    (first / "big.bin").write_bytes(b"x" * 2000)
    second = space.new()
    assert not first.exists() and second.is_dir()  # over the budget: the oldest went, never the new one
    space.close()


def test_the_roots_of_processes_that_are_gone_are_removed(tmp_path) -> None:
    import os
    import subprocess
    import sys
    import time

    from demo.scratch import remove_stale

    gone = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True)
    dead = tmp_path / f"changer-blend-{int(gone.stdout)}-abc"
    alive = tmp_path / f"changer-blend-{os.getpid()}-def"
    old, young = tmp_path / "changer-eval-oldstyle", tmp_path / "changer-eval-young"
    for folder in (dead, alive, old, young):
        folder.mkdir()
    os.utime(old, (time.time() - 2 * 86400,) * 2)
    assert sorted(remove_stale(folder=tmp_path)) == sorted([dead, old])
    assert alive.is_dir() and young.is_dir()


def test_sigterm_removes_the_apps_folders(tmp_path) -> None:
    import signal
    import subprocess
    import sys

    script = (
        "import time, pathlib, shutil, sys\n"
        "from demo.scratch import ScratchSpace, clean_up_on_signals\n"
        "space = ScratchSpace('changer-test-'); (space.new() / 'out.png').write_bytes(b'x')\n"
        f"extra = pathlib.Path({str(tmp_path / 'uploads')!r}); extra.mkdir()\n"
        "clean_up_on_signals(lambda: shutil.rmtree(extra))\n"
        "print(space.root, flush=True)\n"
        "time.sleep(60)\n"
    )
    proc = subprocess.Popen([sys.executable, "-c", script], stdout=subprocess.PIPE, text=True)
    root = proc.stdout.readline().strip()
    proc.send_signal(signal.SIGTERM)
    proc.wait(20)
    from pathlib import Path

    assert root and not Path(root).exists() and not (tmp_path / "uploads").exists()
