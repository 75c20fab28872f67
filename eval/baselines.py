"""Non-learned baselines (DESIGN.md section 1, "Baselines"), all behind one interface.

Every baseline is a :class:`Baseline`: ``baseline(inputs) -> HxWx3 uint8`` for a
:class:`changer.inputs.BlendInputs`, the very record the learned models get. The baselines
never see the ground-truth colour: they colour the gray head from the colour reference with
:func:`colourize_head` (a global Lab colour transfer, no learning).

Registered baselines (:data:`BASELINES`, :func:`get_baseline`):

* ``paste``: the target (hole in the key colour) with the colourised head pasted on
  ``head_mask``.
* ``inpaint``: the hole filled by OpenCV Telea inpainting from the visible target, then the
  head pasted.
* ``poisson``: the colourised head cloned (``cv2.seamlessClone``, ``NORMAL_CLONE``) onto
  the Telea-inpainted target.
* ``laplacian``: Laplacian-pyramid blend of the colourised head onto the Telea-inpainted
  target with a feathered head mask.

Whatever a baseline does, :meth:`Baseline.__call__` copies the target back outside
``inputs.hole``, so pixels a method is not asked to produce are bit-exact.
"""

from __future__ import annotations

from abc import ABC, abstractmethod

import cv2
import numpy as np

from changer.inputs import BlendInputs

INPAINT_RADIUS = 5
"""Telea neighbourhood radius (pixels)."""

MATCH_LUMINANCE = False
"""Whether :func:`colourize_head` also matches the head's L mean/std to the reference.

Off: on 36 talking-heads test frames (self-reconstruction, reference = another frame of the
same clip) matching the luminance statistics lowered the head PSNR from 28.5 to 27.2 dB: the
gray head already
carries the target's own lighting, and the reference's head statistics differ (other pose,
other hair/face proportions).
"""


# --------------------------------------------------------------------------- colour


def _lab(img: np.ndarray) -> np.ndarray:
    """RGB uint8 -> OpenCV 8-bit Lab as float32 (L in 0..255, a/b offset by 128)."""
    return cv2.cvtColor(img, cv2.COLOR_RGB2LAB).astype(np.float32)


def _matched_luminance(lum: np.ndarray, head: np.ndarray, ref_lum: np.ndarray, ref: np.ndarray) -> np.ndarray:
    """``lum`` with its mean/std over ``head`` set to those of ``ref_lum`` over ``ref``."""
    mu, sd = lum[head].mean(), lum[head].std()
    ref_mu, ref_sd = ref_lum[ref].mean(), ref_lum[ref].std()
    return (lum - mu) * (ref_sd / max(float(sd), 1e-6)) + ref_mu


def colourize_head(inputs: BlendInputs, match_luminance: bool = MATCH_LUMINANCE) -> np.ndarray:
    """Colour the gray head from the colour reference, without learning.

    In OpenCV's Lab space: L from the gray head (optionally with its mean/std matched to the
    reference head's, see :data:`MATCH_LUMINANCE`), a/b constant and equal to the mean a/b
    of the reference's head pixels (``color_ref_mask``; neutral gray if that is empty).

    Returns ``HxWx3 uint8``, black outside ``head_mask``.
    """
    head = inputs.head_mask
    out = np.zeros_like(inputs.target)
    if not head.any():
        return out
    lum = _lab(inputs.head_gray)[..., 0]
    ref_lab = _lab(inputs.color_ref)
    ref = inputs.color_ref_mask
    if match_luminance and ref.any():
        lum = _matched_luminance(lum, head, ref_lab[..., 0], ref)
    ab = ref_lab[ref][:, 1:].mean(axis=0) if ref.any() else np.array([128.0, 128.0], np.float32)
    lab = np.empty((*lum.shape, 3), np.float32)
    lab[..., 0] = lum
    lab[..., 1:] = ab
    rgb = cv2.cvtColor(np.clip(np.rint(lab), 0, 255).astype(np.uint8), cv2.COLOR_LAB2RGB)
    out[head] = rgb[head]
    return out


# --------------------------------------------------------------------------- building blocks


def paste(background: np.ndarray, head: np.ndarray, mask: np.ndarray) -> np.ndarray:
    """``background`` with ``head`` copied in on ``mask``."""
    out = background.copy()
    out[mask] = head[mask]
    return out


def inpaint_hole(inputs: BlendInputs) -> np.ndarray:
    """The target with the whole hole (also under the head) Telea-inpainted.

    The fill grows from the visible target only: the key colour the hole is painted in is
    never a source, and neither is the head (see :class:`InpaintBaseline` for why).
    """
    if not inputs.hole.any():
        return inputs.target.copy()
    return cv2.inpaint(inputs.target, inputs.hole.astype(np.uint8), INPAINT_RADIUS, cv2.INPAINT_TELEA)


