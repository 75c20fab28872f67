"""Tone curves (changer.tone)."""

from __future__ import annotations

import numpy as np
import pytest

from changer import labels as L
from changer import tone


def _face(value: int, size: int = 64) -> tuple[np.ndarray, np.ndarray]:
    labels = np.zeros((size, size), np.uint8)
    labels[8:20, 16:48] = L.HAIR
    labels[20:50, 20:44] = L.FACE
    img = np.full((size, size, 3), 30, np.uint8)
    img[labels == L.FACE] = value
    return img, labels


@pytest.mark.parametrize(("level", "target"), [(60, 130), (200, 130), (176, 100), (130, 130)])
def test_curve_takes_a_level_to_its_target(level: int, target: int) -> None:
    curve = tone.curve_to(level, target)
    assert curve.dtype == np.uint8 and curve.shape == (256,)
    assert abs(int(curve[level]) - target) <= 1
    assert (np.diff(curve.astype(int)) >= 0).all() and curve[0] == 0 and curve[255] == 255


def test_curve_is_bounded() -> None:
    lo, hi = tone.GAMMA_RANGE
    assert tone.curve_to(2, 250)[128] == round(255 * (128 / 255) ** lo)  # the strongest brightening
    assert tone.curve_to(250, 2)[128] == round(255 * (128 / 255) ** hi)  # the strongest darkening
    img = np.arange(256, dtype=np.uint8)[None]
    assert tone.apply_curve(img, None) is img


def test_face_luma_and_head_curve() -> None:
    bright, labels = _face(200)
    dark, _ = _face(130)
    assert tone.face_luma(bright, labels) == pytest.approx(200)
    assert tone.face_luma(bright, np.zeros_like(labels)) is None
    curve = tone.head_curve(bright, labels, dark, labels)
    assert curve is not None and abs(int(curve[200]) - 130) <= 1
    assert tone.head_curve(bright, labels, dark, np.zeros_like(labels)) is None


def test_apply_curve_within_bends_the_mask_only() -> None:
    img, labels = _face(200)
    face = labels == L.FACE
    curve = tone.curve_to(200, 80)
    out = tone.apply_curve_within(img, curve, face, feather=1.0)
    inner, outer = np.zeros_like(face), np.ones_like(face)
    inner[24:46, 24:40] = True
    outer[16:54, 16:48] = False
    np.testing.assert_array_equal(out[inner], tone.apply_curve(img, curve)[inner])
    np.testing.assert_array_equal(out[outer], img[outer])
    assert tone.apply_curve_within(img, curve, np.zeros_like(face), 1.0) is img
