"""``changer eval``: benchmark blending methods on the seeded evaluation protocol.

``changer eval --data DIR --splits test_hdtf,test_vox --methods full,no_fpat,poisson --out DIR``
writes ``per_frame.csv``, ``summary.csv``, ``summary.json``, ``summary.md``,
``figures.html`` and ``grid.png`` into ``--out`` and prints the summary as a Markdown
table. Methods are baseline names, model folders, or names of bundled folders
``changer/weights/<name>``. Results are cached per (method, split) (``eval.cache``).

Many processes: ``accelerate launch --multi_gpu --num_processes N -m eval.launch_sharded``
with the same arguments (frames are sharded, the main process writes the outputs); see
``eval/launch_sharded.py`` for running the processes on the CPU.
"""

from __future__ import annotations

import argparse
from pathlib import Path

from changer.cli import out_path
from changer.folders import writable_folder


def _csv(value: str) -> list[str]:
    """``"a,b"`` -> ``["a", "b"]`` (blanks dropped)."""
    return [v.strip() for v in value.split(",") if v.strip()]


def add_arguments(p: argparse.ArgumentParser) -> None:
    """The options of ``changer eval`` (shared with ``eval.launch_sharded``)."""
    p.add_argument("--data", help="dataset root (default: $CHANGER_DATA or the set beside the repo)")
    p.add_argument("--splits", type=_csv, default=["test_hdtf", "test_vox", "test_green"],
                   help="comma-separated splits (default: test_hdtf,test_vox,test_green)")
    p.add_argument("--methods", type=_csv, default=["paste", "poisson", "inpaint", "laplacian"],
                   help="comma-separated baseline names, model folders or bundled model names")
    p.add_argument("--out", type=out_path, required=True, help="output folder")
    p.add_argument("--max-frames", type=int, help="at most N evenly spaced frames per split")
    p.add_argument("--key", choices=("green", "blue"), default="green", help="key colour")
    p.add_argument("--resolution", type=int, choices=(256, 512), default=256)
    p.add_argument("--batch-size", type=int, default=8)
    p.add_argument("--no-cache", action="store_true", help="neither read nor write the result cache")
    p.add_argument("--cache-dir", type=Path, help="cache folder (default: $CHANGER_CACHE/eval or ~/.cache/changer/eval)")
    p.add_argument("--grid", type=int, default=4, metavar="ROWS", help="rows of the qualitative grid.png (0: none)")
    p.add_argument("--no-figures", action="store_true", help="skip figures.html")
    p.add_argument("--cpu", action="store_true", help="force the CPU even if a GPU is present")
    p.add_argument("--quiet", action="store_true", help="no progress bar")


def request_from_args(args: argparse.Namespace):  # -> eval.runner.EvalRequest
    """The :class:`eval.runner.EvalRequest` the arguments describe."""
    from changer.cli import data_root
    from eval.runner import EvalRequest

    return EvalRequest(
        data_root=data_root(args.data),
        splits=args.splits,
        methods=args.methods,
        max_frames=args.max_frames,
        key_color=args.key,
        resolution=args.resolution,
        batch_size=args.batch_size,
        use_cache=not args.no_cache,
        cache_dir=args.cache_dir,
        cpu=args.cpu,
    )


def run(args: argparse.Namespace) -> int:
    """Evaluate, write the outputs (main process) and print the Markdown summary."""
    from accelerate import PartialState

    from eval.runner import run_evaluation

    writable_folder(args.out)  # found now, not after the whole run
    request = request_from_args(args)
    result = run_evaluation(request, progress=not args.quiet)
    if not PartialState(cpu=args.cpu).is_main_process:
        return 0
    paths = result.save(args.out, figures=not args.no_figures)
    if args.grid > 0:
        from eval.grid import render_grid, save_grid

        paths["grid.png"] = save_grid(render_grid(request, rows=args.grid), args.out / "grid.png")
    print(result.markdown())
    hit = f", {len(result.cached)} of {len(result.cached) + len(result.computed)} entries from the cache"
    print(f"\n{len(result.per_frame)} rows in {result.seconds:.1f} s{hit}; wrote {', '.join(sorted(p.name for p in paths.values()))} to {args.out}")
    return 0


def register(sub: argparse._SubParsersAction) -> None:
    """Add ``eval`` to the ``changer`` subcommands."""
    p = sub.add_parser("eval", help="benchmark models and baselines (PSNR/SSIM/LPIPS, tables, figures)",
                       description=__doc__.split("\n\n")[0] if __doc__ else None)
    add_arguments(p)
    p.set_defaults(handler=run)


def build_parser() -> argparse.ArgumentParser:
    """A stand-alone parser with the ``eval`` options (for ``eval.launch_sharded``)."""
    p = argparse.ArgumentParser(prog="changer eval", description="Benchmark blending methods.")
    add_arguments(p)
    return p
