"""The 5 parsing classes used everywhere, and the masks derived from them.

Values match the talking-heads label maps: ``0 background, 1 face, 2 hair, 3 neck, 4 body``.
``head = face | hair`` and ``foreground = head | neck | body``.
"""

from __future__ import annotations

import cv2
import numpy as np

BACKGROUND = 0
FACE = 1
HAIR = 2
NECK = 3
BODY = 4

NUM_CLASSES = 5
CLASS_NAMES: tuple[str, ...] = ("background", "face", "hair", "neck", "body")

# Colours used when a label map is drawn for people (RGB).
PALETTE = np.array(
    [[0, 0, 0], [230, 180, 150], [120, 70, 30], [220, 90, 90], [70, 110, 200]], dtype=np.uint8
)

# Foreground *types* predicted by the model and used by FPAT's attention mask.
TYPE_BACKGROUND = 0
TYPE_HEAD = 1
TYPE_BODY = 2  # neck and body
NUM_TYPES = 3


def head_mask(labels: np.ndarray) -> np.ndarray:
    """Boolean mask of face and hair."""
    return (labels == FACE) | (labels == HAIR)


def neck_body_mask(labels: np.ndarray) -> np.ndarray:
    """Boolean mask of neck and body."""
    return (labels == NECK) | (labels == BODY)


def foreground_mask(labels: np.ndarray) -> np.ndarray:
    """Boolean mask of the person (everything but background)."""
    return labels != BACKGROUND


def to_types(labels: np.ndarray) -> np.ndarray:
    """Map the 5 classes onto the 3 foreground types (background / head / neck+body)."""
    lut = np.array([TYPE_BACKGROUND, TYPE_HEAD, TYPE_HEAD, TYPE_BODY, TYPE_BODY], dtype=np.uint8)
    return lut[labels]


def colorize(labels: np.ndarray) -> np.ndarray:
    """RGB picture of a label map, for previews and the UI."""
    return PALETTE[np.clip(labels, 0, NUM_CLASSES - 1)]


def _grow(mask: np.ndarray, r: int) -> np.ndarray:
    """``mask`` dilated by a ``(2r+1)``-square (Chebyshev distance ``r``)."""
    return cv2.dilate(mask.astype(np.uint8), np.ones((2 * r + 1, 2 * r + 1), np.uint8)).astype(bool)


def in_components(cc: np.ndarray, ids: np.ndarray) -> np.ndarray:
    """``np.isin(cc, ids)`` for a connected-component map (a lookup table: many times faster
    on the full-resolution maps of large photos)."""
    table = np.zeros(int(cc.max()) + 1, bool)
    ids = np.asarray(ids, np.int64)
    table[ids[(ids >= 0) & (ids < table.size)]] = True
    return table[cc]


