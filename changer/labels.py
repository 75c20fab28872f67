"""The 5 parsing classes used everywhere, and the masks derived from them.

Values match the talking-heads label maps: ``0 background, 1 face, 2 hair, 3 neck, 4 body``.
``head = face | hair`` and ``foreground = head | neck | body``.
"""

from __future__ import annotations

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
