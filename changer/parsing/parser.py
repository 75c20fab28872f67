"""``HeadParser``: RGB photo of any size -> 5-class label map, and the pipeline's parser hook.

:func:`get_parser` is what :func:`changer.pipeline.find_parser` calls: it returns the
parser bundled in ``changer/weights/parser/`` (``config.json`` + ``model.safetensors``),
or None when no weights are bundled. ``$CHANGER_PARSER`` overrides it: a model folder or
Hub repo id to load instead (a SegFormer face parser too, see
:mod:`changer.parsing.segformer`), or ``off`` to disable parsing (the user then passes labels).
"""

from __future__ import annotations

import hashlib
import os
import threading
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass, fields, replace
from pathlib import Path
from typing import Any

import cv2
import numpy as np
import torch

from changer import chroma, tone
from changer import labels as L
from changer.folders import is_model_folder
from changer.parsing.detector import Box, frontal_faces
from changer.parsing.face_check import face_confirmed, face_problem, skin_toned
from changer.parsing.fringe import drop_background_fringe
from changer.parsing.network import ParserNet
from changer.parsing.windows import (
    PORTRAIT_FACE_SHARE,
    as_rgb,
    fit_longest,
    framing,
    window_borders,
    window_crop,
)

WEIGHTS_DIR = Path(__file__).resolve().parents[1] / "weights" / "parser"
"""Where the bundled parser weights live (inside the package)."""

PARSER_ENV = "CHANGER_PARSER"

_CACHE: dict[tuple[str, float], LabelParser] = {}


@dataclass
class Parsed:
    """One parse: ``labels`` (``HxW uint8``, 5 classes) and ``face_confidence``, the network's
    mean probability of *face* over the pixels it labelled face (0 when there are none).

    Photos of people score high (0.886-0.99 on 700 talking-heads frames with the bundled
    parser); pictures without a face that still get some pixels called face (flat colours,
    gradients, textures) mostly score low, which lets the pipeline refuse them with a clear
    message.
    """

    labels: np.ndarray
    face_confidence: float
    relit: bool = False
    """Whether the labels come from a brightened copy of an underexposed photo (:func:`relit`)."""


@dataclass(frozen=True)
class ParseOptions:
    """The steps of a parse beyond the network's arg-max (:class:`LabelParser`); all on by default.

    ``clean``: person pixels that are not connected to the main face become background
    (:func:`clean_labels`), as in the talking-heads labels; face/hair blobs apart from the
    person's head become body or background (:func:`changer.labels.single_head`), neck blobs
    away from the head become body (:func:`changer.labels.attached_neck`), and background
    holes inside the head are filled (:func:`changer.labels.fill_head_holes`).

    ``reframe``: a photo whose face is small (a half-body or full-body shot, a wide scene) is
    parsed twice: the first pass finds the face, the second parses a talking-head framing
    around it (:func:`portrait_window`), which is what the bundled network was trained on;
    outside that window the first pass's neck/body labels stay.

    ``relight``: an underexposed photo (a dark parsed face) is parsed once more from a
    brightened copy (:func:`relit`; see :meth:`LabelParser.parse`).

    ``flip``: the labels come from the mean of the logits of the picture and of its mirror
    image (:meth:`LabelParser._logits`): on the 144 held-out frames the bundled parser's mean
    IoU rises from 0.788 to 0.799 (body +0.031, background +0.014, hair +0.010, face -0.003;
    for the previous, narrower parser 0.737 to 0.754), for twice the network time.

    ``screen_hair``: a photo on a green screen gets no green hair (:func:`drop_screen_hair`).

    ``search``: a picture whose parse the no-face check
    (:func:`changer.parsing.face_check.face_problem`) would refuse is searched for smaller
    faces (:meth:`LabelParser._searched`).

    ``fringe``: pieces of the background labelled hair along the head's outline (bits of a
    flag's stars beside dark hair) become background (:mod:`changer.parsing.fringe`).
    """

    clean: bool = True
    reframe: bool = True
    relight: bool = True
    flip: bool = True
    screen_hair: bool = True
    search: bool = True
    fringe: bool = True


