"""Cross-identity metrics: what users see when another person's head is put on a body.

Self-reconstruction (``eval.runner``) has a true picture to compare with; a blend of two
different people has none. These metrics score a ``(source, target, result)`` triple
instead, each aimed at one failure seen on real pairs. All are pure functions of images
(``HxWx3 uint8`` RGB) and masks; :func:`score_blend` runs them on a pipeline's
:class:`~changer.pipeline.BlendResult`. Faces (landmarks, identity) come from dlib
(:mod:`changer.faces`). A metric that cannot be measured (no face found, no key screen) is
NaN, never a guess.

======== ===== ==================================================================
metric   best  catches
======== ===== ==================================================================
id_src   low   the new head is not the source person any more (descriptor distance
               of the result's face to the source's; dlib: < 0.6 = same person)
id_tgt   high  the old identity survives (distance to the target's face)
eye_ab   low   eye colour changed (blue eyes turned brown): a*b* distance of the
               mean colour inside the eye landmark polygons, result vs source
lip_ab   low   lip colour changed (red lips turned black): the same inside the lips
skin_de  low   the face's skin tone is not the target's (ΔE76 of the median face
               skin, result vs target; only when colours come from the target)
kept     1     the target's own pixels were changed where nothing had to change
               (the smear from the chin into the clothes): share of pixels outside
               old head ∪ new head (grown by :data:`KEPT_MARGIN`) left as they were
seam     low   a visible line along the new head's outline where it meets the
               body (the outline of what was laid in from the source: its head,
               and the top of its neck with the real head): gradient on the outline
               over the gradient just inside and outside it (1 = no stronger than
               its surroundings)
ghost    0     the old hair left behind: on a key-colour target, the share of the
               old head's pixels outside the new person that are not key colour
pose_roll  -   roll difference (degrees) between source and target faces;
pose_yaw   -   yaw difference (degrees, approximate); reported, not scored:
               they explain failures
sharp    1     a soft, re-drawn head: the share of the face's contrast in its finest
               detail, result over source, both brought to the smaller face's scale
======== ===== ==================================================================
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import cv2
import numpy as np

from changer import faces as F
from changer import labels as L

METRICS = ("id_src", "id_tgt", "eye_ab", "lip_ab", "skin_de", "kept", "seam", "ghost",
           "pose_roll", "pose_yaw", "sharp")
"""Every metric :func:`score_blend` returns, in table order."""

BETTER = {"id_src": "lower", "id_tgt": "higher", "eye_ab": "lower", "lip_ab": "lower", "skin_de": "lower",
          "kept": "higher", "seam": "lower", "ghost": "lower", "sharp": "higher"}
"""Which way each scored metric is better (``pose_*`` are not scored)."""

KEPT_MARGIN = 0.1
"""The region a blend may change: old head ∪ new head grown by this share of the target
head's size (the hole, its margin and the paste-back fade)."""

KEPT_TOLERANCE = 2
"""Gray levels a kept pixel may move (rounding of a feathered paste)."""

GHOST_MARGIN = 0.03
"""The new person is grown by this share of the target head's size before the old head
around it is looked at (the new outline's own soft edge is not a ghost)."""


# --------------------------------------------------------------------------- faces


@dataclass(frozen=True)
class FaceInfo:
    """A face found in one picture, with its identity descriptor (None when not computed)."""

    face: F.Face
    descriptor: np.ndarray


def face_info(img: np.ndarray, hint: F.Box | None = None) -> FaceInfo | None:
    """The main face of ``img`` (:func:`changer.faces.find_face`) and its descriptor."""
    face = F.find_face(img, hint)
    if face is None:
        return None
    return FaceInfo(face, F.descriptor(img, face))


def identity_distance(a: FaceInfo | None, b: FaceInfo | None) -> float:
    """Euclidean distance of two faces' descriptors (NaN without both)."""
    if a is None or b is None:
        return math.nan
    return float(np.linalg.norm(a.descriptor - b.descriptor))


# --------------------------------------------------------------------------- colour


def _lab(img: np.ndarray) -> np.ndarray:
    """CIE L*a*b* (L 0..100, a* b* signed) of an RGB ``uint8`` image."""
    return cv2.cvtColor(img.astype(np.float32) / 255.0, cv2.COLOR_RGB2Lab)


def _polygon(shape: tuple[int, ...], points: np.ndarray) -> np.ndarray:
    mask = np.zeros(shape[:2], np.uint8)
    cv2.fillPoly(mask, [np.round(points).astype(np.int32)], 1)
    return mask > 0


