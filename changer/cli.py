"""The ``changer`` command line.

Each subcommand imports what it needs when it runs, so ``changer --help`` stays fast.
"""

from __future__ import annotations

import argparse
import importlib
import sys
from collections.abc import Callable, Sequence
from pathlib import Path

from changer.folders import describe_error, picture_path

Handler = Callable[[argparse.Namespace], int]

# Subcommand modules under changer/commands/, each with ``register(subparsers)``.
COMMAND_MODULES = ("train", "average", "ensemble", "evaluate", "blend", "export", "parse", "bench", "cross")


def data_root(value: str | None) -> Path:
    """The dataset root from ``--data``, ``$CHANGER_DATA`` or the set beside the repo."""
    from changer.data.dataset import DATA_ENV, default_data_root

    root = Path(value) if value else default_data_root()
    if root is None:
        raise SystemExit(f"no dataset: pass --data DIR or set {DATA_ENV}")
    return root


def comma_ints(minimum: int, what: str, maximum: int | None = None) -> Callable[[str], tuple[int, ...]]:
    """An argparse type: ``"16,32,48"`` -> ``(16, 32, 48)``, every value at least ``minimum``
    (and at most ``maximum`` when given)."""

    def parse(value: str) -> tuple[int, ...]:
        try:
            numbers = tuple(int(v) for v in value.split(",") if v.strip())
        except ValueError:
            raise argparse.ArgumentTypeError(f"{what} must be comma-separated whole numbers, got {value!r}") from None
        if not numbers or min(numbers) < minimum:
            raise argparse.ArgumentTypeError(f"{what} must be whole numbers >= {minimum}, got {value!r}")
        if maximum is not None and max(numbers) > maximum:
            raise argparse.ArgumentTypeError(f"{what} must be whole numbers <= {maximum}, got {value!r}")
        return numbers

    return parse


def out_path(value: str) -> Path:
    """An argparse type for output paths: a blank one would quietly mean the current folder."""
    if not value.strip():
        raise argparse.ArgumentTypeError("give a file or folder name (a blank one would write into the current folder)")
    return Path(value)


MIN_PREVIEW_SIZE, MAX_PREVIEW_SIZE = 32, 2048
"""Sample sides ``changer data preview`` accepts."""


def cmd_data_preview(args: argparse.Namespace) -> int:
    """Write a contact sheet of blend samples (every input, mask and target)."""
    import numpy as np
    from PIL import Image

    from changer.data.blend_dataset import BlendDataset
    from changer.data.dataset import TalkingHeads
    from changer.data.preview import preview_grid
    from changer.data.sample import SampleConfig
    from changer.inputs import BLUE_KEY_COLOR, DEFAULT_KEY_COLOR

    if args.n < 1 or not MIN_PREVIEW_SIZE <= args.size <= MAX_PREVIEW_SIZE:
        raise ValueError(f"-n must be at least 1 and --size within {MIN_PREVIEW_SIZE}..{MAX_PREVIEW_SIZE}")
    picture_path(args.out)
    data = TalkingHeads(data_root(args.data))
    frames = data.frames(args.split)
    key = BLUE_KEY_COLOR if args.key == "blue" else DEFAULT_KEY_COLOR
    config = SampleConfig(key_color=key, chroma=not args.no_chroma, h2=not args.no_h2)
    ds = BlendDataset(frames, config, size=args.size, train=args.train)
    if args.train:
        import torch

        torch.manual_seed(args.seed)
    picks = np.linspace(0, len(ds) - 1, min(args.n, len(ds))).round().astype(int)
    grid = preview_grid([ds.sample(int(i)) for i in picks])
    args.out.parent.mkdir(parents=True, exist_ok=True)
    Image.fromarray(grid).save(args.out)
    print(f"wrote {args.out} ({len(picks)} samples of {args.split}, {grid.shape[1]}x{grid.shape[0]})")
    return 0


def cmd_data_subset(args: argparse.Namespace) -> int:
    """Copy every n-th frame of some splits to a new dataset root."""
    from changer.data.dataset import TalkingHeads

    splits = [s for s in args.splits.split(",") if s]
    holdout = [s for s in args.holdout_ids.split(",") if s]
    n = TalkingHeads(data_root(args.data)).write_subset(args.out, splits, args.every, holdout=holdout)
    print(f"wrote {n} frames of {','.join(splits)} to {args.out}"
          + (f" (identities {', '.join(holdout)} as split 'val')" if holdout else ""))
    return 0


def build_parser() -> argparse.ArgumentParser:
    """The argument parser with every subcommand."""
    parser = argparse.ArgumentParser(prog="changer", description="CHANGER head blending with chroma keying.")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    data = sub.add_parser("data", help="inspect the dataset and the sample construction")
    data_sub = data.add_subparsers(dest="data_command", required=True, metavar="DATA_COMMAND")
    prev = data_sub.add_parser("preview", help="write a picture of blend samples (inputs, masks, targets)")
    prev.add_argument("--data", help="dataset root (default: $CHANGER_DATA or the set beside the repo)")
    prev.add_argument("--split", default="test_hdtf")
    prev.add_argument("--out", type=out_path, default=Path("outputs/preview.png"))
    prev.add_argument("-n", type=int, default=6, help="number of samples")
    prev.add_argument("--size", type=int, default=256)
    prev.add_argument("--key", choices=("green", "blue"), default="green")
    prev.add_argument("--train", action="store_true", help="random training crops instead of the eval protocol")
    prev.add_argument("--no-h2", action="store_true", help="without H² augmentation")
    prev.add_argument("--no-chroma", action="store_true", help="keep the real background")
    prev.add_argument("--seed", type=int, default=0)
    prev.set_defaults(handler=cmd_data_preview)
    subset = data_sub.add_parser("subset", help="copy every n-th frame of some splits to a new dataset folder")
    subset.add_argument("--data", help="dataset root (default: $CHANGER_DATA or the set beside the repo)")
    subset.add_argument("--splits", default="train", help="comma-separated splits")
    subset.add_argument("--every", type=int, default=2, help="keep every n-th frame of each clip")
    subset.add_argument("--holdout-ids", default="",
                        help="comma-separated identities written as split 'val' (a validation set), e.g. reagan,sadgirl")
    subset.add_argument("--out", type=out_path, required=True, help="new, empty dataset folder")
    subset.set_defaults(handler=cmd_data_subset)

    for name in COMMAND_MODULES:
        importlib.import_module(f"changer.commands.{name}").register(sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``changer`` console script."""
    args = build_parser().parse_args(argv)
    handler: Handler = args.handler
    try:
        return handler(args)
    except (OSError, ValueError) as err:  # bad input or an unusable path: one line, not a traceback
        print(f"changer: error: {describe_error(err)}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    raise SystemExit(main())
