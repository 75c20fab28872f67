"""Background pieces labelled hair along the head's outline (changer.parsing.fringe)."""

from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np
import pytest

from changer import labels as L
from changer.parsing import HeadParser, ParseOptions, ParserConfig, ParserNet, get_parser
from changer.parsing.fringe import MIN_GAP, _features, drop_background_fringe

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
    """The features are CIELAB (L 0-100) and place: the blob-white lies far above
    :data:`MIN_GAP` from the dark hair, the dim backdrop below it, and 1% of the head's
    size is one unit of place."""
    rgb = np.array([[(235, 235, 240), (35, 25, 20), (45, 38, 34)]], np.uint8)
    white, hair, dim = _features(rgb, size=100.0)[0]
    assert np.linalg.norm(white[:3] - hair[:3]) > 5 * MIN_GAP
    assert np.linalg.norm(dim[:3] - hair[:3]) < MIN_GAP
    assert white[0] == pytest.approx(93.0, abs=2) and abs(white[1]) < 2  # L* of near-white, neutral a*
    np.testing.assert_allclose(dim[3:] - white[3:], (0.0, 2.0))  # 2 px apart at a 100 px head


def test_a_light_patch_enclosed_by_hair_near_the_outline_is_kept() -> None:
    """A light patch within the tested band but surrounded by hair (a clip, a highlight) is not
    joined to the background: dropping it would leave a hole in the head."""
    rgb, labels = _portrait(backdrop=(235, 235, 240))
    cv2.circle(rgb, (100, 42), 2, (235, 235, 240), -1)  # 2-6 px inside the outline (y = 38): all tested
    out = drop_background_fringe(rgb, labels)
    assert (out[40:45, 98:103] == L.HAIR).all()


def test_the_parser_runs_the_step_only_when_asked(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import changer.parsing.parser as parser_module

    calls: list[tuple[int, int]] = []
    monkeypatch.setattr(parser_module, "drop_background_fringe", lambda rgb, labels: calls.append(rgb.shape[:2]) or labels)
    tiny = ParserConfig(widths=(4, 8, 8, 16, 16), depths=(1, 1, 1, 1, 1), expand=1, decoder_widths=(8, 8, 8, 8))
    net = ParserNet(tiny).eval()
    picture = np.random.default_rng(0).integers(0, 256, (80, 100, 3), dtype=np.uint8)
    quiet = dict(reframe=False, relight=False, search=False)
    HeadParser(net, device="cpu", fringe=False, **quiet)(picture)
    assert calls == []
    HeadParser(net, device="cpu", **quiet)(picture)
    assert calls == [(80, 100)]


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


def test_a_slab_of_backdrop_taken_for_hair_far_from_the_face_is_dropped() -> None:
    from changer.parsing.fringe import drop_backdrop_hair

    h = w = 200
    rgb = np.zeros((h, w, 3), np.uint8)
    rgb[...] = (200, 160, 40)  # a gold painted backdrop
    labels = np.zeros((h, w), np.uint8)
    yy, xx = np.mgrid[:h, :w]
    face = (yy - 110) ** 2 + (xx - 100) ** 2 <= 35 ** 2
    hair = ((yy - 100) ** 2 + (xx - 100) ** 2 <= 60 ** 2) & ~face
    labels[hair], labels[face] = L.HAIR, L.FACE
    rgb[hair] = (70, 70, 75)  # gray hair
    rgb[face] = (220, 180, 160)
    slab = (yy < 60) & (xx < 60) & (xx + yy > 50)  # backdrop labelled hair, joined to the hair at the top left
    labels[slab] = L.HAIR
    lock = (yy > 150) & (yy < 175) & (xx > 150) & (xx < 170)  # real hair (gray) far from the face
    labels[lock], rgb[lock] = L.HAIR, (70, 70, 75)
    out = drop_backdrop_hair(rgb, labels)
    assert (out[slab] == L.BACKGROUND).mean() > 0.9
    assert (out[lock] == L.HAIR).all() and (out[hair & ~slab] == L.HAIR).mean() > 0.98 and (out[face] == L.FACE).all()
