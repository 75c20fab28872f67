"""Blend real photos: a source head onto a target, end to end (DESIGN.md §1, Inference).

:class:`HeadBlendingPipeline` does, for one ``(source, target)`` pair:

a. load and validate both photos (:mod:`changer.imageio`) and their 5-class labels (given
   by the user, or from the head parser hook ``changer.parsing.get_parser()`` once it
   exists); a photo lying on its side or upside down is turned upright
   (:mod:`changer.orientation`) and parsed again, and a turned target's result is turned back;
b. the target's person layer: when the target stands on a green/blue key
   (:func:`changer.chroma.detect_key_color`) its alpha comes from keying (spill removed),
   else from the labels (``foreground = labels != 0``);
c. a square *working window* around the target's head (the target head, its neck and the
   aligned source head must fit, with margin; at least ``context`` times the head size),
   clamped to the image and edge-padded where it sticks out, resized to the blender's
   resolution;
d. the source head aligned into that window (:mod:`changer.align`, one resampling);
e. the :class:`~changer.inputs.BlendInputs` built exactly like the training samples of
   :mod:`changer.data.sample` (target on the key colour, hole = dilated target head ∪ neck ∪
   source head with the mean training hole margin, gray source head pasted, colour
   reference ``C``, visible body ``B``);
f. the blender's output: the foreground on the key colour;
g. keyed with :mod:`changer.chroma` (alpha matte + spill suppression), the pixel ring
   around the pasted head repainted (:func:`mend_head_seam`), the outline anti-aliased
   (:func:`changer.chroma.soften_edges`);
h. composited onto the chosen background: the target's own (where the old person was,
   Telea-inpainted, since what was behind the old head is unknown), the key colour, or a
   user image (cover-resized);
i. pasted back into the full-resolution target inside the feathered hole only: target
   pixels away from the head/neck region are exactly unchanged (for the ``"original"``
   background).

Bad inputs raise :class:`~changer.imageio.InputError` with a message meant for people.
"""

from __future__ import annotations

import importlib
import importlib.util
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from typing import Any, Literal

import cv2
import numpy as np

from changer import chroma, fill_color, head_layer, tone
from changer import faces as F
from changer import labels as L
from changer.align import (
    MIN_REGION_PIXELS,
    has_face,
    landmark_matrix,
    matrix_scale,
    similarity_matrix,
    warp_head,
    warp_mask,
)
from changer.blenders import Blender, load_blender
from changer.chroma import is_grayscale
from changer.data.augment import dilate, mask_box
from changer.data.sample import SampleConfig, on_black, on_key, to_gray
from changer.imageio import ImageSource, InputError, LoadedImage, load_image, load_labels, read_image
from changer.inputs import DEFAULT_KEY_COLOR, RGB, BlendInputs
from changer.letterbox import find_bars
from changer.neck import tint_neck
from changer.orientation import turn, turn_box, upright_turns
from changer.parsing.face_check import face_problem
from changer.parsing.parser import other_faces

NO_PARSER_MESSAGE = "no head parser available yet: pass source_labels and target_labels (5-class label maps)"


HOLE_MARGIN = float(np.mean(SampleConfig().hole_margin))
"""Dilation of the removed region, as a fraction of the window side (training's mean)."""

REAL_HOLE_MARGIN = 0.035
"""With the real head: the hole is the old head and the new one grown by this share of the
window side (the target's neck and clothes stay unless the new head covers them)."""

MAX_ENLARGEMENT = 4.0
"""A source face enlarged more than this many times is refused (unless forced)."""

POSE_NOTE_YAW = 25.0
"""A note when the two faces are turned sideways by more than this many degrees apart."""

FACE_FEATHER = 0.01
"""Feather of the face's lightness correction, as a fraction of the window side."""

HEAD_CENTRE_Y = 0.42
"""Where the target head's centre sits in the window (fraction of the side from the top),
as in the talking-heads training frames."""

Window = tuple[int, int, int]
"""``(x0, y0, side)`` of the square working window in target pixels (may reach outside)."""


@dataclass
class BlendOptions:
    """How to blend.

    Attributes:
        key_color: RGB key colour of the result's ``foreground`` (and of ``image`` with the
            ``"key"`` background); None = the working key. The network always works on
            its own key (a model is trained for one: any other gives a wrong picture),
            and only key-agnostic blenders (the baselines) work on this one; without
            either, the work is on the target's detected key, else green.
        color_reference: ``"target"`` (default): the new head takes the target's skin
            tone, its colour (``C`` = the target's own head) and its lightness (the gray
            face is given the target face's median luma, :mod:`changer.tone`);
            ``"source"``: keep the source's colours and lightness (``C`` = the source head).
        align_scale: multiplier on the automatic head scale.
        align_offset: ``(dx, dy)`` shift of the head in fractions of the target head size.
        align_rotate: also rotate the head by the difference of the heads' axes.
        output_background: ``"original"`` (the target's own background), ``"key"`` (the key
            colour) or ``"image"`` (the ``background`` argument); None = ``"image"`` when a
            background is given, else ``"original"``.
        resolution: working resolution (None = the blender's).
        context: minimum window side as a multiple of the target head size.
        feather: width of the paste-back feather, as a fraction of the window side.
        edge_softness: σ (pixels at the working resolution) of the blur that anti-aliases
            the keyed outline of the new person (:func:`changer.chroma.soften_edges`); 0
            keeps the keyed matte as it is. The network draws the outline as hard as the
            pasted head's mask, stair-steps included, where photos have soft edges: on
            self-blends of held-out frames 0.8 raised the PSNR of a 3 px band either side
            of the head's outline by 1.4 to 2.1 dB (chosen on the validation identities;
            ``configs/experiments/README.md``, session 14).
        mend_seam: repaint the pixel ring around the pasted head inside the person
            (:func:`mend_head_seam`), where the network draws a line.
        seam_line_level: with ``mend_seam``, also repaint the head's own outer pixels that
            stand out from their neighbourhood by more than this many gray levels (the
            light jaw line of cross-identity blends); None = not. Session 17: on
            self-blends of test frames neutral (seam band −0.05 ± 0.20 dB HDTF, +0.15 ±
            0.30 Vox), on cross-identity pairs the line is gone by eye.
        background_margin: with the target's own background, how far beyond the old
            person's parsed outline the background is rebuilt (inpainted) where the new
            person is further than that away, as a fraction of the window side (elsewhere
            1%): a photo's soft hair edge reaches a few pixels past the parser's label and
            would otherwise stay as a ghost outline of the old hair. Only where the
            background beyond is smooth (:data:`BUSY_BACKGROUND`).
        neck_tint: how far the generated neck's colour is moved toward the new face's
            (:func:`changer.neck.tint_neck`; 0 = as the network drew it, 1 = the face's
            median chroma inside the neck): the network draws necks washed out, gray or
            bluish under a new chin. Chroma-key models only (a ``no_chroma`` model's output
            is pasted as it is).
        upright: turn a photo whose person lies on their side or upside down upright
            before blending (:func:`changer.orientation.upright_turns`); a turned target's
            result is turned back, so it has the target's shape and orientation.
        head: ``"real"`` (default): the source head's own pixels at full resolution on top
            (:mod:`changer.head_layer`), the target's neck and clothes kept, the network
            filling only the ring between them and the old head the new one does not cover
            (its colours matched to the real pixels around it, :mod:`changer.fill_color`);
            ``"network"``: the paper's output, the network redraws the head from its gray
            copy and the target's neck.
        force_enlargement: blend even when the source face would be enlarged more than
            :data:`MAX_ENLARGEMENT` times (refused by default: the head would be mush).
    """

    key_color: RGB | None = None
    color_reference: Literal["target", "source"] = "target"
    align_scale: float = 1.0
    align_offset: tuple[float, float] = (0.0, 0.0)
    align_rotate: bool = False
    output_background: Literal["original", "key", "image"] | None = None
    resolution: int | None = None
    context: float = 1.5
    feather: float = 0.02
    edge_softness: float = 0.8
    mend_seam: bool = True
    seam_line_level: float | None = 16.0
    background_margin: float = 0.03
    neck_tint: float = 1.0
    upright: bool = True
    head: Literal["real", "network"] = "real"
    force_enlargement: bool = False


