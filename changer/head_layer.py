"""The real head: the source's own pixels, laid on top of the blend.

The network is asked only for what no photo holds (the ring between the new head and the
kept body, and the part of the old head the new one does not cover). The head itself is
the source photo's: warped once, at full resolution, with a soft matte, together with the
top of the source's own neck (so the jaw has no line where a generated neck would begin).

:func:`head_matte` builds the matte on the source photo; :func:`warp_layer` places it (and
the pixels) anywhere with a source -> target matrix; :func:`match_skin` moves the skin toward
the target's face colour while eyes, lips and hair keep their own.
"""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np

from changer import labels as L
from changer.align import matrix_scale

NECK_SHARE = 0.12
"""How far below the face the source's own neck comes along, as a share of the head's size
(fading to nothing there)."""

MAX_GAIN = 2.0
"""The head's lightness is scaled by at most this factor (or its inverse) toward the target's."""

HAIR_END = 0.03
"""Hair that reaches the source's shoulders (its body label) fades out over this share of
the head's size before them, instead of ending in the straight line where the parser's
hair meets its body."""

SKIN_SPREAD = 14.0
"""a*b* distance from the face's median skin colour at which a pixel counts as less skin-like
(Gaussian σ): lips and eyes lie further, so they keep their own colour."""


@dataclass
class HeadLayer:
    """The source head on the source photo: its pixels and matte (``alpha`` 0..1, the head
    and the fading top of its neck) and where its skin is (face and neck labels)."""

    rgb: np.ndarray
    alpha: np.ndarray
    skin: np.ndarray


def head_matte(labels: np.ndarray, neck_share: float = NECK_SHARE) -> np.ndarray:
    """``HxW float32`` matte of the source head: face and hair at 1, the neck below the face
    fading from 1 at the face to 0 at ``neck_share`` of the head's size, hair that reaches
    the shoulders fading out before them (:data:`HAIR_END`), the edge softened
    by about a pixel of the parser's own resolution (its labels are upsampled, stair-stepped)."""
    head = L.head_mask(labels)
    ys, xs = np.nonzero(head)
    if len(ys) == 0:
        return np.zeros(labels.shape, np.float32)
    size = float(max(np.ptp(ys), np.ptp(xs)) + 1)
    face = labels == L.FACE
    alpha = head.astype(np.float32)
    neck = labels == L.NECK
    if neck.any() and face.any() and neck_share > 0:
        below = cv2.distanceTransform((~face).astype(np.uint8), cv2.DIST_L2, 3)
        fade = np.clip(1.0 - below / (neck_share * size), 0.0, 1.0)
        alpha = np.maximum(alpha, np.where(neck, fade, 0.0).astype(np.float32))
    body = labels == L.BODY
    hair = labels == L.HAIR
    if body.any() and hair.any() and HAIR_END > 0:  # hair cut where the source's shoulders begin: fade it out
        from_body = cv2.distanceTransform((~body).astype(np.uint8), cv2.DIST_L2, 3)
        fade = np.clip(from_body / (HAIR_END * size), 0.0, 1.0)
        alpha = np.where(hair, alpha * fade, alpha).astype(np.float32)
    sigma = max(0.7, 0.6 * max(labels.shape) / 256)
    soft = cv2.GaussianBlur(alpha, (0, 0), sigma)
    return np.clip(soft, 0.0, 1.0)


def source_layer(rgb: np.ndarray, labels: np.ndarray, neck_share: float = NECK_SHARE) -> HeadLayer:
    """The source's head layer (see :class:`HeadLayer`): only the person's own head (the
    head joined to the main face: :func:`own_head`), without slabs of backdrop the parser
    took for hair (:func:`changer.parsing.fringe.drop_backdrop_hair`)."""
    from changer.parsing.fringe import drop_backdrop_hair

    labels = own_head(drop_backdrop_hair(rgb, labels))
    skin = (labels == L.FACE) | (labels == L.NECK)
    return HeadLayer(rgb=rgb, alpha=head_matte(labels, neck_share), skin=skin)


def own_head(labels: np.ndarray) -> np.ndarray:
    """``labels`` with the face and hair that are not joined to the person's main face
    (:func:`changer.labels.main_face_mask`) made background: a skin-coloured patch of the
    backdrop called face, a stray blob called hair, would otherwise come along."""
    main = L.main_face_mask(labels)
    head = L.head_mask(labels)
    if main is None:
        return labels
    count, parts = cv2.connectedComponents(head.astype(np.uint8), connectivity=8)
    joined = np.zeros(count, bool)
    joined[np.unique(parts[main])] = True
    joined[0] = False
    stray = head & ~joined[parts]
    if not stray.any():
        return labels
    out = labels.copy()
    out[stray] = L.BACKGROUND
    return out