def main_face_mask(labels: np.ndarray, candidates: int = 4) -> np.ndarray | None:
    """Boolean mask of the face component most likely to be the person's face (None: no face).

    On busy photos a parser also calls skin-coloured things face (an orange suit, a
    camera, a wooden wall). A real face has hair above it (or at least at its top edge),
    a false one seldom does, so among the largest ``candidates`` 8-connected face
    components the one with the highest ``sqrt(area) * (0.2 + share of hair in a thin
    ring around its upper half)`` wins; with no hair anywhere it is the largest one.
    The components are found inside the face pixels' bounding box (grown by the widest
    ring), not the whole map: the pipeline asks this of full-resolution maps of large
    photos many times per blend.
    """
    face = labels == FACE
    rows = np.flatnonzero(face.any(axis=1))
    if rows.size == 0:
        return None
    cols = np.flatnonzero(face.any(axis=0))
    reach = 1 + max(2, round(0.08 * max(rows[-1] - rows[0] + 1, cols[-1] - cols[0] + 1)))
    box = (slice(max(0, rows[0] - reach), rows[-1] + 1 + reach), slice(max(0, cols[0] - reach), cols[-1] + 1 + reach))
    _, cc, stats, _ = cv2.connectedComponentsWithStats(face[box].view(np.uint8), connectivity=8)
    hair = labels[box] == HAIR
    best, best_score = 1, -1.0
    for i in 1 + np.argsort(-stats[1:, cv2.CC_STAT_AREA], kind="stable")[:candidates]:
        x, y, w, h, area = (int(v) for v in stats[i])
        r = max(2, round(0.08 * max(w, h)))
        y0, y1, x0, x1 = max(0, y - r), y + max(1, h // 2), max(0, x - r), x + w + r  # never empty
        comp = cc[y0:y1, x0:x1] == i
        ring = _grow(comp, r) & ~comp
        hair_share = float(hair[y0:y1, x0:x1][ring].mean()) if ring.any() else 0.0
        score = float(np.sqrt(area)) * (0.2 + hair_share)
        if score > best_score:
            best, best_score = int(i), score
    out = np.zeros(labels.shape, bool)
    out[box] = cc == best
    return out


def single_head(labels: np.ndarray) -> np.ndarray:
    """``labels`` with one head: face and hair pixels apart from the person's head are relabelled.

    The head is the :func:`main_face_mask` component with the face and hair components
    that touch it (within 3% of the face's size, so a parting or a hair clip does not cut
    it). Other face/hair blobs (a camera or a suit taken for a face, a dark object taken
    for hair) become body where they lie on the person (the foreground component holding
    the face) and background elsewhere. A map without face pixels is returned unchanged.
    """
    face = main_face_mask(labels)
    if face is None:
        return labels
    head = head_mask(labels)
    ys, xs = np.nonzero(face)
    r = max(1, round(0.03 * max(ys.max() - ys.min(), xs.max() - xs.min())))
    reach = _grow(face, r)
    _, head_cc = cv2.connectedComponents(head.astype(np.uint8), connectivity=8)
    ids = np.unique(head_cc[reach & head])
    stray = head & ~in_components(head_cc, ids[ids > 0])
    if not stray.any():
        return labels
    _, fg_cc = cv2.connectedComponents(foreground_mask(labels).astype(np.uint8), connectivity=8)
    person = in_components(fg_cc, np.unique(fg_cc[face]))
    out = labels.copy()
    out[stray & person] = BODY
    out[stray & ~person] = BACKGROUND
    return out


HEAD_HOLE_SHARE = 0.1
"""Largest background hole inside the head that :func:`fill_head_holes` fills, as a share
of the head's area (the parser's holes in held-out frames reach 6%)."""


def fill_head_holes(labels: np.ndarray, max_share: float = HEAD_HOLE_SHARE) -> np.ndarray:
    """``labels`` with background holes enclosed by the head (face and hair) filled.

    Parsers leave holes in dark or curly hair where the backdrop shows through in similar
    colours; a pasted head would carry each one as a patch of the generator's fill. The
    talking-heads labels almost never have such holes (7 of 700 maps, every third frame of
    all splits, at most 0.6% of the head), so a hole of background pixels that the head
    surrounds on every side, up to ``max_share`` of the head's area, takes the class (face
    or hair) that borders it most.
    Holes holding neck or body pixels (an earring, a microphone) are left alone.
    """
    head = head_mask(labels)
    area = int(head.sum())
    if area == 0:
        return labels
    n, cc, stats, _ = cv2.connectedComponentsWithStats((~head).astype(np.uint8), connectivity=4)
    h, w = labels.shape
    out = labels
    for i in range(1, n):
        x, y, bw, bh, size = (int(v) for v in stats[i])
        if x == 0 or y == 0 or x + bw == w or y + bh == h or size > max_share * area:
            continue  # open to the picture's edge, or too large to be a parser's slip
        box = (slice(max(0, y - 1), y + bh + 1), slice(max(0, x - 1), x + bw + 1))
        hole = cc[box] == i
        if (labels[box][hole] != BACKGROUND).any():
            continue
        ring = labels[box][_grow(hole, 1) & ~hole]
        if out is labels:
            out = labels.copy()
        out[box][hole] = FACE if (ring == FACE).sum() > (ring == HAIR).sum() else HAIR
    return out


NECK_BELOW = 0.6
"""How far below the face a parsed neck may reach, in face heights. In the talking-heads
labels it reaches at most 0.42 (2,099 frames at every third; the frame's bottom edge
often stops it first)."""
NECK_BESIDE = 0.35
"""How far beside the face a parsed neck may reach, in face widths (0 in those labels:
the neck always lies within the face's columns; the margin allows a tilted head)."""


def attached_neck(labels: np.ndarray, below: float = NECK_BELOW, beside: float = NECK_BESIDE) -> np.ndarray:
    """``labels`` with neck pixels that cannot be the person's neck relabelled as body.

    A neck joins the head under the face. On wide shots a parser also calls other skin or
    dark cloth neck (a collar, hands, the chest); since the pipeline regenerates the whole
    neck, every such blob would become a hole. Neck pixels above the face's top, more than
    ``below`` face heights under its bottom or ``beside`` face widths beside it, and neck
    components that do not touch the head (within 3% of the face's size, or 12% when none
    is that close), become body.
    The face is :func:`main_face_mask`'s; a map without face or neck is returned unchanged.
    """
    neck = labels == NECK
    face = main_face_mask(labels) if neck.any() else None
    if face is None:
        return labels
    x, y, w, h = cv2.boundingRect(face.astype(np.uint8))
    rows, cols = np.ogrid[: labels.shape[0], : labels.shape[1]]
    zone = (rows >= y) & (rows < y + h + below * h) & (cols >= x - beside * w) & (cols < x + w + beside * w)
    kept = neck & zone
    _, cc = cv2.connectedComponents(kept.astype(np.uint8), connectivity=8)
    head = head_mask(labels) & zone
    for gap in (0.03, 0.12):  # a parser may leave a thin strip between chin and neck
        touching = np.unique(cc[_grow(head, max(1, round(gap * max(w, h)))) & kept])
        if (touching > 0).any():
            break
    kept &= in_components(cc, touching[touching > 0])
    if (kept == neck).all():
        return labels
    out = labels.copy()
    out[neck & ~kept] = BODY
    return out
