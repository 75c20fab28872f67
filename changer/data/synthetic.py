"""Synthetic talking-head frames with exact labels.

Used by the tests (which must not depend on ``../shared``), by benchmarks, and to write a
tiny dataset in the talking-heads layout. The pictures are simple cartoons (ellipse head,
hair cap, neck, shoulders) with smooth shading and texture, not photographs.
"""

from __future__ import annotations

import csv
from pathlib import Path

import cv2
import numpy as np
from PIL import Image

from changer import labels as L


def synthetic_person(
    size: int = 128,
    rng: np.random.Generator | None = None,
    long_hair: bool = False,
    background: tuple[int, int, int] | None = None,
) -> tuple[np.ndarray, np.ndarray]:
    """An ``(image, labels)`` pair: a person on a textured background (or a flat colour)."""
    rng = rng or np.random.default_rng(0)
    s = size / 128
    lab = np.zeros((size, size), np.uint8)
    cx = size / 2 + rng.uniform(-6, 6) * s
    cy = 52 * s + rng.uniform(-4, 4) * s
    ax, ay = rng.uniform(20, 26) * s, rng.uniform(26, 32) * s
    pt = lambda x, y: (int(round(x)), int(round(y)))  # noqa: E731
    # Body (shoulders) then neck, hair and face, each drawn over the previous one.
    shoulders = np.array(
        [pt(cx - 52 * s, size), pt(cx - 40 * s, cy + ay + 18 * s), pt(cx + 40 * s, cy + ay + 18 * s), pt(cx + 52 * s, size)]
    )
    cv2.fillPoly(lab, [shoulders], L.BODY)
    cv2.rectangle(lab, pt(cx - 10 * s, cy + ay * 0.6), pt(cx + 10 * s, cy + ay + 20 * s), L.NECK, -1)
    cv2.ellipse(lab, pt(cx, cy - 4 * s), pt(ax + 5 * s, ay + 4 * s), 0, 180, 360, L.HAIR, -1)
    if long_hair:
        cv2.rectangle(lab, pt(cx - ax - 6 * s, cy), pt(cx - ax + 4 * s, cy + ay + 30 * s), L.HAIR, -1)
        cv2.rectangle(lab, pt(cx + ax - 4 * s, cy), pt(cx + ax + 6 * s, cy + ay + 30 * s), L.HAIR, -1)
    cv2.ellipse(lab, pt(cx, cy), pt(ax, ay), 0, 0, 360, L.FACE, -1)

    colours = {
        L.BACKGROUND: rng.uniform(60, 200, 3),
        L.FACE: np.array([205, 160, 130]) + rng.uniform(-25, 25, 3),
        L.HAIR: rng.uniform(20, 90, 3),
        L.NECK: np.array([185, 140, 115]) + rng.uniform(-20, 20, 3),
        L.BODY: rng.uniform(30, 220, 3),
    }
    img = np.zeros((size, size, 3), np.float32)
    for cls, col in colours.items():
        img[lab == cls] = col
    if background is not None:
        img[lab == L.BACKGROUND] = background
    yy, xx = np.mgrid[0:size, 0:size].astype(np.float32) / size
    shade = 0.85 + 0.3 * (1 - yy) * (0.6 + 0.4 * np.cos(3 * xx))
    texture = cv2.GaussianBlur(rng.standard_normal((size, size)).astype(np.float32), (0, 0), 1.2 * s) * 12
    fg = lab != L.BACKGROUND if background is not None else np.ones_like(lab, bool)
    img[fg] = img[fg] * shade[fg, None] + texture[fg, None]
    # Eyes and mouth, so heads are not flat blobs.
    for dx in (-0.4, 0.4):
        cv2.circle(img, pt(cx + dx * ax, cy - 0.15 * ay), max(int(2.5 * s), 1), (40, 30, 30), -1)
    cv2.ellipse(img, pt(cx, cy + 0.45 * ay), pt(0.35 * ax, 0.08 * ay + 1), 0, 0, 360, (150, 60, 60), -1)
    return img.clip(0, 255).astype(np.uint8), lab


def write_synthetic_dataset(
    root: str | Path,
    splits: dict[str, int] | None = None,
    clips_per_identity: int = 1,
    frames_per_clip: int = 3,
    size: int = 64,
    seed: int = 0,
) -> Path:
    """Write a small dataset in the talking-heads layout; ``splits`` maps split -> identities."""
    root = Path(root)
    splits = splits or {"train": 2, "test_hdtf": 1}
    rng = np.random.default_rng(seed)
    rows = []
    for split, n_ids in splits.items():
        for i in range(n_ids):
            identity = f"{split}-person{i}"
            for c in range(clips_per_identity):
                clip = f"{identity}-clip{c}"
                (root / "frames" / clip).mkdir(parents=True, exist_ok=True)
                (root / "parsing" / clip).mkdir(parents=True, exist_ok=True)
                person_seed = int(rng.integers(2**31))
                for f in range(frames_per_clip):
                    frame_rng = np.random.default_rng([person_seed, f])
                    img, lab = synthetic_person(size, frame_rng, long_hair=bool(i % 2))
                    Image.fromarray(img).save(root / "frames" / clip / f"{3 * f:04d}.jpg", quality=95)
                    Image.fromarray(lab).save(root / "parsing" / clip / f"{3 * f:04d}.png")
                rows.append({"clip_id": clip, "identity": identity, "split": split})
    with (root / "manifest.csv").open("w", newline="") as fh:
        writer = csv.DictWriter(fh, fieldnames=["clip_id", "identity", "split"])
        writer.writeheader()
        writer.writerows(rows)
    return root
