"""The stages of a blend as the user sees them: their names, words for a progress bar, and a
stopwatch that times each one (:class:`changer.pipeline.HeadBlendingPipeline`'s ``timings``
and ``progress``)."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager

STAGES = {
    "load": "reading the pictures",
    "parse": "finding the heads",
    "prepare": "building the chroma-key inputs",
    "align": "aligning the new head",
    "model": "blending on the key colour",
    "composite": "keying and compositing",
}
"""The stages of a blend in the order they first run, with what each does in words."""


class Stopwatch:
    """``with clock("stage"):`` adds the block's wall time to ``timings[stage]`` (nothing when
    None) and tells ``progress`` when a new stage begins."""

    def __init__(self, timings: dict[str, float] | None, progress: Callable[[str, str], None] | None = None) -> None:
        self.timings = timings
        self.progress = progress
        self._last: str | None = None

    @contextmanager
    def __call__(self, stage: str) -> Iterator[None]:
        if self.progress is not None and stage != self._last:
            self._last = stage
            self.progress(stage, STAGES[stage])
        if self.timings is None:
            yield
            return
        start = time.perf_counter()
        try:
            yield
        finally:
            self.timings[stage] = self.timings.get(stage, 0.0) + time.perf_counter() - start
