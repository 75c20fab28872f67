"""Shared fixtures of the model tests: a small config and random inputs."""

from __future__ import annotations

import pytest
import torch

from changer.model import ChangerConfig

SMALL = {"channels": (8, 16, 16, 32), "dim": 32, "heads": 2, "colorizer_depth": 1, "blender_depth": 1}


def _small_config(variant: str = "full", **overrides: object) -> ChangerConfig:
    """A tiny config of a named variant (fast on a CPU)."""
    return ChangerConfig.variant_config(variant, **{**SMALL, **overrides})


def _make_inputs(size: int, batch: int = 1, seed: int = 0) -> tuple[torch.Tensor, ...]:
    """``x, c, b`` with a square hole and head, body reference on black in the lower half."""
    g = torch.Generator().manual_seed(seed)
    x = torch.rand(batch, 5, size, size, generator=g) * 2 - 1
    q = size // 4
    head = torch.zeros(batch, 1, size, size)
    head[..., q : 2 * q, q : 3 * q] = 1
    fill = torch.zeros(batch, 1, size, size)
    fill[..., 2 * q : 3 * q, q : 3 * q] = 1
    x[:, 3:4], x[:, 4:5] = fill, head
    c = torch.rand(batch, 3, size, size, generator=g) * 2 - 1
    b = torch.full((batch, 3, size, size), -1.0)
    b[..., 3 * q :, :] = torch.rand(batch, 3, size - 3 * q, size, generator=g) * 2 - 1
    return x, c, b


@pytest.fixture(autouse=True)
def _seed_and_one_thread():  # noqa: ANN202
    """Seeded, and single-threaded: these tiny models gain nothing from a second thread,
    and a busy machine (oversubscribed cores) slows multi-threaded kernels many times."""
    torch.manual_seed(0)
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(threads)


@pytest.fixture
def small_config():  # noqa: ANN201
    """Factory ``small_config(variant="full", **overrides) -> ChangerConfig``."""
    return _small_config


@pytest.fixture
def make_inputs():  # noqa: ANN201
    """Factory ``make_inputs(size, batch=1, seed=0) -> (x, c, b)``."""
    return _make_inputs
