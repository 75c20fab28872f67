"""dlib faces, offline (changer.faces) on the bundled example portraits."""

from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np
import pytest
from PIL import Image

from changer import faces as F

PORTRAITS = Path(__file__).resolve().parents[1] / "examples" / "portraits"


def portrait(name: str) -> np.ndarray:
    return np.asarray(Image.open(PORTRAITS / name).convert("RGB"))


def test_finds_one_face_with_68_landmarks_inside_its_box() -> None:
    img = portrait("art_5.jpg")
    face = F.find_face(img)
    assert face is not None and face.detected
    assert face.landmarks.shape == (68, 2)
    x0, y0, x1, y1 = face.box
    inside = (face.landmarks[:, 0] >= x0 - 10) & (face.landmarks[:, 0] <= x1 + 10)
    assert inside.mean() > 0.9 and 60 < face.size < 400 and abs(face.roll) < 5


def test_same_person_is_near_and_another_far() -> None:
    a, b = portrait("art_5.jpg"), portrait("art_14.jpg")
    fa, fb = F.find_face(a), F.find_face(b)
    assert fa is not None and fb is not None
    da, db = F.descriptor(a, fa), F.descriptor(b, fb)
    small = cv2.resize(a, None, fx=0.7, fy=0.7, interpolation=cv2.INTER_AREA)
    fs = F.find_face(small)
    assert fs is not None
    assert np.linalg.norm(da - F.descriptor(small, fs)) < 0.3 < F.SAME_PERSON < np.linalg.norm(da - db)


def test_a_blank_picture_has_no_face_but_a_hint_gives_landmarks() -> None:
    blank = np.full((200, 200, 3), 128, np.uint8)
    assert F.find_face(blank) is None
    face = F.find_face(blank, hint=(50, 50, 150, 150))
    assert face is not None and not face.detected and face.landmarks.shape == (68, 2)


def test_rotation_shows_as_roll() -> None:
    img = portrait("art_5.jpg")
    h, w = img.shape[:2]
    turned = cv2.warpAffine(img, cv2.getRotationMatrix2D((w / 2, h / 2), -15, 1.0), (w, h),
                            borderMode=cv2.BORDER_REPLICATE)
    a, b = F.find_face(img), F.find_face(turned)
    assert a is not None and b is not None
    assert b.roll - a.roll == pytest.approx(15, abs=3)


def test_box_from_mask_keeps_the_chin_and_drops_the_forehead() -> None:
    mask = np.zeros((100, 100), bool)
    mask[10:90, 20:80] = True
    assert F.box_from_mask(mask) == (20, 26, 80, 90)
    assert F.box_from_mask(np.zeros((5, 5), bool)) is None
