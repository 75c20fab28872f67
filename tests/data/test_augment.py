"""H² augmentation: the hole really changes shape, and long hair falls onto the shoulders."""

import numpy as np

from changer import labels as L
from changer.data.augment import H2Config, long_hair, mask_box, transform_head
from changer.data.synthetic import synthetic_person


def _person(seed: int = 0, size: int = 128):
    return synthetic_person(size, np.random.default_rng(seed))


def test_transform_head_changes_shape_but_stays_near():
    _, lab = _person()
    head = L.head_mask(lab)
    moved = [transform_head(head, np.random.default_rng(s), H2Config()) for s in range(8)]
    ious = [(m & head).sum() / (m | head).sum() for m in moved]
    assert all(iou < 0.97 for iou in ious), ious  # the shape really changes ...
    assert all(iou > 0.4 for iou in ious), ious  # ... but it is still this head
    assert len({m.tobytes() for m in moved}) == len(moved)


def test_transform_head_of_empty_mask_is_empty():
    empty = np.zeros((64, 64), bool)
    assert not transform_head(empty, np.random.default_rng(0), H2Config()).any()


def test_long_hair_falls_below_the_chin_beside_the_face():
    _, lab = _person()
    head, face = L.head_mask(lab), lab == L.FACE
    hair = long_hair(head, face, np.random.default_rng(1), H2Config(long_hair_length=(0.5, 0.5)))
    chin = mask_box(face)[3]
    below = hair[chin + 5 :]
    assert below.sum() > 50, "long hair must reach below the chin"
    fx0, _, fx1, _ = mask_box(face)
    centre = below[:, (fx0 + fx1) // 2 - 3 : (fx0 + fx1) // 2 + 3]
    assert not centre.any(), "hair falls at the sides, not over the neck"


def test_long_hair_uses_the_donor_shape():
    _, lab = _person(0)
    _, donor = synthetic_person(128, np.random.default_rng(5), long_hair=True)
    rng_a, rng_b = np.random.default_rng(2), np.random.default_rng(2)
    own = long_hair(L.head_mask(lab), lab == L.FACE, rng_a, H2Config())
    other = long_hair(L.head_mask(lab), lab == L.FACE, rng_b, H2Config(), donor == L.HAIR, L.head_mask(donor))
    assert (own != other).sum() > 20
