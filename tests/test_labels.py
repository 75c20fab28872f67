"""Label-map helpers."""

from __future__ import annotations

import numpy as np
import pytest

from changer import labels as L


def _box(mask: np.ndarray) -> tuple[int, int, int, int]:
    ys, xs = np.nonzero(mask)
    return int(xs.min()), int(ys.min()), int(xs.max() - xs.min() + 1), int(ys.max() - ys.min() + 1)


def test_main_face_prefers_the_face_under_hair() -> None:
    lab = np.zeros((200, 200), np.uint8)
    lab[120:190, 10:110] = L.FACE  # a large skin-coloured blob (an orange suit)
    lab[20:40, 140:180] = L.HAIR
    lab[40:80, 145:175] = L.FACE  # the real face, smaller, with hair on top
    assert _box(L.main_face_mask(lab)) == (145, 40, 30, 40)
    lab[20:40] = L.BACKGROUND  # no hair anywhere: the largest component
    assert _box(L.main_face_mask(lab)) == (10, 120, 100, 70)
    assert L.main_face_mask(np.zeros((9, 9), np.uint8)) is None


def test_main_face_is_the_same_anywhere_in_a_larger_picture() -> None:
    """The components are searched near the face pixels only: placing the map anywhere in a
    larger one (at the edges too) moves the answer with it, candidates and hair ring alike."""
    rng = np.random.default_rng(0)
    lab = np.zeros((200, 200), np.uint8)
    lab[120:190, 10:110] = L.FACE
    lab[20:40, 140:180] = L.HAIR
    lab[40:80, 145:175] = L.FACE
    lab[5:9, 5:9] = L.FACE  # a small stray blob far from the others
    want = L.main_face_mask(lab)
    for top, left in [(0, 0), (0, 300), (250, 0), (*(int(v) for v in rng.integers(1, 300, 2)),)]:
        big = np.zeros((460, 520), np.uint8)
        big[top : top + 200, left : left + 200] = lab
        got = L.main_face_mask(big)
        assert got is not None and got.shape == big.shape
        np.testing.assert_array_equal(got[top : top + 200, left : left + 200], want)
        assert got.sum() == want.sum()