def part_mask(face: F.Face, shape: tuple[int, ...], part: str) -> np.ndarray:
    """The ``"eyes"`` (both eye polygons) or ``"lips"`` (outer lip polygon less the inner
    one: the teeth are not lip) of a face's landmarks, as a mask of ``shape``."""
    lm = face.landmarks
    if part == "eyes":
        return _polygon(shape, lm[F.RIGHT_EYE]) | _polygon(shape, lm[F.LEFT_EYE])
    if part == "lips":
        return _polygon(shape, lm[F.OUTER_LIPS]) & ~_polygon(shape, lm[F.INNER_LIPS])
    raise ValueError(f"part must be 'eyes' or 'lips', got {part!r}")


def part_ab(source: np.ndarray, src_face: F.Face | None, result: np.ndarray, res_face: F.Face | None,
            part: str) -> float:
    """a*b* distance between the mean colours of ``part`` in the source and in the result
    (NaN when either face is missing or the part is under 4 pixels)."""
    if src_face is None or res_face is None:
        return math.nan
    means = []
    for img, face in ((source, src_face), (result, res_face)):
        mask = part_mask(face, img.shape, part)
        if mask.sum() < 4:
            return math.nan
        means.append(_lab(img)[mask][:, 1:].mean(0))
    return float(np.linalg.norm(means[0] - means[1]))


def skin_mask(face: F.Face, shape: tuple[int, ...]) -> np.ndarray:
    """Face skin from landmarks: the hull of jaw and brows less eyes, brows and mouth
    (each grown by a few percent of the face), the forehead above the brows left out."""
    lm = face.landmarks
    hull = _polygon(shape, cv2.convexHull(np.round(np.vstack([lm[F.JAW], lm[F.BROWS]])).astype(np.int32))[:, 0])
    grow = max(1, round(0.04 * face.size))
    kernel = np.ones((2 * grow + 1, 2 * grow + 1), np.uint8)
    features = (_polygon(shape, lm[F.RIGHT_EYE]) | _polygon(shape, lm[F.LEFT_EYE])
                | _polygon(shape, lm[F.OUTER_LIPS]))
    for brow in (slice(17, 22), slice(22, 27)):
        pts = np.round(lm[brow]).astype(np.int32)
        line = np.zeros(shape[:2], np.uint8)
        cv2.polylines(line, [pts], False, 1, max(1, grow))
        features |= line > 0
    features = cv2.dilate(features.astype(np.uint8), kernel) > 0
    return hull & ~features


def skin_delta_e(target: np.ndarray, tgt_face: F.Face | None, result: np.ndarray, res_face: F.Face | None) -> float:
    """ΔE76 between the median Lab of the target's face skin and the result's."""
    if tgt_face is None or res_face is None:
        return math.nan
    medians = []
    for img, face in ((target, tgt_face), (result, res_face)):
        mask = skin_mask(face, img.shape)
        if mask.sum() < 16:
            return math.nan
        medians.append(np.median(_lab(img)[mask], axis=0))
    return float(np.linalg.norm(medians[0] - medians[1]))


# --------------------------------------------------------------------------- kept, seam, ghost


def grow(mask: np.ndarray, radius: float) -> np.ndarray:
    """``mask`` grown by ``radius`` pixels (a disc)."""
    r = int(round(radius))
    if r <= 0 or not mask.any():
        return mask.copy()
    dist = cv2.distanceTransform((~mask).astype(np.uint8), cv2.DIST_L2, 3)
    return dist <= r


def kept(target: np.ndarray, result: np.ndarray, changed: np.ndarray, tolerance: int = KEPT_TOLERANCE) -> float:
    """Share of the target's pixels outside ``changed`` that the result left as they were
    (every channel within ``tolerance``); NaN when nothing lies outside."""
    outside = ~changed
    if target.shape != result.shape or not outside.any():
        return math.nan
    same = (np.abs(target.astype(np.int16) - result.astype(np.int16)) <= tolerance).all(axis=2)
    return float(same[outside].mean())


def _gradient(img: np.ndarray) -> np.ndarray:
    gray = cv2.cvtColor(img, cv2.COLOR_RGB2GRAY).astype(np.float32)
    return np.hypot(cv2.Sobel(gray, cv2.CV_32F, 1, 0, ksize=3), cv2.Sobel(gray, cv2.CV_32F, 0, 1, ksize=3))