@dataclass
class BlendResult:
    """What one blend produced.

    Attributes:
        image: ``HxWx3 uint8`` final picture, the target's (loaded) size.
        foreground: ``HxWx3 uint8`` the new person on the key colour, full resolution
            (the layer that was composited onto the background).
        alpha: ``HxW float32`` matte of that person, full resolution.
        masks: full-resolution boolean masks: ``source_head`` (aligned), ``new_head`` (what
            was laid on top from the source photo: its head and the top of its neck with the
            real head, else the aligned head), ``target_head``, ``target_neck``,
            ``target_body``, ``hole`` (the regenerated region), ``blend_region`` (where the
            result may differ from the target: the hole plus its feather).
        inputs: the :class:`BlendInputs` the blender got (working window; like ``raw``, as
            the blender saw it: upright when the target was turned upright, see
            :attr:`BlendOptions.upright`).
        method: the blender's name.
        notes: remarks for the user (fallbacks, downscaling, keying).
        raw: the blender's output in the working window (foreground on the key colour).
        window: ``(x0, y0, side)`` of the working window in target pixels.
        key_color: the key colour of ``foreground`` (``raw`` and ``inputs`` are on the
            working key, the blender's own when it has one)
        paste_weight: ``HxW float32`` weight of the paste-back (1 on the hole, feathered
            to 0, and ramped to 0 at window borders that lie inside the image); with the
            ``"original"`` background, pixels where it is 0 are the target's exactly.
        original: ``HxWx3 uint8`` the target as loaded (the size of ``image``), for
            before/after views.
    """

    image: np.ndarray
    foreground: np.ndarray
    alpha: np.ndarray
    masks: dict[str, np.ndarray]
    inputs: BlendInputs
    method: str
    notes: list[str] = field(default_factory=list)
    raw: np.ndarray | None = None
    window: Window = (0, 0, 0)
    key_color: RGB = DEFAULT_KEY_COLOR
    paste_weight: np.ndarray | None = None
    original: np.ndarray | None = None


@dataclass
class _Layer:
    """The target's person layer at full resolution."""

    fg: np.ndarray
    alpha: np.ndarray
    keyed: chroma.KeyDetection | None


Parser = Callable[[np.ndarray], np.ndarray]


class HeadBlendingPipeline:
    """Source head + target photo -> blended photo (see the module docstring)."""

    def __init__(self, blender: Blender, parser: Parser | None = None) -> None:
        self.blender = blender
        self.parser = parser

    @classmethod
    def from_pretrained(
        cls, model_id: str | None = None, parser: Parser | None = None, **kwargs: Any
    ) -> HeadBlendingPipeline:
        """A pipeline around :func:`changer.blenders.load_blender` ``(model_id)``."""
        return cls(load_blender(model_id, **kwargs), parser=parser)

    @property
    def note(self) -> str:
        """The blender's note for the UI (e.g. the Poisson fallback), or ``""``."""
        return str(getattr(self.blender, "note", "") or "")

    @property
    def notes(self) -> list[str]:
        """:attr:`note` as a list (empty when there is none), as in :attr:`BlendResult.notes`."""
        return [self.note] if self.note else []

    @property
    def method(self) -> str:
        """The blender's name (``"changer"``, a model folder's name, or a baseline)."""
        return self.blender.name

    def __call__(
        self,
        source: ImageSource,
        target: ImageSource,
        background: ImageSource | None = None,
        *,
        source_labels: ImageSource | None = None,
        target_labels: ImageSource | None = None,
        options: BlendOptions | None = None,
        timings: dict[str, float] | None = None,
        progress: Callable[[str, str], None] | None = None,
    ) -> BlendResult:
        """Blend ``source``'s head onto ``target``.

        ``timings``: when a dict is given, the wall time (seconds) of each stage is added
        to it under ``load``, ``parse`` (only when a parser runs), ``align``, ``prepare``
        (person layer, window crop, inputs), ``model`` and ``composite``; None costs nothing.
        ``progress``: called with a stage's name and its description in words
        (:data:`STAGES`) as the blend enters it, for a progress bar.
        """
        clock = _Stopwatch(timings, progress)
        opts = _check_options(options or BlendOptions(), background)
        notes = self.notes
        with clock("load"):
            src, tgt = read_image(source, "source"), read_image(target, "target")
            bg = load_image(background, "background") if opts.output_background == "image" else None
        notes += _size_notes(src, "source") + _size_notes(tgt, "target")
        with clock("parse" if source_labels is None or target_labels is None else "load"):
            src_rgb, src_lab, _ = self._labels(_without_bars(src.rgb, source_labels, notes), source_labels, "source",
                                               notes, opts.upright)
            tgt_rgb, tgt_lab, turns = self._labels(tgt.rgb, target_labels, "target", notes, opts.upright)
            notes += _other_people_notes(src_rgb, src_lab, "source") + _other_people_notes(tgt_rgb, tgt_lab, "target")
        if bg is not None:
            bg = turn(bg, turns)  # so that it is the right way up once the result is turned back
        result = self._blend(src_rgb, src_lab, tgt_rgb, tgt_lab, bg, opts, notes, clock,
                             source_labelled=source_labels is not None)
        return turn_result(result, -turns) if turns else result

    # ----------------------------------------------------------------------- steps

    def _labels(
        self, img: np.ndarray, given: ImageSource | None, name: str, notes: list[str], upright: bool,
    ) -> tuple[np.ndarray, np.ndarray, int]:
        """``(picture, labels, turns)``: the user's labels (validated, fitted to the image) or
        the parser's (a note when the parser had to brighten an underexposed photo).

        With ``upright``, a picture whose person lies on their side or upside down comes back
        turned upright by ``turns`` quarter turns (:func:`changer.orientation.upright_turns`),
        with its labels turned alike, or parsed again upright: the parser labels every
        picture as if it were upright.
        """
        parser = None if given is not None else (self.parser or find_parser())
        if given is None and parser is None:
            raise InputError(NO_PARSER_MESSAGE)
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

    def _blend(
        self, src: np.ndarray, src_lab: np.ndarray, tgt: np.ndarray, tgt_lab: np.ndarray,
        bg: np.ndarray | None, opts: BlendOptions, notes: list[str], clock: _Stopwatch | None = None,
        source_labelled: bool = False,
    ) -> BlendResult:
        clock = clock or _Stopwatch(None)
        if not L.head_mask(tgt_lab).any():
            raise InputError("target: no head (face or hair) found in the labels")
        with clock("prepare"):
            layer = _person_layer(tgt, tgt_lab)
        key = _choose_key(getattr(self.blender, "key_color", None), opts.key_color, layer.keyed)
        if layer.keyed is not None:
            notes.append(f"target is on a {layer.keyed.name} key: its foreground comes from chroma keying")
        res = _resolution(opts.resolution or self.blender.resolution)
        with clock("align"):
            matrix = _placement(src, src_lab, tgt, tgt_lab, opts, notes)
            _check_enlargement(matrix, src_lab, opts)
            notes += _enlargement_notes(matrix, opts.align_scale)
            notes += _cut_head_notes(src_lab, matrix, tgt.shape[:2])
            _check_head_inside(src_lab, matrix, tgt.shape[:2], opts, source_labelled)
            window = working_window(tgt_lab, src_lab, matrix, opts.context)
        if window[2] > 1.5 * res:
            notes.append(
                f"the head region ({window[2]} px) is blended at {res} px and scaled up: "
                "the new head is softer than the photo"
            )
        into_window = _compose(window_matrix(window, res), matrix)  # source pixels -> working window
        with clock("align"):
            aligned = warp_head(src, L.head_mask(src_lab), into_window, (res, res))
        if not aligned.mask.any():
            raise InputError("the aligned source head falls outside the picture: reduce align_offset/align_scale")
        chroma_setting = bool(getattr(self.blender, "chroma", True))
        with clock("prepare"):
            crop = _crop_layers(tgt, tgt_lab, layer, window, res, key)
            lightness = tone.head_curve(src, src_lab, tgt, tgt_lab) if opts.color_reference == "target" else None
            notes += _lightness_notes(lightness)
            src_face = L.main_face_mask(src_lab)
            face = None if src_face is None else warp_mask(src_face, into_window, (res, res))
            neck_face = None if face is None else (warp_mask(src_lab == L.NECK, into_window, (res, res)), face)
            real = None
            if opts.head == "real":
                real = head_layer.source_layer(src, src_lab)
                if opts.color_reference == "target":
                    real.rgb = _skin_toward(real, src, src_lab, tgt, tgt_lab)
                real_w = head_layer.warp_layer(real, into_window, (res, res))
            inputs = build_inputs(crop, aligned.rgb, aligned.mask, key, opts.color_reference, chroma_setting,
                                  face_curve=(lightness, face),
                                  real_head=None if real is None else real_w.alpha > 0.05)
        with clock("model"):
            raw = np.asarray(self.blender(inputs))
        if raw.shape != (res, res, 3) or raw.dtype != np.uint8:
            raise RuntimeError(
                f"blender {self.blender.name!r} returned {raw.shape} {raw.dtype}, expected {(res, res, 3)} uint8"
            )
        if not chroma_setting and opts.output_background != "original":
            notes.append("this model works on real backgrounds (no chroma key): the original background is kept")
            opts = BlendOptions(**{**opts.__dict__, "output_background": "original"})
        with clock("composite"):
            real_head = None if real is None else (real, matrix, real_w, crop)
            return _assemble(tgt, tgt_lab, layer, raw, inputs, window, key, bg, opts, chroma_setting,
                             self.blender.name, notes, out_key=key if opts.key_color is None else _rgb(opts.key_color),
                             neck_face=neck_face, real_head=real_head)


