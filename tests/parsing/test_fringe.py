"""Background pieces labelled hair along the head's outline (changer.parsing.fringe)."""

from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np
import pytest

from changer import labels as L
from changer.parsing import HeadParser, ParseOptions, ParserConfig, ParserNet, get_parser
from changer.parsing.fringe import MIN_GAP, drop_background_fringe

STARS = ((40, 70), (36, 132), (130, 40))
"""Centres ``(y, x)`` of the white blobs that touch the hair's outline in :func:`_portrait`."""

LONE_STARS = ((20, 20), (30, 175), (150, 180), (170, 25))
"""White blobs of the same backdrop away from the head."""


def _portrait(backdrop: tuple[int, int, int], hair_rgb: tuple[int, int, int] = (35, 25, 20),
              seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """A 200 px picture: a skin face under a dark hair cap on ``backdrop`` with white blobs
    (a flag's stars), three of them astride the hair's outline; the labels call the hair cap
    *and the blobs' parts within 4 px of it* hair."""
    rng = np.random.default_rng(seed)
    rgb = np.empty((200, 200, 3), np.float32)
    rgb[:] = backdrop
    labels = np.zeros((200, 200), np.uint8)
    cap = np.zeros((200, 200), np.uint8)
    cv2.circle(cap, (100, 100), 62, 1, -1)
    rgb[cap > 0] = hair_rgb
    labels[cap > 0] = L.HAIR
    face = np.zeros_like(cap)
    cv2.ellipse(face, (100, 118), (40, 50), 0, 0, 360, 1, -1)
    rgb[face > 0] = (205, 160, 135)
    labels[face > 0] = L.FACE
    near_cap = np.zeros_like(cap)
    cv2.circle(near_cap, (100, 100), 66, 1, -1)
    for y, x in STARS + LONE_STARS:
        blob = np.zeros_like(cap)
        cv2.circle(blob, (x, y), 6, 1, -1)
        rgb[blob > 0] = (235, 235, 240)
        labels[(blob > 0) & (near_cap > 0)] = L.HAIR  # the parser's spill: the blob's part near the hair
    rgb += rng.normal(0, 3, rgb.shape)
    return np.clip(rgb, 0, 255).astype(np.uint8), labels


def _dropped(before: np.ndarray, after: np.ndarray) -> np.ndarray:
    return (before == L.HAIR) & (after == L.BACKGROUND)


def test_background_blobs_labelled_hair_are_dropped() -> None:
    rgb, labels = _portrait(backdrop=(30, 40, 110))
    out = drop_background_fringe(rgb, labels)
    dropped = _dropped(labels, out)
    for y, x in STARS:
        assert out[y, x] == L.BACKGROUND, (y, x)
    spilled = (labels == L.HAIR) & (rgb.mean(axis=2) > 150)
    assert dropped.sum() > 0.8 * spilled.sum()
    # real hair stays: only white pixels went, and the face and the cap's inside are untouched
    assert (rgb[dropped].mean(axis=1) > 150).all()
    np.testing.assert_array_equal(out[labels == L.FACE], L.FACE)
    assert out[100, 45] == L.HAIR and out[45, 100] == L.HAIR


def test_hair_close_to_its_backdrop_is_kept() -> None:
    """Dark hair on a dark backdrop: the outline's pixels differ from the hair by less than
    :data:`MIN_GAP`, so nothing goes (the pixels of a soft, dim outline look like both)."""
    rgb, labels = _portrait(backdrop=(45, 38, 34))
    for y, x in STARS:  # the blobs astride the outline are the backdrop's colour here
        cv2.circle(rgb, (x, y), 6, (45, 38, 34), -1)
    assert drop_background_fringe(rgb, labels) is labels


def test_a_light_patch_inside_the_hair_is_kept() -> None:
    """Only pixels near the background are tested: a white clip in the hair stays hair."""
    rgb, labels = _portrait(backdrop=(30, 40, 110))
    cv2.circle(rgb, (100, 50), 4, (235, 235, 240), -1)
    out = drop_background_fringe(rgb, labels)
    assert (out[46:55, 96:105] == L.HAIR).all()


def test_the_same_pixels_go_at_any_picture_size() -> None:
    """A large picture is tested with the head scaled to the work size: the drops match."""
    rgb, labels = _portrait(backdrop=(30, 40, 110))
    small = _dropped(labels, drop_background_fringe(rgb, labels))
    big_rgb = cv2.resize(rgb, None, fx=5, fy=5, interpolation=cv2.INTER_CUBIC)
    big_labels = cv2.resize(labels, None, fx=5, fy=5, interpolation=cv2.INTER_NEAREST)
    big = _dropped(big_labels, drop_background_fringe(big_rgb, big_labels))
    back = cv2.resize(big.astype(np.uint8), (200, 200), interpolation=cv2.INTER_AREA) > 0
    agree = (back & small).sum() / max(1, (back | small).sum())
    assert agree > 0.7, agree


@pytest.mark.parametrize("kind", ["no hair", "no background"])
def test_nothing_to_test_returns_the_labels(kind: str) -> None:
    rgb, labels = _portrait(backdrop=(30, 40, 110))
    labels = np.where(labels == L.HAIR, L.FACE, labels) if kind == "no hair" else np.where(labels == 0, L.BODY, labels)
    labels = labels.astype(np.uint8)
    assert drop_background_fringe(rgb, labels) is labels


def test_gap_is_in_lab_units() -> None:
    """The constant is what its docstring says: a CIELAB distance (the blob-white against the
    dark hair is far above it, the dark backdrop against the hair below it)."""
    white, hair, dim = (np.array([[c]], np.uint8) for c in ((235, 235, 240), (35, 25, 20), (45, 38, 34)))
    lab = [cv2.cvtColor(c, cv2.COLOR_RGB2LAB).astype(np.float32)[0, 0] * [100 / 255, 1, 1] for c in (white, hair, dim)]
    assert np.linalg.norm(lab[0] - lab[1]) > 5 * MIN_GAP
    assert np.linalg.norm(lab[2] - lab[1]) < MIN_GAP


def test_parse_options_as_flags(tmp_path: Path) -> None:
    """Each step is a :class:`ParseOptions` field, given as a flag or as options; unknown
    flags are refused."""
    tiny = ParserConfig(widths=(4, 8, 8, 16, 16), depths=(1, 1, 1, 1, 1), expand=1, decoder_widths=(8, 8, 8, 8))
    ParserNet(tiny).save_pretrained(tmp_path / "tiny")
    tiny_dir = tmp_path / "tiny"
    parser = HeadParser.from_pretrained(tiny_dir, device="cpu", fringe=False)
    assert parser.options == ParseOptions(fringe=False)
    given = HeadParser.from_pretrained(tiny_dir, device="cpu", options=ParseOptions(flip=False), search=False)
    assert given.options == ParseOptions(flip=False, search=False)
    with pytest.raises(TypeError):
        HeadParser(parser.net, device="cpu", sharpen=True)


@pytest.mark.data
def test_fringe_raises_hair_iou_on_held_out_frames(shared_data: Path) -> None:
    """On every fourth test frame the bundled parser's hair IoU rises (0.783 -> 0.794 on all
    144 frames when written)."""
    from changer.data.dataset import TalkingHeads
    from changer.parsing.train import evaluate

    found = get_parser()
    if found is None:
        pytest.skip("no bundled parser")
    heads = TalkingHeads(shared_data)
    frames = [f for split in ("test_hdtf", "test_vox", "test_green") for f in heads.frames(split)[::4]]
    pairs = [(f.load_image(), f.load_labels()) for f in frames]
    plain = evaluate(HeadParser(found.net, device="cpu", fringe=False), pairs).iou()
    fringe = evaluate(HeadParser(found.net, device="cpu"), pairs).iou()
    assert fringe[L.HAIR] > plain[L.HAIR] + 0.004
    assert fringe[L.BACKGROUND] >= plain[L.BACKGROUND]