_OPTION_NAMES = frozenset(f.name for f in fields(ParseOptions))


class LabelParser:
    """Callable ``HxWx3 uint8 RGB -> HxW uint8`` labels (0 background, 1 face, 2 hair, 3 neck, 4 body).

    A backend gives :meth:`logits` (5-class scores at its own working size); this class
    resizes them back bilinearly to the picture's size and takes the arg-max there. The
    steps after that are set by :class:`ParseOptions`: ``options`` given whole, else the
    backend's :attr:`default_options` (every step on for the bundled parser), with any of
    their fields given as keyword flags on top (``HeadParser(net, flip=False)``).
    """

    default_options = ParseOptions()
    """What a backend does when neither ``options`` nor a flag says otherwise."""

    def __init__(self, options: ParseOptions | None = None, **flags: bool) -> None:
        self.options = replace(options or self.default_options, **flags)

    def logits(self, rgb: np.ndarray) -> np.ndarray:
        """``(5, h, w) float32`` class scores of an ``HxWx3 uint8`` picture (any ``h, w``)."""
        raise NotImplementedError

    def logits_all(self, pictures: list[np.ndarray]) -> list[np.ndarray]:
        """:meth:`logits` of several pictures (a backend may run them as one batch)."""
        return [self.logits(rgb) for rgb in pictures]

    def __call__(self, rgb: np.ndarray) -> np.ndarray:
        return self.parse(rgb).labels

    def raw_labels(self, rgb: np.ndarray) -> np.ndarray:
        """The network's arg-max labels of ``rgb`` at its size: one pass, none of the
        :class:`ParseOptions` steps (a quick look, e.g. :func:`changer.orientation.upright_turns`)."""
        rgb = as_rgb(rgb)
        return upsample_argmax(self.logits(rgb), rgb.shape[:2])

    def raw_labels_all(self, pictures: list[np.ndarray]) -> list[np.ndarray]:
        """:meth:`raw_labels` of several pictures, their network passes as one batch where the
        backend batches (the orientation check's turned copies)."""
        pictures = [as_rgb(rgb) for rgb in pictures]
        return [upsample_argmax(scores, rgb.shape[:2]) for rgb, scores in zip(pictures, self.logits_all(pictures))]

    def parse(self, rgb: np.ndarray) -> Parsed:
        """The label map and how sure the network is of the face in it (:class:`Parsed`).

        With ``relight`` (default), a photo whose parsed face is dark (median luminance
        below :data:`DARK_FACE`) is parsed again after a gamma that brings the face towards
        :data:`FACE_LUMINANCE` (:func:`relit`): underexposed photos otherwise get
        backgrounds taken for hair and face. Only the parser sees the brightened copy; the
        face confidence is the lower of the two passes' (a dark texture brightened can look
        more like a face: on scikit-image's LFW non-faces the larger one let 3 more through
        with the previous parser).

        A picture longer than :data:`PARSE_MAX_SIDE` is parsed at that size and its labels
        scaled back (nearest): the network sees 256 px either way, and the label clean-up
        at full resolution cost seconds on phone photos.
        """
        rgb = as_rgb(rgb)
        small, k = fit_longest(rgb, PARSE_MAX_SIDE)
        parsed = self._parse_lit(small)
        if self.options.fringe:
            parsed = replace(parsed, labels=drop_background_fringe(small, parsed.labels))
        if k == 1:
            return parsed
        h, w = rgb.shape[:2]
        return Parsed(cv2.resize(parsed.labels, (w, h), interpolation=cv2.INTER_NEAREST), parsed.face_confidence,
                      parsed.relit)

    def _parse_lit(self, rgb: np.ndarray) -> Parsed:
        """One parse, and with ``relight`` a second from a brightened copy when the face is dark.

        A face the search found (:meth:`_searched`) is re-parsed in its own window only: the
        brightened picture's whole-picture pass could take something else for a face.
        """
        parsed, found_in = self._parse_once(rgb)
        brighter = relit(rgb, parsed.labels) if self.options.relight else None
        if brighter is None:
            return parsed
        if found_in is None:
            again, _ = self._parse_once(brighter)
        else:
            again = self._parse_window(brighter, parsed.labels, found_in, self._finisher(brighter))
        if not (again.labels == L.FACE).any():
            return parsed
        # brightening must not make a picture look more like a face than it did
        return Parsed(again.labels, min(parsed.face_confidence, again.face_confidence), relit=True)

    def _parse_once(self, rgb: np.ndarray) -> tuple[Parsed, tuple[int, int, int] | None]:
        """The parse of ``rgb`` (reframed, searched), and the search window its face was
        found in (None: the whole picture's passes found it)."""
        finish = self._finisher(rgb)
        plain, mean = self._logits(rgb)
        parsed = self._judged(plain, mean, lambda scores, **how: finish(upsample_argmax(scores, rgb.shape[:2]), **how))
        window = portrait_window(parsed.labels) if self.options.reframe else None
        if window is not None:
            parsed = self._parse_window(rgb, parsed.labels, window, finish)
        if self.options.search and face_problem(rgb, parsed.labels, parsed.face_confidence) is not None:
            return self._searched(rgb, parsed, finish)
        return parsed, None

    def _searched(
        self, rgb: np.ndarray, parsed: Parsed, finish: Callable[..., np.ndarray],
    ) -> tuple[Parsed, tuple[int, int, int] | None]:
        """The surest parse of a window around a face the detector proposes
        (:func:`search_windows`) and that window, when one reaches :data:`SEARCH_SURE`; else
        ``parsed`` (which the no-face check refuses) and None. Outside the window the
        whole picture's neck and body labels stay, as in reframing. Black-and-white
        pictures are not searched: their faces cannot be skin-toned.

        Faces under about 30 px at the network's input (a full-body shot, a group, a face
        a sixth of the picture wide) are not found by the whole-picture pass at all. A
        window's face must also be skin-toned and confirmed by the detector
        (:func:`changer.parsing.face_check.face_confirmed`): at portrait zoom the parser is
        sure of faces in grass and fur too.
        """
        best: tuple[Parsed, tuple[int, int, int] | None] = (parsed, None)
        if chroma.is_grayscale(rgb[::2, ::2], share=0.9999):
            return best
        bar = SEARCH_SURE
        for window in search_windows(rgb):
            found = self._parse_window(rgb, parsed.labels, window, finish)
            if found.face_confidence >= bar and face_confirmed(rgb, found.labels):
                best, bar = (found, window), found.face_confidence
        return best

    def _logits(self, rgb: np.ndarray) -> tuple[np.ndarray, np.ndarray | None]:
        """The picture's logits and, with ``flip``, their mean with the mirror image's
        (mirrored back); None without ``flip``."""
        if not self.options.flip:
            return self.logits(rgb), None
        plain, mirrored = self.logits_all([rgb, np.ascontiguousarray(rgb[:, ::-1])])  # one batch
        return plain, (plain + mirrored[:, :, ::-1]) / 2

    @staticmethod
    def _judged(
        plain: np.ndarray, mean: np.ndarray | None, to_labels: Callable[..., np.ndarray],
        crop: Callable[[np.ndarray], np.ndarray] = lambda face: face,
    ) -> Parsed:
        """Labels from the flip mean when there is one; the face confidence always from the
        plain pass and its own labels, on which the no-face thresholds
        (:mod:`changer.parsing.face_check`) were measured. ``crop`` takes the face mask to
        the logits' picture (the window of a second pass).

        ``to_labels(scores, face_only=True)`` need only be right about the face pixels: the
        plain pass's labels give just the confidence's face. Cleaning them up once, with the
        mean's, would save a clean-up per picture but moves the confidence (by up to 0.5 on
        scikit-image's LFW non-faces, and the no-face check's answer on 2 of 330 pictures;
        ``docs/experiments/speed.md``), so it is kept, less the neck step."""
        labels = to_labels(plain) if mean is None else to_labels(plain, face_only=True)
        confidence = face_confidence(plain, crop((labels == L.FACE).astype(np.uint8)))
        return Parsed(labels if mean is None else to_labels(mean), confidence)

    def _finisher(self, rgb: np.ndarray) -> Callable[..., np.ndarray]:
        """What turns the arg-max labels of ``rgb`` into the parse: screen hair dropped
        (with ``screen_hair``, on a green backdrop), then the clean-up (with ``clean``);
        ``face_only=True`` skips the neck step, which changes no face pixel."""
        screen = chroma.green_dominant(rgb) if self.options.screen_hair and chroma.on_green_backdrop(rgb) else None

        def finish(labels: np.ndarray, face_only: bool = False) -> np.ndarray:
            if screen is not None:
                labels = drop_screen_hair(labels, screen)
            if not self.options.clean:
                return labels
            head = L.single_head(clean_labels(labels))
            # attached_neck relabels neck pixels only, and hole filling never reads the neck
            # class: without it the face pixels are the same
            return L.fill_head_holes(head if face_only else L.attached_neck(head))

        return finish

    def _parse_window(
        self, rgb: np.ndarray, labels: np.ndarray, window: tuple[int, int, int],
        finish: Callable[..., np.ndarray],
    ) -> Parsed:
        """``labels`` with the square ``(top, left, side)`` re-parsed (edge-padded where it
        leaves the picture) and ``finish``-ed; the confidence is the window's."""
        top, left, side = window
        pad = window_borders(window, rgb.shape)
        crop = window_crop(rgb, window, cv2.BORDER_REPLICATE)
        # the head lies inside the window by construction: outside it keep neck/body only
        outside = np.where((labels == L.NECK) | (labels == L.BODY), labels, L.BACKGROUND).astype(np.uint8)

        def to_labels(scores: np.ndarray, **how: bool) -> np.ndarray:
            inner = upsample_argmax(scores, crop.shape[:2])[pad[0]:side - pad[1], pad[2]:side - pad[3]]
            out = outside.copy()
            out[max(0, top):top + side, max(0, left):left + side] = inner
            return finish(out, **how)

        return self._judged(*self._logits(crop), to_labels, lambda face: window_crop(face, window))