# --------------------------------------------------------------------------- helpers: options


STAGES = {
    "load": "reading the pictures",
    "parse": "finding the heads",
    "prepare": "building the chroma-key inputs",
    "align": "aligning the new head",
    "model": "blending on the key colour",
    "composite": "keying and compositing",
}
"""The stages of a blend in the order they first run, with what each does in words."""


class _Stopwatch:
    """``with clock("stage"):`` adds the block's wall time to ``timings[stage]`` (nothing when
    None) and tells ``progress`` when a new stage begins."""

    def __init__(self, timings: dict[str, float] | None, progress: Callable[[str, str], None] | None = None) -> None:
        self.timings = timings
        self.progress = progress
        self._last: str | None = None

    @contextmanager
    def __call__(self, stage: str) -> Iterator[None]:
        if self.progress is not None and stage != self._last:
            self._last = stage
            self.progress(stage, STAGES[stage])
        if self.timings is None:
            yield
            return
        start = time.perf_counter()
        try:
            yield
        finally:
            self.timings[stage] = self.timings.get(stage, 0.0) + time.perf_counter() - start


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


def mend_head_seam(fg: np.ndarray, alpha: np.ndarray, head: np.ndarray, line_level: float | None = None) -> np.ndarray:
    """``fg`` with the one-pixel ring just outside the pasted ``head``, where it lies inside
    the person (``alpha > 0.5``, 2 px in), repainted from around it (OpenCV Telea).

    The network draws a line where the generated neck meets the pasted head: light, or
    olive with a little key green in it. On self-blends of held-out frames, repainting
    that ring raised the PSNR of the head/neck seam by 1.2 dB on the validation identities
    and 0.5 dB on the test frames. A 2 px ring, or the head's own outer pixel, did worse
    (``configs/experiments/README.md``, session 14).

    With ``line_level``, the head's own outer pixels that meet the generated fill are
    repainted too, but only where they stand out from their 5×5 neighbourhood's median by
    more than ``line_level`` gray levels in some channel: a light line along the jaw that
    cross-identity blends show and self-blends mostly do not (session 17).
    """
    person = cv2.erode((alpha > 0.5).astype(np.uint8), np.ones((5, 5), np.uint8)) > 0
    ring = (cv2.dilate(head.astype(np.uint8), np.ones((3, 3), np.uint8)) > 0) & ~head & person
    if line_level is not None:
        ring |= _edge_lines(fg, head, ring, line_level) & person
    if not ring.any():
        return fg
    return cv2.inpaint(fg, ring.astype(np.uint8), 3, cv2.INPAINT_TELEA)


def _edge_lines(fg: np.ndarray, head: np.ndarray, outside: np.ndarray, level: float) -> np.ndarray:
    """Pixels of ``head``'s outer ring next to ``outside`` that stand out from their 5×5
    median by more than ``level`` (a median keeps step edges, so a one-pixel line is what
    differs from it)."""
    edge = head & ~(cv2.erode(head.astype(np.uint8), np.ones((3, 3), np.uint8)) > 0)
    edge &= cv2.dilate(outside.astype(np.uint8), np.ones((3, 3), np.uint8)) > 0
    if not edge.any():
        return edge
    median = cv2.medianBlur(fg, 5)
    return edge & (cv2.absdiff(fg, median).max(axis=2) > level)


MAX_BACKGROUND_MARGIN = 0.2
"""A fifth of the window around the old person is as far as rebuilding its background makes sense."""

MAX_EDGE_SOFTNESS = 4.0
"""Beyond a few pixels the blur would smear the outline rather than anti-alias it."""


def _check_options(opts: BlendOptions, background: Any) -> BlendOptions:
    """Validate options; resolve ``output_background=None``."""
    if opts.color_reference not in ("target", "source"):
        raise InputError(f"color_reference must be 'target' or 'source', got {opts.color_reference!r}")
    out = opts.output_background or ("image" if background is not None else "original")
    if out not in ("original", "key", "image"):
        raise InputError(f"output_background must be 'original', 'key' or 'image', got {out!r}")
    if out == "image" and background is None:
        raise InputError("output_background='image' needs a background image")
    if opts.key_color is not None:
        values = np.asarray(opts.key_color)
        if values.shape != (3,) or not np.all((values >= 0) & (values <= 255)):
            raise InputError(f"key_color must be three values in 0..255, got {opts.key_color!r}")
    if not opts.context > 0 or not 0 <= opts.feather < 0.5:
        raise InputError("context must be positive and feather in [0, 0.5)")
    if opts.seam_line_level is not None and not opts.seam_line_level >= 0:
        raise InputError(f"seam_line_level must be None or at least 0 gray levels, got {opts.seam_line_level!r}")
    if not 0 <= opts.background_margin <= MAX_BACKGROUND_MARGIN:
        raise InputError(f"background_margin must be in [0, {MAX_BACKGROUND_MARGIN}], got {opts.background_margin!r}")
    if not 0 <= opts.neck_tint <= 1:
        raise InputError(f"neck_tint must be in [0, 1], got {opts.neck_tint!r}")
    if not 0 <= opts.edge_softness <= MAX_EDGE_SOFTNESS:
        raise InputError(f"edge_softness must be in [0, {MAX_EDGE_SOFTNESS}] pixels, got {opts.edge_softness!r}")
    return BlendOptions(**{**opts.__dict__, "output_background": out})


def _resolution(res: int) -> int:
    """Working resolution: a multiple of 8 in 64..2048."""
    if not 64 <= int(res) <= 2048:
        raise InputError(f"resolution must be between 64 and 2048, got {res}")
    return int(round(int(res) / 8) * 8)


