"""The Blend tab's examples (examples/portraits) blend with the bundled model, and downloads
are named after the inputs."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from demo.examples import PORTRAIT_EXAMPLES, PORTRAITS, example_thumbnails, portrait_examples
from demo.gradio_pipeline import BlendService, download_stem


def test_the_examples_are_the_portraits_with_their_licence_note() -> None:
    assert (PORTRAITS / "README.md").is_file()
    for source, target in portrait_examples():
        assert Path(source).is_file() and Path(target).is_file()
    assert any("green" in t for _, t, _ in PORTRAIT_EXAMPLES), "one example shows a green-screen target"
    thumbs = example_thumbnails()
    assert [c for _, c in thumbs] == [c for *_, c in PORTRAIT_EXAMPLES]
    assert all(Image.open(p).height == 120 for p, _ in thumbs)


def test_download_names_follow_the_inputs() -> None:
    assert download_stem("/tmp/gradio/abc/art_2.jpg", "/x/art_5_green.png") == "art_2_on_art_5_green"
    assert download_stem("/x/My photo (1).JPG", Path("/y/été.png")) == "My-photo-1_on_t"
    assert download_stem(np.zeros((2, 2, 3), np.uint8), b"png") == "source_on_target"  # no file name
    assert download_stem("/x/....png", "/x/" + "a" * 99 + ".png") == f"source_on_{'a' * 40}"


@pytest.mark.slow
def test_every_example_blends_with_the_bundled_model() -> None:
    """What a visitor gets on clicking an example (the bundled model and parser, CPU)."""
    service = BlendService()
    for source, target in portrait_examples():
        out = service.blend(source, target)
        height, width = np.asarray(Image.open(target)).shape[:2]
        assert out.result.shape[:2] == (height, width)
        assert Path(out.download).name == f"{Path(source).stem}_on_{Path(target).stem}.png"
        assert out.status.startswith("Done with **CHANGER (default)**"), out.status
        if "green" in target:
            assert "green key" in out.status  # keyed exactly