class HeadParser(LabelParser):
    """The bundled backend: :class:`~changer.parsing.network.ParserNet` (see :class:`LabelParser`).

    The picture is resized so that its longer side is :attr:`input_size` (aspect ratio
    kept; the network pads the sides to a multiple of 32 itself).
    """

    def __init__(
        self, net: ParserNet, input_size: int | None = None, device: str | torch.device | None = None,
        *, options: ParseOptions | None = None, **flags: bool,
    ) -> None:
        super().__init__(options, **flags)
        self.device = torch.device(device or ("cuda" if torch.cuda.is_available() else "cpu"))
        self.net = net.to(self.device).eval()
        if self.device.type == "cpu":  # oneDNN depthwise convs are faster in NHWC
            self.net = self.net.to(memory_format=torch.channels_last)
        self.input_size = int(input_size or net.config.input_size)
        self._kept: OrderedDict[tuple[Any, ...], np.ndarray] = OrderedDict()
        self._kept_lock = threading.Lock()

    @classmethod
    def from_pretrained(
        cls, model_id: str | os.PathLike[str], device: str | None = None, *, options: ParseOptions | None = None,
        **flags: Any,
    ) -> HeadParser:
        """Load a folder (``config.json`` + ``model.safetensors``) or a Hub repo id. ``flags``
        that are :class:`ParseOptions` fields set those; the rest go to
        :meth:`ParserNet.from_pretrained` (Hub arguments such as ``revision``)."""
        mine = {k: flags.pop(k) for k in list(flags) if k in _OPTION_NAMES}
        return cls(ParserNet.from_pretrained(str(model_id), **flags), device=device, options=options, **mine)

    @property
    def config(self):  # noqa: ANN201 (ParserConfig)
        return self.net.config

    def working_size(self, shape: tuple[int, int]) -> tuple[int, int]:
        """``(h, w)`` the network sees for a picture of ``shape``: longer side = input_size."""
        h, w = shape
        k = self.input_size / max(h, w)
        return max(1, round(h * k)), max(1, round(w * k))

    def logits(self, rgb: np.ndarray) -> np.ndarray:
        """``(C, h, w) float32`` logits at the working size (see :meth:`working_size`)."""
        return self._network_logits([rgb])[0]

    def logits_all(self, pictures: list[np.ndarray]) -> list[np.ndarray]:
        """:meth:`logits` of several pictures, as one batch (see :meth:`_network_logits`); one
        by one when :meth:`logits` was replaced on the instance."""
        if "logits" in vars(self):
            return [self.logits(rgb) for rgb in pictures]
        return self._network_logits(pictures)

    def _network_logits(self, pictures: list[np.ndarray]) -> list[np.ndarray]:
        """:meth:`logits` of several pictures: those of one working size go through the network
        as one batch (the logits are the same to about 1e-5; on two idle CPU cores a batch
        takes 0.8-1.1 times as long as its single passes, on busy ones about half). The logits of the last
        :data:`LOGITS_KEPT` network inputs are kept (with the weights as they were: training
        them in place empties nothing but misses every old entry), so a picture asked for
        again (the turned copy the orientation check looked at, parsed once turned) is not
        run again."""
        inputs = [self._network_input(rgb) for rgb in pictures]
        weights = sum(t._version for t in self.net.state_dict(keep_vars=True).values())  # changes with any update
        keys = [(weights, x.shape, hashlib.blake2b(x.tobytes(), digest_size=16).digest()) for x in inputs]
        with self._kept_lock:
            out: list[np.ndarray | None] = [self._kept.get(key) for key in keys]
        todo: dict[tuple[int, ...], list[int]] = {}
        for i, (x, got) in enumerate(zip(inputs, out)):
            if got is None:
                todo.setdefault(x.shape, []).append(i)
        for indices in todo.values():
            x = torch.from_numpy(np.stack([inputs[i] for i in indices])).to(self.device).permute(0, 3, 1, 2).float() / 255.0
            if self.device.type == "cpu":
                x = x.contiguous(memory_format=torch.channels_last)
            with torch.inference_mode():
                scores = self.net(x).float().cpu().numpy()
            for i, one in zip(indices, scores):
                one.flags.writeable = False  # kept and shared: nobody may change them
                out[i] = one
        with self._kept_lock:
            for key, one in zip(keys, out):
                self._kept[key] = one
                self._kept.move_to_end(key)
            while len(self._kept) > LOGITS_KEPT:
                self._kept.popitem(last=False)
        return out  # type: ignore[return-value]

    def forget(self) -> None:
        """Drop the kept logits (:meth:`_network_logits`): the next picture is parsed anew
        even if it was seen (``changer bench`` times each blend so)."""
        with self._kept_lock:
            self._kept.clear()

    def _network_input(self, rgb: np.ndarray) -> np.ndarray:
        """``rgb`` resized to :meth:`working_size` (``HxWx3 uint8``, contiguous)."""
        rgb = as_rgb(rgb)
        h, w = self.working_size(rgb.shape[:2])
        if (h, w) != rgb.shape[:2]:
            shrink = h < rgb.shape[0]
            rgb = cv2.resize(rgb, (w, h), interpolation=cv2.INTER_AREA if shrink else cv2.INTER_LINEAR)
        return np.ascontiguousarray(rgb)

    def __repr__(self) -> str:
        return f"HeadParser(input_size={self.input_size}, params={self.net.num_parameters()}, device={str(self.device)!r})"


