"""Which way up a photo is: finding people lying on their side or upside down.

A phone photo whose EXIF orientation was lost (a screenshot, an export, a messenger copy)
reaches the app turned a quarter or half turn. The parser cannot tell: it was trained on
upright talking heads only and labels any picture as if it were upright (a sideways face
gets hair along the top of the picture and a body along the bottom), and its confidence
barely changes with the turn (on the validation frames, the turn it was surest of was
right for about 80% of turned photos, and it turned 5-13% of upright ones).

The frontal-face cascade (:mod:`changer.parsing.detector`) does see it: it was trained on
upright faces and, asked for :data:`STRONG` overlapping detections, finds almost none on
faces turned by 90° or 180°. :func:`upright_turns` searches the square of :data:`WINDOW`
times the main face's size around the face: the photo counts as upright when the picture
as given shows a strong face there, and as turned when exactly one other turn does. When
unsure, the answer is "upright": a wrong turn would ruin a photo that was fine.

The pipeline (:class:`changer.pipeline.HeadBlendingPipeline`, ``BlendOptions.upright``)
turns such a photo upright with :func:`turn` before it parses it again and blends, and
turns the result back to the target's own orientation.
"""

from __future__ import annotations

from collections.abc import Callable

import cv2
import numpy as np

from changer import labels as L
from changer.parsing.detector import frontal_faces
from changer.parsing.windows import fit_longest, window_crop

WINDOW = 2.0
"""Side of the searched square as a multiple of the parsed face's longer side."""

DETECT_SIDE = 160
"""The square is searched at this size (a face fills about half of it)."""

LOOK_SIDE = 512
"""Longer side at which turned copies are parsed for their face (the parser works at 256)."""

MIN_FACE, MAX_FACE = 36, 150
"""Sizes of the faces searched in that square, in pixels."""

STRONG = 12
"""Overlapping raw detections a face needs to count (the detector's ``neighbours``). Chosen
on the 29 identities outside the test splits (``python -m eval.orientation --splits train
--per-clip 1 --strong 12,16``): neither 12 nor 16 turned any of 290 upright pictures or
any picture wrongly, and 12 put more of 870 turned ones upright (565 against 540;
``configs/experiments/README.md``, session 15)."""


def upright_turns(
    rgb: np.ndarray, labels: np.ndarray, look: Callable[[np.ndarray], np.ndarray] | None = None,
    strong: int = STRONG,
) -> int:
    """How many quarter turns counter-clockwise (:func:`turn`'s ``turns``) make the person in
    ``rgb`` upright: 0, 1, 2 or 3; 0 also when there is no face or the answer is unsure.

    ``labels`` is the label map of ``rgb`` as given. A strong face (``strong``, see
    :data:`STRONG`) in the window around its main face means upright. Otherwise each other
    turn is looked at: with ``look`` (a quick parse, e.g.
    :meth:`changer.parsing.LabelParser.raw_labels`), the turned picture is parsed at
    :data:`LOOK_SIDE` and the window around *its* main face is searched, since a parser may
    put the face of a turned photo on the clothes; without, the window of ``labels`` is
    searched turned (right when ``labels`` are the user's own).
    """
    window = _face_window(labels)
    if window is not None and _strong_face(_window_gray(rgb, window), strong):
        return 0
    if look is None:
        if window is None:
            return 0
        gray = _window_gray(rgb, window)
        found = [_strong_face(turn(gray, k), strong) for k in (1, 2, 3)]
    else:
        small, _ = fit_longest(rgb, LOOK_SIDE)
        found = [_strong_upright(turn(small, k), look, strong) for k in (1, 2, 3)]
    return 1 + found.index(True) if sum(found) == 1 else 0


def _strong_upright(rgb: np.ndarray, look: Callable[[np.ndarray], np.ndarray], strong: int) -> bool:
    """Whether ``rgb`` shows a strong upright face where ``look`` puts the main face."""
    window = _face_window(look(rgb))
    return window is not None and _strong_face(_window_gray(rgb, window), strong)


def _window_gray(rgb: np.ndarray, window: tuple[int, int, int]) -> np.ndarray:
    """The square ``window`` of ``rgb`` (edge-padded), gray, at :data:`DETECT_SIDE`."""
    gray = cv2.cvtColor(window_crop(rgb, window, cv2.BORDER_REPLICATE), cv2.COLOR_RGB2GRAY)
    return cv2.resize(gray, (DETECT_SIDE, DETECT_SIDE), interpolation=cv2.INTER_AREA)


def _face_window(labels: np.ndarray) -> tuple[int, int, int] | None:
    """The square ``(top, left, side)`` of :data:`WINDOW` times the main face's size, centred on it."""
    face = L.main_face_mask(labels)
    if face is None:
        return None
    x, y, w, h = cv2.boundingRect(face.astype(np.uint8))
    side = max(16, round(WINDOW * max(w, h)))
    return round(y + h / 2 - side / 2), round(x + w / 2 - side / 2), side


def _strong_face(gray: np.ndarray, strong: int) -> bool:
    """Whether the frontal cascade finds a face with ``strong`` overlapping detections."""
    return bool(frontal_faces(np.ascontiguousarray(gray), MIN_FACE, MAX_FACE, neighbours=strong))


def turn(img: np.ndarray, turns: int) -> np.ndarray:
    """``img`` turned ``turns`` quarter turns counter-clockwise (``np.rot90``; negative:
    clockwise), as a contiguous array (OpenCV needs one)."""
    return np.ascontiguousarray(np.rot90(img, turns))


def turn_box(box: tuple[int, int, int], shape: tuple[int, ...], turns: int) -> tuple[int, int, int]:
    """The square ``(x0, y0, side)`` of a picture of ``shape`` (``(H, W, ...)``) where it
    lies once the picture is :func:`turn`-ed by ``turns``."""
    x0, y0, side = box
    h, w = shape[:2]
    for _ in range(turns % 4):  # one quarter counter-clockwise: (x, y) -> (y, W - 1 - x)
        x0, y0, h, w = y0, w - x0 - side, w, h
    return x0, y0, side
