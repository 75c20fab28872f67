"""Place the source head on the target: a geometric similarity transform.

DESIGN.md §1 (Inference, step 1): the paper aligns the source head with a reenactment
network; ours is the geometric first step. The transform maps the source head's
*reference box* onto the target's:

* the reference region is the face (label 1) when both heads have one, else the whole
  head (face + hair): face width is stable across hair styles, the head is the fallback;
  of several face blobs only the person's face counts (``changer.labels.main_face_mask``:
  parsers call skin-coloured clothes or objects face too);
* scale = target width / source width of that region (robust extents: the 0.5 and 99.5
  percentiles of the pixel coordinates, so stray label pixels do not count);
* anchor = the chin (bottom centre of the face) for faces, so the new head sits on the
  target's neck; the box centre for heads;
* optionally a rotation from the difference of the regions' principal axes (off by
  default: on near-round masks the axis is unstable, so it is only used when the masks are
  clearly elongated, and it is clamped to ±30°).

Manual overrides: ``scale`` multiplies the scale (about the anchor, so the chin stays
put), ``offset`` ``(dx, dy)`` moves the head by fractions of the target's head size
(the longer side of its head box).
"""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np

from changer import labels as L
from changer.imageio import InputError

MIN_REGION_PIXELS = 16
"""A face with fewer labelled pixels than this counts as absent."""

MIN_SCALE, MAX_SCALE = 0.2, 5.0
"""Allowed ``scale`` multipliers: beyond them the head is a speck or fills a huge window."""

MAX_OFFSET = 2.0
"""Allowed ``|dx|``, ``|dy|`` in head sizes (the app's sliders stay within ±0.5)."""

MAX_ROTATION_DEG = 30.0


@dataclass
class AlignedHead:
    """The source head in target coordinates.

    Attributes:
        rgb: ``HxWx3 uint8`` colour source head, zero outside ``mask``.
        mask: ``HxW bool`` where the head lies.
        matrix: ``2x3 float64`` affine map from source to target pixel coordinates.
    """

    rgb: np.ndarray
    mask: np.ndarray
    matrix: np.ndarray


@dataclass(frozen=True)
class HeadGeometry:
    """What the alignment measures on one head.

    Attributes:
        width: robust width of the reference region (pixels).
        anchor: ``(x, y)``: chin (face) or box centre (head).
        angle: principal-axis angle in degrees (image coordinates), None if ill-defined.
        size: the longer side of the head box (unit of the manual offset).
        uses_face: whether the reference region is the face.
    """

    width: float
    anchor: tuple[float, float]
    angle: float | None
    size: float
    uses_face: bool


def head_geometry(labels: np.ndarray, use_face: bool, what: str = "head") -> HeadGeometry:
    """Measure a head (see module docstring); :class:`InputError` when there is no head."""
    head = L.head_mask(labels)
    if head.sum() < MIN_REGION_PIXELS:
        raise InputError(f"{what}: no head (face or hair) found in the labels")
    region = _main_face(labels) if use_face else head
    xs, ys = _points(region)
    x0, x1 = np.percentile(xs, [0.5, 99.5])
    y0, y1 = np.percentile(ys, [0.5, 99.5])
    anchor = ((x0 + x1) / 2, y1 + 0.5) if use_face else ((x0 + x1) / 2, (y0 + y1) / 2)
    _, _, w, h = cv2.boundingRect(head.view(np.uint8))
    size = float(max(w, h))
    return HeadGeometry(
        width=float(x1 - x0 + 1),
        anchor=(float(anchor[0]), float(anchor[1])),
        angle=_principal_angle(xs, ys),
        size=size,
        uses_face=use_face,
    )


