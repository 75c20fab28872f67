"""``changer bench``: latency per pipeline stage and peak memory, as a table.

``changer bench [--model ID] [--sizes 256,512] [--repeats N] [--source A --target B | --real]
[--compare OTHER_CHECKOUT]``

For every size the pipeline blends one pair ``repeats`` times (after ``--warmup`` runs)
and the median wall time of each stage is reported (the pipeline's ``timings`` hook):
``parse`` (the head parser on source and target), ``align`` (head alignment and working
window), ``prepare`` (person layer, window crop, blender inputs), ``model`` (the blender),
``composite`` (keying, paste-back, compositing), ``load`` (reading and checking the
pictures) and ``total`` (the whole call). Inputs are synthetic people of ``size x size`` px
(:func:`changer.data.synthetic.synthetic_person`, exact labels, so it runs anywhere), or two
photos resized so that their longer side is ``size`` (``--real``: a frame pair of the
talking-heads set, ``retalking-1`` onto ``mead-w009-front-neutral-1``). With synthetic
inputs the parser is timed on the same images but their exact labels are blended (parsing
cartoons says nothing about the blend); photos without label maps are parsed by the
pipeline itself.

Above the table: the blender's inference path (:attr:`changer.blenders.ModelBlender.inference_path`)
and the start-up, timed once: importing torch and the pipeline (what the command line had
not imported yet), loading the model and the parser, and the first blend (oneDNN builds its
kernels then; shown with ``--warmup`` 1 or more). Before each run the parser's kept logits
are dropped (:meth:`changer.parsing.HeadParser.forget`), so that each run parses as a new
pair would.

Memory: one more run under ``tracemalloc`` gives the peak of Python-side allocations
(numpy included; torch CPU tensors are not traced), ``ru_maxrss`` the process's peak
resident size so far, and on a GPU ``torch.cuda.max_memory_allocated``.

``--compare PATH`` times another checkout of the project (``git worktree add /tmp/base
HEAD~3``) against this one: ``--rounds`` pairs of processes, the two checkouts in turn
(ABBA order), the same arguments; it prints each stage's median for both and the median
of the paired ratios (other / this: above 1, this checkout is faster). On a shared machine
only such paired ratios mean much.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
import tracemalloc
from pathlib import Path
from typing import Any

from changer.cli import comma_ints, out_path
from changer.folders import writable_folder
from changer.imageio import MAX_SIDE, MIN_SIDE

STAGES = ("parse", "align", "prepare", "model", "composite", "load", "total")
STARTUP = ("imports", "model_load", "first_blend")
"""Start-up times (ms, once per process): importing torch and the pipeline, loading the
model and the parser, the first blend."""

REAL_PAIR = ("frames/retalking-1/0000.jpg", "frames/mead-w009-front-neutral-1/0000.jpg")
"""``--real``: source and target, in the talking-heads set (the pair of ``docs/experiments/speed.md``)."""


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
    forget = getattr(parser, "forget", None)
    if forget is not None:  # the parser keeps the logits of pictures it saw: time a new pair
        forget()
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
    start = time.perf_counter()
    import torch

    from changer.pipeline import BlendOptions, HeadBlendingPipeline

    if args.threads:
        torch.set_num_threads(args.threads)
    imported = time.perf_counter()
    parser = _parser(args)
    pipe = HeadBlendingPipeline.from_pretrained(args.model, parser=parser)
    startup = {"imports": (imported - start) * 1000, "model_load": (time.perf_counter() - imported) * 1000}
    cuda = torch.cuda.is_available()
    options = BlendOptions(resolution=args.resolution)
    rows = []
    for size in args.sizes:
        inp = _inputs(args, size)
        if not inp["synthetic"] and parser is None and (inp["source_labels"] is None or inp["target_labels"] is None):
            raise FileNotFoundError("no head parser: pass --source-labels and --target-labels, or bundle a parser")
        for i in range(args.warmup):
            first = _one(pipe, parser, inp, options)
            if "first_blend" not in startup and i == 0:
                startup["first_blend"] = first["total"] * 1000
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
            "repeats": args.repeats, "inference": inference_path(pipe.blender), **startup}
    for row in rows:
        row.update(info)
    return rows


def inference_path(blender: Any) -> str:
    """How the blender runs its network, in words: the path and what the CPU offers."""
    path = getattr(blender, "inference_path", None)
    if path is None:
        return "-"
    import torch

    from changer.blenders import BF16_CPU_FLAGS, cpu_flags

    device = str(getattr(blender, "device", "cpu"))
    if not device.startswith("cpu"):
        return f"{path} on {device}"
    flags = sorted(cpu_flags() & set(BF16_CPU_FLAGS))
    return f"{path} (CPU {torch.backends.cpu.get_cpu_capability()}, {', '.join(flags) or 'no bf16 flags'})"


def table(rows: list[dict[str, Any]]) -> str:
    """Markdown table of :func:`bench` rows (milliseconds, MiB)."""
    mem = ["python_peak_mib", "max_rss_mib"] + (["cuda_peak_mib"] if any("cuda_peak_mib" in r for r in rows) else [])
    head = ["size", *[f"{s} ms" for s in STAGES], *[m.replace("_mib", " MiB") for m in mem]]
    lines = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    for r in rows:
        cells = [str(r["size"])] + ["-" if r.get(s) is None else f"{r[s]:.1f}" for s in STAGES]
        cells += [f"{r[m]:.0f}" for m in mem]
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines)


def _header(r0: dict[str, Any]) -> str:
    start = ", ".join(f"{name.replace('_', ' ')} {r0[name]:.0f} ms" for name in STARTUP if r0.get(name) is not None)
    return (f"method {r0['method']}, inference {r0.get('inference', '-')}, parser {r0['parser']}, device "
            f"{r0['device']}, {r0['threads']} threads, median of {r0['repeats']} runs, {r0['input']} inputs\n"
            f"start-up: {start or '-'}")


# --------------------------------------------------------------------------- --compare


def _passed_on(args: argparse.Namespace) -> list[str]:
    """The bench arguments both checkouts understand (an older ``bench`` knows no ``--real``)."""
    out = ["--sizes", ",".join(str(s) for s in args.sizes), "--repeats", str(args.repeats), "--warmup", str(args.warmup)]
    for flag in ("model", "source", "target", "source_labels", "target_labels", "parser", "resolution", "threads"):
        value = getattr(args, flag)
        if value is not None:
            value = str(Path(value).resolve()) if flag in ("source", "target", "source_labels", "target_labels") else value
            out += [f"--{flag.replace('_', '-')}", str(value)]
    return out


def _run_checkout(root: Path, argv: list[str], json_path: Path) -> list[dict[str, Any]]:
    """``changer bench argv --json json_path`` with the package of checkout ``root``."""
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(root), os.environ.get("PYTHONPATH", "")]).rstrip(os.pathsep)}
    code = ("import sys; sys.path.insert(0, sys.argv.pop(1)); import changer; "
            "assert changer.__file__.startswith(sys.path[0]), changer.__file__; "
            "from changer.cli import main; sys.exit(main(sys.argv[1:]))")
    done = subprocess.run([sys.executable, "-c", code, str(root), "bench", *argv, "--json", str(json_path)],
                          cwd=root, env=env, capture_output=True, text=True)
    if done.returncode != 0:
        raise RuntimeError(f"bench in {root} failed ({done.returncode}):\n{done.stderr[-2000:]}")
    return json.loads(json_path.read_text())


def compare(args: argparse.Namespace, this: Path, other: Path) -> dict[str, Any]:
    """Both checkouts' benches in alternating processes (ABBA); rounds of rows per checkout."""
    argv = _passed_on(args)
    runs: dict[str, list[list[dict[str, Any]]]] = {"this": [], "other": []}
    with tempfile.TemporaryDirectory() as tmp:
        for r in range(args.rounds):
            order = ("this", "other") if r % 2 == 0 else ("other", "this")
            for name in order:
                root = this if name == "this" else other
                rows = _run_checkout(root, argv, Path(tmp) / f"{name}{r}.json")
                runs[name].append(rows)
                print(f"round {r + 1}/{args.rounds}: {name} ({root}) total "
                      + ", ".join(f"{row['size']}: {row['total']:.0f} ms" for row in rows), file=sys.stderr)
    return runs


