"""Which way up a photo is: finding people lying on their side or upside down.

A phone photo whose EXIF orientation was lost (a screenshot, an export, a messenger copy)
reaches the app turned a quarter or half turn. The parser cannot tell: it was trained on
upright talking heads only and labels any picture as if it were upright (a sideways face
gets hair along the top of the picture and a body along the bottom), and its confidence
barely changes with the turn (on the validation frames, the turn it was surest of put
62-83% of turned photos upright, depending on the statistic, but also turned 13-33% of
upright ones).

The frontal-face cascade (:mod:`changer.parsing.detector`) does see it: it was trained on
upright faces and, asked for :data:`STRONG` overlapping detections, finds almost none on
faces turned by 90° or 180°. :func:`upright_turns` searches the square of :data:`WINDOW`
times the main face's size around the face, a little tilted either way as well
(:data:`TILTS`): the photo counts as upright when the picture as given shows a strong face
there, and as turned when exactly one other turn does. When unsure, the answer is
"upright": a wrong turn would ruin a photo that was fine.

The pipeline (:class:`changer.pipeline.HeadBlendingPipeline`, ``BlendOptions.upright``)
turns such a photo upright with :func:`turn` before it parses it again and blends, and
turns the result back to the target's own orientation.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import cv2
import numpy as np

from changer import labels as L
from changer.parsing.detector import frontal_faces
from changer.parsing.windows import as_rgb, fit_longest, window_borders

WINDOW = 2.0
"""Side of the searched square as a multiple of the parsed face's longer side."""

DETECT_SIDE = 160
"""The square is searched at this size (a face fills about half of it)."""

LOOK_SIDE = 512
"""Longer side at which turned copies are parsed for their face (the parser works at 256)."""

TILTS: tuple[float, ...] = (0.0, -20.0, 20.0)
"""Tilts (degrees) at which each quarter turn is searched: the cascade wants a face within
about 15° of upright, and heads in photos lean. On the 29 identities outside the test
splits, searching at ±20° as well put 721 of 870 turned pictures upright instead of 565
(heads tilted by 15° or 25°: 147 of 174 instead of 42), still turning none of 290 upright
ones and none the wrong way (``--tilts 0`` against ``--tilts 0,-20,20``)."""

MIN_FACE, MAX_FACE = 36, 150
"""Sizes of the faces searched in that square, in pixels."""

STRONG = 12
"""Overlapping raw detections a face needs to count (the detector's ``neighbours``). Chosen
on the 29 identities outside the test splits (``python -m eval.orientation --splits train
--per-clip 1 --strong 12,16``): neither 12 nor 16 turned any of 290 upright pictures or
any picture wrongly, and 12 put more of 870 turned ones upright (725 against 699, measured
before the photo's own square was searched too; with it, 741 at 12;
``docs/experiments/inputs.md``)."""


def upright_turns(
    rgb: np.ndarray, labels: np.ndarray, look: Callable[[np.ndarray], np.ndarray] | None = None,
    strong: int = STRONG, tilts: Sequence[float] = TILTS,
) -> int:
    """How many quarter turns counter-clockwise (:func:`turn`'s ``turns``) make the person in
    ``rgb`` upright: 0, 1, 2 or 3; 0 also when there is no face or the answer is unsure.

    ``labels`` is the label map of ``rgb`` as given. A strong face (``strong``, see
    :data:`STRONG`; tilted by one of ``tilts``, see :data:`TILTS`) in the window around its
    main face means upright. Otherwise each other quarter turn counts when that window,
    turned, shows a strong face, or, with ``look`` (a quick parse, e.g.
    :meth:`changer.parsing.LabelParser.raw_labels`), when the window around the main face of
    the turned picture's own quick parse at :data:`LOOK_SIDE` does: a parser may put the
    face of a lying photo on the clothes, and the quick parse misses small faces in wide
    pictures, so each covers the other's misses.
    """
    rgb = as_rgb(rgb)
    window = _face_window(labels)
    gray = None if window is None else _window_gray(rgb, window)
    if gray is not None and _strong_face(gray, strong, tilts):
        return 0
    small = None if look is None else fit_longest(rgb, LOOK_SIDE)[0]
    found = [(gray is not None and _strong_face(turn(gray, k), strong, tilts))
             or (small is not None and _strong_upright(turn(small, k), look, strong, tilts)) for k in (1, 2, 3)]
    return 1 + found.index(True) if sum(found) == 1 else 0


def _strong_upright(
    rgb: np.ndarray, look: Callable[[np.ndarray], np.ndarray], strong: int, tilts: Sequence[float],
) -> bool:
    """Whether ``rgb`` shows a strong upright face where ``look`` puts the main face."""
    window = _face_window(look(rgb))
    return window is not None and _strong_face(_window_gray(rgb, window), strong, tilts)


def _window_gray(rgb: np.ndarray, window: tuple[int, int, int]) -> np.ndarray:
    """The square ``window`` ``(top, left, side)`` of ``rgb``, gray, at :data:`DETECT_SIDE`,
    edge-padded where it leaves the picture. The part inside is shrunk before it is padded:
    a face filling a phone photo has a window of twice the photo's size."""
    top, left, side = window
    inside = rgb[max(0, top):top + side, max(0, left):left + side]
    k = DETECT_SIDE / side
    small = cv2.resize(cv2.cvtColor(inside, cv2.COLOR_RGB2GRAY),
                       (max(1, round(inside.shape[1] * k)), max(1, round(inside.shape[0] * k))),
                       interpolation=cv2.INTER_AREA)
    padded = cv2.copyMakeBorder(small, *(round(v * k) for v in window_borders(window, rgb.shape)),
                                cv2.BORDER_REPLICATE)
    return cv2.resize(padded, (DETECT_SIDE, DETECT_SIDE), interpolation=cv2.INTER_AREA)


def _face_window(labels: np.ndarray) -> tuple[int, int, int] | None:
    """The square ``(top, left, side)`` of :data:`WINDOW` times the main face's size, centred
    on it (a parsing window, :mod:`changer.parsing.windows`; the pipeline's are ``(x0, y0, side)``)."""
    face = L.main_face_mask(labels)
    if face is None:
        return None
    x, y, w, h = cv2.boundingRect(face.astype(np.uint8))
    side = max(16, round(WINDOW * max(w, h)))
    return round(y + h / 2 - side / 2), round(x + w / 2 - side / 2), side


def _strong_face(gray: np.ndarray, strong: int, tilts: Sequence[float]) -> bool:
    """Whether the frontal cascade finds a face with ``strong`` overlapping detections in
    the square ``gray`` tilted by any of ``tilts`` (degrees)."""
    centre = (gray.shape[1] / 2, gray.shape[0] / 2)
    for tilt in tilts:
        tilted = gray if tilt == 0 else cv2.warpAffine(
            gray, cv2.getRotationMatrix2D(centre, tilt, 1.0), gray.shape[1::-1], borderMode=cv2.BORDER_REPLICATE)
        if frontal_faces(np.ascontiguousarray(tilted), MIN_FACE, MAX_FACE, neighbours=strong):
            return True
    return False


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