def _points(mask: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """``(xs, ys)`` of a boolean mask's pixels, scanning only its bounding box (a small head
    in a phone photo would otherwise cost a scan of the whole picture)."""
    x, y, w, h = cv2.boundingRect(mask.view(np.uint8))
    ys, xs = np.nonzero(mask[y:y + h, x:x + w])
    return xs + x, ys + y


def _main_face(labels: np.ndarray) -> np.ndarray:
    """The person's face component (:func:`changer.labels.main_face_mask`); all face pixels
    when that component is too small to measure (a face broken into fragments)."""
    face = L.main_face_mask(labels)
    if face is None or face.sum() < MIN_REGION_PIXELS:
        return labels == L.FACE
    return face


def has_face(labels: np.ndarray) -> bool:
    """Whether the label map holds a usable face region."""
    return int((labels == L.FACE).sum()) >= MIN_REGION_PIXELS


def _principal_angle(xs: np.ndarray, ys: np.ndarray, min_elongation: float = 1.15) -> float | None:
    """Angle (degrees, in ``(-90, 90]``) of the main axis of a point set, None if near round."""
    if len(xs) < MIN_REGION_PIXELS:
        return None
    cov = np.cov(np.stack([xs, ys]).astype(np.float64))
    evals, evecs = np.linalg.eigh(cov)
    if evals[0] <= 0 or np.sqrt(evals[1] / evals[0]) < min_elongation:
        return None
    vx, vy = evecs[:, 1]
    angle = float(np.degrees(np.arctan2(vy, vx)))
    return _wrap180(angle)


def _wrap180(angle: float) -> float:
    """An axis angle (defined modulo 180°) in ``(-90, 90]``."""
    angle = (angle + 90.0) % 180.0 - 90.0
    return 90.0 if angle == -90.0 else angle


def similarity_matrix(
    source_labels: np.ndarray,
    target_labels: np.ndarray,
    scale: float = 1.0,
    offset: tuple[float, float] = (0.0, 0.0),
    rotate: bool = False,
) -> np.ndarray:
    """The ``2x3`` source -> target similarity of the module docstring."""
    _check_manual(scale, offset)
    use_face = has_face(source_labels) and has_face(target_labels)
    src = head_geometry(source_labels, use_face, "source")
    tgt = head_geometry(target_labels, use_face, "target")
    s = tgt.width / src.width * scale
    phi = 0.0
    if rotate and src.angle is not None and tgt.angle is not None:
        phi = float(np.clip(_wrap180(tgt.angle - src.angle), -MAX_ROTATION_DEG, MAX_ROTATION_DEG))
    c, si = np.cos(np.radians(phi)), np.sin(np.radians(phi))
    linear = s * np.array([[c, -si], [si, c]])
    shift = np.array(tgt.anchor) + np.array(offset, np.float64) * tgt.size
    translation = shift - linear @ np.array(src.anchor)
    return np.hstack([linear, translation[:, None]])


def matrix_scale(matrix: np.ndarray) -> float:
    """The scale factor of a ``2x3`` similarity (target pixels per source pixel)."""
    return float(np.sqrt(abs(np.linalg.det(np.asarray(matrix, np.float64)[:, :2]))))


def warp_mask(mask: np.ndarray, matrix: np.ndarray, size: tuple[int, int]) -> np.ndarray:
    """A boolean mask warped by ``matrix`` into an ``(H, W)`` canvas (bilinear, then >= 0.5)."""
    h, w = size
    return cv2.warpAffine(mask.astype(np.float32), np.asarray(matrix, np.float64), (w, h),
                          flags=cv2.INTER_LINEAR, borderValue=0) >= 0.5


def warp_head(
    source_img: np.ndarray, source_mask: np.ndarray, matrix: np.ndarray, size: tuple[int, int]
) -> AlignedHead:
    """Warp the source head (``source_mask``) by ``matrix`` into an ``(H, W)`` canvas.

    Strong downscaling first resizes the source with area interpolation, so a large
    source photo does not alias.
    """
    h, w = size
    img, mask, m = source_img, source_mask.astype(np.float32), np.asarray(matrix, np.float64)
    s = matrix_scale(m)
    if s < 0.8:
        sh, sw = img.shape[:2]
        pre = (max(1, round(sw * s)), max(1, round(sh * s)))
        img = cv2.resize(img, pre, interpolation=cv2.INTER_AREA)
        mask = cv2.resize(mask, pre, interpolation=cv2.INTER_AREA)
        back = np.diag([sw / pre[0], sh / pre[1], 1.0])
        m = (np.vstack([m, [0, 0, 1]]) @ back)[:2]
    rgb = cv2.warpAffine(img, m, (w, h), flags=cv2.INTER_LINEAR, borderMode=cv2.BORDER_REPLICATE)
    warped = warp_mask(mask, m, size)
    rgb[~warped] = 0
    return AlignedHead(rgb=rgb, mask=warped, matrix=np.asarray(matrix, np.float64))


def align_head(
    source_img: np.ndarray,
    source_labels: np.ndarray,
    target_labels: np.ndarray,
    scale: float = 1.0,
    offset: tuple[float, float] = (0.0, 0.0),
    rotate: bool = False,
) -> AlignedHead:
    """The source head (face + hair of ``source_labels``) placed on the target's head."""
    if source_img.shape[:2] != source_labels.shape:
        raise InputError(
            f"source: image is {source_img.shape[1]}x{source_img.shape[0]} px "
            f"but its labels are {source_labels.shape[1]}x{source_labels.shape[0]}"
        )
    matrix = similarity_matrix(source_labels, target_labels, scale, offset, rotate)
    return warp_head(source_img, L.head_mask(source_labels), matrix, target_labels.shape)


MAX_LANDMARK_ROTATION_DEG = 45.0
"""Beyond this roll difference the landmarks are more likely wrong than the head that tilted."""


def landmark_points(landmarks: np.ndarray) -> np.ndarray:
    """The five points a head is placed by (``5x2``): both eye centres, the nose tip, the
    mouth's centre and the chin, from dlib's 68 landmarks."""
    lm = np.asarray(landmarks, np.float64)
    return np.stack([lm[36:42].mean(0), lm[42:48].mean(0), lm[30], lm[[48, 54]].mean(0), lm[8]])


def landmark_matrix(
    source_landmarks: np.ndarray,
    target_landmarks: np.ndarray,
    scale: float = 1.0,
    offset: tuple[float, float] = (0.0, 0.0),
    target_size: float | None = None,
) -> np.ndarray:
    """The ``2x3`` source -> target similarity that lays the source's eyes, nose, mouth and
    chin onto the target's (least squares): the new head gets the target head's size,
    position and tilt. ``scale`` multiplies the size about the target's chin (which stays
    put); ``offset`` moves the head by fractions of ``target_size`` (the target head's size;
    default: twice its eyes-to-chin distance). Roll beyond ±45° is clamped."""
    from skimage.transform import SimilarityTransform

    _check_manual(scale, offset)
    src, dst = landmark_points(source_landmarks), landmark_points(target_landmarks)
    tform = SimilarityTransform.from_estimate(src, dst) if hasattr(SimilarityTransform, "from_estimate") \
        else _estimated(src, dst)
    s, phi = float(tform.scale), float(np.degrees(tform.rotation))
    phi = float(np.clip(phi, -MAX_LANDMARK_ROTATION_DEG, MAX_LANDMARK_ROTATION_DEG))
    c, si = np.cos(np.radians(phi)), np.sin(np.radians(phi))
    linear = s * scale * np.array([[c, -si], [si, c]])
    chin_src, chin_dst = src[4], np.asarray(tform(src[4:5]))[0]  # the fitted chin, where the scale pivots
    size = target_size if target_size is not None else 2 * float(np.linalg.norm(dst[:2].mean(0) - dst[4]))
    shift = chin_dst + np.array(offset, np.float64) * size
    return np.hstack([linear, (shift - linear @ chin_src)[:, None]])


def _estimated(src: np.ndarray, dst: np.ndarray):  # scikit-image < 0.26
    from skimage.transform import SimilarityTransform

    tform = SimilarityTransform()
    if not tform.estimate(src, dst):
        raise InputError("the faces' landmarks do not give a placement")
    return tform


def _check_manual(scale: float, offset: tuple[float, float]) -> None:
    """The manual scale and offset are within their limits (an :class:`InputError` if not)."""
    if not np.isfinite(scale) or scale <= 0:
        raise InputError(f"align scale must be a positive number, got {scale}")
    if not MIN_SCALE <= scale <= MAX_SCALE:
        raise InputError(f"align scale must be between {MIN_SCALE} and {MAX_SCALE}, got {scale}")
    if len(offset) != 2 or not all(np.isfinite(offset)):
        raise InputError(f"align offset must be two numbers (dx, dy), got {offset}")
    if max(abs(float(v)) for v in offset) > MAX_OFFSET:
        raise InputError(f"align offset must be within ±{MAX_OFFSET} head sizes, got {offset}")