def compare_table(runs: dict[str, Any]) -> str:
    """Per size and stage: medians over the rounds of both checkouts and the median paired
    ratio other / this (a round's two processes ran one after the other)."""
    lines = []
    this0, other0 = runs["this"][0][0], runs["other"][0][0]
    lines.append(f"this: {_header(this0).splitlines()[0]}")
    lines.append(f"other: {_header(other0).splitlines()[0]}")
    lines.append(f"{len(runs['this'])} rounds; ms: median and lowest over rounds of each process's medians; "
                 "ratio: median (range) over rounds of other / this\n")
    lines.append("| size | stage | this ms | other ms | this, lowest | other, lowest | other / this |")
    lines.append("|---|---|---|---|---|---|---|")
    for i, row in enumerate(runs["this"][0]):
        for stage in (*STAGES, *STARTUP):
            if stage in STARTUP and i > 0:
                continue
            pairs = [(a[i].get(stage), b[i].get(stage)) for a, b in zip(runs["this"], runs["other"])]
            mine = [a for a, _ in pairs if a is not None]
            theirs = [b for _, b in pairs if b is not None]
            ratios = [b / a for a, b in pairs if a and b]
            cell = lambda v, f=statistics.median: f"{f(v):.1f}" if v else "-"  # noqa: E731
            ratio = f"{statistics.median(ratios):.2f} ({min(ratios):.2f}-{max(ratios):.2f})" if ratios else "-"
            label = stage.replace("_", " ") + (" (once)" if stage in STARTUP else "")
            lines.append(f"| {row['size']} | {label} | {cell(mine)} | {cell(theirs)} | {cell(mine, min)} | "
                         f"{cell(theirs, min)} | {ratio} |")
    return "\n".join(lines)