LOGITS_KEPT = 8
"""How many network inputs' logits a :class:`HeadParser` keeps (:meth:`HeadParser.logits_all`)."""


def upsample_argmax(logits: np.ndarray, shape: tuple[int, int]) -> np.ndarray:
    """Arg-max over classes of ``(C, h, w)`` logits resized bilinearly to ``shape``.

    Class by class with a running maximum, so memory stays at a few ``H x W`` planes even
    for very large photos.
    """
    h, w = shape
    if logits.shape[1:] == (h, w):
        return logits.argmax(0).astype(np.uint8)
    best = np.full((h, w), -np.inf, np.float32)
    labels = np.zeros((h, w), np.uint8)
    for c in range(logits.shape[0]):
        plane = cv2.resize(np.ascontiguousarray(logits[c]), (w, h), interpolation=cv2.INTER_LINEAR)
        better = plane > best
        best[better] = plane[better]
        labels[better] = c
    return labels


def face_confidence(logits: np.ndarray, face: np.ndarray) -> float:
    """Mean softmax probability of the face class over ``face`` (a mask at the picture's
    size), weighed on the logits' grid; 0.0 for an empty mask."""
    if not face.any():
        return 0.0
    h, w = logits.shape[1:]
    weight = cv2.resize(face.astype(np.float32), (w, h), interpolation=cv2.INTER_AREA)
    scores = np.exp(logits - logits.max(0, keepdims=True))
    prob = scores[L.FACE] / scores.sum(0)
    total = float(weight.sum())
    return float((prob * weight).sum() / total) if total > 0 else 0.0


