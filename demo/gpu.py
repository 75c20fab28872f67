"""``@spaces.GPU`` on Hugging Face ZeroGPU Spaces, a no-op everywhere else."""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

F = TypeVar("F", bound=Callable)

try:  # the `spaces` package exists only on Hugging Face Spaces
    import spaces as _spaces
except ImportError:  # pragma: no cover - depends on the host
    _spaces = None


def gpu(fn: F) -> F:
    """Request a GPU for ``fn`` where ZeroGPU is available."""
    return _spaces.GPU(fn) if _spaces is not None else fn
