"""Colour-matching the network's fill to the real pixels beside it (changer.fill_color)."""

from __future__ import annotations

import numpy as np

from changer.fill_color import correct_fill


def test_a_fill_too_dark_by_a_constant_is_brought_to_the_real_pixels_beside_it() -> None:
    h = w = 64
    real = np.full((h, w, 3), (180, 140, 120), np.uint8)
    real_mask = np.zeros((h, w), bool)
    real_mask[:, :20] = True  # the kept body on the left
    region = np.zeros((h, w), bool)
    region[:, 20:44] = True  # what the network drew
    fg = real.copy()
    fg[region] = (150, 110, 90)  # 30 levels too dark
    out = correct_fill(fg, region, real, real_mask)
    near = out[:, 20:26].reshape(-1, 3).astype(int)
    assert np.abs(near - (180, 140, 120)).max() <= 3  # matched along the border
    np.testing.assert_array_equal(out[~region], fg[~region])  # nothing else moves
    assert (out[:, 40:44].astype(int) >= fg[:, 40:44].astype(int)).all()  # further in, moved the same way or less


def test_no_real_pixels_beside_it_leaves_the_fill_as_drawn() -> None:
    fg = np.full((32, 32, 3), 100, np.uint8)
    region = np.zeros((32, 32), bool)
    region[10:20, 10:20] = True
    np.testing.assert_array_equal(correct_fill(fg, region, fg, np.zeros((32, 32), bool)), fg)