PARSE_MAX_SIDE = 2048
"""Longest side at which labels are made and cleaned (:meth:`LabelParser.parse`): a face at
5% of a 4000 px photo is still about 100 px here, so the reframed second pass loses nothing."""

DARK_FACE = 80.0
"""Median luminance (0-255) of the parsed face under which a photo is parsed again,
brightened: the 5th percentile of the faces in the talking-heads ``train`` frames
(measured on every third frame with their labels: 1st 71, 5th 81, median 130)."""

FACE_LUMINANCE = 130.0
"""Median face luminance the brightened copy is given: the training frames' median."""


def relit(rgb: np.ndarray, labels: np.ndarray) -> np.ndarray | None:
    """``rgb`` with a gamma that brings its face's median luma to :data:`FACE_LUMINANCE`
    (:func:`changer.tone.curve_to`; a face darker than about 34 gets the strongest gamma it
    allows and ends below that), or None when the face is bright enough (at least
    :data:`DARK_FACE`) or there is none.

    The face is judged, not the whole picture: a well-lit person on a dark backdrop is
    left alone.
    """
    level = tone.face_luma(rgb, labels)
    if level is None or level >= DARK_FACE:
        return None
    return tone.apply_curve(rgb, tone.curve_to(level, FACE_LUMINANCE))


