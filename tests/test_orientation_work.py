"""The orientation check asks each question once (changer.orientation): same answers, less work."""

from __future__ import annotations

import numpy as np

from changer import labels as L
from changer import orientation
from changer.orientation import turn, upright_turns


def _astronaut() -> tuple[np.ndarray, np.ndarray]:
    from skimage.data import astronaut

    photo = astronaut()
    labels = np.zeros(photo.shape[:2], np.uint8)
    labels[80:170, 180:260] = L.FACE
    return photo, labels


def _counting(monkeypatch) -> list[int]:  # noqa: ANN001
    asked: list[int] = []
    real = orientation._strong_face

    def strong_face(gray, strong, tilts):  # noqa: ANN001, ANN202
        asked.append(1)
        return real(gray, strong, tilts)

    monkeypatch.setattr(orientation, "_strong_face", strong_face)
    return asked


def test_an_upright_face_is_one_question(monkeypatch) -> None:  # noqa: ANN001
    photo, labels = _astronaut()
    asked = _counting(monkeypatch)
    assert upright_turns(photo, labels, look=lambda rgb: 1 / 0) == 0  # never looks further
    assert len(asked) == 1


def test_a_parsers_looks_run_as_one_batch_and_windows_are_searched_once(monkeypatch) -> None:  # noqa: ANN001
    photo, labels = _astronaut()
    lying = turn(photo, -1)

    class Parser:
        def __init__(self) -> None:
            self.batches: list[int] = []

        def raw_labels(self, rgb: np.ndarray) -> np.ndarray:
            raise AssertionError("looked at one picture at a time")

        def raw_labels_all(self, pictures: list[np.ndarray]) -> list[np.ndarray]:
            self.batches.append(len(pictures))
            return [turn(labels, next(k for k in range(4) if np.array_equal(turn(photo, k), p))) for p in pictures]

    parser = Parser()
    asked = _counting(monkeypatch)
    wrong = np.zeros(lying.shape[:2], np.uint8)
    wrong[-90:, -90:] = L.FACE
    assert upright_turns(lying, wrong, parser.raw_labels) == 1
    assert parser.batches == [3]
    # the window as given and its three turns, then the three looks' windows: seven windows,
    # none the same; with the right labels the first question settles it
    assert len(asked) == 7
    asked.clear()
    assert upright_turns(lying, turn(labels, -1), parser.raw_labels) == 1
    assert parser.batches == [3, 2]  # turn 1 was found in the given window: the other two are looked at
    assert len(asked) <= 4 + 2
