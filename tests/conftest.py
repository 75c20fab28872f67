"""Shared fixtures: the real talking-heads set (skipped when absent) and a synthetic one."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest
import torch
from accelerate.state import AcceleratorState

from changer.data.dataset import default_data_root
from changer.data.synthetic import write_synthetic_dataset


@pytest.fixture(autouse=True)
def _seed() -> None:
    """Every test starts from the same random state."""
    np.random.seed(0)
    torch.manual_seed(0)


@pytest.fixture(autouse=True)
def _fresh_accelerate_state() -> Iterator[None]:
    """Accelerate keeps one state per process: a test whose trainer ran CPU-only must not fix
    the device and precision of the next one (on a GPU machine that one asks for bf16)."""
    yield
    AcceleratorState._reset_state(reset_partial_state=True)


@pytest.fixture(scope="session")
def shared_data() -> Path:
    """The real talking-heads set beside the repo (or $CHANGER_DATA); skip when absent."""
    root = default_data_root()
    if root is None or not (root / "frames").is_dir():
        pytest.skip("talking-heads data not found (../shared/data/talking-heads or $CHANGER_DATA)")
    return root


@pytest.fixture(scope="session")
def synthetic_data(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A tiny dataset in the talking-heads layout, 64x64 frames, two splits."""
    return write_synthetic_dataset(
        tmp_path_factory.mktemp("synthetic-heads"),
        splits={"train": 2, "test_hdtf": 2},
        frames_per_clip=3,
        size=64,
    )