def _size_notes(img: LoadedImage, name: str) -> list[str]:
    """A note when an image was downscaled on loading."""
    if img.scale >= 1.0:
        return []
    h, w = img.original_size
    return [f"{name} was downscaled from {w}x{h} to {img.rgb.shape[1]}x{img.rgb.shape[0]} px"]


def _rgb(color: Sequence[int]) -> RGB:
    """An RGB triple of Python ints."""
    return tuple(int(v) for v in color)  # type: ignore[return-value]


def _choose_key(blender: RGB | None, user: RGB | None, keyed: chroma.KeyDetection | None) -> RGB:
    """The working key: the blender's own, else the user's, else the target's, else chroma green."""
    for key in (blender, user, keyed.color if keyed else None):
        if key is not None:
            return _rgb(key)
    return DEFAULT_KEY_COLOR


# --------------------------------------------------------------------------- helpers: layers


def unmix(img: np.ndarray, alpha: np.ndarray, key: RGB) -> np.ndarray:
    """The foreground colour ``F`` of pixels ``I = a * F + (1 - a) * K``, spill removed.

    Compositing the observed colour ``I`` itself (``I * a + B * (1 - a)``) would darken soft
    edges twice (dark halos around hair); solving for ``F`` first keeps edges true.
    Pixels with almost no alpha keep their colour (it is never seen).
    """
    a = alpha.astype(np.float32)[..., None]
    solid = a > 0.05
    f = (img.astype(np.float32) - (1.0 - a) * np.asarray(key, np.float32)) / np.maximum(a, 0.05)
    f = np.where(solid, f, img.astype(np.float32))
    f = np.clip(np.rint(f), 0, 255).astype(np.uint8)
    return chroma.suppress_spill(f, key, alpha)


def _person_layer(img: np.ndarray, labels: np.ndarray) -> _Layer:
    """The target's person (colour, alpha): by keying on a key screen, else from the labels."""
    keyed = chroma.detect_key_color(img)
    if keyed is not None:
        alpha = chroma.alpha_matte(img, keyed.color)
        return _Layer(fg=unmix(img, alpha, keyed.color), alpha=alpha, keyed=keyed)
    alpha = L.foreground_mask(labels).astype(np.float32)
    return _Layer(fg=img, alpha=alpha, keyed=None)


# --------------------------------------------------------------------------- helpers: window


def working_window(tgt_lab: np.ndarray, src_lab: np.ndarray, matrix: np.ndarray, context: float) -> Window:
    """The square window ``(x0, y0, side)`` that holds target head, neck and aligned source head.

    Side: at least ``context`` times the target head size and large enough that everything
    to regenerate fits with the hole margin and feather to spare. The target head's centre
    sits at :data:`HEAD_CENTRE_Y`; the window is shifted inside the image where it fits.
    """
    h, w = tgt_lab.shape
    head = mask_box(L.head_mask(tgt_lab))
    assert head is not None
    hx0, hy0, hx1, hy1 = head
    size = max(hx1 - hx0, hy1 - hy0)
    boxes = [head, _warped_box(mask_box(L.head_mask(src_lab)), matrix)]
    neck = mask_box(tgt_lab == L.NECK)
    if neck is not None:  # long necks/necklines: keep only the part near the chin
        boxes.append((neck[0], neck[1], neck[2], min(neck[3], int(hy1 + 0.75 * size))))
    ux0, uy0 = min(b[0] for b in boxes), min(b[1] for b in boxes)
    ux1, uy1 = max(b[2] for b in boxes), max(b[3] for b in boxes)
    spare = 2 * (HOLE_MARGIN + 0.04)
    side = int(np.ceil(max(context * size, (ux1 - ux0) / (1 - spare), (uy1 - uy0) / (1 - spare))))
    m = spare / 2 * side
    x0 = _place((hx0 + hx1) / 2 - side / 2, ux0 - m, ux1 + m, side, w)
    y0 = _place((hy0 + hy1) / 2 - HEAD_CENTRE_Y * side, uy0 - m, uy1 + m, side, h)
    return x0, y0, side


MIN_HEAD_INSIDE = 0.5
"""Share of the aligned source head's box that must land inside the target picture."""


def _without_bars(source: np.ndarray, labels: ImageSource | None, notes: list[str]) -> np.ndarray:
    """The source photo without black bars along its edges (a letterboxed video still),
    which the parser would take for hair on the pasted head; as it is when the user gave
    its label map (that map is of the whole photo)."""
    bars = find_bars(source) if labels is None else None
    if not bars:
        return source
    notes.append("the source photo has black bars along its edges (a video still?): they were left out")
    return bars.crop(source)


def _face(img: np.ndarray, labels: np.ndarray) -> F.Face | None:
    """The labelled face as dlib sees it (landmarks), or None where dlib finds no face there."""
    face = L.main_face_mask(labels)
    hint = F.box_from_mask(face if face is not None else labels == L.FACE)
    found = F.find_face(img, hint)
    return found if found is not None and found.detected else None


def _placement(src: np.ndarray, src_lab: np.ndarray, tgt: np.ndarray, tgt_lab: np.ndarray,
               opts: BlendOptions, notes: list[str]) -> np.ndarray:
    """Source -> target matrix: from both faces' landmarks (eyes, nose, mouth, chin: the new
    head gets the target head's size, place and tilt) when dlib finds both, else from the
    labelled head boxes (:func:`changer.align.similarity_matrix`). A note when the faces are
    turned sideways very differently (one head looks away from where the body faces)."""
    src_face, tgt_face = _face(src, src_lab), _face(tgt, tgt_lab)
    if src_face is None or tgt_face is None:
        return similarity_matrix(src_lab, tgt_lab, opts.align_scale, opts.align_offset, opts.align_rotate)
    gap = abs(src_face.yaw - tgt_face.yaw)
    if gap > POSE_NOTE_YAW:
        notes.append(f"the two faces look in different directions (about {gap:.0f}° apart): the new head may look "
                     "turned on the body (a source facing the same way as the target blends best)")
    head = mask_box(L.head_mask(tgt_lab))
    size = None if head is None else float(max(head[2] - head[0], head[3] - head[1]))
    return landmark_matrix(src_face.landmarks, tgt_face.landmarks, opts.align_scale, opts.align_offset, size)


def _check_enlargement(matrix: np.ndarray, src_lab: np.ndarray, opts: BlendOptions) -> None:
    """Refuse a source face that would be blown up more than :data:`MAX_ENLARGEMENT` times
    (unless ``force_enlargement``): the head would be a blur."""
    scale = matrix_scale(matrix) / opts.align_scale
    if scale <= MAX_ENLARGEMENT or opts.force_enlargement:
        return
    box = mask_box(L.main_face_mask(src_lab) if L.main_face_mask(src_lab) is not None else src_lab == L.FACE)
    width = "" if box is None else f" ({box[2] - box[0]} px wide)"
    raise InputError(
        f"the source face is small{width}: it would be enlarged {scale:.1f}x to the target's size and look blurred. "
        "Use a closer or larger source photo, or force the enlargement"
    )


def _skin_toward(layer: head_layer.HeadLayer, src: np.ndarray, src_lab: np.ndarray, tgt: np.ndarray,
                 tgt_lab: np.ndarray) -> np.ndarray:
    """The real head's pixels with the skin moved toward the target face's colour
    (:func:`changer.head_layer.match_skin`); as they are when a face is too small to tell."""
    def face(labels: np.ndarray) -> np.ndarray:
        main = L.main_face_mask(labels)
        return main if main is not None else labels == L.FACE

    s, t = head_layer.skin_colour(src, face(src_lab)), head_layer.skin_colour(tgt, face(tgt_lab))
    if s is None or t is None:
        return layer.rgb
    return head_layer.match_skin(layer.rgb, layer.alpha > 0, s, t)