# --------------------------------------------------------------------------- command


def run(args: argparse.Namespace) -> int:
    if args.repeats < 1 or args.warmup < 0:
        raise ValueError("--repeats must be >= 1 and --warmup >= 0")
    if args.real:
        if args.source is not None or args.target is not None:
            raise ValueError("--real picks the pictures: give it or --source and --target, not both")
        from changer.cli import data_root

        root = data_root(args.data)
        args.source, args.target = (str(root / p) for p in REAL_PAIR)
    if (args.source is None) != (args.target is None):
        raise ValueError("give both --source and --target (or neither, for synthetic inputs)")
    if args.json:
        writable_folder(args.json.parent, "--json")
    if args.compare is not None:
        if args.rounds < 1:
            raise ValueError("--rounds must be >= 1")
        other = Path(args.compare).expanduser().resolve()
        if not (other / "changer" / "__init__.py").is_file():
            raise ValueError(f"--compare: {other} is no checkout of this project (no changer/__init__.py)")
        this = Path(__file__).resolve().parents[2]
        runs = compare(args, this, other)
        print(compare_table(runs))
        if args.json:
            args.json.write_text(json.dumps(runs, indent=1))
            print(f"\nwrote {args.json}", file=sys.stderr)
        return 0
    rows = bench(args)
    print(_header(rows[0]) + "\n")
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
    p.add_argument("--real", action="store_true",
                   help=f"a real frame pair of the talking-heads set ({REAL_PAIR[0]} onto {REAL_PAIR[1]})")
    p.add_argument("--data", help="dataset root for --real (default: $CHANGER_DATA or the set beside the repo)")
    p.add_argument("--source-labels", help="label map of --source (else the parser runs)")
    p.add_argument("--target-labels", help="label map of --target (else the parser runs)")
    p.add_argument("--parser", help="parser folder or Hub id, or 'none' (default: the bundled parser)")
    p.add_argument("--resolution", type=int, help="working resolution (default: the model's)")
    p.add_argument("--threads", type=int, help="torch threads (default: torch's)")
    p.add_argument("--compare", metavar="PATH",
                   help="another checkout of the project to time against this one, in alternating processes")
    p.add_argument("--rounds", type=int, default=3, help="process pairs for --compare (default 3)")
    p.add_argument("--json", type=out_path, help="also write the rows as JSON")
    p.set_defaults(handler=run)
