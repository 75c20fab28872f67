"""Example inputs that work out of the box.

The Blend tab's examples are the portraits in ``examples/portraits/`` (their licence note
is the README there): :data:`PORTRAIT_EXAMPLES`, pairs chosen to show the method at its
best and on a green-screen target. The synthetic people (:func:`example_dir`,
:func:`blend_examples`: made by the project, with exact label maps) are no longer on the
page; the tests, the load test and the README sheet still use them.
"""

from __future__ import annotations

import tempfile
from functools import lru_cache
from pathlib import Path

import numpy as np
from PIL import Image

from changer.data.synthetic import synthetic_person
from changer.inputs import DEFAULT_KEY_COLOR

PORTRAITS = Path(__file__).resolve().parents[1] / "examples" / "portraits"
"""The bundled example portraits."""

PORTRAIT_EXAMPLES: tuple[tuple[str, str, str], ...] = (
    ("art_2.jpg", "art_5_green.png", "green-screen target"),
    ("art_2.jpg", "art_5.jpg", "photo-like portraits"),
    ("art_13.jpg", "art_20.jpg", "painted portraits"),
    ("art_2.jpg", "full_body_1.jpg", "small face, full body"),
)
"""The Blend tab's examples: ``(source, target, caption)``, files of :data:`PORTRAITS`.
Each was blended with the bundled model and looked at (``tests/demo`` blends them all)."""

THUMB_HEIGHT = 120
"""Height of an example's picture on the page (source, arrow, target side by side)."""


def portrait_examples() -> list[tuple[str, str]]:
    """``(source path, target path)`` of each example."""
    return [(str(PORTRAITS / s), str(PORTRAITS / t)) for s, t, _ in PORTRAIT_EXAMPLES]


@lru_cache(maxsize=1)
def example_thumbnails() -> list[tuple[str, str]]:
    """``(picture, caption)`` per example for a ``gr.Gallery``: the source and the target
    side by side with an arrow between them, written once per process."""
    from PIL import ImageDraw

    folder = Path(tempfile.gettempdir()) / "changer-examples"
    folder.mkdir(parents=True, exist_ok=True)
    out = []
    h, gap = THUMB_HEIGHT, 28
    for i, (s, t, caption) in enumerate(PORTRAIT_EXAMPLES):
        pictures = []
        for name in (s, t):
            with Image.open(PORTRAITS / name) as im:
                im = im.convert("RGB")
                pictures.append(im.resize((max(1, round(im.width * h / im.height)), h), Image.LANCZOS))
        thumb = Image.new("RGB", (pictures[0].width + gap + pictures[1].width, h), "white")
        thumb.paste(pictures[0], (0, 0))
        thumb.paste(pictures[1], (pictures[0].width + gap, 0))
        draw = ImageDraw.Draw(thumb)
        x0, x1, y = pictures[0].width + 5, pictures[0].width + gap - 5, h // 2
        draw.line([(x0, y), (x1, y)], fill=(60, 60, 60), width=3)
        draw.polygon([(x1 + 2, y), (x1 - 7, y - 7), (x1 - 7, y + 7)], fill=(60, 60, 60))
        path = folder / f"example_{i}_{Path(s).stem}_on_{Path(t).stem}.jpg"
        thumb.save(path, quality=90)
        out.append((str(path), caption))
    return out


@lru_cache(maxsize=1)
def example_dir() -> Path:
    """Write the synthetic example pictures (once per process) and return their folder."""
    folder = Path(tempfile.gettempdir()) / "changer-examples"
    folder.mkdir(parents=True, exist_ok=True)
    people = {
        "source_short_hair": synthetic_person(256, np.random.default_rng(11)),
        "source_long_hair": synthetic_person(256, np.random.default_rng(12), long_hair=True),
        "target_office": synthetic_person(256, np.random.default_rng(21)),
        "target_green_screen": synthetic_person(256, np.random.default_rng(22), background=DEFAULT_KEY_COLOR),
    }
    for name, (img, lab) in people.items():
        Image.fromarray(img).save(folder / f"{name}.png")
        Image.fromarray(lab).save(folder / f"{name}_labels.png")
    return folder


def blend_examples() -> list[list[str]]:
    """Synthetic rows of ``[source, target, source labels, target labels]`` file paths."""
    d = example_dir()
    pairs = [("source_short_hair", "target_office"), ("source_long_hair", "target_green_screen")]
    return [[str(d / f"{s}.png"), str(d / f"{t}.png"), str(d / f"{s}_labels.png"), str(d / f"{t}_labels.png")]
            for s, t in pairs]