def _check_head_inside(
    src_lab: np.ndarray, matrix: np.ndarray, shape: tuple[int, int], opts: BlendOptions, source_labelled: bool = False
) -> None:
    """Refuse an alignment that puts most of the new head off the picture: the target's
    head would be removed and hardly anything put in its place. With the automatic
    alignment this means the source's head, as labelled, reaches far beyond its face
    (hair taken for a busy backdrop, or a second person), and the message says so; it
    names the label map when the user gave one (``source_labelled``)."""
    x0, y0, x1, y1 = _warped_box(mask_box(L.head_mask(src_lab)), matrix)
    h, w = shape
    inside = max(0, min(x1, w) - max(x0, 0)) * max(0, min(y1, h) - max(y0, 0))
    share = inside / max(1, (x1 - x0) * (y1 - y0))
    if share >= MIN_HEAD_INSIDE:
        return
    message = f"the new head would fall mostly outside the picture ({share:.0%} inside): "
    if opts.align_scale != 1.0 or tuple(opts.align_offset) != (0.0, 0.0):
        raise InputError(message + "reduce the head offset or scale")
    if source_labelled:
        raise InputError(message + "the source label map's head (face and hair) reaches far beyond its face: "
                         "check the label map, or use a smaller head scale")
    raise InputError(
        message + "the source's head region reaches far beyond its face (is part of the source's "
        "background, or another person, taken for hair? or does the photo lie on its side?). Try an "
        "upright source photo with a plainer background or one person, a smaller head scale, or give a source label map"
    )


def _place(start: float, lo: float, hi: float, side: int, limit: int) -> int:
    """Window start: near ``start``, covering ``[lo, hi]``, inside ``[0, limit]`` where it fits."""
    start = min(max(start, hi - side), lo)
    if side <= limit:
        start = min(max(start, 0), limit - side)
    return int(round(start))


def _warped_box(box: tuple[int, int, int, int] | None, matrix: np.ndarray) -> tuple[int, int, int, int]:
    """Bounding box of a box's corners under a 2x3 matrix."""
    assert box is not None
    x0, y0, x1, y1 = box
    pts = np.array([[x0, y0, 1], [x1, y0, 1], [x0, y1, 1], [x1, y1, 1]], np.float64) @ np.asarray(matrix).T
    return (int(np.floor(pts[:, 0].min())), int(np.floor(pts[:, 1].min())),
            int(np.ceil(pts[:, 0].max())), int(np.ceil(pts[:, 1].max())))


def window_matrix(window: Window, res: int) -> np.ndarray:
    """2x3 map from target pixels to window pixels (``cv2.resize``'s pixel-centre convention)."""
    x0, y0, side = window
    k = res / side
    return np.array([[k, 0, (0.5 - x0) * k - 0.5], [0, k, (0.5 - y0) * k - 0.5]], np.float64)


