"""Steps g–i of a blend: the blender's output keyed into a person layer in the working window
(:func:`key_output`), brought to full resolution and composited onto the chosen background
inside the paste weight (:func:`assemble`)."""

from __future__ import annotations

import cv2
import numpy as np

from changer import chroma, head_layer
from changer import labels as L
from changer.background import paste_original
from changer.blend_options import BlendOptions, BlendResult
from changer.chroma import is_grayscale
from changer.data.sample import to_gray
from changer.feather import mix, paste_weight
from changer.inputs import RGB, BlendInputs
from changer.neck import tint_neck
from changer.person_layer import Crop, Layer, unmix
from changer.real_head import clear_old_head, lay_head, match_fill
from changer.seam import mend_head_seam
from changer.window import Window, region, resize


def key_output(
    raw: np.ndarray, inputs: BlendInputs, key: RGB, opts: BlendOptions, chroma_setting: bool,
    neck_face: tuple[np.ndarray, np.ndarray] | None = None, real_head: tuple[head_layer.HeadLayer, Crop] | None = None,
) -> tuple[np.ndarray, np.ndarray]:
    """Step g: ``(fg, alpha)`` of the new person in the working window, keyed from the
    blender's output on the working ``key`` (alpha matte, spill removed), its repairs made and
    its outline anti-aliased (:func:`changer.chroma.soften_edges`); a model without chroma
    key (``chroma_setting`` False) gives an opaque window as it drew it.

    ``neck_face``: the source's neck and face masks carried into the window, for
    :func:`changer.neck.tint_neck`. ``real_head``: (the real head's layer in the window, the
    target's window crop): the old head is cleared from the matte and the network's fill is
    colour-matched to the real pixels around it; without it, the seam around the network's
    pasted head is mended (:func:`changer.seam.mend_head_seam`) and its neck tinted."""
    if not chroma_setting:
        return raw, np.ones(raw.shape[:2], np.float32)
    alpha_w = chroma.alpha_matte(raw, key)
    fg_w = unmix(raw, alpha_w, key)
    if real_head is not None:
        alpha_w = clear_old_head(alpha_w, real_head[1], real_head[0])
        fg_w = match_fill(fg_w, alpha_w, inputs, *real_head)
    elif opts.mend_seam:
        fg_w = mend_head_seam(fg_w, alpha_w, inputs.head_mask, opts.seam_line_level)
    if neck_face is not None and real_head is None:
        person, head = alpha_w > 0.5, inputs.head_mask
        fg_w = tint_neck(fg_w, neck_face[0] & inputs.hole & ~head & person, neck_face[1] & head & person,
                         opts.neck_tint)
    return chroma.soften_edges(fg_w, alpha_w, opts.edge_softness)