def seam(result: np.ndarray, head: np.ndarray, person: np.ndarray, ring: float | None = None) -> float:
    """How much stronger the gradient is on the new head's outline, where it meets the rest
    of the person (neck, shoulders), than in rings just inside and outside it.

    ``head``: the new head's mask; ``person``: the new head and the body it must join (the
    target's neck and body: :func:`score_blend`), so only the jaw and neck part of the
    outline counts, not hair against the background. The outline band is 1 px either side of the head's edge; the rings lie ``ring`` to
    ``2 * ring`` pixels away (default: 3% of the head's height, at least 2). NaN when the
    head meets no person (a head on no body).
    """
    if not head.any():
        return math.nan
    height = np.ptp(np.nonzero(head)[0]) + 1
    ring = max(2.0, 0.03 * height) if ring is None else ring
    inside = cv2.distanceTransform(head.astype(np.uint8), cv2.DIST_L2, 3)
    outside = cv2.distanceTransform((~head).astype(np.uint8), cv2.DIST_L2, 3)
    body = person & ~head
    # the parts of the outline that touch the body (not the background)
    near_body = grow(body, 2 * ring + 2)
    line = ((inside > 0) & (inside <= 1.5) | (outside > 0) & (outside <= 1.5)) & near_body
    rings = (((inside >= ring) & (inside <= 2 * ring)) | ((outside >= ring) & (outside <= 2 * ring) & body)) & near_body
    if line.sum() < 8 or rings.sum() < 8:
        return math.nan
    grad = _gradient(result)
    return float(grad[line].mean() / max(grad[rings].mean(), 1.0))


def ghost(result: np.ndarray, old_head: np.ndarray, new_person: np.ndarray, body: np.ndarray,
          key_alpha: np.ndarray, margin: float) -> float:
    """Share of the old head's pixels that should now be background but are not key colour.

    ``old_head``: the target's head (face and hair, long hair included); ``new_person``:
    what the result should show as person (the new head, the target's neck and body),
    grown by ``margin`` pixels; pixels in front of the body (at or below its top in their
    column) are left out, since what lay behind long hair there is body. ``key_alpha``: the
    result's matte against the key colour (0 = key). NaN when no old-head pixel is left to
    judge.
    """
    region = old_head & ~grow(new_person, margin)
    if body.any():
        rows = np.arange(body.shape[0])[:, None]
        first = np.where(body.any(axis=0), body.argmax(axis=0), body.shape[0])
        region &= rows < first[None, :]
    if not region.any():
        return math.nan
    return float((key_alpha[region] > 0.5).mean())


# --------------------------------------------------------------------------- pose, sharpness


def pose_gap(src_face: F.Face | None, tgt_face: F.Face | None) -> tuple[float, float]:
    """``(roll, yaw)`` differences (degrees, absolute) of two faces; NaN without both."""
    if src_face is None or tgt_face is None:
        return math.nan, math.nan
    roll = abs((src_face.roll - tgt_face.roll + 180) % 360 - 180)
    return float(roll), float(abs(src_face.yaw - tgt_face.yaw))


def _canonical(img: np.ndarray, face: F.Face, size: float) -> tuple[np.ndarray, np.ndarray]:
    """The face turned upright and scaled so that eyes-to-chin is ``size`` px, in a square
    of ``2.4 * size``, with its skin-and-features hull as a mask."""
    side = int(round(2.4 * size))
    src = np.float32([face.eyes_centre, face.landmarks[8]])
    dst = np.float32([[side / 2, 0.7 * size], [side / 2, 1.7 * size]])
    matrix, _ = cv2.estimateAffinePartial2D(src.reshape(-1, 1, 2), dst.reshape(-1, 1, 2))
    if matrix is None:  # two points always give a similarity; kept for safety
        matrix = cv2.getRotationMatrix2D((0, 0), 0, 1)
    scale = math.hypot(matrix[0, 0], matrix[0, 1])
    gray = cv2.cvtColor(img, cv2.COLOR_RGB2GRAY)
    interp = cv2.INTER_AREA if scale < 1 else cv2.INTER_LINEAR
    if scale < 1:  # shrink with an area filter first: warpAffine alone aliases
        small = cv2.resize(gray, None, fx=scale, fy=scale, interpolation=interp)
        matrix = matrix.copy()
        matrix[:, :2] /= scale
        gray = small
    chip = cv2.warpAffine(gray, matrix, (side, side), flags=cv2.INTER_LINEAR, borderMode=cv2.BORDER_REFLECT)
    lm = face.landmarks if scale >= 1 else face.landmarks * scale
    pts = np.hstack([lm, np.ones((68, 1))]) @ matrix.T
    hull = cv2.convexHull(np.round(np.vstack([pts[F.JAW], pts[F.BROWS]])).astype(np.int32))[:, 0]
    mask = _polygon((side, side), hull)
    shrink = max(1, round(0.05 * size))
    mask = cv2.erode(mask.astype(np.uint8), np.ones((2 * shrink + 1,) * 2, np.uint8)) > 0
    return chip.astype(np.float32), mask