def _main_face_over_the_whole_map(labels: np.ndarray, candidates: int = 4) -> np.ndarray | None:
    """The rule of :func:`changer.labels.main_face_mask` computed over the whole map, as it
    was before it looked only near the face pixels: the oracle for the faster one."""
    import cv2

    n, cc, stats, _ = cv2.connectedComponentsWithStats((labels == L.FACE).astype(np.uint8), connectivity=8)
    if n <= 1:
        return None
    hair, best, best_score = labels == L.HAIR, 1, -1.0
    for i in 1 + np.argsort(-stats[1:, cv2.CC_STAT_AREA], kind="stable")[:candidates]:
        x, y, w, h, area = (int(v) for v in stats[i])
        r = max(2, round(0.08 * max(w, h)))
        y0, y1, x0, x1 = max(0, y - r), y + max(1, h // 2), max(0, x - r), x + w + r
        comp = cc[y0:y1, x0:x1] == i
        ring = cv2.dilate(comp.astype(np.uint8), np.ones((2 * r + 1, 2 * r + 1), np.uint8)).astype(bool) & ~comp
        score = float(np.sqrt(area)) * (0.2 + (float(hair[y0:y1, x0:x1][ring].mean()) if ring.any() else 0.0))
        if score > best_score:
            best, best_score = int(i), score
    return cc == best


def test_main_face_equals_the_rule_over_the_whole_map() -> None:
    rng = np.random.default_rng(7)
    for k in range(150):
        h, w = (int(v) for v in rng.integers(4, 120, 2))
        lab = rng.choice(5, size=(h, w), p=rng.dirichlet(np.ones(5))).astype(np.uint8)
        if k % 2:
            lab = np.kron(lab, np.ones((3, 3), np.uint8))  # blobs, not speckle
        if k % 3 == 0:  # a map mostly background, the blobs near an edge or a corner
            lab = np.pad(lab, ((int(rng.integers(0, 90)), int(rng.integers(0, 90))),
                               (int(rng.integers(0, 90)), int(rng.integers(0, 90)))))
        got, want = L.main_face_mask(lab), _main_face_over_the_whole_map(lab)
        assert (got is None) == (want is None), k
        if want is not None:
            np.testing.assert_array_equal(got, want, err_msg=str(k))


def test_masks_and_types() -> None:
    lab = np.array([[0, 1, 2, 3, 4]], np.uint8)
    np.testing.assert_array_equal(L.head_mask(lab), [[0, 1, 1, 0, 0]])
    np.testing.assert_array_equal(L.neck_body_mask(lab), [[0, 0, 0, 1, 1]])
    np.testing.assert_array_equal(L.foreground_mask(lab), [[0, 1, 1, 1, 1]])
    np.testing.assert_array_equal(L.to_types(lab), [[L.TYPE_BACKGROUND, L.TYPE_HEAD, L.TYPE_HEAD, L.TYPE_BODY, L.TYPE_BODY]])
    assert L.colorize(lab).shape == (1, 5, 3)


def test_single_head_relabels_stray_face_and_hair() -> None:
    lab = np.zeros((200, 200), np.uint8)
    lab[100:200, 40:160] = L.BODY
    lab[20:40, 70:130] = L.HAIR
    lab[40:100, 75:125] = L.FACE
    lab[41:60, 126:128] = L.HAIR  # hair beside the face, 1 px away: still the head
    want = lab.copy()
    lab[150:170, 60:80] = L.FACE  # a patch on the shirt taken for a face
    lab[10:20, 170:190] = L.HAIR  # a dark object in the background taken for hair
    want[150:170, 60:80] = L.BODY
    out = L.single_head(lab)
    np.testing.assert_array_equal(out, want)
    assert L.single_head(want) is want  # nothing to fix: no copy
    no_face = np.where(lab == L.FACE, L.BODY, lab).astype(np.uint8)
    assert L.single_head(no_face) is no_face


def test_main_face_of_a_one_pixel_high_face_on_the_top_row() -> None:
    """A face component one pixel high at the picture's top edge (seen on a parsed gradient)."""
    lab = np.zeros((40, 40), np.uint8)
    lab[0, 10:20] = L.FACE
    face = L.main_face_mask(lab)
    assert face is not None and face.sum() == 10


def _person() -> np.ndarray:
    """A face with hair on top, a neck under it and a body below."""
    lab = np.zeros((200, 200), np.uint8)
    lab[110:200, 20:180] = L.BODY
    lab[20:40, 70:130] = L.HAIR
    lab[40:100, 75:125] = L.FACE
    lab[100:125, 88:112] = L.NECK
    return lab


def test_attached_neck_keeps_the_neck_under_the_face_and_relabels_other_neck_blobs() -> None:
    lab = _person()
    assert L.attached_neck(lab) is lab  # nothing to fix: no copy
    want = lab.copy()
    lab[170:190, 30:50] = L.NECK  # a hand far below, taken for neck
    lab[112:120, 140:170] = L.NECK  # skin beside the neck, but not touching it
    lab[125:160, 98:102] = L.NECK  # a neckline running 0.6 face heights further down
    lab[5:15, 95:105] = L.NECK  # above the face
    want[125:136, 98:102] = L.NECK  # ... down to 0.6 face heights under the face stays
    want[136:160, 98:102] = L.BODY
    want[5:15, 95:105] = L.BODY
    np.testing.assert_array_equal(L.attached_neck(lab), want)


def test_attached_neck_bridges_a_thin_gap_under_the_chin() -> None:
    lab = _person()
    lab[100:104, 88:112] = L.BODY  # a parser left a 4 px strip between chin and neck
    assert L.attached_neck(lab) is lab
    lab[100:120, 88:112] = L.BODY  # 20 px: no longer this head's neck
    assert not (L.attached_neck(lab) == L.NECK).any()


def test_attached_neck_leaves_maps_without_face_or_neck() -> None:
    no_face = np.where(_person() == L.FACE, L.BODY, _person()).astype(np.uint8)
    assert L.attached_neck(no_face) is no_face
    no_neck = np.where(_person() == L.NECK, L.BODY, _person()).astype(np.uint8)
    assert L.attached_neck(no_neck) is no_neck


@pytest.mark.data
def test_attached_neck_changes_no_real_label_map(shared_data) -> None:
    """The talking-heads labels' necks all join the head under the face (every 10th frame)."""
    from changer.data.dataset import TalkingHeads

    heads = TalkingHeads(shared_data)
    for split in heads.splits:
        for frame in heads.frames(split)[::10]:
            lab = frame.load_labels()
            assert L.attached_neck(lab) is lab, frame.frame_id


def test_fill_head_holes_fills_enclosed_background_only() -> None:
    lab = _person()
    lab[10:20, 65:135] = L.HAIR  # thicker hair on top
    assert L.fill_head_holes(lab) is lab  # nothing to fill: no copy
    holed = lab.copy()
    holed[24:34, 90:100] = L.BACKGROUND  # a hole in the hair, surrounded by hair on every side
    holed[60:66, 95:101] = L.BACKGROUND  # a hole in the face
    holed[45:50, 80:83] = L.BODY  # an earring-like patch inside the face: not background, kept
    holed[12:18, 65:70] = L.BACKGROUND  # a notch open to the outside: not a hole
    out = L.fill_head_holes(holed)
    want = holed.copy()
    want[24:34, 90:100] = L.HAIR
    want[60:66, 95:101] = L.FACE
    np.testing.assert_array_equal(out, want)
    small_only = L.fill_head_holes(holed, max_share=0.01)  # the hair hole is 2% of the head, the face hole 0.7%
    assert (small_only[24:34, 90:100] == L.BACKGROUND).all() and (small_only[60:66, 95:101] == L.FACE).all()


def test_fill_head_holes_keeps_holes_at_the_edge_and_large_ones() -> None:
    lab = np.zeros((60, 60), np.uint8)
    lab[0:30, 10:50] = L.HAIR
    lab[0:10, 25:35] = L.BACKGROUND  # touches the top edge: the backdrop, not a hole
    lab[15:25, 15:45] = L.BACKGROUND  # enclosed but a quarter of the head: a real gap
    assert L.fill_head_holes(lab) is lab
    assert L.fill_head_holes(np.zeros((9, 9), np.uint8)).sum() == 0


@pytest.mark.data
def test_fill_head_holes_changes_few_real_label_maps(shared_data) -> None:
    from PIL import Image

    from changer.data.dataset import TalkingHeads

    heads = TalkingHeads(shared_data)
    maps = [np.asarray(Image.open(f.label_path)) for s in ("train", "test_hdtf", "test_vox", "test_green")
            for f in heads.frames(s)[::6]]
    changed = [float((L.fill_head_holes(m) != m).sum() / L.head_mask(m).sum()) for m in maps]
    assert sum(c > 0 for c in changed) <= 0.02 * len(maps) and max(changed) < 0.01


def test_in_components_matches_isin() -> None:
    rng = np.random.default_rng(0)
    cc = rng.integers(0, 7, (30, 40)).astype(np.int32)
    for ids in (np.array([1, 3]), np.array([], np.int64), np.array([0, 6, 9])):
        np.testing.assert_array_equal(L.in_components(cc, ids), np.isin(cc, ids))
