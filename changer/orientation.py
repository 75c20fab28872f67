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

import hashlib
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

    The answers are those of asking every question; the work is cut where that cannot
    change them. The check stops at the first answer that settles it: a strong face in the
    window as given (the usual case: one detection per picture), or a second turn showing a
    face (unsure). The turned windows of the given labels are searched before any turned copy
    is parsed, a turn already found is not parsed, the quick parses of the other turns run as
    one batch where ``look`` is a parser's ``raw_labels`` (:func:`_look_all`), and the
    detector is asked about the same pixels only once (a turned copy's window that is the
    given window turned).
    """
    rgb = as_rgb(rgb)
    window = _face_window(labels)
    gray = None if window is None else _window_gray(rgb, window)
    strong_face = _asked_once(strong, tilts)
    if gray is not None and strong_face(gray):
        return 0
    found = {k: gray is not None and strong_face(turn(gray, k)) for k in (1, 2, 3)}
    if sum(found.values()) > 1 or look is None:
        return _only(found)
    small = fit_longest(rgb, LOOK_SIDE)[0]
    rest = [k for k in (1, 2, 3) if not found[k]]
    copies = [turn(small, k) for k in rest]
    for k, copy, looked in zip(rest, copies, _look_all(look, copies)):
        where = _face_window(looked)
        found[k] = where is not None and strong_face(_window_gray(copy, where))
        if sum(found.values()) > 1:
            break
    return _only(found)


def _only(found: dict[int, bool]) -> int:
    """The one turn found, or 0 when none or several are."""
    turns = [k for k, yes in found.items() if yes]
    return turns[0] if len(turns) == 1 else 0


def _asked_once(strong: int, tilts: Sequence[float]) -> Callable[[np.ndarray], bool]:
    """:func:`_strong_face` with its answers kept by window content: the same pixels are
    searched once."""
    answers: dict[tuple, bool] = {}

    def ask(gray: np.ndarray) -> bool:
        key = (gray.shape, hashlib.blake2b(np.ascontiguousarray(gray).tobytes(), digest_size=16).digest())
        if key not in answers:
            answers[key] = _strong_face(gray, strong, tilts)
        return answers[key]

    return ask


def _look_all(look: Callable[[np.ndarray], np.ndarray], pictures: list[np.ndarray]) -> list[np.ndarray]:
    """``look`` of each picture; one network batch when ``look`` is the ``raw_labels`` of a
    parser that has ``raw_labels_all`` (:meth:`changer.parsing.LabelParser.raw_labels_all`)."""
    owner = getattr(look, "__self__", None)
    many = getattr(owner, "raw_labels_all", None) if getattr(look, "__name__", "") == "raw_labels" else None
    if many is not None and len(pictures) > 1:
        return list(many(pictures))
    return [look(p) for p in pictures]


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
