"""Each photo's 5-class labels: the user's (checked and fitted to the photo) or the head
parser's (:func:`find_parser`), with a photo lying on its side or upside down turned
upright (:func:`changer.orientation.upright_turns`) and parsed again (:func:`photo_labels`)."""

from __future__ import annotations

import importlib
import importlib.util
from collections.abc import Callable

import numpy as np

from changer.align import MIN_REGION_PIXELS, has_face
from changer.imageio import ImageSource, InputError, load_labels
from changer.letterbox import find_bars
from changer.orientation import turn, upright_turns
from changer.parsing.face_check import face_problem

NO_PARSER_MESSAGE = "no head parser available yet: pass source_labels and target_labels (5-class label maps)"


Parser = Callable[[np.ndarray], np.ndarray]


def find_parser() -> Parser | None:
    """The head parser hook ``changer.parsing.get_parser()``, or None while there is none."""
    if importlib.util.find_spec("changer.parsing") is None:
        return None
    try:
        module = importlib.import_module("changer.parsing")
    except ImportError as err:
        raise InputError(f"the head parser cannot be loaded ({err}): pass source_labels and target_labels") from None
    getter = getattr(module, "get_parser", None)
    return getter() if callable(getter) else None


def photo_labels(
    img: np.ndarray, given: ImageSource | None, parser: Parser | None, name: str, notes: list[str], upright: bool,
) -> tuple[np.ndarray, np.ndarray, int]:
    """``(picture, labels, turns)``: the user's labels ``given`` (validated, fitted to the image)
    or the ``parser``'s (a note when the parser had to brighten an underexposed photo).

    With ``upright``, a picture whose person lies on their side or upside down comes back
    turned upright by ``turns`` quarter turns (:func:`changer.orientation.upright_turns`),
    with its labels turned alike, or parsed again upright: the parser labels every
    picture as if it were upright.
    """
    parse = getattr(parser, "parse", None)
    if parse is None:  # the user's labels, or a plain callable parser: labels only
        what = f"{name} labels" if given is not None else f"{name} labels (parsed)"

        def label(picture: np.ndarray) -> np.ndarray:  # what a plain callable parser says, checked
            return load_labels(parser(picture), what, size=picture.shape[:2])

        labels = load_labels(given, what, size=img.shape[:2]) if given is not None else label(img)
        turns = upright_turns(img, labels, look=None if given is not None else label) if upright else 0
        if turns:
            img = _turned(img, turns, name, notes)
            labels = turn(labels, turns) if given is not None else label(img)
        if not has_face(labels):
            raise InputError(
                f"{what}: the map has no face (class 1, at least {MIN_REGION_PIXELS} pixels): the new head is "
                "placed and coloured by its face" if given is not None else
                f"{name}: no face found (the parser labelled none). Use an upright photo where a face is clearly "
                "visible, or give a label map.")
        return img, labels, turns
    parsed = parse(img)
    turns = upright_turns(img, parsed.labels, look=getattr(parser, "raw_labels", None)) if upright else 0
    if turns:
        img = _turned(img, turns, name, notes)
        parsed = parse(img)
    problem = face_problem(img, parsed.labels, parsed.face_confidence)
    if problem is not None:
        raise InputError(
            f"{name}: no face found ({problem}). Use an upright photo where a face is clearly visible (a "
            "face small in a large picture: crop closer to it), or give a label map."
        )
    if parsed.relit:
        notes.append(f"the {name} photo is dark: it was parsed from a brightened copy (the picture itself is unchanged)")
    return img, load_labels(parsed.labels, f"{name} labels (parsed)", size=img.shape[:2]), turns


def without_bars(source: np.ndarray, labels: ImageSource | None, notes: list[str]) -> np.ndarray:
    """The source photo without black bars along its edges (a letterboxed video still),
    which the parser would take for hair on the pasted head; as it is when the user gave
    its label map (that map is of the whole photo)."""
    bars = find_bars(source) if labels is None else None
    if not bars:
        return source
    notes.append("the source photo has black bars along its edges (a video still?): they were left out")
    return bars.crop(source)


_TURN_WORDS = {1: "lies turned a quarter clockwise", 2: "is upside down", 3: "lies turned a quarter counter-clockwise"}


def _turned(img: np.ndarray, turns: int, name: str, notes: list[str]) -> np.ndarray:
    """``img`` turned upright by ``turns`` (:func:`turn`), and a note saying so."""
    done = "its head was turned upright" if name == "source" else "it was blended upright and turned back"
    notes.append(f"the {name} photo {_TURN_WORDS[turns % 4]}: {done}")
    return turn(img, turns)