def _compose(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """``a ∘ b`` of two 2x3 affine matrices."""
    return (np.vstack([a, [0, 0, 1]]) @ np.vstack([b, [0, 0, 1]]))[:2]


def crop_square(arr: np.ndarray, window: Window) -> np.ndarray:
    """The window of ``arr`` (``side x side``), edge-replicated where it leaves the image."""
    x0, y0, side = window
    h, w = arr.shape[:2]
    cx0, cy0, cx1, cy1 = max(x0, 0), max(y0, 0), min(x0 + side, w), min(y0 + side, h)
    part = arr[cy0:cy1, cx0:cx1]
    pads = (cy0 - y0, y0 + side - cy1, cx0 - x0, x0 + side - cx1)
    if not any(pads):
        return part.copy()
    return cv2.copyMakeBorder(part, *pads, borderType=cv2.BORDER_REPLICATE)


def _resize(arr: np.ndarray, size: int, kind: str) -> np.ndarray:
    """Square resize: ``"image"`` area/cubic, ``"labels"`` nearest, ``"float"`` area/linear."""
    if arr.shape[0] == size and arr.shape[1] == size:
        return arr
    shrink = arr.shape[0] > size
    interp = {"image": cv2.INTER_AREA if shrink else cv2.INTER_CUBIC, "labels": cv2.INTER_NEAREST,
              "float": cv2.INTER_AREA if shrink else cv2.INTER_LINEAR}[kind]
    return cv2.resize(arr, (size, size), interpolation=interp)


@dataclass
class _Crop:
    """The target in the working window."""

    rgb: np.ndarray
    labels: np.ndarray
    person: np.ndarray
    """The person's colours (spill removed on a key screen)."""
    on_key: np.ndarray
    """The target in the chroma-key setting (``T_green``)."""
    alpha: np.ndarray | None = None
    """The target person's matte (keyed on a key screen, else the labels' foreground)."""

    def loose(self) -> np.ndarray:
        """What the matte calls person but the labels call neither neck nor body: the old
        head, with what a parser missed of it on a key screen (dark hair it called background)."""
        person = L.foreground_mask(self.labels) if self.alpha is None else self.alpha > 0.5
        return person & ~L.neck_body_mask(self.labels)


def _crop_layers(tgt: np.ndarray, lab: np.ndarray, layer: _Layer, window: Window, res: int, key: RGB) -> _Crop:
    """Crop and resize the target, its labels and its person layer to the window."""
    rgb = _resize(crop_square(tgt, window), res, "image")
    labels = _resize(crop_square(lab, window), res, "labels")
    if layer.keyed is None:
        return _Crop(rgb=rgb, labels=labels, person=rgb, on_key=on_key(rgb, L.foreground_mask(labels), key))
    person = _resize(crop_square(layer.fg, window), res, "image")
    alpha = np.clip(_resize(crop_square(layer.alpha, window), res, "float"), 0.0, 1.0)
    return _Crop(rgb=rgb, labels=labels, person=person, on_key=chroma.composite(person, alpha, key), alpha=alpha)


def build_inputs(
    crop: _Crop, head_rgb: np.ndarray, head: np.ndarray, key: RGB, color_reference: str, chroma_setting: bool = True,
    face_curve: tuple[np.ndarray | None, np.ndarray | None] = (None, None),
    real_head: np.ndarray | None = None,
) -> BlendInputs:
    """The :class:`BlendInputs` of the window, as :meth:`changer.data.sample.SampleBuilder.build` makes them.

    The removed region is the target's head and neck and the pasted source head, dilated by
    the training's mean hole margin (no random H² at inference: the real cross-identity
    hole is what H² imitates). With ``real_head`` (the real head's matte in the window) the
    hole is only the old head and the new one, grown by :data:`REAL_HOLE_MARGIN`. ``face_curve`` ``(lookup table, face mask)`` moves the gray
    face's lightness (:func:`changer.tone.head_curve`: to the target face's, when the colour
    comes from the target), feathered over 1% of the side.
    """
    curve, face = face_curve
    gray = to_gray(head_rgb)
    if curve is not None and face is not None:
        gray = tone.apply_curve_within(gray, curve, face & head, FACE_FEATHER * max(head.shape))
    side = max(head.shape)
    t_head = L.head_mask(crop.labels)
    if real_head is None:
        hole = dilate(t_head | (crop.labels == L.NECK) | head, round(HOLE_MARGIN * side)) | head
    else:  # the real head goes on top: only the old head and the new one (with its neck top) go
        hole = dilate(crop.loose() | head | real_head, round(REAL_HOLE_MARGIN * side)) | head | real_head
    holed = (crop.on_key if chroma_setting else crop.rgb).copy()
    holed[hole] = key
    body = L.neck_body_mask(crop.labels) & ~hole
    if color_reference == "source":
        color_ref, color_mask = on_black(head_rgb, head), head
    else:
        color_ref, color_mask = on_black(crop.person, t_head), t_head
    return BlendInputs(
        target=holed, hole=hole, head_gray=on_black(gray, head), head_mask=head,
        color_ref=color_ref, color_ref_mask=color_mask, body_ref=on_black(crop.person, body),
        body_ref_mask=body, key_color=key, head_rgb=on_black(head_rgb, head), chroma=chroma_setting,
    )


# --------------------------------------------------------------------------- helpers: output


def _region(window: Window, shape: tuple[int, int]) -> tuple[slice, slice, slice, slice]:
    """``(rows, cols)`` of the window inside the image, and the matching slices of the window."""
    x0, y0, side = window
    h, w = shape
    cx0, cy0, cx1, cy1 = max(x0, 0), max(y0, 0), min(x0 + side, w), min(y0 + side, h)
    return slice(cy0, cy1), slice(cx0, cx1), slice(cy0 - y0, cy1 - y0), slice(cx0 - x0, cx1 - x0)


def _distance(mask: np.ndarray) -> np.ndarray:
    """Euclidean distance (pixels) of every pixel to ``mask`` (0 on it); fast at any radius."""
    if not mask.any():
        return np.full(mask.shape, np.inf, np.float32)
    return cv2.distanceTransform((~mask).astype(np.uint8), cv2.DIST_L2, cv2.DIST_MASK_PRECISE)


def _paste_weight(hole: np.ndarray, window: Window, shape: tuple[int, int], feather: float,
                  inside: bool = False) -> np.ndarray:
    """Feathered hole over the picture's part of the window (``_region``'s window slices):
    1 on the hole, a smooth fall to exactly 0 at ``2 * feather * side``; with ``inside``, the
    fall lies inside the hole instead (1 from ``feather * side`` in, 0 on and outside its
    edge), so every pixel outside the hole stays the target's.

    Where the window's own border lies inside the image the weight also ramps down to 0,
    so nothing outside the window is needed. The distance to the hole is taken only
    within the fall's reach of both the hole and the picture, which holds every hole
    pixel that near a weighted pixel: exact, and seconds faster on large photos.
    """
    x0, y0, side = window
    h, w = shape
    _, _, wr, wc = _region(window, shape)
    weight = np.zeros((max(0, wr.stop - wr.start), max(0, wc.stop - wc.start)), np.float32)
    if weight.size == 0:  # a window that misses the picture
        return weight
    f = max(1, round(feather * side))
    box = mask_box(hole)
    if box is not None:
        reach = f if inside else 2 * f
        bx0, by0 = max(0, box[0] - reach, wc.start - reach), max(0, box[1] - reach, wr.start - reach)
        bx1, by1 = min(side, box[2] + reach, wc.stop + reach), min(side, box[3] + reach, wr.stop + reach)
        if bx0 < bx1 and by0 < by1:
            part = hole[by0:by1, bx0:bx1]
            if inside:  # distance into the hole from its edge: 0 outside
                t = np.clip((_distance(~part) - 0.5) / np.float32(reach), 0.0, 1.0) * part
                near = t * t * (3.0 - 2.0 * t)
            else:
                t = np.clip(_distance(part) / np.float32(reach), 0.0, 1.0)
                near = 1.0 - t * t * (3.0 - 2.0 * t)
            ox0, oy0, ox1, oy1 = max(bx0, wc.start), max(by0, wr.start), min(bx1, wc.stop), min(by1, wr.stop)
            if ox0 < ox1 and oy0 < oy1:
                weight[oy0 - wr.start : oy1 - wr.start, ox0 - wc.start : ox1 - wc.start] = \
                    near[oy0 - by0 : oy1 - by0, ox0 - bx0 : ox1 - bx0]
    ramp = np.clip((np.arange(side, dtype=np.float32) + 0.5) / f, 0, 1)
    rows, cols = np.ones(side, np.float32), np.ones(side, np.float32)
    if y0 > 0:
        rows = np.minimum(rows, ramp)
    if y0 + side < h:
        rows = np.minimum(rows, ramp[::-1])
    if x0 > 0:
        cols = np.minimum(cols, ramp)
    if x0 + side < w:
        cols = np.minimum(cols, ramp[::-1])
    weight *= rows[wr, None]
    weight *= cols[None, wc]
    return weight


def _original_background(tgt: np.ndarray, old_person: np.ndarray, area: np.ndarray) -> np.ndarray:
    """``tgt`` with the old person inpainted (Telea) inside ``area``; at most 512 px for speed."""
    fill = old_person & area
    if not fill.any():
        return tgt
    h, w = fill.shape
    k = min(1.0, 512.0 / max(h, w))
    size = (max(1, round(w * k)), max(1, round(h * k)))
    small = cv2.resize(tgt, size, interpolation=cv2.INTER_AREA)
    small_fill = cv2.resize(fill.astype(np.uint8), size, interpolation=cv2.INTER_NEAREST)
    small_fill = cv2.dilate(small_fill, np.ones((3, 3), np.uint8))
    painted = cv2.inpaint(small, small_fill, 5, cv2.INPAINT_TELEA)
    painted = cv2.resize(painted, (w, h), interpolation=cv2.INTER_LINEAR)
    return np.where(fill[..., None], painted, tgt)


LIGHTNESS_NOTE_SHIFT = 25
"""A note tells the user when the face's lightness moves the face's middle gray by more than this."""


ENLARGEMENT_NOTE = 2.0
"""Above this enlargement of the source head (target pixels per source pixel) the user is told."""


def _enlargement_notes(matrix: np.ndarray, user_scale: float = 1.0) -> list[str]:
    """A note when the source head is scaled up a lot to fit the target's (a small face in
    the source photo): it will look softer than the target. The user's own head scale
    (``user_scale``) is left out: that enlargement was asked for."""
    scale = matrix_scale(matrix) / user_scale
    if scale <= ENLARGEMENT_NOTE:
        return []
    return [(f"the source face is small: it was enlarged {scale:.1f}x to the target's size, so the new head is softer "
             "than the photo (a closer or larger source photo gives a sharper head)")]


CUT_SHARE = 0.02
"""A source head touching its photo's edge along at least this share of the head's size is cut."""


def _cut_head_notes(src_lab: np.ndarray, matrix: np.ndarray, shape: tuple[int, int]) -> list[str]:
    """A note when the source head is cut off by its photo's top, left or right edge and the
    straight cut lands inside the target picture, where it shows as a flat edge."""
    head = L.head_mask(src_lab)
    _, _, bw, bh = cv2.boundingRect(head.view(np.uint8))
    least = max(3, CUT_SHARE * max(bw, bh))
    w = head.shape[1]
    edges = {"top": (head[0], lambda i: (i, np.zeros_like(i))), "left": (head[:, 0], lambda i: (np.zeros_like(i), i)),
             "right": (head[:, -1], lambda i: (np.full_like(i, w - 1), i))}
    m = np.asarray(matrix, np.float64)
    cut = []
    for name, (line, points) in edges.items():
        where = np.flatnonzero(line)
        if len(where) < least:
            continue
        xs, ys = points(where)
        tx, ty = m[:, :2] @ np.stack([xs, ys]) + m[:, 2:]
        seen = (tx >= 2) & (tx < shape[1] - 2) & (ty >= 2) & (ty < shape[0] - 2)
        if seen.mean() > 0.5:
            cut.append(name)
    if not cut:
        return []
    return [(f"the source head is cut off by the {' and '.join(cut)} edge of its photo, and the new head shows "
             "that straight cut (a source photo with room around the head gives a whole head)")]


def _other_people_notes(img: np.ndarray, labels: np.ndarray, name: str) -> list[str]:
    """A note when the photo shows other people's faces besides the one blended
    (:func:`changer.parsing.parser.other_faces`): one head is replaced, or taken."""
    others = other_faces(img, L.main_face_mask(labels))
    if not others:
        return []
    done = "only one person's head was replaced" if name == "target" else "one person's head was used"
    return [f"the {name} photo shows {others + 1} faces: {done} (crop the photo to the person you want)"]


_TURN_WORDS = {1: "lies turned a quarter clockwise", 2: "is upside down", 3: "lies turned a quarter counter-clockwise"}


def _turned(img: np.ndarray, turns: int, name: str, notes: list[str]) -> np.ndarray:
    """``img`` turned upright by ``turns`` (:func:`turn`), and a note saying so."""
    done = "its head was turned upright" if name == "source" else "it was blended upright and turned back"
    notes.append(f"the {name} photo {_TURN_WORDS[turns % 4]}: {done}")
    return turn(img, turns)


def turn_result(result: BlendResult, turns: int) -> BlendResult:
    """``result`` with its full-picture arrays (image, foreground, alpha, masks, paste
    weight, original) and its window turned by ``turns`` (:func:`turn`); the blender's
    ``inputs`` and ``raw`` output stay as the blender saw them (upright)."""
    def t(arr: np.ndarray | None) -> np.ndarray | None:
        return None if arr is None else turn(arr, turns)

    return replace(
        result, image=t(result.image), foreground=t(result.foreground), alpha=t(result.alpha),
        masks={k: turn(m, turns) for k, m in result.masks.items()}, paste_weight=t(result.paste_weight),
        original=t(result.original), window=turn_box(result.window, result.image.shape, turns),
    )


def _lightness_notes(curve: np.ndarray | None) -> list[str]:
    """A note when matching the target's lighting visibly darkens or brightens the new face."""
    if curve is None:
        return []
    shift = int(curve[128]) - 128
    if abs(shift) <= LIGHTNESS_NOTE_SHIFT:
        return []
    way = "darkened" if shift < 0 else "brightened"
    note = f"the new face was {way} to match the target's lighting and skin tone (with the source as colour reference it keeps its own)"
    return [note]


def _person_is_grayscale(region: np.ndarray, alpha: np.ndarray, step: int = 2) -> bool:
    """Whether the person in the window (``alpha > 0.5``; the whole window when that is
    almost empty) is black and white. A colour person in a gray scene is not; a gray photo
    with a coloured caption elsewhere is. Every ``step``-th pixel is enough."""
    region, alpha = region[::step, ::step], alpha[::step, ::step]
    person = region[alpha > 0.5]
    return is_grayscale(person if len(person) >= 64 else region.reshape(-1, 3))


def _cover(img: np.ndarray, shape: tuple[int, int]) -> np.ndarray:
    """``img`` resized to cover ``(H, W)`` and centre-cropped (no distortion)."""
    h, w = shape
    k = max(h / img.shape[0], w / img.shape[1])
    size = (max(w, round(img.shape[1] * k)), max(h, round(img.shape[0] * k)))
    interp = cv2.INTER_AREA if k < 1 else cv2.INTER_CUBIC
    big = cv2.resize(img, size, interpolation=interp)
    y, x = (big.shape[0] - h) // 2, (big.shape[1] - w) // 2
    return big[y : y + h, x : x + w]


def _assemble(
    tgt: np.ndarray, tgt_lab: np.ndarray, layer: _Layer, raw: np.ndarray, inputs: BlendInputs, window: Window,
    key: RGB, bg: np.ndarray | None, opts: BlendOptions, chroma_setting: bool, method: str, notes: list[str],
    out_key: RGB, neck_face: tuple[np.ndarray, np.ndarray] | None = None,
    real_head: tuple[head_layer.HeadLayer, np.ndarray, head_layer.HeadLayer, _Crop] | None = None,
) -> BlendResult:
    """Steps g–i: key the blender's output (on the working ``key``), bring it to full
    resolution and composite (the foreground and the key background on ``out_key``).

    ``neck_face``: the source's neck and face masks carried into the window, for
    :func:`changer.neck.tint_neck`. ``real_head``: (the source's head layer, its matrix
    into the target, the layer in the window, the target's window crop): the network's fill
    is colour-matched to the real pixels around it, pasted with a fade that lies inside the
    hole, and the real head is laid on top at full resolution."""
    h, w = tgt.shape[:2]
    side = window[2]
    if chroma_setting:
        alpha_w = chroma.alpha_matte(raw, key)
        fg_w = unmix(raw, alpha_w, key)
        if real_head is not None:
            alpha_w = _clear_old_head(alpha_w, real_head[3], real_head[2].alpha)
            fg_w = _match_fill(fg_w, alpha_w, inputs, *real_head[2:])
        elif opts.mend_seam:
            fg_w = mend_head_seam(fg_w, alpha_w, inputs.head_mask, opts.seam_line_level)
        if neck_face is not None and real_head is None:
            person, head = alpha_w > 0.5, inputs.head_mask
            fg_w = tint_neck(fg_w, neck_face[0] & inputs.hole & ~head & person, neck_face[1] & head & person,
                             opts.neck_tint)
        fg_w, alpha_w = chroma.soften_edges(fg_w, alpha_w, opts.edge_softness)
    else:
        alpha_w, fg_w = np.ones(raw.shape[:2], np.float32), raw
    rows, cols, wr, wc = _region(window, (h, w))
    gray = _person_is_grayscale(tgt[rows, cols], layer.alpha[rows, cols])
    if gray:  # the network colours every head
        fg_w = to_gray(fg_w)
        notes.append("the target is a black-and-white photo: so is the new head")
    hole_side = _resize(inputs.hole.astype(np.float32), side, "float") > 0.5
    weight = _paste_weight(hole_side, window, (h, w), opts.feather, inside=real_head is not None)
    gen_fg = _resize(fg_w, side, "image")[wr, wc]
    gen_alpha = np.clip(_resize(alpha_w, side, "float")[wr, wc], 0.0, 1.0)

    alpha = layer.alpha.copy()
    fg = layer.fg.copy()
    alpha[rows, cols] = np.clip(_mix(gen_alpha, alpha[rows, cols], weight), 0.0, 1.0)
    fg[rows, cols] = _mix(gen_fg, fg[rows, cols], weight)
    new_head = None
    if real_head is not None:
        new_head = np.zeros((h, w), bool)
        new_head[rows, cols] = _lay_head(fg, alpha, real_head[0], real_head[1], weight, rows, cols, gray) > 0.5

    if opts.output_background == "original":
        image = _paste_original(tgt, layer, fg, alpha, weight, rows, cols, side, opts.background_margin)
    elif opts.output_background == "key":
        image = chroma.composite(fg, alpha, out_key)
    else:
        assert bg is not None
        image = chroma.composite(fg, alpha, _cover(bg, (h, w)))
    paste = np.zeros((h, w), np.float32)
    paste[rows, cols] = weight
    return BlendResult(
        image=image, foreground=chroma.composite(fg, alpha, out_key), alpha=alpha,
        masks=_full_masks(inputs, tgt_lab, window, (h, w), paste, hole_side, new_head), inputs=inputs,
        method=method, notes=notes, raw=raw, window=window, key_color=out_key, paste_weight=paste, original=tgt,
    )


OLD_HEAD_MARGIN = 0.01
"""The old head is background where it lies further than this share of the window side
from the new head (nearer, the new head's own soft edge decides)."""


BODY_OPENING = 0.06
"""Parts of the target's body thinner than this share of the window side are left out when
telling what lies in front of the body."""


def _clear_old_head(alpha_w: np.ndarray, crop: _Crop, new_head: np.ndarray) -> np.ndarray:
    """The network's matte made background wherever neither the new head nor the target's
    neck and body are, above the body (its neck and clothes) in its column: the old hair
    there was in front of background, so background is what belongs there (the network
    tends to draw the old long hair again, or a shadow of it). In front of the body the
    network's fill stays (what lay behind the hair there is body); near the new head its
    own matte decides."""
    labels = crop.labels
    side = max(labels.shape)
    k = max(3, round(BODY_OPENING * side)) | 1  # thin slivers of "body" (backdrop a parser took for clothes) do not count
    body = cv2.morphologyEx(L.neck_body_mask(labels).astype(np.uint8), cv2.MORPH_OPEN,
                            cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (k, k))) > 0
    rows = np.arange(labels.shape[0])[:, None]
    top = np.where(body.any(axis=0), body.argmax(axis=0), labels.shape[0])
    near_new = _distance(new_head > 0.05) <= OLD_HEAD_MARGIN * side
    old = ~L.neck_body_mask(labels) & ~near_new & (rows < top[None, :])
    if not old.any():
        return alpha_w
    soft = cv2.GaussianBlur(old.astype(np.float32), (0, 0), 1.0)
    return alpha_w * (1.0 - np.maximum(soft, old))


