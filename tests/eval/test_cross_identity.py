"""Cross-identity metrics on constructed cases whose answer is known (eval.cross_identity)."""

from __future__ import annotations

import math
from pathlib import Path
from types import SimpleNamespace

import cv2
import numpy as np
import pytest
from PIL import Image

from changer import faces as F
from changer.inputs import DEFAULT_KEY_COLOR
from eval import cross_identity as X

PORTRAITS = Path(__file__).resolve().parents[2] / "examples" / "portraits"


def portrait(name: str) -> np.ndarray:
    return np.asarray(Image.open(PORTRAITS / name).convert("RGB"))


@pytest.fixture(scope="module")
def pair() -> tuple[np.ndarray, np.ndarray, X.PairFaces]:
    source, target = portrait("art_14.jpg"), portrait("art_5.jpg")
    return source, target, X.pair_faces(source, target)


def _result(image: np.ndarray, head: np.ndarray, old_head: np.ndarray) -> SimpleNamespace:
    masks = {"source_head": head, "target_head": old_head, "target_neck": np.zeros_like(head),
             "target_body": np.zeros_like(head)}
    return SimpleNamespace(image=image, masks=masks, alpha=None)


def _face_mask(img: np.ndarray, face: F.Face) -> np.ndarray:
    hull = cv2.convexHull(np.round(face.landmarks).astype(np.int32))[:, 0]
    mask = np.zeros(img.shape[:2], np.uint8)
    cv2.fillPoly(mask, [hull], 1)
    return mask > 0


def test_a_result_identical_to_the_target_keeps_everything_and_the_old_identity(pair) -> None:
    source, target, faces = pair
    head = _face_mask(target, faces.target.face)
    scores = X.score_blend(source, target, _result(target.copy(), head, head), faces)
    assert scores["kept"] == 1.0
    assert scores["id_tgt"] < 0.05 and scores["id_src"] > F.SAME_PERSON
    assert set(scores) == set(X.METRICS)


def test_changed_pixels_outside_the_region_lower_kept(pair) -> None:
    _, target, faces = pair
    head = _face_mask(target, faces.target.face)
    smeared = target.copy()
    smeared[-60:] = 0  # the clothes at the bottom, far from the head
    changed = X.grow(head, 10)
    assert X.kept(target, smeared, changed) == pytest.approx(1 - 60 / (~changed).sum() * target.shape[1], abs=0.02)
    assert X.kept(target, smeared, changed) < 0.9


def test_recoloured_eyes_and_lips_raise_their_ab_distance(pair) -> None:
    source, _, faces = pair
    face = faces.source.face
    same = X.part_ab(source, face, source.copy(), face, "eyes")
    assert same == pytest.approx(0, abs=1e-6)
    blue = source.copy()
    eyes = X.part_mask(face, source.shape, "eyes")
    blue[eyes] = (0.5 * blue[eyes] + 0.5 * np.array([40, 90, 220])).astype(np.uint8)
    assert X.part_ab(source, face, blue, face, "eyes") > 15
    dark = source.copy()
    lips = X.part_mask(face, source.shape, "lips")
    dark[lips] = (dark[lips] * 0.3).astype(np.uint8)
    assert X.part_ab(source, face, dark, face, "lips") > 5 > X.part_ab(source, face, dark, face, "eyes")
    assert math.isnan(X.part_ab(source, None, source, face, "eyes"))


def test_a_blurred_face_is_less_sharp(pair) -> None:
    source, _, faces = pair
    face = faces.source.face
    assert X.sharpness(source, face, source.copy(), face) == pytest.approx(1.0, abs=1e-6)
    soft = cv2.GaussianBlur(source, (0, 0), 2.5)
    assert X.sharpness(source, face, soft, face) < 0.4
    dim = (source * 0.5).astype(np.uint8)  # the same face in dimmer light is as sharp
    assert X.sharpness(source, face, dim, face) == pytest.approx(1.0, abs=0.15)
    # the same face at half the size is compared at that size: about as sharp
    half = cv2.resize(source, None, fx=0.5, fy=0.5, interpolation=cv2.INTER_AREA)
    small = F.find_face(half)
    assert small is not None and 0.6 < X.sharpness(source, face, half, small) < 1.6


def test_skin_of_another_tone_raises_skin_delta_e(pair) -> None:
    _, target, faces = pair
    face = faces.target.face
    assert X.skin_delta_e(target, face, target, face) == pytest.approx(0, abs=1e-6)
    darker = (target * 0.7).astype(np.uint8)
    assert X.skin_delta_e(target, face, darker, face) > 10


def _disc_scene(line: bool) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """A smooth gradient person; a disc as the head above a body rectangle; with ``line``, a
    dark line drawn on the lower half of the disc's outline."""
    h = w = 200
    yy, xx = np.mgrid[:h, :w]
    img = np.stack([100 + 0.3 * yy, 90 + 0.2 * xx, 80 + 0.1 * (xx + yy)], -1).astype(np.uint8)
    head = (yy - 80) ** 2 + (xx - 100) ** 2 <= 50 ** 2
    person = head | ((yy > 110) & (xx > 30) & (xx < 170))
    if line:
        cv2.ellipse(img, (100, 80), (50, 50), 0, 20, 160, (30, 30, 30), 2)
    return img, head, person


def test_a_line_along_the_outline_raises_seam() -> None:
    plain, head, person = _disc_scene(line=False)
    lined, _, _ = _disc_scene(line=True)
    assert X.seam(plain, head, person) < 2 < X.seam(lined, head, person)
    assert math.isnan(X.seam(plain, head, np.zeros_like(person) | head))  # a head meeting no body


def test_left_over_hair_on_a_green_target_is_a_ghost() -> None:
    h = w = 200
    key = np.array(DEFAULT_KEY_COLOR, np.uint8)
    result = np.tile(key, (h, w, 1))
    yy, xx = np.mgrid[:h, :w]
    new_head = (yy - 80) ** 2 + (xx - 100) ** 2 <= 40 ** 2
    old_head = (yy - 80) ** 2 + (xx - 100) ** 2 <= 65 ** 2  # the old head was bigger (more hair)
    body = (yy > 150) & (xx > 40) & (xx < 160)
    result[new_head | body] = (180, 140, 120)
    from changer.chroma import alpha_matte

    clean = X.ghost(result, old_head, new_head, body, alpha_matte(result, tuple(key)), 3)
    blob = result.copy()
    blob[60:100, 30:50] = (60, 40, 30)  # a lock of the old hair left beside the new head
    dirty = X.ghost(blob, old_head, new_head, body, alpha_matte(blob, tuple(key)), 3)
    assert clean == 0.0 and dirty > 0.05


def test_pose_gap_reads_a_turned_head_as_roll(pair) -> None:
    _, target, faces = pair
    h, w = target.shape[:2]
    turned = cv2.warpAffine(target, cv2.getRotationMatrix2D((w / 2, h / 2), 20, 1.0), (w, h),
                            borderMode=cv2.BORDER_REPLICATE)
    face = F.find_face(turned)
    assert face is not None
    roll, yaw = X.pose_gap(faces.target.face, face)
    assert roll == pytest.approx(20, abs=4) and yaw < 10
    assert all(math.isnan(v) for v in X.pose_gap(None, face))
