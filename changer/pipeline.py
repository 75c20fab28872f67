"""Blend real photos: a source head onto a target, end to end (DESIGN.md §1, Inference).

:class:`HeadBlendingPipeline` runs these stages for one ``(source, target)`` pair, each in
its own module (the names in brackets are the :data:`STAGES` a progress bar shows):

a. load [load]: read and validate both photos (:mod:`changer.imageio`); parse [parse]: their
   5-class labels, given by the user or from the head parser (:mod:`changer.photo_labels`);
   a photo lying on its side or upside down is turned upright (:mod:`changer.orientation`)
   and parsed again, and a turned target's result is turned back (:func:`turn_result`);
b. the target's person layer [prepare] (:mod:`changer.person_layer`): keyed when the target
   stands on a green/blue key (:func:`changer.chroma.detect_key_color`, spill removed), else
   from the labels (``foreground = labels != 0``);
c. align [align] (:mod:`changer.placement`): the source -> target matrix (both faces'
   landmarks, else the head boxes), a too small or misplaced head refused;
d. window [align] (:mod:`changer.window`): a square around the target's head (the target
   head, its neck and the aligned source head fit, with margin; at least ``context`` times the
   head size), clamped to the image and edge-padded where it sticks out, at the blender's
   resolution; the source head aligned into it (:mod:`changer.align`, one resampling);
e. inputs [prepare] (:mod:`changer.blend_inputs`): the :class:`~changer.inputs.BlendInputs`
   built exactly like the training samples of :mod:`changer.data.sample` (target on the key
   colour, hole = dilated target head ∪ neck ∪ source head, gray source head pasted, colour
   reference ``C``, visible body ``B``); with the real head (:mod:`changer.real_head`) its own
   pixels are prepared too;
f. fill [model]: the blender's output, the foreground on the key colour;
g. composite [composite] (:mod:`changer.composite`): that output keyed (alpha matte, spill
   suppression), repaired (:mod:`changer.seam`, :mod:`changer.real_head`) and anti-aliased;
h. composited onto the chosen background: the target's own (:mod:`changer.background`: where
   the old person was, Telea-inpainted, since what was behind the old head is unknown), the
   key colour, or a user image (cover-resized);
i. pasted back into the full-resolution target inside the feathered hole only
   (:mod:`changer.feather`): target pixels away from the head/neck region are exactly
   unchanged (for the ``"original"`` background), the real head laid on top;
j. notes for the user along the way (:mod:`changer.notes`).

Options and results are in :mod:`changer.blend_options`; the names other code imports from
here stay importable from here. Bad inputs raise :class:`~changer.imageio.InputError` with a
message meant for people.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from changer import head_layer, tone
from changer import labels as L
from changer.align import warp_head, warp_mask
from changer.background import BUSY_BACKGROUND, paste_original
from changer.blend_inputs import FACE_FEATHER, REAL_HOLE_MARGIN, build_inputs
from changer.blend_options import (
    MAX_BACKGROUND_MARGIN,
    MAX_EDGE_SOFTNESS,
    BlendOptions,
    BlendResult,
    as_rgb,
    check_options,
    choose_key,
    turn_result,
    working_resolution,
)
from changer.blenders import Blender, load_blender
from changer.chroma import is_grayscale
from changer.composite import assemble, key_output, person_is_grayscale
from changer.feather import paste_weight
from changer.imageio import ImageSource, InputError, load_image, read_image
from changer.notes import (
    CUT_SHARE,
    ENLARGEMENT_NOTE,
    LIGHTNESS_NOTE_SHIFT,
    cut_head_notes,
    enlargement_notes,
    lightness_notes,
    other_people_notes,
    size_notes,
    upscale_notes,
)
from changer.orientation import turn
from changer.person_layer import Layer, crop_layers, person_layer, unmix
from changer.photo_labels import NO_PARSER_MESSAGE, Parser, find_parser, photo_labels, without_bars
from changer.placement import (
    MAX_ENLARGEMENT,
    MIN_HEAD_INSIDE,
    POSE_NOTE_YAW,
    check_enlargement,
    check_head_inside,
    find_face,
    head_matrix,
)
from changer.real_head import BODY_OPENING, OLD_HEAD_MARGIN, skin_toward
from changer.seam import mend_head_seam
from changer.stopwatch import STAGES, Stopwatch
from changer.window import (
    HEAD_CENTRE_Y,
    HOLE_MARGIN,
    Window,
    compose,
    crop_square,
    region,
    window_matrix,
    working_window,
)

# Names other code imported from here before the stages had modules of their own.
_check_options, _paste_original, _paste_weight = check_options, paste_original, paste_weight
_Layer, _person_is_grayscale, _region = Layer, person_is_grayscale, region

__all__ = [
    "BODY_OPENING", "BUSY_BACKGROUND", "CUT_SHARE", "ENLARGEMENT_NOTE", "FACE_FEATHER", "HEAD_CENTRE_Y", "HOLE_MARGIN",
    "LIGHTNESS_NOTE_SHIFT", "MAX_BACKGROUND_MARGIN", "MAX_EDGE_SOFTNESS", "MAX_ENLARGEMENT", "MIN_HEAD_INSIDE",
    "NO_PARSER_MESSAGE", "OLD_HEAD_MARGIN", "POSE_NOTE_YAW", "REAL_HOLE_MARGIN", "STAGES", "BlendOptions",
    "BlendResult", "HeadBlendingPipeline", "InputError", "Parser", "Window", "build_inputs", "crop_square",
    "find_parser", "is_grayscale", "mend_head_seam", "turn_result", "unmix", "window_matrix", "working_window",
]


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
        clock = Stopwatch(timings, progress)
        opts = check_options(options or BlendOptions(), background)
        notes = self.notes
        with clock("load"):
            src, tgt = read_image(source, "source"), read_image(target, "target")
            bg = load_image(background, "background") if opts.output_background == "image" else None
        notes += size_notes(src, "source") + size_notes(tgt, "target")
        with clock("parse" if source_labels is None or target_labels is None else "load"):
            src_rgb, src_lab, _ = self._labels(without_bars(src.rgb, source_labels, notes), source_labels, "source",
                                               notes, opts.upright)
            tgt_rgb, tgt_lab, turns = self._labels(tgt.rgb, target_labels, "target", notes, opts.upright)
            notes += other_people_notes(src_rgb, src_lab, "source") + other_people_notes(tgt_rgb, tgt_lab, "target")
        if bg is not None:
            bg = turn(bg, turns)  # so that it is the right way up once the result is turned back
        result = self._blend(src_rgb, src_lab, tgt_rgb, tgt_lab, bg, opts, notes, clock,
                             source_labelled=source_labels is not None)
        return turn_result(result, -turns) if turns else result

    # ----------------------------------------------------------------------- stages

    def _labels(
        self, img: np.ndarray, given: ImageSource | None, name: str, notes: list[str], upright: bool,
    ) -> tuple[np.ndarray, np.ndarray, int]:
        """Step a's labels of one photo (:func:`changer.photo_labels.photo_labels`): the
        user's, else this pipeline's parser's, else the head parser hook's (:func:`find_parser`)."""
        parser = None if given is not None else (self.parser or find_parser())
        if given is None and parser is None:
            raise InputError(NO_PARSER_MESSAGE)
        return photo_labels(img, given, parser, name, notes, upright)

    def _blend(
        self, src: np.ndarray, src_lab: np.ndarray, tgt: np.ndarray, tgt_lab: np.ndarray,
        bg: np.ndarray | None, opts: BlendOptions, notes: list[str], clock: Stopwatch | None = None,
        source_labelled: bool = False,
    ) -> BlendResult:
        """Steps b–j on upright, labelled pictures."""
        clock = clock or Stopwatch(None)
        if not L.head_mask(tgt_lab).any():
            raise InputError("target: no head (face or hair) found in the labels")
        with clock("prepare"):  # b. the target's person layer
            layer = person_layer(tgt, tgt_lab)
        key = choose_key(getattr(self.blender, "key_color", None), opts.key_color, layer.keyed)
        if layer.keyed is not None:
            notes.append(f"target is on a {layer.keyed.name} key: its foreground comes from chroma keying")
        res = working_resolution(opts.resolution or self.blender.resolution)
        with clock("align"):  # c. where the new head goes; d. the working window around it
            landmarks = find_face(src, src_lab), find_face(tgt, tgt_lab)  # dlib's view of both faces
            matrix = head_matrix(src_lab, tgt_lab, *landmarks, opts, notes)
            check_enlargement(matrix, src_lab, opts)
            notes += enlargement_notes(matrix, opts.align_scale)
            notes += cut_head_notes(src_lab, matrix, tgt.shape[:2])
            check_head_inside(src_lab, matrix, tgt.shape[:2], opts, source_labelled)
            window = working_window(tgt_lab, src_lab, matrix, opts.context)
        notes += upscale_notes(window, res, opts.head == "real")
        into_window = compose(window_matrix(window, res), matrix)  # source pixels -> working window
        with clock("align"):
            aligned = warp_head(src, L.head_mask(src_lab), into_window, (res, res))
        if not aligned.mask.any():
            raise InputError("the aligned source head falls outside the picture: reduce align_offset/align_scale")
        chroma_setting = bool(getattr(self.blender, "chroma", True))
        with clock("prepare"):  # e. the blender's inputs (and the real head's own pixels)
            crop = crop_layers(tgt, tgt_lab, layer, window, res, key)
            lightness = tone.head_curve(src, src_lab, tgt, tgt_lab) if opts.color_reference == "target" else None
            notes += lightness_notes(lightness)
            src_face = L.main_face_mask(src_lab)
            face = None if src_face is None else warp_mask(src_face, into_window, (res, res))
            neck_face = None if face is None else (warp_mask(src_lab == L.NECK, into_window, (res, res)), face)
            real = None
            if opts.head == "real":
                real = head_layer.source_layer(src, src_lab)
                if opts.color_reference == "target":
                    real.rgb = skin_toward(real, src, src_lab, tgt, tgt_lab, landmarks[0])
                real_w = head_layer.warp_layer(real, into_window, (res, res))
            inputs = build_inputs(crop, aligned.rgb, aligned.mask, key, opts.color_reference, chroma_setting,
                                  face_curve=(lightness, face),
                                  real_head=None if real is None else real_w.alpha > 0.05)
        with clock("model"):  # f. the network fills the hole
            raw = np.asarray(self.blender(inputs))
        if raw.shape != (res, res, 3) or raw.dtype != np.uint8:
            raise RuntimeError(
                f"blender {self.blender.name!r} returned {raw.shape} {raw.dtype}, expected {(res, res, 3)} uint8"
            )
        if not chroma_setting and opts.output_background != "original":
            notes.append("this model works on real backgrounds (no chroma key): the original background is kept")
            opts = BlendOptions(**{**opts.__dict__, "output_background": "original"})
        with clock("composite"):  # g. keyed and repaired; h–i. composited and pasted back
            person = key_output(raw, inputs, key, opts, chroma_setting, neck_face=neck_face,
                                real_head=None if real is None else (real_w, crop))
            return assemble(tgt, tgt_lab, layer, person, raw, inputs, window, bg, opts, self.blender.name, notes,
                            out_key=key if opts.key_color is None else as_rgb(opts.key_color),
                            real_head=None if real is None else (real, matrix))