def assemble(
    tgt: np.ndarray, tgt_lab: np.ndarray, layer: Layer, person: tuple[np.ndarray, np.ndarray], raw: np.ndarray,
    inputs: BlendInputs, window: Window, bg: np.ndarray | None, opts: BlendOptions, method: str, notes: list[str],
    out_key: RGB, real_head: tuple[head_layer.HeadLayer, np.ndarray] | None = None,
) -> BlendResult:
    """Steps h–i: the new person in the window (``person``: ``(fg, alpha)`` of
    :func:`key_output`) brought to full resolution and composited (the foreground and the key
    background on ``out_key``).

    ``real_head``: (the source's head layer, its matrix into the target): the person is
    pasted with a fade that lies inside the hole, and the real head is laid on top at full
    resolution."""
    fg_w, alpha_w = person
    h, w = tgt.shape[:2]
    side = window[2]
    rows, cols, wr, wc = region(window, (h, w))
    gray = person_is_grayscale(tgt[rows, cols], layer.alpha[rows, cols])
    if gray:  # the network colours every head
        fg_w = to_gray(fg_w)
        notes.append("the target is a black-and-white photo: so is the new head")
    hole_side = resize(inputs.hole.astype(np.float32), side, "float") > 0.5
    weight = paste_weight(hole_side, window, (h, w), opts.feather, inside=real_head is not None)
    gen_fg = resize(fg_w, side, "image")[wr, wc]
    gen_alpha = np.clip(resize(alpha_w, side, "float")[wr, wc], 0.0, 1.0)

    alpha = layer.alpha.copy()
    fg = layer.fg.copy()
    alpha[rows, cols] = np.clip(mix(gen_alpha, alpha[rows, cols], weight), 0.0, 1.0)
    fg[rows, cols] = mix(gen_fg, fg[rows, cols], weight)
    new_head = None
    if real_head is not None:
        new_head = np.zeros((h, w), bool)
        new_head[rows, cols] = lay_head(fg, alpha, real_head[0], real_head[1], weight, rows, cols, gray) > 0.5

    if opts.output_background == "original":
        image = paste_original(tgt, layer, fg, alpha, weight, rows, cols, side, opts.background_margin)
    elif opts.output_background == "key":
        image = chroma.composite(fg, alpha, out_key)
    else:
        assert bg is not None
        image = chroma.composite(fg, alpha, _cover(bg, (h, w)))
    paste = np.zeros((h, w), np.float32)
    paste[rows, cols] = weight
    return BlendResult(
        image=image, foreground=chroma.composite(fg, alpha, out_key), alpha=alpha,
        masks=_full_masks(inputs, tgt_lab, window, (h, w), paste, hole_side, new_head), inputs=inputs,
        method=method, notes=notes, raw=raw, window=window, key_color=out_key, paste_weight=paste, original=tgt,
    )


def person_is_grayscale(region: np.ndarray, alpha: np.ndarray, step: int = 2) -> bool:
    """Whether the person in the window (``alpha > 0.5``; the whole window when that is
    almost empty) is black and white. A colour person in a gray scene is not; a gray photo
    with a coloured caption elsewhere is. Every ``step``-th pixel is enough."""
    region, alpha = region[::step, ::step], alpha[::step, ::step]
    person = region[alpha > 0.5]
    return is_grayscale(person if len(person) >= 64 else region.reshape(-1, 3))


def _cover(img: np.ndarray, shape: tuple[int, int]) -> np.ndarray:
    """``img`` resized to cover ``(H, W)`` and centre-cropped (no distortion)."""
    h, w = shape
    k = max(h / img.shape[0], w / img.shape[1])
    size = (max(w, round(img.shape[1] * k)), max(h, round(img.shape[0] * k)))
    interp = cv2.INTER_AREA if k < 1 else cv2.INTER_CUBIC
    big = cv2.resize(img, size, interpolation=interp)
    y, x = (big.shape[0] - h) // 2, (big.shape[1] - w) // 2
    return big[y : y + h, x : x + w]


def _full_masks(
    inputs: BlendInputs, tgt_lab: np.ndarray, window: Window, shape: tuple[int, int],
    paste: np.ndarray, hole_side: np.ndarray, new_head: np.ndarray | None = None,
) -> dict[str, np.ndarray]:
    """Full-resolution boolean masks of the blend (see :class:`BlendResult`)."""
    rows, cols, wr, wc = region(window, shape)

    def full(mask_side: np.ndarray) -> np.ndarray:
        out = np.zeros(shape, bool)
        out[rows, cols] = mask_side[wr, wc]
        return out

    source_side = resize(inputs.head_mask.astype(np.float32), window[2], "float") > 0.5
    source_head = full(source_side)
    return {
        "source_head": source_head,
        "new_head": source_head if new_head is None else new_head,
        "target_head": L.head_mask(tgt_lab),
        "target_neck": tgt_lab == L.NECK,
        "target_body": tgt_lab == L.BODY,
        "hole": full(hole_side),
        "blend_region": paste > 0,
    }
