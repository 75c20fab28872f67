"""``changer bench``: latency per pipeline stage and peak memory, as a table.

``changer bench [--model ID] [--sizes 256,512] [--repeats N] [--source A --target B]``

For every size the pipeline blends one pair ``repeats`` times (after ``--warmup`` runs)
and the median wall time of each stage is reported (the pipeline's ``timings`` hook):
``parse`` (the head parser on source and target), ``align`` (head alignment and working
window), ``prepare`` (person layer, window crop, blender inputs), ``model`` (the blender),
``composite`` (keying, paste-back, compositing) and ``total`` (the whole call). Inputs are
synthetic people of ``size x size`` px (:func:`changer.data.synthetic.synthetic_person`,
exact labels, so it runs anywhere), or two photos resized so that their longer side is
``size``. With synthetic inputs the parser is timed on the same images but their exact
labels are blended (parsing cartoons says nothing about the blend); photos without label
maps are parsed by the pipeline itself.

Memory: one more run under ``tracemalloc`` gives the peak of Python-side allocations
(numpy included; torch CPU tensors are not traced), ``ru_maxrss`` the process's peak
resident size so far, and on a GPU ``torch.cuda.max_memory_allocated``.
"""

from __future__ import annotations

import argparse
import json
import resource
import statistics
import sys
import time
import tracemalloc
from typing import Any

from changer.cli import comma_ints, out_path
from changer.folders import writable_folder
from changer.imageio import MAX_SIDE, MIN_SIDE

STAGES = ("parse", "align", "prepare", "model", "composite", "total")


def _resize_long(img, size: int, labels: bool = False):  # noqa: ANN001, ANN202
    import cv2

    h, w = img.shape[:2]
    k = size / max(h, w)
    dsize = (max(1, round(w * k)), max(1, round(h * k)))
    if labels:
        return cv2.resize(img, dsize, interpolation=cv2.INTER_NEAREST)
    return cv2.resize(img, dsize, interpolation=cv2.INTER_AREA if k < 1 else cv2.INTER_CUBIC)


def _inputs(args: argparse.Namespace, size: int) -> dict[str, Any]:
    """Source, target (and their labels, None = let the pipeline parse) at ``size``."""
    import numpy as np

    from changer.data.synthetic import synthetic_person
    from changer.imageio import load_image, load_labels

    if args.source is None:
        src, src_lab = synthetic_person(size, np.random.default_rng(1))
        tgt, tgt_lab = synthetic_person(size, np.random.default_rng(2))
        return {"source": src, "target": tgt, "source_labels": src_lab, "target_labels": tgt_lab, "synthetic": True}
    out: dict[str, Any] = {"synthetic": False}
    for name in ("source", "target"):
        img = load_image(getattr(args, name), name)
        given = getattr(args, f"{name}_labels")
        lab = load_labels(given, f"{name} labels", size=img.shape[:2]) if given else None
        out[name] = _resize_long(img, size)
        out[f"{name}_labels"] = None if lab is None else _resize_long(lab, size, labels=True)
    return out


def _parser(args: argparse.Namespace):  # noqa: ANN202 -> Parser | None
    if args.parser == "none":
        return None
    from changer.parsing import get_parser, load_parser

    return load_parser(args.parser) if args.parser else get_parser()


def _one(pipe, parser, inp: dict[str, Any], options) -> dict[str, float]:  # noqa: ANN001
    """One timed blend: stage seconds (``parse`` timed separately for synthetic inputs)."""
    timings: dict[str, float] = {}
    start = time.perf_counter()
    if inp["synthetic"] and parser is not None:
        parser(inp["source"])
        parser(inp["target"])
        timings["parse"] = time.perf_counter() - start
    pipe(inp["source"], inp["target"], source_labels=inp["source_labels"], target_labels=inp["target_labels"],
         options=options, timings=timings)
    timings["total"] = time.perf_counter() - start
    return timings


