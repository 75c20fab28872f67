"""Black bars along a picture's edges (``changer.letterbox``)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
from PIL import Image

from changer.letterbox import Bars, find_bars


def _scene(h: int = 200, w: int = 240, seed: int = 0) -> np.ndarray:
    """A textured picture (no flat black anywhere)."""
    rng = np.random.default_rng(seed)
    return rng.integers(40, 220, (h, w, 3), dtype=np.uint8)


def test_black_flat_bars_are_found_on_every_side() -> None:
    img = _scene()
    img[:16] = 0
    img[-5:] = 3  # JPEG-dark, not exactly 0
    img[:, :2] = 0
    bars = find_bars(img)
    assert bars == Bars(top=16, bottom=5, left=2, right=0)
    assert bars.crop(img).shape == (200 - 21, 240 - 2, 3)
    assert bars.crop(img).min() >= 40


def test_a_bars_noisier_last_lines_count_with_it() -> None:
    """JPEG ringing where the picture begins makes a bar's last line or two less flat."""
    rng = np.random.default_rng(2)
    img = _scene()
    img[:24] = 0
    img[22:24] = rng.integers(0, 18, (2, 240, 3), dtype=np.uint8)  # black, but a standard deviation of about 3.6
    assert find_bars(img).top == 24
    img[:24] = rng.integers(0, 18, (24, 240, 3), dtype=np.uint8)  # all of it that noisy: no bar
    assert not find_bars(img)


def test_dark_textured_edges_and_thin_lines_are_no_bars() -> None:
    rng = np.random.default_rng(1)
    img = _scene()
    img[:30] = rng.integers(0, 36, (30, 240, 3), dtype=np.uint8)  # dark hair or a dark backdrop: texture
    img[-1:] = 0  # a one-pixel line
    assert not find_bars(img)


def test_a_picture_that_is_nearly_all_black_keeps_its_bars() -> None:
    """Bars are at most 35% of a side, and never leave less than 64 px."""
    img = np.zeros((200, 200, 3), np.uint8)
    img[90:110] = _scene(20, 200)
    assert not find_bars(img)  # what would be left is 20 px high
    tall = np.zeros((400, 200, 3), np.uint8)
    tall[60:] = _scene(340, 200)
    assert find_bars(tall).top == 60
    tall[:] = 0
    tall[200:] = _scene(200, 200)
    assert not find_bars(tall)  # more than 35% of the height: no letterbox


def test_a_portrait_on_a_black_backdrop_has_no_bars() -> None:
    """Pure black around a person is a backdrop, not bars: the line where the black ends is
    only the person's (cropping there would cut the picture at the hair)."""
    import cv2

    person = np.zeros((300, 240), np.uint8)
    cv2.ellipse(person, (120, 130), (50, 65), 0, 0, 360, 1, -1)  # the head
    cv2.ellipse(person, (120, 300), (120, 90), 0, 0, 360, 1, -1)  # shoulders to the picture's sides
    img = np.where(person[..., None] > 0, _scene(300, 240), 0).astype(np.uint8)
    assert not find_bars(img)
    img[:, :] = _scene(300, 240)
    img[:20] = 0
    img[20:60, 70:170] = 0  # a bar, then a dark region under it that only covers part of the row
    assert find_bars(img).top == 20


def test_on_the_talking_heads_frames_only_the_letterboxed_still_has_bars(shared_data: Path) -> None:
    frames = shared_data / "frames"
    found = {}
    for clip in sorted(p for p in frames.iterdir() if p.is_dir()):
        first = sorted(clip.glob("*.jpg"))[:1]
        if first:
            bars = find_bars(np.asarray(Image.open(first[0]).convert("RGB")))
            if bars:
                found[clip.name] = bars
    assert found.get("styletalk-spata-clip1", Bars()).top >= 14  # a film still, letterboxed
    assert "styletalk-feifeili-clip1" not in found  # a stage talk's near-black backdrop is not a bar
    assert set(found) <= {"styletalk-spata-clip1", "styletalk-sadgirl-clip1"}  # sadgirl: a 2 px scan border
