"""``changer parse``: 5-class head parsing (label maps), and training / evaluating the parser.

- ``changer parse --image photo.jpg --out labels.png [--color]``: the label map (values
  0..4) of a photo, or the coloured picture of it with ``--color``; ``--image`` may be a
  folder (``--out`` is then a folder, one ``<stem>.png`` per image).
- ``changer parse train --data DIR --out RUN --max-minutes N [--export DIR]``: train.
- ``changer parse eval --data DIR --splits test_hdtf,test_vox,test_green``: per-class IoU
  pooled over each split's frames, as a Markdown table.

``--model`` picks the parser (a folder or Hub repo id, e.g. a SegFormer face parser such as
``jonathandinu/face-parsing`` when ``transformers`` is installed); default: the bundled one.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from changer.cli import comma_ints, out_path
from changer.folders import picture_path, writable_folder


def _csv(value: str) -> list[str]:
    return [v.strip() for v in value.split(",") if v.strip()]


def _load(model: str | None):  # -> LabelParser
    from changer.parsing import get_parser, load_parser

    if model:
        return load_parser(model)
    parser = get_parser()
    if parser is None:
        raise FileNotFoundError("no bundled head parser (changer/weights/parser): pass --model or train one "
                                "with `changer parse train`")
    return parser


def run_parse(args: argparse.Namespace) -> int:
    """Label maps of one image or a folder of images."""
    if args.image is None or args.out is None:
        raise ValueError("changer parse needs --image and --out (or a subcommand: train, eval)")
    import numpy as np
    from PIL import Image

    from changer.commands.blend import list_images
    from changer.imageio import load_image
    from changer.labels import colorize

    src, out = Path(args.image), Path(args.out)
    if not src.exists():
        raise FileNotFoundError(f"--image: {src} does not exist")
    jobs = [(p, out / f"{p.stem}.png") for p in list_images(src)] if src.is_dir() else [(src, out)]
    if src.is_dir() and not jobs:
        raise ValueError(f"--image: no images in {src}")
    if src.is_dir():
        writable_folder(out)
    else:
        picture_path(out)
    parser = _load(args.model)
    for image, dest in jobs:
        labels = parser(load_image(image, "image"))
        dest.parent.mkdir(parents=True, exist_ok=True)
        Image.fromarray(np.ascontiguousarray(colorize(labels) if args.color else labels)).save(dest)
        if len(jobs) == 1:
            shares = np.bincount(labels.ravel(), minlength=5) / labels.size
            print(f"wrote {dest} ({labels.shape[1]}x{labels.shape[0]}; shares bg/face/hair/neck/body "
                  + "/".join(f"{s:.2f}" for s in shares) + ")")
    if len(jobs) > 1:
        print(f"wrote {len(jobs)} label maps to {out}")
    return 0


def run_train(args: argparse.Namespace) -> int:
    from changer.cli import data_root
    from changer.parsing.config import ParserConfig
    from changer.parsing.train import ParserTrainConfig, train_parser

    overrides = {k: v for k, v in {
        "crop": args.crop, "batch_size": args.batch_size, "lr": args.lr, "steps": args.steps,
        "max_minutes": args.max_minutes, "seed": args.seed, "threads": args.threads,
        "dark_key_prob": args.dark_key_prob, "val_split": args.val_split,
    }.items() if v is not None}
    network = {k: v for k, v in {"widths": args.widths, "decoder_widths": args.decoder_widths}.items() if v}
    try:
        ParserConfig(**network)  # wrong counts are found now, not after the frames are loaded
    except ValueError as err:
        raise SystemExit(f"changer parse train: {err}") from None
    cfg = ParserTrainConfig(**overrides, network=network)
    folder = train_parser(cfg, data_root(args.data), args.out, resume=args.resume, export=args.export)
    print(f"parser written to {folder}")
    return 0


def run_eval(args: argparse.Namespace) -> int:
    import numpy as np

    from changer.cli import data_root
    from changer.data.dataset import TalkingHeads
    from changer.labels import CLASS_NAMES
    from changer.parsing.metrics import iou_table
    from changer.parsing.train import evaluate

    parser = _load(args.model)
    data = TalkingHeads(data_root(args.data))
    rows, counts, pooled = {}, {}, None
    for split in args.splits:
        frames = data.frames(split)
        if args.max_frames and len(frames) > args.max_frames:
            frames = [frames[i] for i in np.linspace(0, len(frames) - 1, args.max_frames).round().astype(int)]
        acc = evaluate(parser, frames)
        rows[split], counts[split] = acc.iou(), acc.images
        pooled = acc.matrix if pooled is None else pooled + acc.matrix
    if len(rows) > 1 and pooled is not None:
        from changer.parsing.metrics import IoUAccumulator

        total = IoUAccumulator()
        total.matrix = pooled
        rows["all"] = total.iou()
        counts["all"] = sum(counts.values())
    print(f"per-class IoU pooled over frames ({parser}):\n")
    print(iou_table(rows, CLASS_NAMES))
    print("\nframes: " + ", ".join(f"{k} {v}" for k, v in counts.items()))
    return 0


def register(sub: argparse._SubParsersAction) -> None:
    """Add ``parse`` (with ``train`` and ``eval``) to the ``changer`` subcommands."""
    p = sub.add_parser("parse", help="5-class head parsing: label maps, training, evaluation",
                       description=__doc__.split("\n\n")[0] if __doc__ else None)
    p.add_argument("--image", help="photo (or folder of photos) to parse")
    p.add_argument("--out", type=out_path, help="label map PNG to write (a folder for a folder of photos)")
    p.add_argument("--color", action="store_true", help="write the coloured picture instead of values 0..4")
    p.add_argument("--model", help="parser folder or Hub repo id (default: the bundled parser)")
    p.set_defaults(handler=run_parse)
    parse_sub = p.add_subparsers(dest="parse_command", metavar="PARSE_COMMAND")

    t = parse_sub.add_parser("train", help="train the head parser on a talking-heads folder")
    t.add_argument("--data", help="dataset root (default: $CHANGER_DATA or the set beside the repo)")
    t.add_argument("--out", type=out_path, required=True, help="run folder (log.csv, checkpoint/, model/)")
    t.add_argument("--export", type=Path, help="also write the final parser here (e.g. changer/weights/parser)")
    t.add_argument("--max-minutes", type=float, help="wall-time budget (the LR schedule follows it)")
    t.add_argument("--steps", type=int, help="step budget (default 100000)")
    t.add_argument("--crop", type=int, help="training crop side (default 160)")
    t.add_argument("--batch-size", type=int)
    t.add_argument("--lr", type=float)
    t.add_argument("--seed", type=int)
    t.add_argument("--threads", type=int, help="torch threads (default 1)")
    t.add_argument("--widths", type=comma_ints(1, "widths"),
                   help="encoder widths at strides 2..32 (default 16,32,48,80,128; a resumed run keeps its own)")
    t.add_argument("--decoder-widths", type=comma_ints(1, "decoder widths"),
                   help="decoder widths at strides 16..2 (default 80,48,32,24; a resumed run keeps its own)")
    t.add_argument("--dark-key-prob", type=float,
                   help="share of key-colour backgrounds made dim and folded like cloth (default 0)")
    t.add_argument("--val-split", help="validate on this split of other identities (e.g. from `changer data subset "
                   "--holdout-ids`) instead of the clips' tails; the best parser on it is kept in RUN/best")
    t.add_argument("--resume", action="store_true", help="continue from the run folder's checkpoint")
    t.set_defaults(handler=run_train)

    e = parse_sub.add_parser("eval", help="per-class IoU of the parser on dataset splits")
    e.add_argument("--data", help="dataset root (default: $CHANGER_DATA or the set beside the repo)")
    e.add_argument("--splits", type=_csv, default=["test_hdtf", "test_vox", "test_green"])
    e.add_argument("--model", help="parser folder or Hub repo id (default: the bundled parser)")
    e.add_argument("--max-frames", type=int, help="at most N evenly spaced frames per split")
    e.set_defaults(handler=run_eval)


if __name__ == "__main__":  # pragma: no cover
    sys.exit("use `changer parse`")
