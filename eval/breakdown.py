"""Where a method's squared error goes, and what oracle fixes of each part would score.

PSNR is a log of the mean squared error over the whole picture, so it is ruled by the
largest error region. This splits each frame of the protocol (the same seeded inputs as
``changer eval``) into three regions:

* ``head``: the pasted head (the colorizer's job);
* ``fill_fg``: the hole minus the head where the ground truth is the person (neck,
  clothes: the body blender's job);
* ``fill_bg``: the hole minus the head where the ground truth is the key colour (the
  silhouette: the foreground prediction's job);

and reports each region's share of the squared error, plus the PSNR after replacing one
region with the ground truth (``psnr_gt_<region>``: the most that fixing it can gain) and
after an oracle that knows the silhouette but paints the person part of the fill in one
mean colour (``psnr_shape_mean``: what "right shape, flat colour" scores).

Two colour distances (RGB, 0-255) tell whether the clothes in the fill have the right
colour on average: ``clothes_colour_err`` between the mean colours of prediction and
ground truth over the fill's clothes (``fill_fg`` with label ``BODY``), and
``visible_clothes_err`` between the ground truth's mean there and the mean of the visible
clothes (the body reference's ``BODY`` pixels): what simply continuing the clothes that
can be seen would get. A method far above the second does not use the visible clothes.

``python -m eval.breakdown --methods default,laplacian --splits test_hdtf,test_vox``
"""

from __future__ import annotations

import argparse
from collections.abc import Sequence

import numpy as np
import pandas as pd
from tqdm.auto import tqdm

from changer import labels as L
from changer.inputs import Sample
from eval.metrics import psnr
from eval.runner import EvalRequest, load_method, load_split, method_spec

REGIONS = ("head", "fill_fg", "fill_bg")


def regions(sample: Sample) -> dict[str, np.ndarray]:
    """The three disjoint regions of the module docstring (boolean ``H x W`` masks)."""
    head = sample.inputs.head_mask
    fill = sample.inputs.hole & ~head
    person = L.foreground_mask(sample.labels)
    return {"head": head, "fill_fg": fill & person, "fill_bg": fill & ~person}


def frame_breakdown(sample: Sample, pred: np.ndarray) -> dict[str, float]:
    """Error shares and oracle PSNRs of one prediction (see the module docstring)."""
    gt = sample.gt
    err = ((pred.astype(np.float64) - gt.astype(np.float64)) ** 2).sum(-1)
    total = max(float(err.sum()), 1e-12)
    row = {"psnr": psnr(pred, gt)}
    masks = regions(sample)
    for name, mask in masks.items():
        row[f"share_{name}"] = float(err[mask].sum()) / total
        row[f"psnr_gt_{name}"] = psnr(np.where(mask[..., None], gt, pred), gt)
    flat = np.where(masks["fill_bg"][..., None], gt, pred)
    person = masks["fill_fg"]
    if person.any():
        flat[person] = np.round(gt[person].mean(0)).astype(np.uint8)
    row["psnr_shape_mean"] = psnr(flat, gt)
    clothes = sample.labels == L.BODY
    fill_clothes, visible = person & clothes, sample.inputs.body_ref_mask & clothes
    nan = float("nan")
    row["clothes_colour_err"] = (
        _mean_colour_distance(pred, fill_clothes, gt, fill_clothes) if fill_clothes.any() else nan
    )
    row["visible_clothes_err"] = (
        _mean_colour_distance(gt, visible, gt, fill_clothes) if fill_clothes.any() and visible.any() else nan
    )
    row["fill_fraction"] = float((masks["fill_fg"] | masks["fill_bg"]).mean())
    return row


def _mean_colour_distance(a: np.ndarray, a_mask: np.ndarray, b: np.ndarray, b_mask: np.ndarray) -> float:
    """Euclidean RGB distance between the mean colour of ``a`` over ``a_mask`` and of ``b``
    over ``b_mask``."""
    return float(np.linalg.norm(a[a_mask].astype(np.float64).mean(0) - b[b_mask].astype(np.float64).mean(0)))


def breakdown(methods: Sequence[str], splits: Sequence[str], request: EvalRequest | None = None,
              batch_size: int = 8) -> pd.DataFrame:
    """Per-frame breakdown rows (``method``, ``split``, ``frame_id`` + the metrics).

    Each method is loaded once and gets the protocol's samples of its setting (a
    ``no_chroma`` model the real-background ones, as in :func:`eval.runner.run_evaluation`).
    """
    request = request or EvalRequest()
    specs = [method_spec(name) for name in methods]
    fns = [load_method(spec) for spec in specs]
    rows = []
    for split in splits:
        data = load_split(request, split)
        for name, spec, fn in zip(methods, specs, fns):
            samples = data.samples(data.picks, chroma=spec.chroma)
            for i in tqdm(range(0, len(samples), batch_size), desc=f"{split} {name}", leave=False):
                chunk = samples[i : i + batch_size]
                for sample, pred in zip(chunk, fn([s.inputs for s in chunk])):
                    rows.append({"method": name, "split": split, "frame_id": sample.frame_id,
                                 **frame_breakdown(sample, pred)})
    return pd.DataFrame(rows)


def main(argv: Sequence[str] | None = None) -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--methods", default="default,laplacian")
    p.add_argument("--splits", default="test_hdtf,test_vox")
    p.add_argument("--data", default=None, help="dataset root (default: $CHANGER_DATA or ../shared/...)")
    p.add_argument("--max-frames", type=int, default=None)
    p.add_argument("--out", default=None, help="also write the per-frame rows to this CSV")
    args = p.parse_args(argv)
    request = EvalRequest(data_root=args.data, max_frames=args.max_frames)
    df = breakdown(args.methods.split(","), args.splits.split(","), request)
    if args.out:
        df.to_csv(args.out, index=False)
    print(df.drop(columns="frame_id").groupby(["method", "split"], sort=False).mean().round(3).to_string())


if __name__ == "__main__":
    main()
