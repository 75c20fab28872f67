"""Which way up a photo is (changer.orientation), on real faces that ship with scikit-image."""

from __future__ import annotations

import numpy as np
import pytest

from changer import labels as L
from changer.orientation import turn, turn_box, upright_turns


def _astronaut() -> tuple[np.ndarray, np.ndarray]:
    """scikit-image's astronaut and a label map whose face is hers (a box, as a user might draw it)."""
    from skimage.data import astronaut

    photo = astronaut()
    labels = np.zeros(photo.shape[:2], np.uint8)
    labels[80:170, 180:260] = L.FACE
    return photo, labels


@pytest.mark.parametrize("turns", [0, 1, 2, 3])
def test_a_turned_photo_is_found_with_its_labels(turns: int) -> None:
    photo, labels = _astronaut()
    lying, lying_labels = turn(photo, -turns), turn(labels, -turns)  # turned clockwise by `turns` quarters
    assert upright_turns(lying, lying_labels) == turns
    assert np.array_equal(turn(lying, upright_turns(lying, lying_labels)), photo)


def test_no_face_means_upright() -> None:
    photo, _ = _astronaut()
    assert upright_turns(photo, np.zeros(photo.shape[:2], np.uint8)) == 0


def test_a_face_label_on_something_else_does_not_turn_the_photo() -> None:
    """The detector must see a face in the labelled place: her suit's badge, labelled face, is
    no face in any turn."""
    photo, _ = _astronaut()
    labels = np.zeros(photo.shape[:2], np.uint8)
    labels[330:420, 300:390] = L.FACE
    for turns in range(4):
        assert upright_turns(turn(photo, turns), turn(labels, turns)) == 0


def test_noise_is_never_turned() -> None:
    rng = np.random.default_rng(0)
    noise = rng.integers(0, 256, (300, 400, 3), dtype=np.uint8)
    labels = np.zeros(noise.shape[:2], np.uint8)
    labels[100:200, 150:250] = L.FACE
    assert upright_turns(noise, labels, look=lambda rgb: np.full(rgb.shape[:2], L.FACE, np.uint8)) == 0


def test_turned_copies_are_looked_at_with_their_own_parse() -> None:
    """With ``look``, each turned copy is searched where *its* parse puts the face: labels of
    the photo as given that put the face elsewhere (a parser on a lying photo) do not matter."""
    photo, labels = _astronaut()  # 512 px: looked at as it is (LOOK_SIDE)
    lying = turn(photo, -1)
    wrong = np.zeros(lying.shape[:2], np.uint8)
    wrong[-90:, -90:] = L.FACE
    looked: list[int] = []

    def look(rgb: np.ndarray) -> np.ndarray:
        """A perfect quick parse: the face box, wherever the copy has it."""
        k = next(k for k in range(4) if np.array_equal(turn(photo, k), rgb))
        looked.append(k)
        return turn(labels, k)

    assert upright_turns(lying, wrong, look) == 1
    assert sorted(looked) == [0, 1, 2]  # the lying photo turned 1, 2, 3 quarters: the photo itself among them


def test_turn_box_follows_turn() -> None:
    rng = np.random.default_rng(0)
    for _ in range(100):
        h, w = (int(v) for v in rng.integers(5, 40, 2))
        side = int(rng.integers(1, min(h, w) + 1))
        x0, y0 = int(rng.integers(0, w - side + 1)), int(rng.integers(0, h - side + 1))
        box = np.zeros((h, w), bool)
        box[y0:y0 + side, x0:x0 + side] = True
        for turns in range(-3, 5):
            x, y, s = turn_box((x0, y0, side), box.shape, turns)
            expected = np.zeros_like(turn(box, turns))
            expected[y:y + s, x:x + s] = True
            assert np.array_equal(turn(box, turns), expected)
