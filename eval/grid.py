"""A qualitative comparison picture: rows = frames, columns = input, each method, ground truth.

Every tile carries a caption bar (``changer.data.preview.label_tile``): the input column's
caption is the frame id, the method columns are captioned with the method label, the last
column with ``ground truth``. The frames and inputs are those of the evaluation protocol
(``eval.runner``), so the picture shows exactly what the numbers measure.
"""

from __future__ import annotations

import warnings
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from changer.data.preview import label_tile
from changer.inputs import Sample

if TYPE_CHECKING:
    from eval.cache import ResultCache
    from eval.runner import EvalRequest, MethodSpec, SplitData

INPUT_COLUMN = "input X"
GT_COLUMN = "ground truth"


def grid_columns(methods: Sequence[str]) -> list[str]:
    """Column captions, left to right."""
    return [INPUT_COLUMN, *methods, GT_COLUMN]


def qualitative_grid(samples: Sequence[Sample], outputs: Mapping[str, Sequence[np.ndarray]]) -> np.ndarray:
    """The grid as one ``uint8`` RGB image.

    ``outputs[method][i]`` is the method's ``HxWx3 uint8`` output for ``samples[i]``;
    methods appear in the mapping's order.
    """
    if not samples:
        raise ValueError("no samples for the grid")
    for name, outs in outputs.items():
        if len(outs) != len(samples):
            raise ValueError(f"{name}: {len(outs)} outputs for {len(samples)} samples")
    rows = []
    for i, sample in enumerate(samples):
        tiles = [label_tile(sample.inputs.composed_input(), sample.frame_id or INPUT_COLUMN)]
        tiles += [label_tile(np.asarray(outs[i], np.uint8), name) for name, outs in outputs.items()]
        tiles.append(label_tile(sample.gt, GT_COLUMN))
        rows.append(np.hstack(tiles))
    return np.vstack(rows)


def render_grid(request: EvalRequest, rows: int = 4, split: str | None = None) -> np.ndarray:
    """Run the request's methods on ``rows`` evenly spaced evaluated frames of ``split``.

    ``request`` is an :class:`eval.runner.EvalRequest`; ``split`` defaults to its first.
    The ground-truth column is ``T`` on the key colour; a ``no_chroma`` model's output is on
    the real background (its own ground truth is ``T``). With the request's cache on, each
    method's tiles are read from it when they are there (no model is loaded then) and
    written to it when computed.
    """
    from eval.cache import ResultCache
    from eval.runner import evenly_spaced, load_split, method_specs

    split_data = load_split(request, split or request.splits[0])
    picks = [split_data.picks[i] for i in evenly_spaced(len(split_data.picks), rows)]
    specs = method_specs(request.methods)
    samples = {c: split_data.samples(picks, c) for c in sorted({True, *(s.chroma for s in specs)})}
    cache = ResultCache(request.cache_dir) if request.use_cache else None
    outputs = {s.label: _method_tiles(s, samples[s.chroma], split_data, request, cache) for s in specs}
    return qualitative_grid(samples[True], outputs)


def _method_tiles(spec: MethodSpec, samples: Sequence[Sample], split_data: SplitData, request: EvalRequest,
                  cache: ResultCache | None) -> list[np.ndarray]:
    """One method's outputs on the grid's samples: from the cache, else computed (and stored)."""
    from eval.cache import entry_key
    from eval.runner import _state, load_method

    key = payload = None
    if cache is not None and spec.identity:
        payload = _tiles_payload(spec, samples, split_data, request)
        key = entry_key(payload)
        tiles = cache.get_images(key)
        if tiles is not None and len(tiles) == len(samples):
            return tiles
    device = _state(request.cpu).device
    tiles = [np.asarray(y, np.uint8) for y in load_method(spec, device)([s.inputs for s in samples])]
    if key is not None:
        try:
            cache.put_images(key, tiles, payload)
        except OSError as err:  # an unwritable cache must not cost the picture
            warnings.warn(f"grid tiles not cached ({err})", stacklevel=2)
    return tiles


def _tiles_payload(spec: MethodSpec, samples: Sequence[Sample], split_data: SplitData, request: EvalRequest) -> dict:
    """What a method's grid tiles depend on (the cache key is made of this): the metric
    entry's payload without what only the numbers depend on, for the grid's frames."""
    from eval.runner import _cache_payload

    payload = _cache_payload(spec, split_data, request, lpips_available=False)
    for numbers_only in ("metrics", "lpips_available", "max_frames"):
        payload.pop(numbers_only)
    return {**payload, "kind": "grid-tiles", "frames": [s.frame_id for s in samples]}


def save_grid(grid: np.ndarray, path: str | Path) -> Path:
    """Write the grid as PNG."""
    from PIL import Image

    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    Image.fromarray(grid).save(path)
    return path