def drop_screen_hair(labels: np.ndarray, green: np.ndarray) -> np.ndarray:
    """``labels`` with the hair pixels that are ``green`` (the picture's
    :func:`changer.chroma.green_dominant` mask) made background.

    Parsers take the dark folds of a dim green screen for hair (the bundled one labels 11%
    of the green split's backdrop so); no hair is green, so on a green backdrop
    (:func:`changer.chroma.on_green_backdrop`, which gates this) such pixels are screen.
    Green spill on the hair's outer strands goes too, which the matting of a pasted head
    forgives. The gate is any mostly green upper border: foliage or a lawn behind the
    person counts as well, where only hair pixels with green spill are dropped.
    """
    drop = (labels == L.HAIR) & green
    if not drop.any():
        return labels
    out = labels.copy()
    out[drop] = L.BACKGROUND
    return out


REFRAME_BELOW = 0.3
"""Reframe when the main face is shorter than this share of the picture's longer side."""


def portrait_window(
    labels: np.ndarray, face_share: float = PORTRAIT_FACE_SHARE, below: float = REFRAME_BELOW
) -> tuple[int, int, int] | None:
    """A talking-head framing ``(top, left, side)`` around the main face, or None.

    None when there is no face or it is already large (taller than ``below`` times the
    longer side). The main face is :func:`changer.labels.main_face_mask`'s. The square
    window makes the face ``face_share`` of its side, centred horizontally on the face,
    with the face centre at 45% of the height (as in the training frames, where the median
    is 47%); it may reach outside the picture.
    """
    face = L.main_face_mask(labels)
    if face is None:
        return None
    x, y, fw, fh = cv2.boundingRect(face.astype(np.uint8))
    if max(fh, fw) >= below * max(labels.shape):
        return None
    return framing(x + fw / 2, y + fh / 2, max(fh, fw), face_share)


