"""Black bars along a picture's edges (letterboxing of a video still, a thin scan border).

The head parser labels a black bar that touches dark hair as hair, so a letterboxed source
photo's head was pasted with a black slab on top of it. :func:`find_bars` finds rows and
columns, from each edge inwards, that are black and flat all the way across, which no
photographed scene is: dark hair or a dark backdrop has texture and highlights (on the
talking-heads frames it finds the letterbox of one film still and a 2-pixel border, and
not the very dark backdrop of a stage talk). A bar must end where the picture begins across
most of the line: a person on a pure black studio backdrop has no bars (cropping the
backdrop would cut the picture at the hair).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

BLACK = 20
"""A bar's lines have 99% of their pixels at most this bright (brightest channel, 0..255)."""

FLAT = 3.0
"""... and vary by at most this much (standard deviation, gray levels): JPEG noise, no texture."""

MOST = 0.35
"""Bars take at most this share of the picture's height (or width) on each side."""


@dataclass(frozen=True)
class Bars:
    """Thickness in pixels of the black bar along each edge (0 = none)."""

    top: int = 0
    bottom: int = 0
    left: int = 0
    right: int = 0

    def __bool__(self) -> bool:
        return any((self.top, self.bottom, self.left, self.right))

    def crop(self, img: np.ndarray) -> np.ndarray:
        """``img`` without the bars."""
        h, w = img.shape[:2]
        return img[self.top:h - self.bottom, self.left:w - self.right]


EDGE_LINES = 2
"""A bar's last lines may be noisier (JPEG ringing where the picture begins): up to this many
more black lines count with twice :data:`FLAT`."""


def _is_bar_line(line: np.ndarray, flat: float = FLAT) -> bool:
    """Whether one row or column (``N`` or ``Nx3``) is black and flat."""
    values = (line.max(axis=-1) if line.ndim == 2 else line).astype(np.float32)
    return bool(np.percentile(values, 99) <= BLACK and values.std() <= flat)


def _run(lines: np.ndarray, limit: float) -> int:
    """How many of ``lines`` (first axis), from the first on, are black and flat (0 below
    two); only the lines up to the first that is not are looked at (a 12 MP photo costs
    milliseconds)."""
    most = min(limit, len(lines))
    count = 0
    while count < most and _is_bar_line(lines[count]):
        count += 1
    if count < 2:  # a single dark line is no bar
        return 0
    edge = 0
    while edge < EDGE_LINES and count < most and _is_bar_line(lines[count], 2 * FLAT):
        count += 1
        edge += 1
    if count < len(lines) and not _picture_begins(lines[count:count + 3]):
        return 0  # a black backdrop around a person, not a bar: cropping it would cut at the hair
    return count


def _picture_begins(lines: np.ndarray) -> bool:
    """Whether, within the (up to three) lines after a bar, one is mostly picture (more than
    half of it brighter than black), as where a letterbox ends (a film's dark scene may take a
    line or two to get there); beside a black studio backdrop only the person is."""
    values = lines.max(axis=-1) if lines.ndim == 3 else lines
    return bool((np.median(values, axis=-1) > BLACK).any())


def find_bars(img: np.ndarray, min_side: int = 64) -> Bars:
    """The black bars along the edges of ``img`` (``HxWx3`` or ``HxW`` ``uint8``).

    A side's bar counts from 2 pixels on, is at most :data:`MOST` of the picture, and bars
    are only reported when what is left is at least ``min_side`` on each side.
    """
    h, w = img.shape[:2]
    across = img.swapaxes(0, 1)
    sides = (
        _run(img, MOST * h), _run(img[::-1], MOST * h), _run(across, MOST * w), _run(across[::-1], MOST * w),
    )
    bars = Bars(*sides)
    if h - bars.top - bars.bottom < min_side or w - bars.left - bars.right < min_side:
        return Bars()
    return bars