def bench(args: argparse.Namespace) -> list[dict[str, Any]]:
    """Run the benchmark; one result row per size."""
    import torch

    from changer.pipeline import BlendOptions, HeadBlendingPipeline

    if args.threads:
        torch.set_num_threads(args.threads)
    parser = _parser(args)
    pipe = HeadBlendingPipeline.from_pretrained(args.model, parser=parser)
    cuda = torch.cuda.is_available()
    options = BlendOptions(resolution=args.resolution)
    rows = []
    for size in args.sizes:
        inp = _inputs(args, size)
        if not inp["synthetic"] and parser is None and (inp["source_labels"] is None or inp["target_labels"] is None):
            raise FileNotFoundError("no head parser: pass --source-labels and --target-labels, or bundle a parser")
        for _ in range(args.warmup):
            _one(pipe, parser, inp, options)
        runs = [_one(pipe, parser, inp, options) for _ in range(args.repeats)]
        if cuda:
            torch.cuda.reset_peak_memory_stats()
        tracemalloc.start()
        _one(pipe, parser, inp, options)
        _, py_peak = tracemalloc.get_traced_memory()
        tracemalloc.stop()
        row: dict[str, Any] = {
            "size": size,
            "input": "synthetic" if inp["synthetic"] else "photos",
            **{s: (statistics.median(r.get(s, 0.0) for r in runs) * 1000 if any(s in r for r in runs) else None)
               for s in STAGES},
            "python_peak_mib": py_peak / 2**20,
            "max_rss_mib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
        }
        if cuda:
            row["cuda_peak_mib"] = torch.cuda.max_memory_allocated() / 2**20
        rows.append(row)
    info = {"method": pipe.method, "parser": repr(parser) if parser is not None else "none",
            "threads": torch.get_num_threads(), "device": torch.cuda.get_device_name(0) if cuda else "cpu",
            "repeats": args.repeats}
    for row in rows:
        row.update(info)
    return rows


def table(rows: list[dict[str, Any]]) -> str:
    """Markdown table of :func:`bench` rows (milliseconds, MiB)."""
    mem = ["python_peak_mib", "max_rss_mib"] + (["cuda_peak_mib"] if any("cuda_peak_mib" in r for r in rows) else [])
    head = ["size", *[f"{s} ms" for s in STAGES], *[m.replace("_mib", " MiB") for m in mem]]
    lines = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    for r in rows:
        cells = [str(r["size"])] + ["-" if r[s] is None else f"{r[s]:.1f}" for s in STAGES]
        cells += [f"{r[m]:.0f}" for m in mem]
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines)


def run(args: argparse.Namespace) -> int:
    if args.repeats < 1 or args.warmup < 0:
        raise ValueError("--repeats must be >= 1 and --warmup >= 0")
    if (args.source is None) != (args.target is None):
        raise ValueError("give both --source and --target (or neither, for synthetic inputs)")
    if args.json:
        writable_folder(args.json.parent, "--json")
    rows = bench(args)
    r0 = rows[0]
    print(f"method {r0['method']}, parser {r0['parser']}, device {r0['device']}, {r0['threads']} threads, "
          f"median of {r0['repeats']} runs, {r0['input']} inputs\n")
    print(table(rows))
    if args.json:
        args.json.write_text(json.dumps(rows, indent=1))
        print(f"\nwrote {args.json}", file=sys.stderr)
    return 0


def register(sub: argparse._SubParsersAction) -> None:
    """Add ``bench`` to the ``changer`` subcommands."""
    p = sub.add_parser("bench", help="latency per pipeline stage and peak memory",
                       description=__doc__.split("\n\n")[0] if __doc__ else None)
    p.add_argument("--model", help="model folder, bundled model name, Hub repo id or baseline (default: the bundled weights)")
    p.add_argument("--sizes", type=comma_ints(MIN_SIDE, "sizes", MAX_SIDE), default=[256, 512], help="image sides to test (default 256,512)")
    p.add_argument("--repeats", type=int, default=5, help="timed runs per size (median reported)")
    p.add_argument("--warmup", type=int, default=1, help="untimed runs first")
    p.add_argument("--source", help="source photo (default: synthetic inputs)")
    p.add_argument("--target", help="target photo")
    p.add_argument("--source-labels", help="label map of --source (else the parser runs)")
    p.add_argument("--target-labels", help="label map of --target (else the parser runs)")
    p.add_argument("--parser", help="parser folder or Hub id, or 'none' (default: the bundled parser)")
    p.add_argument("--resolution", type=int, help="working resolution (default: the model's)")
    p.add_argument("--threads", type=int, help="torch threads (default: torch's)")
    p.add_argument("--json", type=out_path, help="also write the rows as JSON")
    p.set_defaults(handler=run)