SEARCH_SURE = 0.85
"""A face found by the search counts only at this confidence or above, and must pass the
stricter :func:`~changer.parsing.face_check.face_confirmed` besides: the loose detector that
proposed the window is no independent witness for a doubtful face. It was the no-face
check's :data:`~changer.parsing.face_check.CONFIRM_BELOW` until that was raised to 0.9
(``docs/experiments/inputs.md``); at 0.9 here the search found 44 instead of 46 of 58
training frames pasted at 80 and 128 px into 1600x1200 scenes (17 instead of 18 of 24 test
frames) and refused one more non-face (a cat, whose face the detector confirms), so the
search kept 0.85."""

SEARCH_SIDE = 640
"""The face search looks at the picture scaled down to this longer side (detection 0.5 s on
2 cores; each proposed window parsed adds 0.1-0.35 s)."""

SEARCH_MIN_FACE = 20
"""Smallest face the search looks for, in pixels of the scaled-down picture (a face of 80 px
in a 2,560 px photo)."""

SEARCH_CANDIDATES = 6
"""How many of the detector's boxes (largest first) the parser judges."""

DETECTION_TO_FACE = 1.17
"""Face label box side / detector box side (median over the held-out frames; 5th-95th
percentile 1.02-1.47, centres within a fifth of the box)."""


def search_windows(rgb: np.ndarray, limit: int = SEARCH_CANDIDATES) -> list[tuple[int, int, int]]:
    """Portrait framings ``(top, left, side)`` around the frontal faces the detector proposes
    in ``rgb`` (:func:`changer.parsing.detector.frontal_faces`, loose settings), largest
    first; only boxes whose middle is skin-toned (:func:`changer.parsing.face_check.skin_toned`),
    since the face found there must be too."""
    small, k = fit_longest(rgb, SEARCH_SIDE)
    boxes = frontal_faces(cv2.cvtColor(small, cv2.COLOR_RGB2GRAY), SEARCH_MIN_FACE, neighbours=3, scale_step=1.2)
    return [framing((b.left + b.side / 2) / k, (b.top + b.side / 2) / k, DETECTION_TO_FACE * b.side / k)
            for b in _skin_toned_boxes(small, boxes)[:limit]]


