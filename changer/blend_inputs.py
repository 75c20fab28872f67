"""The blender's inputs for the working window (:func:`build_inputs`), made as the training
samples of :mod:`changer.data.sample` are: target on the key colour with the hole painted,
gray source head pasted, colour reference ``C``, visible body ``B``."""

from __future__ import annotations

import numpy as np

from changer import labels as L
from changer import tone
from changer.data.augment import dilate
from changer.data.sample import on_black, to_gray
from changer.inputs import RGB, BlendInputs
from changer.person_layer import Crop
from changer.window import HOLE_MARGIN

REAL_HOLE_MARGIN = 0.035
"""With the real head: the hole is the old head and the new one grown by this share of the
window side (the target's neck and clothes stay unless the new head covers them)."""

FACE_FEATHER = 0.01
"""Feather of the face's lightness correction, as a fraction of the window side."""


def build_inputs(
    crop: Crop, head_rgb: np.ndarray, head: np.ndarray, key: RGB, color_reference: str, chroma_setting: bool = True,
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