def warp_layer(layer: HeadLayer, matrix: np.ndarray, size: tuple[int, int]) -> HeadLayer:
    """``layer`` moved by the ``2x3`` ``matrix`` into an ``(H, W)`` canvas (bilinear; a strong
    reduction first shrinks the source with an area filter, so it does not alias). Outside
    the source photo the matte is 0."""
    h, w = size
    rgb, alpha, skin = layer.rgb, layer.alpha, layer.skin.astype(np.float32)
    m = np.asarray(matrix, np.float64)
    s = matrix_scale(m)
    if s < 0.8:
        sh, sw = rgb.shape[:2]
        pre = (max(1, round(sw * s)), max(1, round(sh * s)))
        rgb, alpha, skin = (cv2.resize(a, pre, interpolation=cv2.INTER_AREA) for a in (rgb, alpha, skin))
        m = (np.vstack([m, [0, 0, 1]]) @ np.diag([sw / pre[0], sh / pre[1], 1.0]))[:2]
    out_rgb = cv2.warpAffine(rgb, m, (w, h), flags=cv2.INTER_LINEAR, borderMode=cv2.BORDER_REPLICATE)
    out_alpha = cv2.warpAffine(alpha, m, (w, h), flags=cv2.INTER_LINEAR, borderValue=0)
    out_skin = cv2.warpAffine(skin, m, (w, h), flags=cv2.INTER_LINEAR, borderValue=0) > 0.5
    return HeadLayer(rgb=out_rgb, alpha=np.clip(out_alpha, 0.0, 1.0), skin=out_skin)


def _lab(rgb: np.ndarray) -> np.ndarray:
    return cv2.cvtColor(rgb.astype(np.float32) / 255.0, cv2.COLOR_RGB2Lab)


def _rgb(lab: np.ndarray) -> np.ndarray:
    return np.clip(np.rint(cv2.cvtColor(lab.astype(np.float32), cv2.COLOR_Lab2RGB) * 255), 0, 255).astype(np.uint8)


def skin_colour(rgb: np.ndarray, face: np.ndarray) -> np.ndarray | None:
    """Median L*a*b* of a face's skin (its inner part: the labelled face shrunk by a tenth of
    its width, which leaves hairline and jaw edge out), or None for a face under 16 pixels."""
    if face.sum() < 16:
        return None
    width = max(1, int(np.ptp(np.nonzero(face)[1]) + 1))
    k = max(1, width // 20)
    inner = cv2.erode(face.astype(np.uint8), np.ones((2 * k + 1, 2 * k + 1), np.uint8)) > 0
    if inner.sum() < 16:
        inner = face
    return np.median(_lab(rgb[inner].reshape(-1, 1, 3)).reshape(-1, 3), axis=0)


def feature_mask(landmarks: np.ndarray, shape: tuple[int, ...]) -> np.ndarray:
    """``HxW float32``, 1 over a face's eyes, brows and lips (from its 68 landmarks, grown
    by 1% of the face's size and softened), 0 elsewhere: what skin matching leaves alone."""
    lm = np.asarray(landmarks, np.float64)
    size = float(np.linalg.norm((lm[36:42].mean(0) + lm[42:48].mean(0)) / 2 - lm[8]))
    mask = np.zeros(shape[:2], np.uint8)
    for part in (slice(36, 42), slice(42, 48), slice(48, 60)):
        cv2.fillPoly(mask, [np.round(lm[part]).astype(np.int32)], 1)
    for brow in (slice(17, 22), slice(22, 27)):
        cv2.polylines(mask, [np.round(lm[brow]).astype(np.int32)], False, 1, max(1, round(0.03 * size)))
    grow = max(1, round(0.01 * size))  # a tight hold: a wider one leaves a halo of the old skin tone
    mask = cv2.dilate(mask, cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (2 * grow + 1, 2 * grow + 1)))
    return np.clip(cv2.GaussianBlur(mask.astype(np.float32), (0, 0), grow), 0.0, 1.0)


def match_skin(rgb: np.ndarray, where: np.ndarray, source_skin: np.ndarray, target_skin: np.ndarray,
               keep: np.ndarray | None = None) -> np.ndarray:
    """``rgb`` with its skin moved toward the target face's colour inside ``where``.

    Lightness is the light falling on the whole head: every pixel's L* is scaled by the
    ratio of the two faces' median skin L* (within :data:`MAX_GAIN`), so eyes, hair and
    skin dim or brighten together and keep their contrast. The skin's tint moves by the
    difference of the medians' a*b*, weighted by how skin-like a pixel is (its a*b* near
    the source skin's, :data:`SKIN_SPREAD`) and how colourful (gray pixels, the whites of the
    eyes, gray hair, take no tint); ``keep`` (0..1, e.g. :func:`feature_mask`) holds it back
    from features whose colour is near the skin's (brown eyes, pale lips).
    """
    if not where.any():
        return rgb
    ys, xs = np.nonzero(where)
    y0, y1, x0, x1 = ys.min(), ys.max() + 1, xs.min(), xs.max() + 1
    lab = _lab(rgb[y0:y1, x0:x1])
    ab = lab[..., 1:]
    skin_ab = source_skin[1:].astype(np.float32)
    dist2 = ((ab - skin_ab) ** 2).sum(-1)
    like = np.exp(-dist2 / (2 * SKIN_SPREAD ** 2))
    if keep is not None:
        like = like * (1.0 - keep[y0:y1, x0:x1])
    colourful = np.clip(np.hypot(ab[..., 0], ab[..., 1]) / max(float(np.hypot(*skin_ab)), 1.0), 0.0, 1.0)
    delta = (target_skin - source_skin).astype(np.float32)
    gain = float(np.clip(target_skin[0] / max(float(source_skin[0]), 1.0), 1 / MAX_GAIN, MAX_GAIN))
    lab[..., 0] *= gain
    lab[..., 1:] += (like * colourful)[..., None] * delta[1:]
    lab[..., 0] = np.clip(lab[..., 0], 0, 100)
    out = rgb.copy()
    moved = _rgb(lab)
    inside = where[y0:y1, x0:x1]
    out[y0:y1, x0:x1][inside] = moved[inside]
    return out