def _match_fill(fg_w: np.ndarray, alpha_w: np.ndarray, inputs: BlendInputs, real_w: head_layer.HeadLayer,
                crop: _Crop) -> np.ndarray:
    """The network's fill colour-matched to the real pixels beside it
    (:func:`changer.fill_color.correct_fill`): the target's kept neck and body outside the
    hole and the real head's skin inside it; only where the network drew the person."""
    kept_body = L.neck_body_mask(crop.labels) & ~inputs.hole
    head_skin = real_w.skin & (real_w.alpha > 0.95)
    real = np.where(kept_body[..., None], crop.person, real_w.rgb)
    region = (alpha_w > 0.5) & inputs.hole & (real_w.alpha < 0.95)
    return fill_color.correct_fill(fg_w, region, real, kept_body | head_skin)


def _lay_head(fg: np.ndarray, alpha: np.ndarray, real: head_layer.HeadLayer, matrix: np.ndarray,
              weight: np.ndarray, rows: slice, cols: slice, gray: bool) -> np.ndarray:
    """Lay the real head over the person layer (``fg``, ``alpha``, changed in place) in the
    window's part of the picture, at full resolution ("over": the head's matte in front of
    what the network drew), never beyond the paste weight, so pixels outside the hole stay
    the target's. Returns the head's matte there."""
    shift = np.asarray(matrix, np.float64).copy()
    shift[:, 2] -= (cols.start, rows.start)
    placed = head_layer.warp_layer(real, shift, (rows.stop - rows.start, cols.stop - cols.start))
    a = np.minimum(placed.alpha, weight)[..., None]
    head_rgb = (to_gray(placed.rgb) if gray else placed.rgb).astype(np.float32)
    under = alpha[rows, cols][..., None]
    out_alpha = a + under * (1.0 - a)
    out_fg = (a * head_rgb + under * (1.0 - a) * fg[rows, cols]) / np.maximum(out_alpha, 1e-6)
    touched = a[..., 0] > 0
    fg[rows, cols][touched] = np.clip(np.rint(out_fg[touched]), 0, 255).astype(np.uint8)
    alpha[rows, cols] = out_alpha[..., 0]
    return a[..., 0]


