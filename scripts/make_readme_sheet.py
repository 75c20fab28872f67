"""Make the README's picture: a contact sheet of example blends (source | target | result).

    python scripts/make_readme_sheet.py                 # writes docs/images/examples.png
    python scripts/make_readme_sheet.py --out sheet.png --cell 200

It blends a few fixed pairs of the bundled example portraits (``examples/portraits/``, see
the licence note there) through ``HeadBlendingPipeline.from_pretrained()``: the bundled
default model, its head parser found automatically, default options. Where those portraits
are missing it falls back to the synthetic people of ``demo/examples.py`` (with their label
maps). Rerun it whenever the blend changes (the model, the parser or the pipeline), and
commit the new picture with that change.
"""

from __future__ import annotations

import argparse
import sys
import textwrap
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from PIL import Image, ImageDraw, ImageFont

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

PORTRAITS = ROOT / "examples" / "portraits"
OUT = ROOT / "docs" / "images" / "examples.png"

PAIRS = [  # (source, target) file names in examples/portraits/
    ("art_13.jpg", "art_2.jpg"),  # a painted man onto a photo-like woman
    ("art_2.jpg", "art_14.jpg"),  # onto a painted backdrop
    ("art_20.jpg", "art_5.jpg"),  # grey hair onto a girl with a bob
    ("art_14.jpg", "art_5_green.png"),  # onto a green-screen target: the chroma-key case
]

BACKGROUND = (255, 255, 255)
INK = (30, 30, 30)
PALE_INK = (110, 110, 110)


@dataclass
class Row:
    source: np.ndarray
    target: np.ndarray
    result: np.ndarray | None
    caption: str  # "source -> target" and, on failure, why


def portrait_rows(pipe, pairs: list[tuple[str, str]]) -> list[Row]:
    from changer.imageio import InputError, read_image

    rows = []
    for src_name, tgt_name in pairs:
        src_path, tgt_path = PORTRAITS / src_name, PORTRAITS / tgt_name
        if not (src_path.exists() and tgt_path.exists()):
            print(f"skipped {src_name} -> {tgt_name}: not in {PORTRAITS}")
            continue
        caption = f"{Path(src_name).stem} onto {Path(tgt_name).stem}"
        source, target = read_image(src_path, "source").rgb, read_image(tgt_path, "target").rgb
        start = time.perf_counter()
        try:
            result = pipe(src_path, tgt_path)
        except InputError as err:
            print(f"{caption}: refused: {err}")
            rows.append(Row(source, target, None, f"{caption}: {err}"))
            continue
        print(f"{caption}: {time.perf_counter() - start:.1f} s" + "".join(f"\n  note: {n}" for n in result.notes))
        rows.append(Row(source, target, result.image, caption))
    return rows


def synthetic_rows(pipe) -> list[Row]:
    """The app's built-in examples: synthetic people with exact label maps."""
    from demo.examples import blend_examples

    rows = []
    for src, tgt, src_lab, tgt_lab in blend_examples():
        result = pipe(src, tgt, source_labels=src_lab, target_labels=tgt_lab)
        caption = f"{Path(src).stem} onto {Path(tgt).stem} (synthetic)"
        rows.append(Row(np.asarray(Image.open(src).convert("RGB")), np.asarray(Image.open(tgt).convert("RGB")),
                        result.image, caption))
    return rows


def fit(img: np.ndarray | None, cell: int) -> Image.Image:
    """``img`` scaled to fit a ``cell`` square, centred on the sheet's background."""
    tile = Image.new("RGB", (cell, cell), BACKGROUND)
    if img is None:
        return tile
    pic = Image.fromarray(img)
    scale = cell / max(pic.size)
    pic = pic.resize((max(1, round(pic.width * scale)), max(1, round(pic.height * scale))), Image.LANCZOS)
    tile.paste(pic, ((cell - pic.width) // 2, (cell - pic.height) // 2))
    return tile


def sheet(rows: list[Row], cell: int, gap: int = 6) -> Image.Image:
    font = ImageFont.load_default(size=13)
    head, caption_h = 20, 18
    width = 3 * cell + 4 * gap
    height = head + len(rows) * (cell + caption_h + gap) + gap
    out = Image.new("RGB", (width, height), BACKGROUND)
    draw = ImageDraw.Draw(out)
    for i, title in enumerate(("source (head)", "target (body)", "result")):
        draw.text((gap + i * (cell + gap) + 4, 4), title, fill=INK, font=font)
    y = head
    for row in rows:
        for i, img in enumerate((row.source, row.target, row.result)):
            out.paste(fit(img, cell), (gap + i * (cell + gap), y))
        if row.result is None:  # say why in the empty result cell
            lines = textwrap.wrap(row.caption.split(": ", 1)[-1], width=max(10, cell // 7))
            draw.multiline_text((gap + 2 * (cell + gap) + 4, y + 4), "\n".join(lines[:8]), fill=PALE_INK, font=font)
        draw.text((gap + 4, y + cell + 2), row.caption.split(": ", 1)[0], fill=PALE_INK, font=font)
        y += cell + caption_h + gap
    return out


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--out", type=Path, default=OUT, help=f"PNG to write (default {OUT.relative_to(ROOT)})")
    ap.add_argument("--cell", type=int, default=200, help="side of each picture's square, px (default 200)")
    ap.add_argument("--threads", type=int, default=2, help="torch threads (default 2)")
    ap.add_argument("--synthetic", action="store_true", help="use demo/examples.py's synthetic people even when portraits exist")
    args = ap.parse_args(argv)

    import torch

    from changer import HeadBlendingPipeline

    torch.set_num_threads(args.threads)
    pipe = HeadBlendingPipeline.from_pretrained()
    rows = [] if args.synthetic else portrait_rows(pipe, PAIRS)
    if not rows:
        print("no example portraits: using the synthetic people of demo/examples.py")
        rows = synthetic_rows(pipe)
    picture = sheet(rows, args.cell)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    picture.save(args.out, optimize=True)
    size = args.out.stat().st_size
    if size > 1_000_000:  # keep the README light: fall back to a 256-colour palette
        picture.quantize(colors=256, method=Image.Quantize.MEDIANCUT, dither=Image.Dither.FLOYDSTEINBERG).save(
            args.out, optimize=True)
        size = args.out.stat().st_size
    print(f"wrote {args.out} ({picture.width}x{picture.height}, {size / 1e3:.0f} kB, {len(rows)} rows)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
