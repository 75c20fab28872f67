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
from pathlib import Path
from typing import Any

import cv2
import numpy as np
from tqdm.auto import tqdm

from changer.cli import data_root, out_path
from changer.data.preview import label_tile
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
            tiles = [label_tile(fit(_image(pair.source), tile), f"source {pair.source.frame_id}"),
                     label_tile(fit(_image(pair.target), tile), f"target {pair.target.frame_id}")]
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


def refused_tile(side: int) -> np.ndarray:
    """A grey square saying "refused" (the reason is in :meth:`CrossBlends.refused`)."""
    out = np.full((side, side, 3), 200, np.uint8)
    scale = side / 256
    cv2.putText(out, "refused", (int(side * 0.3), side // 2), cv2.FONT_HERSHEY_SIMPLEX, 0.8 * scale,
                (90, 90, 90), max(1, round(2 * scale)), cv2.LINE_AA)
    return out


def _image(frame: Any) -> np.ndarray:
    return frame.load_image()


def blend_pairs(pairs: Sequence[Pair], methods: Sequence[str], progress: ProgressFn | None = None,
                options: Any = None) -> CrossBlends:
    """Blend every pair with every method (``eval.runner`` method names: bundled models,
    model folders, Hub ids, baselines) through :class:`~changer.pipeline.HeadBlendingPipeline`
    with the frames' label maps.

    All methods are loaded before the first blend, so a wrong name fails at once. A pair the
    pipeline refuses (:class:`~changer.imageio.InputError`) is recorded, not raised.
    """
    from changer.blenders import load_blender
    from changer.imageio import InputError
    from changer.pipeline import HeadBlendingPipeline
    from eval.runner import method_specs

    pipes = {spec.label: HeadBlendingPipeline(load_blender(spec.model_id)) for spec in method_specs(list(methods))}
    result = CrossBlends(list(pairs))
    loaded = [(p.source.load_pair(), p.target.load_pair()) for p in pairs]
    total, done = len(pipes) * len(loaded), 0
    for label, pipe in pipes.items():
        images: list[np.ndarray | None] = []
        problems: list[str | None] = []
        for pair, ((src, src_lab), (tgt, tgt_lab)) in zip(pairs, loaded, strict=True):
            if progress is not None:
                progress(done, total, f"{label}: {pair.name}")
            try:
                images.append(pipe(src, tgt, source_labels=src_lab, target_labels=tgt_lab, options=options).image)
                problems.append(None)
            except InputError as err:
                images.append(None)
                problems.append(str(err))
            done += 1
        result.images[label], result.problems[label] = images, problems
    if progress is not None:
        progress(total, total, "done")
    return result


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
        pairs = choose_pairs(cross_frames(data_root(args.data), _csv(args.splits)), args.pairs)
        methods = _csv(args.methods)
        if not methods:
            raise ValueError("--methods: give at least one method")
    except (ValueError, FileNotFoundError, SystemExit) as err:  # data_root exits when there is no dataset
        print(f"eval.cross_pairs: {err}", file=sys.stderr)
        return 2
    with tqdm(total=0, unit="blend", desc="cross pairs") as bar:
        def progress(done: int, total: int, desc: str) -> None:
            bar.total = total
            bar.set_description(desc, refresh=False)
            bar.update(done - bar.n)

        blends = blend_pairs(pairs, methods, progress)
    from eval.grid import save_grid

    save_grid(blends.sheet(), args.out)
    for pair in pairs:
        print(pair.name)
    for line in blends.refused():
        print(f"refused: {line}")
    print(f"wrote {args.out}")
    return 0


def _csv(text: str) -> list[str]:
    return [part.strip() for part in text.split(",") if part.strip()]


if __name__ == "__main__":
    raise SystemExit(main())
