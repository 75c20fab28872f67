"""Make a green-screen example target from a portrait: the person cut out with an alpha
matte (parser labels -> trimap -> pymatting's closed-form matting) and put on the chroma
green the models work on.

    python scripts/make_green_example.py examples/portraits/art_5.jpg examples/portraits/art_5_green.png

A chroma-key photo is what CHANGER is built for; the example portraits have none, so the
panel and the app's examples get one this way (rerun it when the parser changes).
"""

from __future__ import annotations

import sys

import cv2
import numpy as np
from PIL import Image
from scipy.ndimage import binary_fill_holes
from pymatting import estimate_alpha_cf, estimate_foreground_ml

from changer import labels as L
from changer.inputs import DEFAULT_KEY_COLOR
from changer.parsing import get_parser

BAND = 0.03
"""Half-width of the trimap's unknown band, as a share of the picture's longer side."""


def main(src: str, out: str) -> int:
    rgb = np.asarray(Image.open(src).convert("RGB"))
    labels = get_parser().parse(rgb).labels
    r = max(2, round(BAND * max(rgb.shape[:2])))
    kernel = cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (2 * r + 1, 2 * r + 1))
    # the parser leaves gaps in hair: close them and fill what the person encloses
    person = cv2.morphologyEx(L.foreground_mask(labels).astype(np.uint8), cv2.MORPH_CLOSE, kernel)
    person = binary_fill_holes(person).astype(np.uint8)
    sure_fg, maybe = cv2.erode(person, kernel), cv2.dilate(person, kernel)
    trimap = np.where(sure_fg > 0, 1.0, np.where(maybe > 0, 0.5, 0.0))
    image = rgb.astype(np.float64) / 255.0
    alpha = np.clip(estimate_alpha_cf(image, trimap), 0, 1)
    fg = estimate_foreground_ml(image, alpha)
    key = np.asarray(DEFAULT_KEY_COLOR, np.float64) / 255.0
    comp = alpha[..., None] * fg + (1 - alpha[..., None]) * key
    Image.fromarray(np.clip(np.rint(comp * 255), 0, 255).astype(np.uint8)).save(out)
    print(f"wrote {out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(*sys.argv[1:3]))
