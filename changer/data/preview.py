"""A contact sheet of blend samples, so a person can check the construction by eye."""

from __future__ import annotations

from collections.abc import Sequence

import cv2
import numpy as np

from changer import labels as L
from changer.inputs import Sample

COLUMNS = ("target T", "labels", "hole + H2", "input X", "colour ref C", "body ref B", "ground truth")


MIN_CAPTION_SCALE = 0.1
"""Captions are not set smaller than this OpenCV font scale (about 3 px letters): past it a
tile too narrow for its caption shows the caption's start."""


def label_tile(img: np.ndarray, text: str) -> np.ndarray:
    """``img`` with a caption bar on top; a caption too long for the tile is set smaller."""
    h, w = img.shape[:2]
    bar = np.full((max(h // 12, 14), w, 3), 255, np.uint8)
    scale = bar.shape[0] / 30
    room = max(w - 6, 1)
    for _ in range(12):  # text width is not proportional to the scale (a 1 px stroke at any size)
        width = cv2.getTextSize(text, cv2.FONT_HERSHEY_SIMPLEX, scale, 1)[0][0]
        if width <= room or scale <= MIN_CAPTION_SCALE:
            break
        scale = max(MIN_CAPTION_SCALE, scale * 0.95 * room / width)
    cv2.putText(bar, text, (3, int(bar.shape[0] * 0.75)), cv2.FONT_HERSHEY_SIMPLEX, scale, (0, 0, 0), 1, cv2.LINE_AA)
    return np.vstack([bar, img])


def hole_overlay(sample: Sample) -> np.ndarray:
    """The original frame, the hole tinted red, H² head outline in yellow, long hair in cyan."""
    out = original_frame(sample).astype(np.float32)
    hole = sample.inputs.hole
    out[hole] = 0.5 * out[hole] + 0.5 * np.array([255, 0, 0])
    for name, colour in (("head_h2", (255, 255, 0)), ("long_hair", (0, 255, 255)), ("head", (255, 255, 255))):
        mask = sample.extras.get(name)
        if mask is not None and mask.any():
            contours, _ = cv2.findContours(mask.astype(np.uint8), cv2.RETR_EXTERNAL, cv2.CHAIN_APPROX_NONE)
            cv2.drawContours(out, contours, -1, colour, 1)
    return out.clip(0, 255).astype(np.uint8)


def original_frame(sample: Sample) -> np.ndarray:
    """The frame the sample was built from (the ground truth if it was not kept)."""
    return sample.extras.get("frame", sample.gt)


def sample_row(sample: Sample) -> list[np.ndarray]:
    """The tiles of one sample, in :data:`COLUMNS` order."""
    inp = sample.inputs
    return [
        original_frame(sample),
        L.colorize(sample.labels),
        hole_overlay(sample),
        inp.composed_input(),
        inp.color_ref,
        inp.body_ref,
        sample.gt,
    ]


def preview_grid(samples: Sequence[Sample]) -> np.ndarray:
    """One row per sample, captioned columns (see :data:`COLUMNS`); the first caption is the frame id."""
    rows = []
    for sample in samples:
        tiles = sample_row(sample)
        names = [sample.frame_id or COLUMNS[0], *COLUMNS[1:]]
        rows.append(np.hstack([label_tile(t, n) for t, n in zip(tiles, names, strict=True)]))
    return np.vstack(rows)
