"""Geometric head alignment: widths match, chins meet, overrides move the head as asked."""

from __future__ import annotations

import cv2
import numpy as np
import pytest

from changer import labels as L
from changer.align import align_head, head_geometry, similarity_matrix
from changer.data.augment import mask_box
from changer.data.synthetic import synthetic_person
from changer.imageio import InputError


def _pair(size_s: int = 160, size_t: int = 256) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    src, src_lab = synthetic_person(size_s, np.random.default_rng(1))
    tgt, tgt_lab = synthetic_person(size_t, np.random.default_rng(2))
    return src, src_lab, tgt, tgt_lab


def _roomy(labels: np.ndarray, pad: int = 120) -> np.ndarray:
    """Labels on a larger canvas, so a scaled or moved head is never cut by the border."""
    return np.pad(labels, pad)


def _width(mask: np.ndarray) -> int:
    box = mask_box(mask)
    assert box is not None
    return box[2] - box[0]


def _centroid(mask: np.ndarray) -> np.ndarray:
    ys, xs = np.nonzero(mask)
    return np.array([xs.mean(), ys.mean()])


def test_face_width_and_chin_match() -> None:
    src, src_lab, _, tgt_lab = _pair()
    head = align_head(src, src_lab, tgt_lab)
    assert head.rgb.shape == (*tgt_lab.shape, 3) and head.mask.shape == tgt_lab.shape
    assert head.mask.dtype == bool and not head.rgb[~head.mask].any()
    # The face region (warped separately) has the target's face width and its chin.
    face = align_head(src, np.where(src_lab == L.FACE, L.FACE, 0).astype(np.uint8), tgt_lab).mask
    tface = tgt_lab == L.FACE
    assert abs(_width(face) - _width(tface)) <= 2
    assert abs(mask_box(face)[3] - mask_box(tface)[3]) <= 2  # type: ignore[index]
    assert abs(_centroid(face)[0] - _centroid(tface)[0]) <= 2


def test_stray_face_blobs_do_not_change_the_scale() -> None:
    """A parser that calls a camera or an orange suit 'face' must not widen the face."""
    _, src_lab, _, tgt_lab = _pair()
    clean = similarity_matrix(src_lab, tgt_lab)
    noisy = np.pad(src_lab, ((0, 0), (0, 120)))
    noisy[40:140, 170:270] = L.FACE  # a big hairless skin-coloured blob beside the head
    np.testing.assert_allclose(similarity_matrix(noisy, tgt_lab), clean, atol=1e-6)


def test_head_box_used_without_faces() -> None:
    src, src_lab, _, tgt_lab = _pair()
    hair_only_src = np.where(L.head_mask(src_lab), L.HAIR, src_lab).astype(np.uint8)
    geo = head_geometry(hair_only_src, use_face=False)
    assert not geo.uses_face
    head = align_head(src, hair_only_src, tgt_lab)
    assert abs(_width(head.mask) - _width(L.head_mask(tgt_lab))) <= 3


def test_scale_override_about_the_chin() -> None:
    src, src_lab, _, tgt_lab = _pair()
    tgt_lab = _roomy(tgt_lab)
    base = align_head(src, src_lab, tgt_lab)
    big = align_head(src, src_lab, tgt_lab, scale=1.5)
    assert _width(big.mask) == pytest.approx(1.5 * _width(base.mask), rel=0.05)
    assert big.mask.sum() == pytest.approx(2.25 * base.mask.sum(), rel=0.08)
    # The chin stays where it was: bottom of the face region is fixed.
    m0, m1 = base.matrix, big.matrix
    chin = head_geometry(tgt_lab, use_face=True).anchor
    src_chin = np.linalg.solve(m0[:, :2], np.array(chin) - m0[:, 2])
    np.testing.assert_allclose(m1[:, :2] @ src_chin + m1[:, 2], chin, atol=1e-6)


def test_offset_override_moves_by_head_size() -> None:
    src, src_lab, _, tgt_lab = _pair()
    tgt_lab = _roomy(tgt_lab)
    size = head_geometry(tgt_lab, use_face=True).size
    base = align_head(src, src_lab, tgt_lab)
    moved = align_head(src, src_lab, tgt_lab, offset=(0.1, -0.05))
    shift = _centroid(moved.mask) - _centroid(base.mask)
    np.testing.assert_allclose(shift, [0.1 * size, -0.05 * size], atol=1.0)
    np.testing.assert_allclose(moved.matrix[:, 2] - base.matrix[:, 2], [0.1 * size, -0.05 * size], atol=1e-9)


def test_rotation_follows_the_axes() -> None:
    src, src_lab, _, _ = _pair()
    _, tgt_lab = synthetic_person(256, np.random.default_rng(3))  # a clearly elongated face
    tilt = cv2.getRotationMatrix2D((128, 128), 15, 1.0)  # tilt the target's labels by 15 degrees
    tilted = cv2.warpAffine(tgt_lab, tilt, (256, 256), flags=cv2.INTER_NEAREST)
    m = similarity_matrix(src_lab, tilted, rotate=True)
    angle = np.degrees(np.arctan2(m[1, 0], m[0, 0]))
    assert angle == pytest.approx(-15, abs=4)  # OpenCV's positive angle is counter-clockwise on screen
    assert similarity_matrix(src_lab, tilted)[1, 0] == 0.0  # off by default


def test_errors() -> None:
    src, src_lab, _, tgt_lab = _pair()
    with pytest.raises(InputError, match="source: no head"):
        align_head(src, np.zeros_like(src_lab), tgt_lab)
    with pytest.raises(InputError, match="scale"):
        align_head(src, src_lab, tgt_lab, scale=0)
    with pytest.raises(InputError, match="labels are"):
        align_head(src[:100], src_lab, tgt_lab)