def _bbox(mask: np.ndarray) -> tuple[int, int, int, int]:
    """``(x, y, w, h)`` of a non-empty mask."""
    ys, xs = np.nonzero(mask)
    return int(xs.min()), int(ys.min()), int(xs.max() - xs.min() + 1), int(ys.max() - ys.min() + 1)


def poisson_clone(src: np.ndarray, dst: np.ndarray, mask: np.ndarray, pad: int = 16) -> np.ndarray:
    """``cv2.seamlessClone(NORMAL_CLONE)`` of ``src`` onto ``dst`` on ``mask`` (a new image).

    ``src`` and ``dst`` are aligned (same size): the clone lands where the mask is. OpenCV
    fails or shifts the result when the mask's box touches the image edge, so all three are
    padded by edge replication and the result is cropped back. The mask is replicated too
    (all but its outer 2 pixels): a head cut by the image edge then has its boundary
    condition out in the padding, where the replicated ``src`` has no gradient across the
    edge, instead of being pinned to ``dst`` along the edge. Pixels outside ``mask`` keep
    ``dst``'s values.
    """
    if pad < 4:
        raise ValueError("pad must be at least 4 pixels")
    if not mask.any():
        return dst.copy()
    border = dict(top=pad, bottom=pad, left=pad, right=pad, borderType=cv2.BORDER_REPLICATE)
    src_p, dst_p = cv2.copyMakeBorder(src, **border), cv2.copyMakeBorder(dst, **border)
    mask_p = np.pad(mask, pad, mode="edge").astype(np.uint8) * 255
    mask_p[:2], mask_p[-2:], mask_p[:, :2], mask_p[:, -2:] = 0, 0, 0, 0
    x, y, w, h = _bbox(mask_p > 0)
    # OpenCV places the mask's box at ``centre - (w // 2, h // 2)``; this centre keeps it put.
    centre = (x + w // 2, y + h // 2)
    cloned = cv2.seamlessClone(src_p, dst_p, mask_p, centre, cv2.NORMAL_CLONE)
    cloned = cloned[pad:-pad, pad:-pad]
    return paste(dst, cloned, mask)


def _gaussian_pyramid(img: np.ndarray, levels: int) -> list[np.ndarray]:
    pyr = [img]
    for _ in range(levels):
        pyr.append(cv2.pyrDown(pyr[-1]))
    return pyr


def _up(img: np.ndarray, like: np.ndarray) -> np.ndarray:
    """``pyrUp`` to exactly ``like``'s size (handles odd sizes)."""
    return cv2.pyrUp(img, dstsize=(like.shape[1], like.shape[0]))


def _laplacian_pyramid(img: np.ndarray, levels: int) -> list[np.ndarray]:
    gauss = _gaussian_pyramid(img, levels)
    return [g - _up(gauss[i + 1], g) for i, g in enumerate(gauss[:-1])] + [gauss[-1]]


def pyramid_levels(shape: tuple[int, ...], max_levels: int = 5, min_side: int = 8) -> int:
    """How many ``pyrDown`` steps keep the smallest level at least ``min_side`` pixels."""
    side = min(shape[:2])
    levels = 0
    while levels < max_levels and (side + 1) // 2 >= min_side:
        side = (side + 1) // 2
        levels += 1
    return levels


def laplacian_blend(fg: np.ndarray, bg: np.ndarray, alpha: np.ndarray, max_levels: int = 5) -> np.ndarray:
    """Multi-band blend ``alpha * fg + (1 - alpha) * bg`` (Burt & Adelson).

    Each Laplacian level of ``fg``/``bg`` is mixed with the Gaussian level of ``alpha``
    (``HxW`` float in ``[0, 1]``), then the pyramid is collapsed. Any size works:
    ``pyrUp`` is always given the size of the finer level.
    """
    levels = pyramid_levels(fg.shape, max_levels)
    lap_fg = _laplacian_pyramid(fg.astype(np.float32), levels)
    lap_bg = _laplacian_pyramid(bg.astype(np.float32), levels)
    weights = _gaussian_pyramid(alpha.astype(np.float32), levels)
    mixed = [w[..., None] * f + (1 - w[..., None]) * b for f, b, w in zip(lap_fg, lap_bg, weights)]
    out = mixed[-1]
    for level in reversed(mixed[:-1]):
        out = _up(out, level) + level
    return np.clip(np.rint(out), 0, 255).astype(np.uint8)


def feathered_mask(mask: np.ndarray, sigma: float) -> np.ndarray:
    """``mask`` as float with Gaussian-blurred edges (``sigma`` in pixels)."""
    alpha = mask.astype(np.float32)
    return cv2.GaussianBlur(alpha, (0, 0), sigma) if sigma > 0 else alpha


# --------------------------------------------------------------------------- interface


def _check_inputs(inputs: BlendInputs) -> None:
    h, w = inputs.size
    if inputs.target.dtype != np.uint8 or inputs.target.shape != (h, w, 3):
        raise ValueError(f"target must be HxWx3 uint8, got {inputs.target.shape} {inputs.target.dtype}")
    for name in ("head_gray", "color_ref"):
        img = getattr(inputs, name)
        if img.dtype != np.uint8 or img.shape != (h, w, 3):
            raise ValueError(f"{name} must be {h}x{w}x3 uint8, got {img.shape} {img.dtype}")
    for name in ("hole", "head_mask", "color_ref_mask"):
        mask = getattr(inputs, name)
        if mask.dtype != bool or mask.shape != (h, w):
            raise ValueError(f"{name} must be an {h}x{w} bool mask, got {mask.shape} {mask.dtype}")


class Baseline(ABC):
    """A non-learned blending method: ``BlendInputs -> HxWx3 uint8`` of the target's size.

    Subclasses implement :meth:`blend`; :meth:`__call__` validates and enforces the common
    contract (size, dtype, target unchanged outside the hole).
    """

    name: str = ""

    def __call__(self, inputs: BlendInputs) -> np.ndarray:
        _check_inputs(inputs)
        out = np.array(self.blend(inputs), copy=True)
        if out.shape != inputs.target.shape or out.dtype != np.uint8:
            raise RuntimeError(
                f"{self.name}: produced {out.shape} {out.dtype}, expected {inputs.target.shape} uint8"
            )
        keep = ~inputs.hole
        out[keep] = inputs.target[keep]
        return out

    @abstractmethod
    def blend(self, inputs: BlendInputs) -> np.ndarray:
        """The method itself (the hole contract is enforced by the caller)."""

    def __repr__(self) -> str:
        return f"{type(self).__name__}(name={self.name!r})"


class PasteBaseline(Baseline):
    """Naive paste: the colourised head on the target, the rest of the hole left as key."""

    name = "paste"

    def blend(self, inputs: BlendInputs) -> np.ndarray:
        return paste(inputs.target, colourize_head(inputs), inputs.head_mask)


class InpaintBaseline(Baseline):
    """Telea inpainting of the hole, then the colourised head pasted.

    The whole hole (also under the head) is inpainted from the visible target alone. Using
    the pasted head as a source too (inpainting only ``hole & ~head_mask``) smeared head
    colours into the neck and background: on 36 talking-heads test frames whole-image PSNR
    dropped from 20.6 to 19.2 dB.
    """

    name = "inpaint"

    def blend(self, inputs: BlendInputs) -> np.ndarray:
        return paste(inpaint_hole(inputs), colourize_head(inputs), inputs.head_mask)


class PoissonBaseline(Baseline):
    """Poisson (gradient-domain) clone of the colourised head onto the inpainted target.

    The destination is the target with the whole hole Telea-inpainted (as in ``inpaint``),
    which is a better boundary than the flat key colour. Poisson blending keeps the head's
    gradients and takes its absolute colours from that boundary, so it shifts the head
    towards the colours around it (key colour, neck, body): this baseline scores well below
    ``inpaint`` (about 12.6 vs 20.6 dB whole-image PSNR on 36 talking-heads test frames;
    11.2 dB with the key colour as boundary). Cloning onto a destination that already holds
    the pasted head would be a no-op, not Poisson blending.
    """

    name = "poisson"

    def blend(self, inputs: BlendInputs) -> np.ndarray:
        return poisson_clone(colourize_head(inputs), inpaint_hole(inputs), inputs.head_mask)


class LaplacianBaseline(Baseline):
    """Laplacian-pyramid blend of the colourised head onto the inpainted target.

    Background: the target with the whole hole Telea-inpainted (as in ``inpaint``).
    Foreground: the same picture with the head pasted, so both agree away from the head and
    the blend only softens the head's outline. Weight: the head mask feathered by ``sigma``
    pixels. ``sigma=1`` and 3 levels gave the best PSNR on 36 talking-heads test frames
    (more levels spread coarse halos around the head: SSIM 0.866 at 2 levels, 0.848 at 4).
    """

    name = "laplacian"

    def __init__(self, sigma: float = 1.0, max_levels: int = 3) -> None:
        self.sigma = sigma
        self.max_levels = max_levels

    def blend(self, inputs: BlendInputs) -> np.ndarray:
        bg = inpaint_hole(inputs)
        fg = paste(bg, colourize_head(inputs), inputs.head_mask)
        alpha = feathered_mask(inputs.head_mask, self.sigma)
        return laplacian_blend(fg, bg, alpha, self.max_levels)


BASELINES: dict[str, Baseline] = {
    b.name: b for b in (PasteBaseline(), PoissonBaseline(), InpaintBaseline(), LaplacianBaseline())
}
"""The registered baselines by name."""


def get_baseline(name: str) -> Baseline:
    """The registered baseline called ``name`` (``KeyError`` listing the known names)."""
    try:
        return BASELINES[name]
    except KeyError:
        raise KeyError(f"unknown baseline {name!r}; known: {sorted(BASELINES)}") from None
