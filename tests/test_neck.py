"""The generated neck's colour (changer.neck)."""

from __future__ import annotations

import cv2
import numpy as np

from changer.neck import MIN_PIXELS, tint_neck

SKIN = (205, 150, 125)
GRAY = (150, 150, 160)  # the washed-out neck the network draws


def _picture() -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """A skin-coloured face above a gray neck on green, with a little texture."""
    img = np.zeros((96, 96, 3), np.uint8)
    img[...] = (0, 177, 64)
    face = np.zeros((96, 96), bool)
    face[10:50, 28:68] = True
    neck = np.zeros((96, 96), bool)
    neck[50:80, 36:60] = True
    img[face], img[neck] = SKIN, GRAY
    noise = np.random.default_rng(0).integers(-6, 7, img.shape)
    img = np.clip(img.astype(int) + noise * (face | neck)[..., None], 0, 255).astype(np.uint8)
    return img, neck, face


def _ab(img: np.ndarray, mask: np.ndarray) -> np.ndarray:
    return np.median(cv2.cvtColor(img, cv2.COLOR_RGB2LAB)[mask][:, 1:].astype(float), axis=0)


def _core(mask: np.ndarray, r: int = 3) -> np.ndarray:
    return cv2.erode(mask.astype(np.uint8), np.ones((2 * r + 1, 2 * r + 1), np.uint8)) > 0


def test_the_neck_takes_the_faces_chroma_and_keeps_its_lightness() -> None:
    img, neck, face = _picture()
    out = tint_neck(img, neck, face)
    core = _core(neck)
    assert np.abs(_ab(out, core) - _ab(img, face)).max() <= 2  # was about 20 away
    assert np.abs(_ab(img, core) - _ab(img, face)).max() > 10
    lightness = [cv2.cvtColor(x, cv2.COLOR_RGB2LAB)[core][:, 0].astype(float).mean() for x in (out, img)]
    assert abs(lightness[0] - lightness[1]) < 2
    np.testing.assert_array_equal(out[~neck], img[~neck])  # nothing else changes, bit for bit
    half = tint_neck(img, neck, face, strength=0.5)
    middle = (_ab(img, core) + _ab(img, face)) / 2
    assert np.abs(_ab(half, core) - middle).max() <= 2


def test_the_shift_fades_in_at_the_border_but_not_under_the_chin() -> None:
    img, neck, face = _picture()
    out = tint_neck(img, neck, face)
    moved = np.abs(out.astype(int) - img).sum(axis=2).astype(float)
    middle = moved[62:68, 45:51].mean()
    assert moved[79, 45:51].mean() < 0.8 * middle  # the bottom row, beside the rest of the body
    assert moved[62:68, 36].mean() < 0.8 * middle  # the outer column, beside the background
    assert moved[50, 45:51].mean() > 0.9 * middle  # the top row, just under the chin: full shift


def test_other_colours_inside_the_neck_keep_theirs() -> None:
    img, neck, face = _picture()
    img[70:78, 40:56] = (20, 40, 220)  # a blue scarf
    out = tint_neck(img, neck, face)
    np.testing.assert_array_equal(out[70:78, 40:56], img[70:78, 40:56])
    assert (out[55:68, 40:56] != img[55:68, 40:56]).any()


def test_nothing_to_go_by_changes_nothing() -> None:
    img, neck, face = _picture()
    tiny = np.zeros_like(neck)
    tiny[60, 40:40 + MIN_PIXELS - 1] = True
    for args in ((neck, face, 0.0), (tiny, face, 1.0), (neck, np.zeros_like(face), 1.0)):
        assert tint_neck(img, *args) is img