def high_frequency(chip: np.ndarray, mask: np.ndarray) -> float:
    """Mean squared difference between a picture and its σ=1 Gaussian blur inside ``mask``,
    over the picture's variance there: the share of its contrast in the finest detail (a
    face dimmed or brightened as a whole keeps its share; a blurred one loses it)."""
    if not mask.any():
        return math.nan
    detail = chip - cv2.GaussianBlur(chip, (0, 0), 1.0)
    variance = float(np.var(chip[mask]))
    return float(np.mean(detail[mask] ** 2)) / variance if variance > 0 else math.nan


def sharpness(source: np.ndarray, src_face: F.Face | None, result: np.ndarray, res_face: F.Face | None) -> float:
    """High-frequency energy of the result's face over the source face's, both upright at
    the smaller of the two faces' sizes (a head enlarged from a small source is not asked
    for detail it never had). 1 = as sharp as the source; a re-drawn soft head is below."""
    if src_face is None or res_face is None:
        return math.nan
    size = min(src_face.size, res_face.size)
    if size < 8:
        return math.nan
    energies = [high_frequency(*_canonical(img, face, size)) for img, face in ((source, src_face), (result, res_face))]
    if not energies[0] > 0:
        return math.nan
    return float(energies[1] / energies[0])


# --------------------------------------------------------------------------- one blend


@dataclass(frozen=True)
class PairFaces:
    """The source's and the target's faces, found once per pair and reused for every method."""

    source: FaceInfo | None
    target: FaceInfo | None


def pair_faces(source: np.ndarray, target: np.ndarray, source_labels: np.ndarray | None = None,
               target_labels: np.ndarray | None = None) -> PairFaces:
    """Both faces; a label map's face region is a hint where the detector finds none."""
    def hint(labels: np.ndarray | None) -> F.Box | None:
        return None if labels is None else F.box_from_mask(labels == L.FACE)

    return PairFaces(face_info(source, hint(source_labels)), face_info(target, hint(target_labels)))


def score_blend(source: np.ndarray, target: np.ndarray, result: Any, pair: PairFaces | None = None,
                color_reference: str = "target") -> dict[str, float]:
    """Every metric of :data:`METRICS` for one pipeline result (``BlendResult``: its
    ``image`` and ``masks``; ``source`` and ``target`` as the pipeline read them, the
    source upright, the target at the result's size)."""
    image = result.image
    masks = result.masks
    pair = pair or pair_faces(source, target)
    new_head = masks.get("new_head", masks["source_head"])  # with the real head: its neck top too
    old_head = masks["target_head"]
    hint = F.box_from_mask(masks["source_head"]) if masks["source_head"].any() else (pair.target.face.box if pair.target else None)
    res = face_info(image, hint)
    src_face = pair.source.face if pair.source else None
    tgt_face = pair.target.face if pair.target else None
    res_face = res.face if res else None
    head_size = _size(old_head)
    changed = grow(old_head | new_head, KEPT_MARGIN * head_size)
    body = masks.get("target_body", np.zeros_like(old_head))
    person = new_head | masks["target_neck"] | body  # the body the new head must join
    scores = {
        "id_src": identity_distance(res, pair.source),
        "id_tgt": identity_distance(res, pair.target),
        "eye_ab": part_ab(source, src_face, image, res_face, "eyes"),
        "lip_ab": part_ab(source, src_face, image, res_face, "lips"),
        "skin_de": skin_delta_e(target, tgt_face, image, res_face) if color_reference == "target" else math.nan,
        "kept": kept(target, image, changed),
        "seam": seam(image, new_head, person),
        "ghost": _ghost(image, target, masks, head_size),
        "sharp": sharpness(source, src_face, image, res_face),
    }
    scores["pose_roll"], scores["pose_yaw"] = pose_gap(src_face, tgt_face)
    return {name: scores[name] for name in METRICS}


def _size(mask: np.ndarray) -> float:
    ys, xs = np.nonzero(mask)
    return float(max(np.ptp(ys), np.ptp(xs)) + 1) if len(ys) else 0.0


def _ghost(image: np.ndarray, target: np.ndarray, masks: dict[str, np.ndarray], head_size: float) -> float:
    """:func:`ghost` on a target that stands on a key screen; NaN on any other."""
    from changer import chroma

    key = chroma.detect_key_color(target)
    if key is None:
        return math.nan
    body = masks.get("target_body", np.zeros_like(masks["target_head"]))
    new_person = masks.get("new_head", masks["source_head"]) | masks["target_neck"] | body
    return ghost(image, masks["target_head"], new_person, body, chroma.alpha_matte(image, key.color),
                 GHOST_MARGIN * head_size)
