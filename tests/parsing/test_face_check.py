"""The no-face check (changer.parsing.face_check): parser confidence and a detector's word."""

from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np
import pytest

from changer import labels as L
from changer.parsing import get_parser
from changer.parsing.face_check import (
    CONFIRM_BELOW,
    MIN_FACE_CONFIDENCE,
    face_problem,
    frontal_face_at,
)


@pytest.fixture(scope="module")
def parser():
    found = get_parser()
    if found is None:
        pytest.skip("no bundled parser")
    return found


def _gray(rgb: np.ndarray) -> np.ndarray:
    return cv2.cvtColor(rgb, cv2.COLOR_RGB2GRAY)


def test_the_detector_judges_only_the_parsed_face() -> None:
    from skimage.data import astronaut

    photo = astronaut()
    face = np.zeros(photo.shape[:2], bool)
    face[80:170, 180:260] = True  # her face
    assert frontal_face_at(_gray(photo), face)
    elsewhere = np.zeros_like(face)
    elsewhere[380:470, 30:110] = True  # the suit's sleeve
    assert not frontal_face_at(_gray(photo), elsewhere)
    assert not frontal_face_at(_gray(photo), None)
    assert not frontal_face_at(_gray(photo), np.zeros_like(face))
    corner = np.zeros_like(face)
    corner[:3, :3] = True  # a tiny box at the edge: padded (no crash), and no face there
    assert not frontal_face_at(_gray(photo), corner)


def test_face_problem_names_each_reason() -> None:
    rng = np.random.default_rng(0)
    noise = rng.integers(0, 256, (64, 64, 3), dtype=np.uint8)
    textured = cv2.resize(noise[:16, :16], (64, 64), interpolation=cv2.INTER_CUBIC)  # blotches, not pixel noise
    labels = np.zeros((64, 64), np.uint8)
    labels[16:48, 16:48] = L.FACE
    assert "pixel noise" in face_problem(noise, labels, 0.98)  # however sure the parser is
    assert "pixel noise" in face_problem(noise[..., 0], labels, 0.98)
    assert "50% sure" in face_problem(textured, labels, 0.5)
    assert face_problem(textured, np.zeros_like(labels), 0.9) is not None  # no face pixels at all
    flat = np.full_like(textured, 120)
    assert "featureless" in face_problem(flat, labels, 0.95)
    between = (MIN_FACE_CONFIDENCE + CONFIRM_BELOW) / 2
    assert "face detector" in face_problem(textured, labels, between)  # blotches are no face
    assert face_problem(textured, labels, CONFIRM_BELOW) is None  # sure enough: no detector asked
    assert face_problem(textured[..., 0], labels, CONFIRM_BELOW) is None  # gray pictures too
    for cast in ((0.5, 1.0, 0.5), (0.6, 0.8, 1.2)):  # a green and a blue "face": leaves, sky
        tinted = np.clip(textured * np.array(cast), 0, 255).astype(np.uint8)
        assert "not a skin tone" in face_problem(tinted, labels, 0.95)
    warm = np.clip(textured * np.array((1.2, 0.9, 0.7)), 0, 255).astype(np.uint8)
    assert face_problem(warm, labels, 0.95) is None


def test_faces_pass_and_most_non_faces_are_refused(parser) -> None:
    """Half of scikit-image's LFW subset: 50 face crops and 50 non-faces (25x25 gray, scaled up).
    Parser confidence alone let about half of the non-faces through."""
    from skimage.data import lfw_subset

    def passes(img: np.ndarray) -> bool:
        rgb = np.repeat(cv2.resize((img * 255).astype(np.uint8), (200, 200), interpolation=cv2.INTER_CUBIC)[..., None], 3, 2)
        parsed = parser.parse(rgb)
        return face_problem(rgb, parsed.labels, parsed.face_confidence) is None

    crops = lfw_subset()
    faces, others = crops[:100:2], crops[100::2]
    assert all(passes(img) for img in faces)
    assert sum(passes(img) for img in others) <= 1  # 9 of 50 with the 0.36 M parser, 3 with the 0.55 M one, 0 since CONFIRM_BELOW is 0.9


def test_real_photos_pass_and_textures_are_refused(parser) -> None:
    from skimage import data

    def problem(rgb: np.ndarray) -> str | None:
        rgb = np.ascontiguousarray(np.repeat(rgb[..., None], 3, 2) if rgb.ndim == 2 else rgb[..., :3])
        parsed = parser.parse(rgb)
        return face_problem(rgb, parsed.labels, parsed.face_confidence)

    assert problem(data.astronaut()) is None
    # coffee, the page and the colour wheel passed at 85-90% sure until the bar was raised (the detector is
    # asked below 90%); the cat still passes: the face search finds its face and the detector confirms it
    for name in ("gravel", "moon", "clock", "hubble_deep_field", "text", "coffee", "page", "colorwheel"):
        assert problem(getattr(data, name)()) is not None, name


@pytest.mark.data
def test_no_real_frame_is_refused(parser, shared_data: Path) -> None:
    """Every 10th held-out talking-heads frame passes the whole check."""
    from changer.data.dataset import TalkingHeads

    heads = TalkingHeads(shared_data)
    for split in ("test_hdtf", "test_vox", "test_green"):
        for frame in heads.frames(split)[::10]:
            rgb = frame.load_image()
            parsed = parser.parse(rgb)
            assert face_problem(rgb, parsed.labels, parsed.face_confidence) is None, frame.frame_id
