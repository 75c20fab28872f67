"""A qualitative comparison picture: rows = frames, columns = input, each method, ground truth.

Every tile carries a caption bar (``changer.data.preview.label_tile``): the input column's
caption is the frame id, the method columns are captioned with the method label, the last
column with ``ground truth``. The frames and inputs are those of the evaluation protocol
(``eval.runner``), so the picture shows exactly what the numbers measure.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path

import numpy as np

from changer.data.preview import label_tile
from changer.inputs import Sample

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


def render_grid(request: object, rows: int = 4, split: str | None = None) -> np.ndarray:
    """Run the request's methods on ``rows`` evenly spaced evaluated frames of ``split``.

    ``request`` is an :class:`eval.runner.EvalRequest`; ``split`` defaults to its first.
    The ground-truth column is ``T`` on the key colour; a ``no_chroma`` model's output is on
    the real background (its own ground truth is ``T``).
    """
    from eval.runner import _state, evenly_spaced, load_method, load_split, method_specs

    split_data = load_split(request, split or request.splits[0])  # type: ignore[attr-defined]
    picks = [split_data.picks[i] for i in evenly_spaced(len(split_data.picks), rows)]
    specs = method_specs(request.methods)  # type: ignore[attr-defined]
    device = _state(request.cpu).device  # type: ignore[attr-defined]
    samples = {c: split_data.samples(picks, c) for c in sorted({True, *(s.chroma for s in specs)})}
    outputs = {
        s.label: load_method(s, device)([smp.inputs for smp in samples[s.chroma]]) for s in specs
    }
    return qualitative_grid(samples[True], outputs)


def save_grid(grid: np.ndarray, path: str | Path) -> Path:
    """Write the grid as PNG."""
    from PIL import Image

    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    Image.fromarray(grid).save(path)
    return path
