"""Where the source head goes on the target: the source -> target matrix (:func:`head_matrix`:
both faces' landmarks, else the labelled head boxes), and the refusals of a placement that
cannot give a good head (:func:`check_enlargement`, :func:`check_head_inside`)."""

from __future__ import annotations

import numpy as np

from changer import faces as F
from changer import labels as L
from changer.align import landmark_matrix, matrix_scale, similarity_matrix
from changer.blend_options import BlendOptions
from changer.data.augment import mask_box
from changer.imageio import InputError
from changer.window import warped_box

MAX_ENLARGEMENT = 4.0
"""A source face enlarged more than this many times is refused (unless forced)."""

POSE_NOTE_YAW = 25.0
"""A note when the two faces are turned sideways by more than this many degrees apart."""

MIN_HEAD_INSIDE = 0.5
"""Share of the aligned source head's box that must land inside the target picture."""


def find_face(img: np.ndarray, labels: np.ndarray) -> F.Face | None:
    """The labelled face as dlib sees it (landmarks), or None where dlib finds no face there."""
    face = L.main_face_mask(labels)
    hint = F.box_from_mask(face if face is not None else labels == L.FACE)
    found = F.find_face(img, hint)
    return found if found is not None and found.detected else None


def head_matrix(src_lab: np.ndarray, tgt_lab: np.ndarray, src_face: F.Face | None, tgt_face: F.Face | None,
                opts: BlendOptions, notes: list[str]) -> np.ndarray:
    """Source -> target matrix: from both faces' landmarks (eyes, nose, mouth, chin: the new
    head gets the target head's size, place and tilt) when dlib finds both, else from the
    labelled head boxes (:func:`changer.align.similarity_matrix`). A note when the faces are
    turned sideways very differently (one head looks away from where the body faces). The
    faces are :func:`find_face`'s."""
    if src_face is None or tgt_face is None:
        return similarity_matrix(src_lab, tgt_lab, opts.align_scale, opts.align_offset, opts.align_rotate)
    gap = abs(src_face.yaw - tgt_face.yaw)
    if gap > POSE_NOTE_YAW:
        notes.append(f"the two faces look in different directions (about {gap:.0f}° apart): the new head may look "
                     "turned on the body (a source facing the same way as the target blends best)")
    head = mask_box(L.head_mask(tgt_lab))
    size = None if head is None else float(max(head[2] - head[0], head[3] - head[1]))
    return landmark_matrix(src_face.landmarks, tgt_face.landmarks, opts.align_scale, opts.align_offset, size)


def check_enlargement(matrix: np.ndarray, src_lab: np.ndarray, opts: BlendOptions) -> None:
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


def check_head_inside(
    src_lab: np.ndarray, matrix: np.ndarray, shape: tuple[int, int], opts: BlendOptions, source_labelled: bool = False
) -> None:
    """Refuse an alignment that puts most of the new head off the picture: the target's
    head would be removed and hardly anything put in its place. With the automatic
    alignment this means the source's head, as labelled, reaches far beyond its face
    (hair taken for a busy backdrop, or a second person), and the message says so; it
    names the label map when the user gave one (``source_labelled``)."""
    x0, y0, x1, y1 = warped_box(mask_box(L.head_mask(src_lab)), matrix)
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
