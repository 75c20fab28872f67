"""Self-blends: the whole Blend pipeline scored where the true picture is known.

``changer eval`` scores the network's raw output on the dataset's samples. What the Blend
tab does after it (keying, :func:`changer.pipeline.mend_head_seam`,
:func:`changer.chroma.soften_edges`, the paste back onto the photo) is not in those
numbers. Here each frame is blended onto itself with the dataset's labels, on its own
background: the source is the frame, or the frame scaled by ``--source-scale`` (below 1 the
head is enlarged, as from a small source photo). The result is compared with the frame in
three regions:

* ``psnr``: the whole picture;
* ``psnr_outline``: within :data:`BAND` px of the head/background boundary, either side;
* ``psnr_seam``: within :data:`BAND` px of both the head and the neck/body (the jaw);
* ``psnr_neck``: the neck (its label), which the network draws inside the hole;
* ``neck_ab_err``: CIELAB a*b* distance (0..255 scale) between the median colours of the
  result's and the frame's neck: whether the drawn neck has the neck's hue, whatever its
  shading (:func:`changer.neck.tint_neck`).

A frame blended back exactly scores an infinite PSNR, which the paired comparison leaves out.

Variants are :class:`~changer.pipeline.BlendOptions` overrides, compared frame by frame
with the first (``eval.compare``)::

    python -m eval.self_blend --splits test_hdtf,test_vox --every 6 \\
        --variant plain:edge_softness=0,mend_seam=false --variant default --out self_blend.csv
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from dataclasses import fields
from pathlib import Path
from typing import Any

import cv2
import numpy as np
import pandas as pd
from tqdm.auto import tqdm

from changer import labels as L
from eval.metrics import psnr, psnr_region

BAND = 3
"""Half-width (pixels) of the outline and seam bands."""

METRICS = ("psnr", "psnr_outline", "psnr_seam", "psnr_neck", "neck_ab_err")


def parse_variant(text: str) -> tuple[str, dict[str, Any]]:
    """``"name:key=value,key=value"`` (or just ``"name"``: the defaults) as ``(name, overrides)``.

    Keys are :class:`~changer.pipeline.BlendOptions` fields; values are numbers,
    ``true``/``false``, ``none``, words (``color_reference=source``) or ``/``-separated
    numbers for tuples (``key_color=0/177/64``, ``align_offset=0.1/0``). The options are
    checked as the pipeline checks them, so a bad variant fails before any frame is blended.
    """
    from changer.pipeline import BlendOptions, _check_options

    name, colon, spec = text.partition(":")
    if not colon and "=" in name:
        raise ValueError(f"variant {text!r}: give it a name first, e.g. 'mine:{text}'")
    known = {f.name for f in fields(BlendOptions)}
    overrides: dict[str, Any] = {}
    for item in filter(None, (part.strip() for part in spec.split(","))):
        key, sep, value = item.partition("=")
        if not sep or key.strip() not in known:
            raise ValueError(f"variant {text!r}: {item!r} is not FIELD=VALUE with a BlendOptions field "
                             f"({', '.join(sorted(known))})")
        overrides[key.strip()] = _value(value)
    try:
        _check_options(BlendOptions(**overrides), background=None)
    except (TypeError, ValueError) as err:
        raise ValueError(f"variant {text!r}: {err}") from None
    return name.strip() or "default", overrides


def _value(text: str) -> Any:
    text = text.strip()
    if "/" in text:
        return tuple(_value(part) for part in text.split("/"))
    if text.lower() in ("true", "false"):
        return text.lower() == "true"
    if text.lower() == "none":
        return None
    for kind in (int, float):
        try:
            return kind(text)
        except ValueError:
            pass
    return text


def regions(labels: np.ndarray) -> dict[str, np.ndarray]:
    """The boolean masks scored besides the whole picture: ``outline``, head pixels within
    :data:`BAND` px of the background and background pixels within :data:`BAND` px of the
    head; ``seam``, pixels of any class within :data:`BAND` px of both the head and the
    neck/body (it overlaps the outline band where the jaw meets the background); ``neck``,
    the neck label."""
    head, background, body = L.head_mask(labels), labels == L.BACKGROUND, L.neck_body_mask(labels)
    to_background = cv2.distanceTransform((~background).astype(np.uint8), cv2.DIST_L2, 3)
    to_head = cv2.distanceTransform((~head).astype(np.uint8), cv2.DIST_L2, 3)
    outline = (head & (to_background <= BAND)) | (background & (to_head <= BAND))
    side = 2 * BAND + 1
    seam = _grow(head, side) & _grow(body, side)
    return {"outline": outline, "seam": seam, "neck": labels == L.NECK}


def ab_distance(a: np.ndarray, b: np.ndarray, mask: np.ndarray) -> float:
    """CIELAB a*b* distance (OpenCV's 0..255 scale) between the median colours of RGB
    pictures ``a`` and ``b`` over ``mask``; NaN for an empty mask."""
    if not mask.any():
        return float("nan")
    ab = [np.median(cv2.cvtColor(x, cv2.COLOR_RGB2LAB)[mask][:, 1:].astype(np.float64), axis=0) for x in (a, b)]
    return float(np.linalg.norm(ab[0] - ab[1]))


def _grow(mask: np.ndarray, side: int) -> np.ndarray:
    return cv2.dilate(mask.astype(np.uint8), np.ones((side, side), np.uint8)) > 0


def self_blend(pipe: Any, frames: Sequence[Any], variants: Sequence[tuple[str, dict[str, Any]]],
               source_scale: float = 1.0) -> pd.DataFrame:
    """One row per frame and variant: ``method`` (the variant's name), ``split``, ``frame_id``
    (``clip/frame``) and :data:`METRICS`."""
    from changer.pipeline import BlendOptions

    rows = []
    for frame in tqdm(frames, desc="self-blend", unit="frame"):
        img, labels = frame.load_image(), frame.load_labels()
        src, src_labels = img, labels
        if source_scale != 1.0:
            size = (max(8, round(img.shape[1] * source_scale)), max(8, round(img.shape[0] * source_scale)))
            src = cv2.resize(img, size, interpolation=cv2.INTER_AREA if source_scale < 1 else cv2.INTER_CUBIC)
            src_labels = cv2.resize(labels, size, interpolation=cv2.INTER_NEAREST)
        masks = regions(labels)
        for name, overrides in variants:
            out = pipe(src, img, source_labels=src_labels, target_labels=labels,
                       options=BlendOptions(**overrides)).image
            rows.append({"method": name, "split": frame.split, "frame_id": frame.frame_id,
                         "psnr": psnr(out, img), **{f"psnr_{k}": psnr_region(out, img, m) for k, m in masks.items()},
                         "neck_ab_err": ab_distance(out, img, masks["neck"])})
    return pd.DataFrame(rows)


def main(argv: Sequence[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--data", default=None, help="dataset root (default: $CHANGER_DATA or ../shared/...)")
    p.add_argument("--splits", default="test_hdtf,test_vox")
    p.add_argument("--every", type=int, default=1, help="every N-th frame of each split")
    p.add_argument("--model", default=None, help="model folder, Hub id or baseline (default: the bundled model)")
    p.add_argument("--source-scale", type=float, default=1.0, help="scale of the source copy (0.5: head enlarged 2x)")
    p.add_argument("--variant", action="append", default=None,
                   help="NAME or NAME:FIELD=VALUE,... (BlendOptions); the first is the reference; repeatable")
    p.add_argument("--out", type=Path, default=None, help="also write the per-frame rows to this CSV")
    args = p.parse_args(argv)
    try:
        variants = [parse_variant(v) for v in (args.variant or ["plain:edge_softness=0,mend_seam=false", "default"])]
        frames = _frames(args.data, args.splits.split(","), args.every)
    except (ValueError, FileNotFoundError, SystemExit) as err:  # data_root exits when there is no dataset
        print(f"eval.self_blend: {err}", file=sys.stderr)
        return 2
    from changer.pipeline import HeadBlendingPipeline

    table = self_blend(HeadBlendingPipeline.from_pretrained(args.model), frames, variants, args.source_scale)
    if args.out:
        args.out.parent.mkdir(parents=True, exist_ok=True)
        table.to_csv(args.out, index=False)
    print(table.drop(columns="frame_id").groupby(["method", "split"], sort=False).mean().round(2).to_string())
    from eval.compare import markdown, paired

    reference = variants[0][0]
    for name, _ in variants[1:]:
        print("\n" + markdown(paired(table, name, reference, METRICS), name, reference))
    return 0


def _frames(data: str | None, splits: Sequence[str], every: int) -> list[Any]:
    from changer.cli import data_root
    from changer.data.dataset import TalkingHeads

    heads = TalkingHeads(data_root(data))
    if every < 1:
        raise ValueError(f"--every must be at least 1, got {every}")
    return [f for split in splits for f in heads.frames(split)[::every]]


if __name__ == "__main__":
    raise SystemExit(main())
