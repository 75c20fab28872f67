"""Background pieces labelled hair along the head's outline, found by colour and dropped.

A parser's hair label spills over the hair's outline onto whatever lies behind it: bits
of a flag's white stars beside dark hair, the edge of a window, a red stripe. Pasted with
the head onto another body, those bits read as horns or specks. Such a pixel looks like
the background next to it and unlike any hair near it, which is what
:func:`drop_background_fringe` tests: each hair pixel near the background is compared
with the nearest (in colour and place) pixels of the hair's inside and of the background
around the head.

Measured with the bundled parser (``docs/experiments/parsing.md``):

* green-screen frames keyed and put on 8 other backgrounds (376 pictures, truth: the
  keyed person's labels): hair IoU 0.658 -> 0.678, background 0.744 -> 0.763, better on
  every background;
* the 144 test frames against their labels: hair IoU 0.783 -> 0.794;
* the two held-out identities of the validation split (dark hair on a dark backdrop, a
  black-and-white clip), whose labels are looser than the parser's: hair 0.696 -> 0.693.
  Without :data:`MIN_GAP` real strands of dark hair were cut there (0.675).
"""

from __future__ import annotations

import cv2
import numpy as np
from scipy.spatial import cKDTree

from changer import labels as L

BAND = 0.05
"""Hair pixels within this share of the head's size of the background are tested."""

REACH = 0.1
"""Background pixels within this share of the head's size of the head are its colours."""

RATIO = 0.5
"""A tested pixel is background when its distance to the background's colours is below
this share of its distance to the hair's..."""

MIN_GAP = 15.0
"""...and its distance to the hair's colours is above this (CIELAB units, with 1% of the
head's size counted as one unit of place). Dark hair on a dark backdrop differs from it
by less, and is kept."""

WORK_SIZE = 256
"""The test runs where the head is at most this many pixels (larger pictures are scaled down)."""

HAIR_RANK = 5
"""A pixel's distance to the hair is to its 5th nearest hair colour, not the nearest: a
whole star labelled hair lends its own few pixels to the hair's inside. (Chosen on the
keyed composites and val: rank 1 / 5 / 10 gave hair IoU 0.678 / 0.684 / 0.689 on the
composites, 0.693 / 0.691 / 0.690 on val; 10 broke the 0.005 limit on val's loss.)"""

MAX_REFERENCES = 4000
"""Colours kept of each side (a seeded random subset); the nearest of them is the distance."""


def drop_background_fringe(rgb: np.ndarray, labels: np.ndarray) -> np.ndarray:
    """``labels`` with the hair pixels near the background that have the background's
    colour, and are joined to it, made background (see the module's docstring); ``labels``
    itself when none are. ``rgb``: ``HxWx3 uint8`` RGB."""
    if not (labels == L.HAIR).any() or not (labels == L.BACKGROUND).any():
        return labels
    return _drop_at_work_size(rgb, labels, _fringe)


def _drop_at_work_size(rgb: np.ndarray, labels: np.ndarray, test) -> np.ndarray:
    """``labels`` with the hair pixels ``test(rgb, labels, size)`` picks made background, the
    test run on the head's surroundings (:func:`_box`) scaled so the head is at most
    :data:`WORK_SIZE` pixels."""
    rect = cv2.boundingRect(L.head_mask(labels).view(np.uint8))
    size = float(max(rect[2], rect[3]))
    top, left, bottom, right = _box(rect, size, labels.shape)
    sub_rgb, sub_lab = rgb[top:bottom, left:right], labels[top:bottom, left:right]
    k = min(1.0, WORK_SIZE / size)
    if k < 1.0:
        hw = (max(1, round(sub_lab.shape[1] * k)), max(1, round(sub_lab.shape[0] * k)))
        small = test(cv2.resize(sub_rgb, hw, interpolation=cv2.INTER_AREA),
                     cv2.resize(sub_lab, hw, interpolation=cv2.INTER_NEAREST), size * k)
        drop = cv2.resize(small.astype(np.uint8), sub_lab.shape[::-1], interpolation=cv2.INTER_NEAREST) > 0
        drop &= sub_lab == L.HAIR
    else:
        drop = test(sub_rgb, sub_lab, size)
    if not drop.any():
        return labels
    out = labels.copy()
    out[top:bottom, left:right][drop] = L.BACKGROUND
    return out


def _fringe(rgb: np.ndarray, labels: np.ndarray, size: float) -> np.ndarray:
    """The hair pixels to drop, at a scale where the head is ``size`` pixels."""
    hair, background = labels == L.HAIR, labels == L.BACKGROUND
    to_background, to_head = _distance(background), _distance(L.head_mask(labels))
    band = max(2.0, BAND * size)
    tested = hair & (to_background <= band)
    inside = hair & (to_background > band)
    around = background & (to_head > 1.5) & (to_head <= REACH * size)
    drop = np.zeros(labels.shape, bool)
    if not tested.any() or inside.sum() < 20 or around.sum() < 20:
        return drop
    features = _features(rgb, size)
    query = features[tested]
    to_hair = _nearest(features[inside], query, HAIR_RANK)
    unlike = to_hair > MIN_GAP  # only these can go: the costlier search is theirs alone
    if not unlike.any():
        return drop
    ys, xs = np.nonzero(tested)
    to_around = _nearest(features[around], query[unlike])
    gone = to_around < RATIO * to_hair[unlike]
    drop[ys[unlike][gone], xs[unlike][gone]] = True
    return _joined_to(drop, background)