def _skin_toned_boxes(small: np.ndarray, boxes: list[Box]) -> list[Box]:
    """The detector boxes whose middle (half their side) is skin-toned in ``small``."""
    kept = []
    for b in boxes:
        middle = np.zeros(small.shape[:2], bool)
        middle[b.top + b.side // 4:b.top + 3 * b.side // 4, b.left + b.side // 4:b.left + 3 * b.side // 4] = True
        if skin_toned(small, middle):
            kept.append(b)
    return kept


OTHER_FACE_SHARE = 0.35
"""Faces at least this share of the parsed face's size count as other people (:func:`other_faces`)."""
OTHER_FACE_NEIGHBOURS = 6
"""Overlapping detections a face needs to count as another person (:func:`other_faces`)."""


def other_faces(rgb: np.ndarray, face: np.ndarray | None) -> int:
    """How many more people's faces ``rgb`` shows beside the parsed ``face`` (a mask): frontal,
    skin-toned faces the detector finds at :data:`SEARCH_SIDE`, at least
    :data:`OTHER_FACE_SHARE` of that face's size, whose centres lie outside its box grown
    by a quarter and outside each other. The parser labels one person; a group photo gets
    one head replaced.

    Chosen on one frame per training clip: in nine framings of ``python -m
    eval.orientation`` (its wide scene left out, whose backdrop is a blurred, enlarged copy
    of the frame: a second face), 261 single-person pictures, none counted another face at
    any share (0.25-0.5) or strength (4-9) tried; of 58 pictures of two people (a frame
    beside another shrunk 0.4-1x, or two frames in a 1000x600 scene) 43 counted (50 at
    strength 4, 39 at 9). On the test splits, once: none of 108 and 21 of 24. About 22 ms a
    picture.
    """
    if face is None or not face.any():
        return 0
    small, k = fit_longest(as_rgb(rgb), SEARCH_SIDE)
    x, y, w, h = (v * k for v in cv2.boundingRect(face.astype(np.uint8)))
    least = max(SEARCH_MIN_FACE, round(OTHER_FACE_SHARE * max(w, h) / DETECTION_TO_FACE))
    boxes = frontal_faces(cv2.cvtColor(small, cv2.COLOR_RGB2GRAY), least, neighbours=OTHER_FACE_NEIGHBOURS,
                          scale_step=1.2)
    counted: list[Box] = []
    for b in _skin_toned_boxes(small, boxes):  # largest first: a box inside a counted one is that face again
        cx, cy = b.left + b.side / 2, b.top + b.side / 2
        seen = [(x - w / 4, y - h / 4, 1.5 * w, 1.5 * h)] + [(c.left, c.top, c.side, c.side) for c in counted]
        if not any(bx <= cx <= bx + bw and by <= cy <= by + bh for bx, by, bw, bh in seen):
            counted.append(b)
    return len(counted)


def clean_labels(labels: np.ndarray, min_face_share: float = 0.3) -> np.ndarray:
    """Person pixels not connected to a main face become background.

    Main faces: 8-connected face components of at least ``min_face_share`` times the
    largest one. The person is every foreground component (face, hair, neck, body
    together) that touches a main face; other foreground blobs (busy backgrounds taken
    for hair or clothes) are set to background. A map without face pixels is unchanged.
    """
    face = (labels == L.FACE).astype(np.uint8)
    n, face_cc, stats, _ = cv2.connectedComponentsWithStats(face, connectivity=8)
    if n <= 1:
        return labels
    areas = stats[1:, cv2.CC_STAT_AREA]
    main = 1 + np.flatnonzero(areas >= min_face_share * areas.max())
    fg = labels != L.BACKGROUND
    _, fg_cc = cv2.connectedComponents(fg.astype(np.uint8), connectivity=8)
    kept = np.unique(fg_cc[L.in_components(face_cc, main)])  # face pixels are foreground: never 0
    stray = fg & ~L.in_components(fg_cc, kept)
    if not stray.any():
        return labels
    out = labels.copy()
    out[stray] = L.BACKGROUND
    return out


def model_type(model_id: str | os.PathLike[str]) -> str | None:
    """``model_type`` in a parser's ``config.json`` (a local folder or a Hub repo id), or None."""
    import json

    folder = Path(model_id).expanduser()
    if folder.is_dir():
        path = folder / "config.json"
        if not path.is_file():
            return None
    else:
        from huggingface_hub import hf_hub_download

        try:
            path = Path(hf_hub_download(str(model_id), "config.json"))
        except Exception as err:  # offline, unknown repo, no config
            from changer.imageio import InputError

            raise InputError(f"cannot fetch the parser {model_id!s} from the Hub: {err}") from None
    try:
        return json.loads(path.read_text()).get("model_type")
    except (OSError, ValueError):
        return None


def load_parser(model_id: str | os.PathLike[str], device: str | None = None, **kwargs: Any) -> LabelParser:
    """A parser from a folder or Hub repo id: a SegFormer face parser when its config says
    ``"model_type": "segformer"`` (:mod:`changer.parsing.segformer`), else a :class:`HeadParser`."""
    if model_type(model_id) == "segformer":
        from changer.parsing.segformer import SegformerParser

        return SegformerParser.from_pretrained(model_id, device=device, **kwargs)
    return HeadParser.from_pretrained(model_id, device=device, **kwargs)


def get_parser() -> LabelParser | None:
    """The pipeline's parser hook: the bundled parser (cached), ``$CHANGER_PARSER``'s, or None."""
    env = os.environ.get(PARSER_ENV, "").strip()
    if env.lower() in ("off", "none", "0"):
        return None
    if env and not Path(env).expanduser().is_dir():  # a Hub repo id
        key = (env, 0.0)
        if key not in _CACHE:
            _CACHE[key] = load_parser(env)
        return _CACHE[key]
    folder = Path(env).expanduser() if env else WEIGHTS_DIR
    if not is_model_folder(folder):
        return None
    key = (str(folder.resolve()), (folder / "model.safetensors").stat().st_mtime)
    if key not in _CACHE:
        _CACHE[key] = load_parser(folder)
    return _CACHE[key]
