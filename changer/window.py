"""The working window: the square around the target's head that the blender works on.

:func:`working_window` places it (the target head, its neck and the aligned source head fit,
with the hole margin and feather to spare); :func:`window_matrix` maps target pixels into it;
:func:`crop_square` and :func:`resize` cut a picture to it and bring it to the working
resolution; :func:`region` is its part of the picture (a window may reach outside)."""

from __future__ import annotations

import cv2
import numpy as np

from changer import labels as L
from changer.data.augment import mask_box
from changer.data.sample import SampleConfig

HOLE_MARGIN = float(np.mean(SampleConfig().hole_margin))
"""Dilation of the removed region, as a fraction of the window side (training's mean)."""

HEAD_CENTRE_Y = 0.42
"""Where the target head's centre sits in the window (fraction of the side from the top),
as in the talking-heads training frames."""

Window = tuple[int, int, int]
"""``(x0, y0, side)`` of the square working window in target pixels (may reach outside)."""


def working_window(tgt_lab: np.ndarray, src_lab: np.ndarray, matrix: np.ndarray, context: float) -> Window:
    """The square window ``(x0, y0, side)`` that holds target head, neck and aligned source head.

    Side: at least ``context`` times the target head size and large enough that everything
    to regenerate fits with the hole margin and feather to spare. The target head's centre
    sits at :data:`HEAD_CENTRE_Y`; the window is shifted inside the image where it fits.
    """
    h, w = tgt_lab.shape
    head = mask_box(L.head_mask(tgt_lab))
    assert head is not None
    hx0, hy0, hx1, hy1 = head
    size = max(hx1 - hx0, hy1 - hy0)
    boxes = [head, warped_box(mask_box(L.head_mask(src_lab)), matrix)]
    neck = mask_box(tgt_lab == L.NECK)
    if neck is not None:  # long necks/necklines: keep only the part near the chin
        boxes.append((neck[0], neck[1], neck[2], min(neck[3], int(hy1 + 0.75 * size))))
    ux0, uy0 = min(b[0] for b in boxes), min(b[1] for b in boxes)
    ux1, uy1 = max(b[2] for b in boxes), max(b[3] for b in boxes)
    spare = 2 * (HOLE_MARGIN + 0.04)
    side = int(np.ceil(max(context * size, (ux1 - ux0) / (1 - spare), (uy1 - uy0) / (1 - spare))))
    m = spare / 2 * side
    x0 = _place((hx0 + hx1) / 2 - side / 2, ux0 - m, ux1 + m, side, w)
    y0 = _place((hy0 + hy1) / 2 - HEAD_CENTRE_Y * side, uy0 - m, uy1 + m, side, h)
    return x0, y0, side


def _place(start: float, lo: float, hi: float, side: int, limit: int) -> int:
    """Window start: near ``start``, covering ``[lo, hi]``, inside ``[0, limit]`` where it fits."""
    start = min(max(start, hi - side), lo)
    if side <= limit:
        start = min(max(start, 0), limit - side)
    return int(round(start))


def warped_box(box: tuple[int, int, int, int] | None, matrix: np.ndarray) -> tuple[int, int, int, int]:
    """Bounding box of a box's corners under a 2x3 matrix."""
    assert box is not None
    x0, y0, x1, y1 = box
    pts = np.array([[x0, y0, 1], [x1, y0, 1], [x0, y1, 1], [x1, y1, 1]], np.float64) @ np.asarray(matrix).T
    return (int(np.floor(pts[:, 0].min())), int(np.floor(pts[:, 1].min())),
            int(np.ceil(pts[:, 0].max())), int(np.ceil(pts[:, 1].max())))


def window_matrix(window: Window, res: int) -> np.ndarray:
    """2x3 map from target pixels to window pixels (``cv2.resize``'s pixel-centre convention)."""
    x0, y0, side = window
    k = res / side
    return np.array([[k, 0, (0.5 - x0) * k - 0.5], [0, k, (0.5 - y0) * k - 0.5]], np.float64)


def compose(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """``a ∘ b`` of two 2x3 affine matrices."""
    return (np.vstack([a, [0, 0, 1]]) @ np.vstack([b, [0, 0, 1]]))[:2]


def crop_square(arr: np.ndarray, window: Window) -> np.ndarray:
    """The window of ``arr`` (``side x side``), edge-replicated where it leaves the image."""
    x0, y0, side = window
    h, w = arr.shape[:2]
    cx0, cy0, cx1, cy1 = max(x0, 0), max(y0, 0), min(x0 + side, w), min(y0 + side, h)
    part = arr[cy0:cy1, cx0:cx1]
    pads = (cy0 - y0, y0 + side - cy1, cx0 - x0, x0 + side - cx1)
    if not any(pads):
        return part.copy()
    return cv2.copyMakeBorder(part, *pads, borderType=cv2.BORDER_REPLICATE)


def resize(arr: np.ndarray, size: int, kind: str) -> np.ndarray:
    """Square resize: ``"image"`` area/cubic, ``"labels"`` nearest, ``"float"`` area/linear."""
    if arr.shape[0] == size and arr.shape[1] == size:
        return arr
    shrink = arr.shape[0] > size
    interp = {"image": cv2.INTER_AREA if shrink else cv2.INTER_CUBIC, "labels": cv2.INTER_NEAREST,
              "float": cv2.INTER_AREA if shrink else cv2.INTER_LINEAR}[kind]
    return cv2.resize(arr, (size, size), interpolation=interp)


def region(window: Window, shape: tuple[int, int]) -> tuple[slice, slice, slice, slice]:
    """``(rows, cols)`` of the window inside the image, and the matching slices of the window."""
    x0, y0, side = window
    h, w = shape
    cx0, cy0, cx1, cy1 = max(x0, 0), max(y0, 0), min(x0 + side, w), min(y0 + side, h)
    return slice(cy0, cy1), slice(cx0, cx1), slice(cy0 - y0, cy1 - y0), slice(cx0 - x0, cx1 - x0)