def _joined_to(drop: np.ndarray, background: np.ndarray) -> np.ndarray:
    """The parts of ``drop`` connected to ``background`` (8-connected): a light patch inside
    the hair near its outline (a clip, a highlight) would otherwise become a hole."""
    if not drop.any():
        return drop
    count, parts = cv2.connectedComponents((drop | background).astype(np.uint8), connectivity=8)
    joined = np.zeros(count, bool)
    joined[np.unique(parts[background])] = True
    joined[0] = False
    return drop & joined[parts]


def _features(rgb: np.ndarray, size: float) -> np.ndarray:
    """``(H, W, 5)``: CIELAB (L 0-100, a and b around 0) and the place, 1% of ``size`` per unit."""
    lab = cv2.cvtColor(np.ascontiguousarray(rgb), cv2.COLOR_RGB2LAB).astype(np.float32)
    lab[..., 0] *= 100.0 / 255.0
    lab[..., 1:] -= 128.0
    ys, xs = np.mgrid[: rgb.shape[0], : rgb.shape[1]].astype(np.float32) * (100.0 / size)
    return np.concatenate([lab, ys[..., None], xs[..., None]], axis=-1)


def _nearest(references: np.ndarray, query: np.ndarray, rank: int = 1) -> np.ndarray:
    """Distance of each ``query`` row to its ``rank``-th nearest row of ``references`` (a
    seeded subset)."""
    if len(references) > MAX_REFERENCES:
        keep = np.random.default_rng(0).choice(len(references), MAX_REFERENCES, replace=False)
        references = references[keep]
    rank = min(rank, len(references))
    distance, _ = cKDTree(references).query(query, k=[rank])
    return np.asarray(distance[:, 0], np.float32)


def _distance(mask: np.ndarray) -> np.ndarray:
    """Euclidean distance (pixels) of every pixel to ``mask``; infinite when it is empty."""
    if not mask.any():
        return np.full(mask.shape, np.inf, np.float32)
    return cv2.distanceTransform((~mask).astype(np.uint8), cv2.DIST_L2, 3)


def _box(rect: tuple[int, int, int, int], size: float, shape: tuple[int, int]) -> tuple[int, int, int, int]:
    """``(top, left, bottom, right)``: the head's bounding box ``rect`` (``x, y, w, h``) grown
    by :data:`REACH` of the head's ``size`` and two pixels more, within the picture: every
    pixel the test looks at."""
    x, y, w, h = rect
    grow = int(np.ceil(REACH * size)) + 2
    return max(0, y - grow), max(0, x - grow), min(shape[0], y + h + grow), min(shape[1], x + w + grow)


CORE = 0.12
"""For :func:`drop_backdrop_hair`: hair within this share of the head's size of the face is
surely hair, and is what the rest of the hair is compared with."""

PLACE_WEIGHT = 0.3
"""For :func:`drop_backdrop_hair`: how much place counts beside colour (a slab of backdrop
taken for hair lies far from both the face's hair and the backdrop's nearest pixels)."""


def drop_backdrop_hair(rgb: np.ndarray, labels: np.ndarray) -> np.ndarray:
    """``labels`` with hair far from the face that has the backdrop's colour, not the hair's,
    made background: a whole slab of a painted backdrop or a wall the parser took for hair
    (beyond :func:`drop_background_fringe`'s band along the outline). Hair within
    :data:`CORE` of the face is the hair's colour; background around the head is the
    backdrop's; a tested pixel goes when it is unlike the hair (:data:`MIN_GAP`) and nearer
    the backdrop (:data:`RATIO`), and joined to the background. For a head that is pasted
    onto another picture: the parser's labels themselves keep :func:`drop_background_fringe`.
    Runs with the head at most :data:`WORK_SIZE` pixels."""
    if not (labels == L.HAIR).any() or not (labels == L.FACE).any() or not (labels == L.BACKGROUND).any():
        return labels
    return _drop_at_work_size(rgb, labels, _backdrop)


def _backdrop(rgb: np.ndarray, labels: np.ndarray, size: float) -> np.ndarray:
    """The hair pixels :func:`drop_backdrop_hair` drops, at a scale where the head is ``size``."""
    hair, face, background = labels == L.HAIR, labels == L.FACE, labels == L.BACKGROUND
    drop = np.zeros(labels.shape, bool)
    from_face, from_head = _distance(face), _distance(L.head_mask(labels))
    core, tested = hair & (from_face <= CORE * size), hair & (from_face > CORE * size)
    around = background & (from_head > 1.5) & (from_head <= REACH * size)
    if core.sum() < 20 or around.sum() < 20 or not tested.any():
        return drop
    features = _features(rgb, size)
    features[..., 3:] *= PLACE_WEIGHT
    query = features[tested]
    to_hair = _nearest(features[core], query, HAIR_RANK)
    to_around = _nearest(features[around], query)
    gone = (to_hair > MIN_GAP) & (to_around < RATIO * to_hair)
    ys, xs = np.nonzero(tested)
    drop[ys[gone], xs[gone]] = True
    return _joined_to(drop, background)