def _paste_original(
    tgt: np.ndarray, layer: _Layer, fg: np.ndarray, alpha: np.ndarray, weight: np.ndarray,
    rows: slice, cols: slice, side: int, margin: float = 0.01,
) -> np.ndarray:
    """The new person on the target's own background, changed only where ``weight > 0``.

    The background is rebuilt over the old person grown by 1% of the window side, and by
    ``margin`` of it where the new person is further than that away: there the old hair's
    soft edge, beyond its parsed outline, would stay as a ghost outline; where the new
    person's outline runs close to the old one it is the right edge and is kept. Only on a
    smooth background (:func:`_smooth`): inpainting a wider strip of a flag or a bookshelf
    smears it more than the ghost shows there."""
    region = tgt[rows, cols]
    grow = max(2, round(0.01 * side))
    wide = max(grow, round(margin * side))
    from_old = _distance(layer.alpha[rows, cols] > 0.02)
    old_person = from_old <= grow
    if wide > grow:
        far = _far_from(alpha[rows, cols] > 0.5, wide)
        around = (from_old > wide) & (from_old <= 3 * wide) & far & (weight > 0)
        if _smooth(region, around, side):
            old_person |= (from_old <= wide) & far
    bg = _original_background(region, old_person, weight > 0)
    comp = chroma.composite(fg[rows, cols], alpha[rows, cols], bg)
    image = tgt.copy()
    image[rows, cols] = _mix(comp, region, weight)
    return image


BUSY_BACKGROUND = 20.0
"""Above this 75th percentile of the gradient (Sobel, gray levels, window at 256 px) the
background beyond the old person is busy: a flag's stripes give 35-117, a plain or blurred
wall 4-11 (session 17)."""


def _smooth(region: np.ndarray, around: np.ndarray, side: int) -> bool:
    """Whether the picture is smooth over ``around`` (the background just beyond the strip
    that would be rebuilt), judged with the window at 256 px so that the size of the photo
    does not matter."""
    if not around.any():
        return False
    k = min(1.0, 256.0 / side)
    h, w = around.shape
    size = (max(1, round(w * k)), max(1, round(h * k)))
    gray = cv2.resize(cv2.cvtColor(region, cv2.COLOR_RGB2GRAY), size, interpolation=cv2.INTER_AREA).astype(np.float32)
    where = cv2.resize(around.astype(np.uint8), size, interpolation=cv2.INTER_NEAREST) > 0
    if not where.any():
        return False
    gradient = np.hypot(cv2.Sobel(gray, cv2.CV_32F, 1, 0, ksize=3), cv2.Sobel(gray, cv2.CV_32F, 0, 1, ksize=3))
    return float(np.percentile(gradient[where], 75)) <= BUSY_BACKGROUND


def _far_from(mask: np.ndarray, reach: float, most: int = 512) -> np.ndarray:
    """Pixels further than ``reach`` from ``mask``, told on a copy at most ``most`` px on a
    side (a few pixels' precision is plenty for this, and a 4000 px window costs 10 ms)."""
    h, w = mask.shape
    k = min(1.0, most / max(h, w))
    if k == 1.0:
        return _distance(mask) > reach
    small = cv2.resize(mask.astype(np.uint8), (max(1, round(w * k)), max(1, round(h * k))), interpolation=cv2.INTER_AREA)
    far = (_distance(small > 0) > reach * k).astype(np.uint8)
    return cv2.resize(far, (w, h), interpolation=cv2.INTER_NEAREST) > 0


def _mix(inside: np.ndarray, outside: np.ndarray, weight: np.ndarray) -> np.ndarray:
    """``weight * inside + (1 - weight) * outside`` per pixel: exactly ``inside`` where the
    weight is 1 and ``outside`` where it is 0. ``uint8`` images are mixed by OpenCV (rounded,
    no float copies: mixing a 16 MP window in numpy floats took over a second)."""
    if inside.dtype == np.uint8:
        weight = np.asarray(weight, np.float32)  # OpenCV takes float32 weights only
        return cv2.blendLinear(inside, outside, weight, 1.0 - weight)
    return weight * inside + (1.0 - weight) * outside


def _full_masks(
    inputs: BlendInputs, tgt_lab: np.ndarray, window: Window, shape: tuple[int, int],
    paste: np.ndarray, hole_side: np.ndarray, new_head: np.ndarray | None = None,
) -> dict[str, np.ndarray]:
    """Full-resolution boolean masks of the blend (see :class:`BlendResult`)."""
    rows, cols, wr, wc = _region(window, shape)

    def full(mask_side: np.ndarray) -> np.ndarray:
        out = np.zeros(shape, bool)
        out[rows, cols] = mask_side[wr, wc]
        return out

    source_side = _resize(inputs.head_mask.astype(np.float32), window[2], "float") > 0.5
    source_head = full(source_side)
    return {
        "source_head": source_head,
        "new_head": source_head if new_head is None else new_head,
        "target_head": L.head_mask(tgt_lab),
        "target_neck": tgt_lab == L.NECK,
        "target_body": tgt_lab == L.BODY,
        "hole": full(hole_side),
        "blend_region": paste > 0,
    }
