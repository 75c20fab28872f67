"""Cross-identity blends: one person's head on another person's body, side by side per method.

The benchmark (``eval.runner``) scores self-reconstruction: the pasted head is the target's
own, so the true picture is known. Users put *another* person's head on a body, and what
goes wrong there (a smeared neck under the chin, the old long hair left on the shoulders,
a hair line cut at the chin) has no ground truth to be scored against. This module blends
fixed pairs of frames of different people through the whole Blend pipeline (the dataset's
label maps, default options) and lays the results out in one picture, a column per method,
to be judged by eye::

    python -m eval.cross_pairs --splits test_hdtf,test_vox --methods default,h2sb,laplacian \\
        --pairs 6 --out outputs/eval/cross_pairs.png

The pairs depend only on the chosen splits' clips (see :func:`choose_pairs`), so two runs,
or two models, are shown the same pairs.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path
from typing import Any

import cv2
import numpy as np
from tqdm.auto import tqdm

from changer.cli import data_root, out_path
from changer.data.preview import label_tile
from changer.folders import describe_error
from eval.grid import save_grid
from eval.runner import evenly_spaced

TILE = 256
"""Side (pixels) every picture of the sheet is fitted into."""

ProgressFn = Callable[[int, int, str], None]


@dataclass(frozen=True)
class Pair:
    """A source frame (the head) and a target frame (the body) of different people."""

    source: Any
    target: Any

    @property
    def name(self) -> str:
        return f"{self.source.frame_id} -> {self.target.frame_id}"


def choose_pairs(frames: Sequence[Any], n: int) -> list[Pair]:
    """``n`` pairs of clips' middle frames, source and target of different people.

    With the clips in id order, each round pairs every clip with the one a fixed number of
    places further on (cyclically, ``k`` clips), skipping pairs of one person: every clip is
    then a source once and a target once per round. The first round's step is about
    ``k / 2`` (so a source meets a target far from it in the list: another split, when
    several are chosen), never exactly half, which would pair A with B and B with A; each
    further round steps one more. From a round only partly needed,
    evenly spaced pairs are taken. The choice depends only on the clips, so every run and
    every model gets the same pairs; ``n`` beyond the number of possible pairs gives them all.
    """
    if n < 1:
        raise ValueError(f"the number of pairs must be at least 1, got {n}")
    clips: dict[str, list[Any]] = {}
    for frame in frames:
        clips.setdefault(frame.clip_id, []).append(frame)
    middle = [fs[len(fs) // 2] for _, fs in sorted(clips.items())]
    k = len(middle)
    pairs: list[Pair] = []
    start = k // 2 + (k % 2 == 0 and k > 2)
    for r in range(k - 1):
        shift = (start + r - 1) % (k - 1) + 1  # 1 .. k-1
        round_ = [Pair(middle[i], middle[(i + shift) % k]) for i in range(k)
                  if middle[i].identity != middle[(i + shift) % k].identity]
        wanted = n - len(pairs)
        pairs += round_ if len(round_) <= wanted else [round_[i] for i in evenly_spaced(len(round_), wanted)]
        if len(pairs) == n:
            break
    if not pairs:
        people = sorted({f.identity for f in middle})
        raise ValueError(
            "cross-identity pairs need frames of at least two people; the chosen splits hold "
            f"{len(people)} ({', '.join(people) or 'none'}): choose more splits"
        )
    return pairs


@dataclass
class CrossBlends:
    """The blended pairs: ``images[method][i]`` is the result for ``pairs[i]``, or None where
    the pipeline refused the pair (its message is then ``problems[method][i]``)."""

    pairs: list[Pair]
    images: dict[str, list[np.ndarray | None]] = field(default_factory=dict)
    problems: dict[str, list[str | None]] = field(default_factory=dict)

    def refused(self) -> list[str]:
        """One line per refused blend: the method, the pair and why."""
        return [f"{method}, {self.pairs[i].name}: {msg}"
                for method, msgs in self.problems.items() for i, msg in enumerate(msgs) if msg]

    def sheet(self, tile: int = TILE) -> np.ndarray:
        """One ``uint8`` RGB picture: a row per pair (source, target, then each method's
        result), every tile captioned; a refused blend is a grey tile."""
        rows = []
        for i, pair in enumerate(self.pairs):
            tiles = [label_tile(_picture(pair.source, tile), f"source {pair.source.frame_id}"),
                     label_tile(_picture(pair.target, tile), f"target {pair.target.frame_id}")]
            for method, images in self.images.items():
                img = images[i]
                tiles.append(label_tile(refused_tile(tile) if img is None else fit(img, tile),
                                        method if img is not None else f"{method}: refused"))
            rows.append(np.hstack(tiles))
        return np.vstack(rows)


def fit(img: np.ndarray, side: int) -> np.ndarray:
    """``img`` scaled so that its longer side is ``side``, centred on a white square."""
    h, w = img.shape[:2]
    scale = side / max(h, w)
    size = (max(1, round(w * scale)), max(1, round(h * scale)))
    small = cv2.resize(img, size, interpolation=cv2.INTER_AREA if scale < 1 else cv2.INTER_LINEAR)
    out = np.full((side, side, 3), 255, np.uint8)
    y, x = (side - size[1]) // 2, (side - size[0]) // 2
    out[y:y + size[1], x:x + size[0]] = small
    return out


def refused_tile(side: int, word: str = "refused") -> np.ndarray:
    """A grey square saying ``word`` (the reason is in :meth:`CrossBlends.refused`)."""
    out = np.full((side, side, 3), 200, np.uint8)
    scale = side / 256
    width = cv2.getTextSize(word, cv2.FONT_HERSHEY_SIMPLEX, 0.8 * scale, max(1, round(2 * scale)))[0][0]
    cv2.putText(out, word, ((side - width) // 2, side // 2), cv2.FONT_HERSHEY_SIMPLEX, 0.8 * scale,
                (90, 90, 90), max(1, round(2 * scale)), cv2.LINE_AA)
    return out


def _picture(frame: Any, side: int) -> np.ndarray:
    """A frame's picture fitted into the tile, or a grey "unreadable" tile."""
    try:
        return fit(frame.load_image(), side)
    except (ValueError, OSError):
        return refused_tile(side, "unreadable")


