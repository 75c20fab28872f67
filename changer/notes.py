"""Remarks for the user about a blend (:attr:`changer.pipeline.BlendResult.notes`): a photo
downscaled, a small or cut source head, other people in a photo, a head region blended
small, a face's lightness moved a lot."""

from __future__ import annotations

import cv2
import numpy as np

from changer import labels as L
from changer.align import matrix_scale
from changer.imageio import LoadedImage
from changer.parsing.parser import other_faces
from changer.window import Window


def size_notes(img: LoadedImage, name: str) -> list[str]:
    """A note when an image was downscaled on loading."""
    if img.scale >= 1.0:
        return []
    h, w = img.original_size
    return [f"{name} was downscaled from {w}x{h} to {img.rgb.shape[1]}x{img.rgb.shape[0]} px"]


ENLARGEMENT_NOTE = 2.0
"""Above this enlargement of the source head (target pixels per source pixel) the user is told."""


def enlargement_notes(matrix: np.ndarray, user_scale: float = 1.0) -> list[str]:
    """A note when the source head is scaled up a lot to fit the target's (a small face in
    the source photo): it will look softer than the target. The user's own head scale
    (``user_scale``) is left out: that enlargement was asked for."""
    scale = matrix_scale(matrix) / user_scale
    if scale <= ENLARGEMENT_NOTE:
        return []
    return [(f"the source face is small: it was enlarged {scale:.1f}x to the target's size, so the new head is softer "
             "than the photo (a closer or larger source photo gives a sharper head)")]


CUT_SHARE = 0.02
"""A source head touching its photo's edge along at least this share of the head's size is cut."""


def cut_head_notes(src_lab: np.ndarray, matrix: np.ndarray, shape: tuple[int, int]) -> list[str]:
    """A note when the source head is cut off by its photo's top, left or right edge and the
    straight cut lands inside the target picture, where it shows as a flat edge."""
    head = L.head_mask(src_lab)
    _, _, bw, bh = cv2.boundingRect(head.view(np.uint8))
    least = max(3, CUT_SHARE * max(bw, bh))
    w = head.shape[1]
    edges = {"top": (head[0], lambda i: (i, np.zeros_like(i))), "left": (head[:, 0], lambda i: (np.zeros_like(i), i)),
             "right": (head[:, -1], lambda i: (np.full_like(i, w - 1), i))}
    m = np.asarray(matrix, np.float64)
    cut = []
    for name, (line, points) in edges.items():
        where = np.flatnonzero(line)
        if len(where) < least:
            continue
        xs, ys = points(where)
        tx, ty = m[:, :2] @ np.stack([xs, ys]) + m[:, 2:]
        seen = (tx >= 2) & (tx < shape[1] - 2) & (ty >= 2) & (ty < shape[0] - 2)
        if seen.mean() > 0.5:
            cut.append(name)
    if not cut:
        return []
    return [(f"the source head is cut off by the {' and '.join(cut)} edge of its photo, and the new head shows "
             "that straight cut (a source photo with room around the head gives a whole head)")]


def other_people_notes(img: np.ndarray, labels: np.ndarray, name: str) -> list[str]:
    """A note when the photo shows other people's faces besides the one blended
    (:func:`changer.parsing.parser.other_faces`): one head is replaced, or taken."""
    others = other_faces(img, L.main_face_mask(labels))
    if not others:
        return []
    done = "only one person's head was replaced" if name == "target" else "one person's head was used"
    return [f"the {name} photo shows {others + 1} faces: {done} (crop the photo to the person you want)"]


def upscale_notes(window: Window, res: int, real_head: bool = False) -> list[str]:
    """A note when the head region is blended at well under its size and scaled up (with
    the real head, only what the network draws around it is)."""
    if window[2] <= 1.5 * res:
        return []
    if real_head:
        return [f"the head region ({window[2]} px) is filled at {res} px and scaled up: the neck and hair the "
                "network draws around the new head are softer than the photo"]
    return [f"the head region ({window[2]} px) is blended at {res} px and scaled up: "
            "the new head is softer than the photo"]


LIGHTNESS_NOTE_SHIFT = 25
"""A note tells the user when the face's lightness moves the face's middle gray by more than this."""


def lightness_notes(curve: np.ndarray | None) -> list[str]:
    """A note when matching the target's lighting visibly darkens or brightens the new face."""
    if curve is None:
        return []
    shift = int(curve[128]) - 128
    if abs(shift) <= LIGHTNESS_NOTE_SHIFT:
        return []
    way = "darkened" if shift < 0 else "brightened"
    note = f"the new face was {way} to match the target's lighting and skin tone (with the source as colour reference it keeps its own)"
    return [note]
