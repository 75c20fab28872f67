"""The real head's stages (``BlendOptions(head="real")``, :mod:`changer.head_layer`): its skin
moved toward the target's (:func:`skin_toward`), the old head cleared from the network's
matte (:func:`clear_old_head`), the network's fill matched to the real pixels beside it
(:func:`match_fill`, :mod:`changer.fill_color`), and the head laid on top (:func:`lay_head`)."""

from __future__ import annotations

import cv2
import numpy as np

from changer import faces as F
from changer import fill_color, head_layer
from changer import labels as L
from changer.data.sample import to_gray
from changer.feather import distance
from changer.inputs import BlendInputs
from changer.person_layer import Crop


def skin_toward(layer: head_layer.HeadLayer, src: np.ndarray, src_lab: np.ndarray, tgt: np.ndarray,
                tgt_lab: np.ndarray, src_face: F.Face | None = None) -> np.ndarray:
    """The real head's pixels with the skin moved toward the target face's colour
    (:func:`changer.head_layer.match_skin`), the eyes, brows and lips held back where the
    source face's landmarks (``src_face``) show them; as they are when a face is too small
    to tell."""
    def face(labels: np.ndarray) -> np.ndarray:
        main = L.main_face_mask(labels)
        return main if main is not None else labels == L.FACE

    s, t = head_layer.skin_colour(src, face(src_lab)), head_layer.skin_colour(tgt, face(tgt_lab))
    if s is None or t is None:
        return layer.rgb
    keep = None if src_face is None else head_layer.feature_mask(src_face.landmarks, src.shape)
    return head_layer.match_skin(layer.rgb, layer.alpha > 0, s, t, keep)


OLD_HEAD_MARGIN = 0.01
"""The network keeps what it draws within this share of the window side of the new head
(the new head's soft edge; on self-blends of Vox frames, clearing it too cost 4.7 dB in the
outline band), and the neck it draws under the new chin is narrowed by as much on each
flank."""


CHIN_SHARE = 0.2
"""The lowest share of the new head's skin (face and neck top) that sets how wide the neck
under it may be drawn."""

BODY_OPENING = 0.06
"""Parts of the target's body thinner than this share of the window side are left out when
telling what lies in front of the body."""


def clear_old_head(alpha_w: np.ndarray, crop: Crop, new_head: head_layer.HeadLayer) -> np.ndarray:
    """The network's matte made background wherever neither the target's neck and body, nor
    a ring of :data:`OLD_HEAD_MARGIN` around the new head, nor the gap under the new chin
    are, above the body (its neck and clothes) in its column: the old hair there was in
    front of background, so background is what belongs there (the network tends to draw
    the old long hair again, or a shadow of it). In front of the body the network's fill
    stays (what lay behind the hair there is body), and so does the neck it draws between
    the new chin (or the top of the new neck) and the target's body."""
    labels = crop.labels
    side = max(labels.shape)
    k = max(3, round(BODY_OPENING * side)) | 1  # thin slivers of "body" (backdrop a parser took for clothes) do not count
    body = cv2.morphologyEx(L.neck_body_mask(labels).astype(np.uint8), cv2.MORPH_OPEN,
                            cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (k, k))) > 0
    rows = np.arange(labels.shape[0])[:, None]
    top = np.where(body.any(axis=0), body.argmax(axis=0), labels.shape[0])
    near_new = distance(new_head.alpha > 0.05) <= OLD_HEAD_MARGIN * side  # its own soft edge: the network's
    old = ~L.neck_body_mask(labels) & (rows < top[None, :]) & ~near_new & ~_under_chin(new_head, side)
    if not old.any():
        return alpha_w
    soft = cv2.GaussianBlur(old.astype(np.float32), (0, 0), 1.0)
    return alpha_w * (1.0 - np.maximum(soft, old))


def _under_chin(head: head_layer.HeadLayer, side: int) -> np.ndarray:
    """Pixels below the new head's chin and neck top (the lowest :data:`CHIN_SHARE` of its
    skin) in their columns, narrowed by :data:`OLD_HEAD_MARGIN` of the side on each flank: where the
    network draws the neck that joins the new head to the body."""
    skin = head.skin & (head.alpha > 0.5)
    if not skin.any():
        return np.zeros(skin.shape, bool)
    ys = np.nonzero(skin)[0]
    skin[: int(ys.max() - CHIN_SHARE * (ys.max() - ys.min()))] = False  # the chin and neck, not the cheeks
    k = max(1, round(OLD_HEAD_MARGIN * side))
    skin = cv2.erode(skin.astype(np.uint8), np.ones((1, 2 * k + 1), np.uint8)) > 0  # not the jaw's flanks
    rows = np.arange(skin.shape[0])[:, None]
    has = skin.any(axis=0)
    bottom = np.where(has, skin.shape[0] - 1 - skin[::-1].argmax(axis=0), skin.shape[0])
    return has[None, :] & (rows > bottom[None, :])


def match_fill(fg_w: np.ndarray, alpha_w: np.ndarray, inputs: BlendInputs, real_w: head_layer.HeadLayer,
               crop: Crop) -> np.ndarray:
    """The network's fill colour-matched to the real pixels beside it
    (:func:`changer.fill_color.correct_fill`): the target's kept neck and body outside the
    hole and the real head's skin inside it; only where the network drew the person."""
    kept_body = L.neck_body_mask(crop.labels) & ~inputs.hole
    head_skin = real_w.skin & (real_w.alpha > 0.95)
    real = np.where(kept_body[..., None], crop.person, real_w.rgb)
    region = (alpha_w > 0.5) & inputs.hole & (real_w.alpha < 0.95)
    return fill_color.correct_fill(fg_w, region, real, kept_body | head_skin)


def lay_head(fg: np.ndarray, alpha: np.ndarray, real: head_layer.HeadLayer, matrix: np.ndarray,
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