def blend_pairs(pairs: Sequence[Pair], methods: Sequence[str], progress: ProgressFn | None = None,
                options: Any = None) -> CrossBlends:
    """Blend every pair with every method (``eval.runner`` method names: bundled models,
    model folders, Hub ids, baselines) through :class:`~changer.pipeline.HeadBlendingPipeline`
    with the frames' label maps.

    All methods are loaded before the first blend, so a wrong name fails at once. A pair the
    pipeline refuses (:class:`~changer.imageio.InputError`), or whose frames cannot be read,
    is recorded with its reason, not raised: the other pairs are still shown.
    """
    from changer.blenders import load_blender
    from changer.pipeline import HeadBlendingPipeline
    from eval.runner import method_specs

    unique = list(dict.fromkeys(methods))  # a name given twice is one column
    pipes = {spec.label: HeadBlendingPipeline(load_blender(spec.model_id)) for spec in method_specs(unique)}
    result = CrossBlends(list(pairs))
    loaded = [_load(pair) for pair in pairs]
    total, done = len(pipes) * len(loaded), 0
    for label, pipe in pipes.items():
        images: list[np.ndarray | None] = []
        problems: list[str | None] = []
        for pair, frames in zip(pairs, loaded, strict=True):
            if progress is not None:
                progress(done, total, f"{label}: {pair.name}")
            image, problem = _blend(pipe, frames, options)
            images.append(image)
            problems.append(problem)
            done += 1
        result.images[label], result.problems[label] = images, problems
    if progress is not None:
        progress(total, total, "done")
    return result


Loaded = tuple[tuple[np.ndarray, np.ndarray], tuple[np.ndarray, np.ndarray]] | str


def _load(pair: Pair) -> Loaded:
    """Both frames' pictures and label maps, or why they cannot be read."""
    try:
        return pair.source.load_pair(), pair.target.load_pair()
    except (ValueError, OSError) as err:
        return describe_error(err)


def _blend(pipe: Any, frames: Loaded, options: Any) -> tuple[np.ndarray | None, str | None]:
    """``(result, None)``, or ``(None, why)`` for a pair that could not be read or was refused."""
    from changer.imageio import InputError

    if isinstance(frames, str):
        return None, frames
    (src, src_lab), (tgt, tgt_lab) = frames
    try:
        return pipe(src, tgt, source_labels=src_lab, target_labels=tgt_lab, options=options).image, None
    except InputError as err:
        return None, str(err)


def cross_frames(data_root: str | Path, splits: Sequence[str]) -> list[Any]:
    """The frames (with label maps) of ``splits`` of a talking-heads-layout folder, in time
    order per clip; a ``ValueError`` names a split the folder does not have."""
    from changer.data.dataset import TalkingHeads

    return TalkingHeads(data_root).frames(list(splits))


def main(argv: Sequence[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--data", default=None, help="dataset root (default: $CHANGER_DATA or ../shared/...)")
    p.add_argument("--splits", default="test_hdtf,test_vox")
    p.add_argument("--methods", default="default,laplacian",
                   help="comma-separated: bundled models, model folders, Hub ids, baselines")
    p.add_argument("--pairs", type=int, default=6, help="number of pairs (rows)")
    p.add_argument("--out", required=True, type=out_path, help="PNG to write")
    args = p.parse_args(argv)
    try:
        methods = _csv(args.methods)
        if not methods:
            raise ValueError("--methods: give at least one method")
        pairs = choose_pairs(cross_frames(data_root(args.data), _csv(args.splits)), args.pairs)
        with tqdm(total=0, unit="blend", desc="cross pairs") as bar:
            blends = blend_pairs(pairs, methods, partial(_advance, bar))
        save_grid(blends.sheet(), args.out)
    except (ValueError, OSError, SystemExit) as err:  # data_root exits when there is no dataset
        print(f"eval.cross_pairs: {describe_error(err)}", file=sys.stderr)
        return 2
    for pair in pairs:
        print(pair.name)
    for line in blends.refused():
        print(f"refused: {line}")
    print(f"wrote {args.out}")
    return 0


def _advance(bar: Any, done: int, total: int, desc: str) -> None:
    bar.total = total
    bar.set_description(desc, refresh=False)
    bar.update(done - bar.n)


def _csv(text: str) -> list[str]:
    return [part.strip() for part in text.split(",") if part.strip()]


if __name__ == "__main__":
    raise SystemExit(main())
