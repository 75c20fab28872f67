"""Example inputs that work out of the box, written once to a temporary folder.

They are made by the project (synthetic people with exact label maps), so the Blend tab
has something to run with no upload and no network.
"""

from __future__ import annotations

import tempfile
from functools import lru_cache
from pathlib import Path

import numpy as np
from PIL import Image

from changer.data.synthetic import synthetic_person
from changer.inputs import DEFAULT_KEY_COLOR


@lru_cache(maxsize=1)
def example_dir() -> Path:
    """Write the example pictures (once per process) and return their folder."""
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
    """Rows of ``[source, target, source labels, target labels]`` file paths."""
    d = example_dir()
    pairs = [("source_short_hair", "target_office"), ("source_long_hair", "target_green_screen")]
    return [[str(d / f"{s}.png"), str(d / f"{t}.png"), str(d / f"{s}_labels.png"), str(d / f"{t}_labels.png")]
            for s, t in pairs]
