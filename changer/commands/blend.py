"""``changer blend``: put a source head onto target photos.

One pair (``--source`` file, ``--target`` file, ``--out`` file), one head onto many bodies
(``--source`` file, ``--target`` folder, ``--out`` folder) or pairs (both folders, paired
in sorted order). Label maps (``--source-labels``/``--target-labels``) are files in the
single-pair case and folders in the folder case, matched to images by file stem
(``photo.jpg`` -> ``photo.png``).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from changer.cli import out_path
from changer.folders import picture_path, writable_folder

IMAGE_EXTS = (".png", ".jpg", ".jpeg", ".webp", ".bmp", ".tif", ".tiff")
KEY_NAMES = {"green": (0, 177, 64), "blue": (0, 71, 187)}


def parse_key_color(text: str) -> tuple[int, int, int]:
    """``green``, ``blue`` or ``R,G,B`` (0..255 each)."""
    value = text.strip().lower()
    if value in KEY_NAMES:
        return KEY_NAMES[value]
    try:
        rgb = tuple(int(v) for v in value.split(","))
    except ValueError:
        rgb = ()
    if len(rgb) != 3 or not all(0 <= v <= 255 for v in rgb):
        raise argparse.ArgumentTypeError(f"key colour must be green, blue or R,G,B in 0..255, got {text!r}")
    return rgb  # type: ignore[return-value]


def parse_offset(text: str) -> tuple[float, float]:
    """``DX,DY`` in fractions of the head size."""
    try:
        dx, dy = (float(v) for v in text.split(","))
    except ValueError:
        raise argparse.ArgumentTypeError(f"offset must be DX,DY (e.g. 0.05,-0.1), got {text!r}") from None
    return dx, dy


def list_images(folder: Path) -> list[Path]:
    """Image files of a folder, sorted by name."""
    return sorted(p for p in folder.iterdir() if p.is_file() and p.suffix.lower() in IMAGE_EXTS)


def _labels_for(image: Path, labels: Path | None) -> Path | None:
    """The label map of ``image``: ``labels`` itself, or the file with its stem inside ``labels``."""
    if labels is None or labels.is_file():
        return labels
    for ext in (".png", *IMAGE_EXTS):
        candidate = labels / f"{image.stem}{ext}"
        if candidate.is_file():
            return candidate
    raise FileNotFoundError(f"no label map for {image.name} in {labels}")


def plan_jobs(args: argparse.Namespace) -> list[tuple[Path, Path, Path]]:
    """``(source, target, out)`` triples from the command line (see module docstring)."""
    src, tgt, out = Path(args.source), Path(args.target), Path(args.out)
    for path, name in ((src, "--source"), (tgt, "--target")):
        if not path.exists():
            raise FileNotFoundError(f"{name}: {path} does not exist")
    if src.is_file() and tgt.is_file():
        dest = out / f"{tgt.stem}.png" if out.is_dir() else out
        return [(src, tgt, picture_path(dest))]
    if src.is_dir() and tgt.is_file():
        raise ValueError("--source is a folder but --target is a file: give a target folder (pairs) or a source file")
    targets = list_images(tgt)
    if not targets:
        raise ValueError(f"--target: no images in {tgt}")
    writable_folder(out)
    if src.is_file():
        return [(src, t, out / f"{t.stem}.png") for t in targets]
    sources = list_images(src)
    if len(sources) != len(targets):
        raise ValueError(
            f"{len(sources)} source images but {len(targets)} target images: folders are paired in sorted order"
        )
    return [(s, t, out / f"{s.stem}__{t.stem}.png") for s, t in zip(sources, targets)]


def run(args: argparse.Namespace) -> int:
    """Blend every planned pair; folder runs report failures and go on."""
    import numpy as np
    from PIL import Image
    from tqdm import tqdm

    from changer.imageio import InputError
    from changer.pipeline import BlendOptions, HeadBlendingPipeline

    jobs = plan_jobs(args)
    pipe = HeadBlendingPipeline.from_pretrained(args.model)
    if pipe.note:
        print(f"note: {pipe.note}", file=sys.stderr)
    options = BlendOptions(
        key_color=args.key_color, color_reference=args.color_reference, align_scale=args.scale,
        align_offset=args.offset, output_background=args.output_background, resolution=args.resolution,
        upright=not args.keep_orientation,
        **({} if args.edge_softness is None else {"edge_softness": args.edge_softness}),
    )
    src_labels, tgt_labels = _opt_path(args.source_labels), _opt_path(args.target_labels)
    failures = 0
    single = len(jobs) == 1 and Path(args.target).is_file()
    for source, target, dest in tqdm(jobs, desc="blend", unit="img", disable=single or args.quiet):
        try:
            result = pipe(
                source, target, args.background,
                source_labels=_labels_for(source, src_labels), target_labels=_labels_for(target, tgt_labels),
                options=options,
            )
        except (InputError, FileNotFoundError) as err:
            if single:
                raise
            failures += 1
            tqdm.write(f"skipped {source.name} onto {target.name}: {err}", file=sys.stderr)
            continue
        dest.parent.mkdir(parents=True, exist_ok=True)
        Image.fromarray(np.ascontiguousarray(result.image)).save(dest)
        for note in result.notes:
            if note != pipe.note and single:
                print(f"note: {note}", file=sys.stderr)
        if single:
            print(f"wrote {dest} ({result.method})")
    if not single:
        print(f"wrote {len(jobs) - failures} of {len(jobs)} images to {args.out} ({pipe.blender.name})")
    return 1 if failures else 0


def _opt_path(value: str | None) -> Path | None:
    return None if value is None else Path(value)


def register(sub: argparse._SubParsersAction) -> None:
    """Add ``blend`` to the CLI's subcommands."""
    p = sub.add_parser(
        "blend", help="put a source head onto target photos",
        description="Blend a source head onto a target photo (or a folder of them). "
        "Pictures are parsed by the bundled head parser; 5-class label maps (0 background, 1 face, "
        "2 hair, 3 neck, 4 body) given with --source-labels/--target-labels take precedence.",
    )
    p.add_argument("--source", required=True, help="source photo (the head), or a folder")
    p.add_argument("--target", required=True, help="target photo (the body), or a folder")
    p.add_argument("--background", help="background image to put the result on")
    p.add_argument("--source-labels", help="label map of the source (a folder when --source is one)")
    p.add_argument("--target-labels", help="label map of the target (a folder when --target is one)")
    p.add_argument("--model", help="model folder, bundled model (default_cpu, h2sb, ...), Hub repo id or baseline "
                   "(paste, poisson, inpaint, laplacian); "
                   "default: the bundled weights")
    p.add_argument("--key-color", type=parse_key_color,
                   help="green, blue or R,G,B: the key behind the new person with --output-background key (default: the model's)")
    p.add_argument("--color-reference", choices=("target", "source"), default="target",
                   help="target: match the target's skin tone (default); source: keep the source's colours")
    p.add_argument("--scale", type=float, default=1.0, help="multiplier on the automatic head size")
    p.add_argument("--offset", type=parse_offset, default=(0.0, 0.0), help="DX,DY head shift in head sizes")
    p.add_argument("--output-background", choices=("original", "key", "image"),
                   help="default: image when --background is given, else original")
    p.add_argument("--resolution", type=int, help="working resolution (default: the model's)")
    p.add_argument("--edge-softness", type=float,
                   help="blur (px at the working resolution) that anti-aliases the new outline; 0 = hard "
                        "(default: the pipeline's, 0.8)")
    p.add_argument("--keep-orientation", action="store_true",
                   help="do not turn photos whose person lies on their side or upside down upright")
    p.add_argument("--out", type=out_path, required=True, help="output file, or folder for folder inputs")
    p.add_argument("--quiet", action="store_true", help="no progress bar")
    p.set_defaults(handler=run)
