"""How well the Blend pipeline finds photos lying on their side (:mod:`changer.orientation`).

Each frame is shown in several framings (as it is, tilted, in a wide scene, as a half-body
shot, small, cropped, as a poor JPEG, underexposed), each in its four quarter turns. Every
picture is parsed as the pipeline parses it and :func:`changer.orientation.upright_turns`
says how to turn it. Counted per framing: upright pictures turned (should be none), and
turned pictures put upright, left as they are, or turned wrongly::

    python -m eval.orientation --splits test_hdtf,test_vox,test_green --strong 12,16,20
    python -m eval.orientation --splits train --identities reagan,sadgirl   # validation
"""

from __future__ import annotations

import argparse
import io
import sys
from collections.abc import Callable, Sequence
from typing import Any

import cv2
import numpy as np
import pandas as pd
from PIL import Image
from tqdm.auto import tqdm

from changer.orientation import STRONG, TILTS, turn, upright_turns


def _tilt(img: np.ndarray, degrees: float) -> np.ndarray:
    h, w = img.shape[:2]
    matrix = cv2.getRotationMatrix2D((w / 2, h / 2), degrees, 1.0)
    return cv2.warpAffine(img, matrix, (w, h), borderMode=cv2.BORDER_REFLECT101)


def _wide_scene(img: np.ndarray) -> np.ndarray:
    """The frame at 2x in a blur of itself 6.25 frames wide (a small face in a big photo)."""
    h, w = img.shape[:2]
    scene = cv2.GaussianBlur(cv2.resize(img, (w * 25 // 4, h * 75 // 16)), (0, 0), 25)
    big = cv2.resize(img, (2 * w, 2 * h), interpolation=cv2.INTER_LANCZOS4)
    top, left = h * 75 // 64, w * 225 // 64
    scene[top:top + 2 * h, left:left + 2 * w] = big
    return scene


def _jpeg(img: np.ndarray, quality: int) -> np.ndarray:
    buffer = io.BytesIO()
    Image.fromarray(img).save(buffer, "JPEG", quality=quality)
    return np.asarray(Image.open(buffer).convert("RGB"))


FRAMINGS: dict[str, Callable[[np.ndarray], np.ndarray]] = {
    "plain": lambda img: img,
    "tilt15": lambda img: _tilt(img, 15),
    "tilt-25": lambda img: _tilt(img, -25),
    "wide": _wide_scene,
    "halfbody": lambda img: cv2.copyMakeBorder(img, 0, len(img) * 25 // 32, *[len(img) * 15 // 32] * 2,
                                               cv2.BORDER_REPLICATE),
    "small": lambda img: cv2.resize(img, None, fx=0.5, fy=0.5, interpolation=cv2.INTER_AREA),
    "portrait": lambda img: img[:, img.shape[1] * 5 // 32:img.shape[1] * 29 // 32],
    "topcut": lambda img: img[len(img) * 5 // 32:],
    "jpeg20": lambda img: _jpeg(img, 20),
    "dark": lambda img: (255 * (img / 255.0) ** 2.2).astype(np.uint8),
}
"""Framings of a frame, by name (sizes as for a 256 px frame: the wide scene is 1600x1200)."""


def check(
    parser: Any, frames: Sequence[Any], strongs: Sequence[int] = (STRONG,), framings: Sequence[str] | None = None,
    tilts: Sequence[float] = TILTS,
) -> pd.DataFrame:
    """One row per frame, framing (default: all :data:`FRAMINGS`), quarter turn and ``strong``
    value: the turn the picture needs (``needs``; 0 = upright) and the one
    :func:`upright_turns` found (``found``)."""
    rows = []
    for frame in tqdm(frames, desc="orientation", unit="frame"):
        img = frame.load_image()
        for name in framings or FRAMINGS:
            framed = FRAMINGS[name](img)
            for needs in range(4):
                picture = turn(framed, -needs)
                labels = parser.parse(picture).labels
                for strong in strongs:
                    found = upright_turns(picture, labels, parser.raw_labels, strong=strong, tilts=tilts)
                    rows.append({"frame_id": frame.frame_id, "identity": frame.identity, "framing": name,
                                 "strong": strong, "needs": needs, "found": found})
    return pd.DataFrame(rows)


def summary(table: pd.DataFrame) -> pd.DataFrame:
    """Counts per ``strong`` value and framing (and over all framings)."""
    def counts(group: pd.DataFrame) -> pd.Series:
        upright, turned = group[group.needs == 0], group[group.needs != 0]
        return pd.Series({
            "upright": len(upright), "upright_turned": int((upright.found != 0).sum()),
            "turned": len(turned), "put_upright": int((turned.found == turned.needs).sum()),
            "left": int((turned.found == 0).sum()),
            "wrong": int(((turned.found != 0) & (turned.found != turned.needs)).sum()),
        })

    every = table.assign(framing="all")
    out = pd.concat([table, every]).groupby(["strong", "framing"], sort=False)[["needs", "found"]].apply(counts)
    framings = list(dict.fromkeys(out.index.get_level_values("framing")))
    return out.reindex(pd.MultiIndex.from_product([sorted(set(table.strong)), framings], names=out.index.names))


def main(argv: Sequence[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--data", default=None, help="dataset root (default: $CHANGER_DATA or ../shared/...)")
    p.add_argument("--splits", default="test_hdtf,test_vox,test_green")
    p.add_argument("--identities", default=None, help="only these identities (comma-separated)")
    p.add_argument("--every", type=int, default=5, help="every N-th frame of each clip")
    p.add_argument("--per-clip", type=int, default=2, help="at most this many frames of each clip")
    p.add_argument("--strong", default=str(STRONG), help="comma-separated detector strengths to compare")
    p.add_argument("--tilts", default=",".join(f"{t:g}" for t in TILTS),
                   help="comma-separated tilts (degrees) at which each quarter turn is searched")
    p.add_argument("--framings", default=",".join(FRAMINGS), help="comma-separated, of: " + ", ".join(FRAMINGS))
    args = p.parse_args(argv)
    try:
        strongs = [int(v) for v in args.strong.split(",")]
        framings = args.framings.split(",")
        tilts = [float(v) for v in args.tilts.split(",")]
        if unknown := set(framings) - set(FRAMINGS):
            raise ValueError(f"unknown framings {sorted(unknown)}; known: {', '.join(FRAMINGS)}")
        frames = _frames(args.data, args.splits.split(","), args.identities, args.every, args.per_clip)
    except (ValueError, FileNotFoundError, SystemExit) as err:  # data_root exits when there is no dataset
        print(f"eval.orientation: {err}", file=sys.stderr)
        return 2
    from changer.pipeline import find_parser

    parser = find_parser()
    if parser is None:
        print("eval.orientation: no head parser is bundled", file=sys.stderr)
        return 2
    print(summary(check(parser, frames, strongs, framings, tilts)).to_string())
    return 0


def _frames(data: str | None, splits: Sequence[str], identities: str | None, every: int, per_clip: int) -> list[Any]:
    from changer.cli import data_root
    from changer.data.dataset import TalkingHeads

    if every < 1 or per_clip < 1:
        raise ValueError("--every and --per-clip must be at least 1")
    wanted = set(identities.split(",")) if identities else None
    clips: dict[str, list[Any]] = {}
    for frame in TalkingHeads(data_root(data)).frames(list(splits)):
        if wanted is None or frame.identity in wanted:
            clips.setdefault(frame.clip_id, []).append(frame)
    if not clips:
        raise ValueError(f"no frames of {identities or 'any identity'} in {', '.join(splits)}")
    return [f for frames in clips.values() for f in frames[::every][:per_clip]]


if __name__ == "__main__":
    raise SystemExit(main())
