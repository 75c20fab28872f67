"""Chroma keying: find the key colour, pull a soft alpha matte, remove spill, composite.

CHANGER produces the whole foreground on a uniform key colour and adds the real
background afterwards by ordinary chroma keying, so the background can never carry
blending artifacts. This module is that last step, and the first one for targets that
already stand in front of a green or blue screen.

Two keyers share one soft ramp (``inner``/``outer``, see :func:`alpha_matte`):

* **green and blue keys** use the classic colour-difference keyer: the *key strength* of a
  pixel is how much its key channel exceeds the larger of the other two (``G - max(R, B)``
  for green), relative to the same quantity of the key. Hair, skin, yellow and cyan all
  fall to zero or below, which a plain colour distance cannot achieve for cyan.
* **any other key** uses the distance from the key in the chroma plane of YCrCb,
  normalised by the key's own distance from grey.

Both quantities are (nearly) linear in the pixel colour, so a pixel that is a mix
``a * F + (1 - a) * K`` gets a key strength close to ``1 - a``: soft edges stay soft.
Screens are never lit evenly; the key's reference value is therefore estimated *locally*
from the surrounding background pixels, so shading and gradients on the screen do not
leak into the matte. The ramp is only exact for grey foregrounds, so the soft edge is then
solved again from the colours of the nearby sure foreground and sure key, and
:func:`key_out` removes the key's share from edge pixels before despilling, so that a
composite onto a new background shows no key-coloured fringe.

All images are RGB ``uint8`` arrays of shape ``H x W x 3``; mattes are ``float32``
``H x W`` in ``[0, 1]`` with 1 for foreground.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

import cv2
import numpy as np

RGB = tuple[int, int, int]
KeyName = Literal["green", "blue", "other"]

_KEY_CHANNELS: dict[KeyName, int] = {"green": 1, "blue": 2}
"""Key channel (index into RGB) of the keys handled by the colour-difference keyer."""

_MIN_KEY_MARGIN = 40.0
"""How far (out of 255) the key channel must exceed both other channels for a colour to
count as a green or blue key."""

_MIN_KEY_DOMINANCE = 0.4
"""The same margin relative to the key channel (a saturation): pale or greyish backdrops
such as a light-blue studio wall fail it. A dark blue jacket in front of such a wall would
come out half transparent, so these are not treated as keys."""

_YCRCB_CHROMA = np.array(
    # Rows: Cr, Cb of ITU-R BT.601 (what OpenCV's YCrCb uses), without the +128 offset.
    [[0.500, -0.419, -0.081], [-0.169, -0.331, 0.500]],
    dtype=np.float32,
)
_CHROMA_TO_RGB = np.array(
    # RGB change produced by a unit change of (Cr, Cb) at constant luma.
    [[1.403, 0.0], [-0.714, -0.344], [0.0, 1.773]],
    dtype=np.float32,
)


@dataclass(frozen=True)
class KeyDetection:
    """A uniform key colour found on the border of an image.

    Attributes:
        color: RGB median of the border pixels that are strongly saturated in the key's
            channel.
        name: :func:`key_name` of ``color``.
        coverage: fraction of the upper border (top band and upper halves of the side
            bands) that matches the key.
    """

    color: RGB
    name: KeyName
    coverage: float


@dataclass(frozen=True)
class KeyResult:
    """What :func:`key_out` pulls from an image on a key colour.

    Attributes:
        alpha: ``HxW float32`` matte in ``[0, 1]``, 1 for foreground.
        foreground: ``HxWx3 uint8`` foreground colours: the key's share removed from the
            soft edges, then despilled; pure background pixels keep the key colour.
        key_color: the key colour that was keyed out.
    """

    alpha: np.ndarray
    foreground: np.ndarray
    key_color: RGB


# --------------------------------------------------------------------------- validation


def _check_image(img: np.ndarray, what: str = "image") -> None:
    """Raise ``ValueError`` unless ``img`` is a non-empty ``HxWx3 uint8`` array."""
    if not isinstance(img, np.ndarray):
        raise ValueError(f"{what} must be a numpy array, got {type(img).__name__}")
    if img.dtype != np.uint8:
        raise ValueError(f"{what} must be uint8, got {img.dtype}")
    if img.ndim != 3 or img.shape[2] != 3 or img.shape[0] == 0 or img.shape[1] == 0:
        raise ValueError(f"{what} must have shape HxWx3, got {img.shape}")


def _check_alpha(alpha: np.ndarray, size: tuple[int, int]) -> np.ndarray:
    """Return ``alpha`` as ``HxW float32`` after checking dtype, shape and range."""
    if not isinstance(alpha, np.ndarray):
        raise ValueError(f"alpha must be a numpy array, got {type(alpha).__name__}")
    if not np.issubdtype(alpha.dtype, np.floating):
        raise ValueError(f"alpha must be a float array in [0, 1], got {alpha.dtype}")
    if alpha.ndim == 3 and alpha.shape[2] == 1:
        alpha = alpha[..., 0]
    if alpha.shape != size:
        raise ValueError(
            f"alpha has shape {alpha.shape} but image has {size} (alpha must be HxW or HxWx1)"
        )
    if not np.all((alpha >= 0.0) & (alpha <= 1.0)):
        raise ValueError("alpha values must lie in [0, 1] (and not be NaN)")
    return alpha.astype(np.float32, copy=False)


def _check_color(color: tuple[int, int, int] | np.ndarray, what: str = "key_color") -> RGB:
    """Return ``color`` as a tuple of three ints in ``0..255``."""
    values = np.asarray(color)
    if values.shape != (3,) or not np.all((values >= 0) & (values <= 255)):
        raise ValueError(f"{what} must be three values in 0..255, got {color!r}")
    r, g, b = (int(round(float(v))) for v in values)
    return (r, g, b)


# --------------------------------------------------------------------------- colour helpers


def _color_difference(rgb: np.ndarray, channel: int) -> np.ndarray:
    """``rgb[..., channel] - max(other two channels)`` as float32 (e.g. ``G - max(R, B)``)."""
    rgb = rgb.astype(np.float32, copy=False)
    others = [c for c in range(3) if c != channel]
    return rgb[..., channel] - np.maximum(rgb[..., others[0]], rgb[..., others[1]])


def _chroma(rgb: np.ndarray) -> np.ndarray:
    """(Cr, Cb) of ``rgb`` centred on grey, float32 with a trailing axis of 2."""
    return rgb.astype(np.float32, copy=False) @ _YCRCB_CHROMA.T


def _is_key(rgb: np.ndarray, channel: int) -> np.ndarray:
    """Whether colours are strongly saturated in ``channel``: it exceeds both other
    channels by ``_MIN_KEY_MARGIN`` and by ``_MIN_KEY_DOMINANCE`` of its own value."""
    margin = _color_difference(rgb, channel)
    return (margin >= _MIN_KEY_MARGIN) & (margin >= _MIN_KEY_DOMINANCE * rgb[..., channel])


def key_name(color: tuple[int, int, int]) -> KeyName:
    """Classify a key colour: ``"green"``, ``"blue"`` or ``"other"``.

    Strongly saturated greens and blues (see ``_is_key``) get the colour-difference keyer
    and spill limiter; every other colour gets the chroma-plane ones.
    """
    rgb = np.array(_check_color(color), dtype=np.float32)
    for name, channel in _KEY_CHANNELS.items():
        if _is_key(rgb, channel):
            return name
    return "other"


# --------------------------------------------------------------------------- detection


def _upper_border_pixels(img: np.ndarray, band: float) -> np.ndarray:
    """The pixels (``Nx3``) of the top band and the upper halves of the side bands.

    The bands are ``band * min(H, W)`` pixels (at least 1) wide. A person in front of a
    screen is cut by the bottom edge and, in tight head-and-shoulder crops, covers much of
    the lower sides too; the upper border is where the screen shows.
    """
    h, w = img.shape[:2]
    k = max(1, int(round(band * min(h, w))))
    mask = np.zeros((h, w), dtype=bool)
    mask[:k, :] = True
    mask[: max(k, h // 2), :k] = mask[: max(k, h // 2), -k:] = True
    return img[mask]


def _hue_deviation(chroma: np.ndarray, reference: np.ndarray) -> np.ndarray:
    """Angle in degrees between each chroma vector and ``reference`` (brightness-invariant)."""
    angle = np.degrees(np.arctan2(chroma[..., 1], chroma[..., 0]))
    ref_angle = np.degrees(np.arctan2(reference[1], reference[0]))
    return np.abs((angle - ref_angle + 180.0) % 360.0 - 180.0)


def detect_key_color(
    img: np.ndarray,
    *,
    band: float = 0.04,
    min_coverage: float = 0.5,
    max_hue_deviation: float = 20.0,
) -> KeyDetection | None:
    """Decide whether ``img`` stands on a uniform green or blue key, and which.

    The upper border (the top band and the upper halves of the side bands, ``band`` of
    the smaller side wide) must be mostly key: there the screen shows even in tight
    head-and-shoulder crops, while blue clothes or a green lawn only reach the lower
    border. A border pixel matches when it is a strongly saturated green or blue (see
    ``_is_key``) and its hue is within ``max_hue_deviation`` degrees of the hue of the
    median key colour (low spread; hue rather than colour, so that uneven lighting of the
    screen is allowed).

    On the talking-heads frames (256x256 crops) put on green with their labels, the
    upper-border coverage is at least 0.60 (1st percentile; median 0.95); on the original
    frames it is at most 0.33 (a dark navy curtain), and 0 for most.

    Returns:
        The detection when at least ``min_coverage`` of the upper border matches, else
        ``None`` (ordinary photos, dim or pale backdrops, patchy screens).
    """
    _check_image(img)
    pixels = _upper_border_pixels(img, band).astype(np.float32)
    for channel in _KEY_CHANNELS.values():
        candidates = _is_key(pixels, channel)
        if not candidates.any() or candidates.mean() < min_coverage:
            continue
        median = np.median(pixels[candidates], axis=0)
        similar = _hue_deviation(_chroma(pixels), _chroma(median)) <= max_hue_deviation
        coverage = float((candidates & similar).mean())
        if coverage >= min_coverage:
            color = _check_color(median, "median key colour")
            return KeyDetection(color=color, name=key_name(color), coverage=coverage)
    return None


GREEN_MARGIN = 5
"""How much a pixel's green must exceed its red and blue (0-255) to count as green-dominant
(:func:`green_dominant`). On the talking-heads labels at this margin: 0.3% of hair pixels in
``train``, 0.1% in ``test_hdtf``, 0.02% in ``test_vox``, but 93% of the green split's backdrop."""


def green_dominant(img: np.ndarray, margin: int = GREEN_MARGIN) -> np.ndarray:
    """``HxW bool``: pixels (``uint8`` RGB) whose green exceeds both red and blue by at least
    ``margin``.

    No hair, skin or lip colour does (they run red >= green >= blue, or gray); a green
    screen does however dim, folded or unevenly lit, since only the ordering of the channels
    counts, not the saturation :func:`detect_key_color` needs for keying.
    """
    if np.asarray(img).dtype != np.uint8:
        raise ValueError(f"green_dominant expects uint8 pixels, got {np.asarray(img).dtype}")
    x = np.asarray(img, dtype=np.int16)
    return x[..., 1] - np.maximum(x[..., 0], x[..., 2]) >= margin


def on_green_backdrop(img: np.ndarray, *, band: float = 0.04, min_coverage: float = 0.5) -> bool:
    """Whether at least ``min_coverage`` of the upper border (see :func:`detect_key_color`)
    is :func:`green_dominant`: a green screen, keyable or too dim to key.

    On the talking-heads frames the median coverage per clip is 0.74-0.91 for the four
    MEAD (studio, dark green screen) clips, 0.67 for one news clip before a green wall, and
    at most 0.31 for the other 36 clips.
    """
    _check_image(img)
    pixels = _upper_border_pixels(img, band)
    return bool(green_dominant(pixels).mean() >= min_coverage)


GRAY_TOLERANCE = 6
"""Channel spread (0-255) under which pixels count as black and white (:func:`is_grayscale`)."""


def is_grayscale(pixels: np.ndarray, tolerance: int = GRAY_TOLERANCE, share: float = 0.995) -> bool:
    """Whether ``uint8`` RGB pixels (``...x3``) are black and white: their channels differ by
    at most ``tolerance`` on ``share`` of them (JPEG's colour noise on a gray photo stays
    below on 99.5%; a larger share also catches a small coloured thing in a gray scene)."""
    spread = pixels.max(axis=-1).astype(np.int16) - pixels.min(axis=-1)
    return spread.size > 0 and float(np.percentile(spread, 100 * share)) <= tolerance


# --------------------------------------------------------------------------- matting


def _fill(values: np.ndarray, weights: np.ndarray, fallback: np.ndarray, finest: int = 0) -> np.ndarray:
    """Interpolate ``values`` from where ``weights`` is high into everywhere else (pull-push).

    The weighted values are averaged down an image pyramid ("pull") and then, from the
    coarsest level up, every level keeps its own average where it holds enough weight and
    takes the upsampled coarser result elsewhere ("push"). Holes are thus filled from the
    nearest weighted pixels whatever their size. Levels finer than ``finest`` only take
    the coarser result, which smooths the output at a scale of ``2**finest`` pixels.

    Args:
        values: ``HxWxC`` float32.
        weights: ``HxW`` float32 in ``[0, 1]``.
        fallback: ``C`` values returned everywhere when all weights are zero.
        finest: first pyramid level whose own averages are used.

    Returns:
        ``HxWxC`` float32.
    """
    nums, dens = [values * weights[..., None]], [weights]
    while max(dens[-1].shape) > 1:
        h, w = dens[-1].shape
        size = ((w + 1) // 2, (h + 1) // 2)
        dens.append(cv2.resize(dens[-1], size, interpolation=cv2.INTER_AREA))
        nums.append(cv2.resize(nums[-1], size, interpolation=cv2.INTER_AREA).reshape(size[1], size[0], -1))
    total = float(dens[-1][0, 0])
    filled = nums[-1] / total if total > 0 else np.broadcast_to(fallback, nums[-1].shape)
    for level in range(len(nums) - 2, -1, -1):
        h, w = dens[level].shape
        filled = cv2.resize(filled, (w, h), interpolation=cv2.INTER_LINEAR).reshape(h, w, -1)
        if level >= finest:
            # A level is trusted where at least a quarter of its area carries weight.
            trust = np.clip(4.0 * dens[level], 0.0, 1.0)[..., None]
            own = nums[level] / np.maximum(dens[level], 1e-6)[..., None]
            filled = trust * own + (1.0 - trust) * filled
    return filled.astype(np.float32)


_LOCAL_KEY_SCALE = 0.05
"""Smoothing scale of the local key estimate, as a fraction of the image size: coarse enough
to ignore noise and to bridge thin foreground, fine enough to follow lighting gradients."""


def _key_feature(img: np.ndarray, key: RGB) -> tuple[np.ndarray, np.ndarray]:
    """Per-pixel keying feature and the key's feature: colour difference or chroma.

    Returns:
        ``(HxWxC, C)`` float32 with ``C = 1`` (green/blue) or ``2`` (other keys).
    """
    name = key_name(key)
    key_rgb = np.array(key, dtype=np.float32)
    if name in _KEY_CHANNELS:
        channel = _KEY_CHANNELS[name]
        return _color_difference(img, channel)[..., None], _color_difference(key_rgb, channel)[None]
    return _chroma(img), _chroma(key_rgb)


def _strength(feature: np.ndarray, key_feature: np.ndarray) -> np.ndarray:
    """Key strength from a feature: 1 on the key, ~0 (or below) on the foreground.

    Colour difference (``C = 1``): ``d / d_key``. Chroma (``C = 2``):
    ``1 - |c - c_key| / |c_key|``. ``key_feature`` is ``C`` or ``HxWxC`` (a local key).
    """
    if feature.shape[-1] == 1:
        return (feature / np.maximum(key_feature, 1.0))[..., 0]
    radius = np.maximum(np.linalg.norm(key_feature, axis=-1), 1.0)
    return 1.0 - np.linalg.norm(feature - key_feature, axis=-1) / radius


def _key_strength(img: np.ndarray, key: RGB, local: bool) -> np.ndarray:
    """How much each pixel looks like the key (``HxW float32``, unclipped).

    For a mix ``a * F + (1 - a) * K`` with a neutral foreground ``F`` this is about
    ``1 - a``. With ``local`` the key's feature is re-estimated around each pixel from the
    pixels that a global pass calls background, which cancels uneven screen lighting.
    """
    feature, key_feature = _key_feature(img, key)
    strength = _strength(feature, key_feature)
    if local:
        # Background weight: 0 up to strength 0.5, 1 from 0.8 on; the lower end lets a
        # screen up to about half as bright as the key colour still inform the estimate.
        background = np.clip((strength - 0.5) / 0.3, 0.0, 1.0).astype(np.float32)
        finest = max(0, int(round(np.log2(max(1.0, _LOCAL_KEY_SCALE * max(img.shape[:2]))))))
        strength = _strength(feature, _fill(feature, background, key_feature, finest))
    return strength.astype(np.float32)


def _disk(radius: int) -> np.ndarray:
    """Elliptic structuring element of the given radius."""
    return cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (2 * radius + 1, 2 * radius + 1))


_SURE_MARGIN = 0.015
"""Distance (fraction of the image size) kept between the pixels sampled as sure foreground
or background and the soft edge, whose outer rows the ramp already saturates."""


_SNAP = 0.03
"""Solved alphas within this distance of 0 or 1 are snapped: there the solution is
dominated by noise (a noise of 5 levels is 3% of a typical foreground-key distance)."""


def _refine(img: np.ndarray, alpha: np.ndarray, strength: np.ndarray, inner: float) -> np.ndarray:
    """Re-estimate the soft edge of ``alpha`` from local foreground and key colours.

    The key strength is only ``1 - a`` for neutral foregrounds; warm or saturated colours
    bend it. Here the colours of the sure foreground ``F`` and of the sure key ``K`` (taken
    a margin away from the edge) are spread across the edge by :func:`_fill`, and every
    edge pixel ``p`` gets the alpha that best explains it as ``a * F + (1 - a) * K``.
    Pixels the two colours cannot explain (texture, a third colour) keep the ramp's alpha,
    and so do pixels without evidence of the key (key ``strength`` up to 0, fading in up
    to ``inner``): otherwise darker texture next to a hard edge would turn translucent.
    """
    margin = max(1, int(round(_SURE_MARGIN * min(alpha.shape))))
    sure_fg = cv2.erode((alpha >= 1.0).astype(np.uint8), _disk(margin))
    sure_bg = cv2.erode((alpha <= 0.0).astype(np.uint8), _disk(margin))
    if not sure_fg.any() or not sure_bg.any():
        return alpha
    p = img.astype(np.float32)
    edge = (sure_fg == 0) & (sure_bg == 0)
    none = np.zeros(3, dtype=np.float32)
    fg = _fill(p, sure_fg.astype(np.float32), none)[edge]
    key = _fill(p, sure_bg.astype(np.float32), none)[edge]
    mix = p[edge] - key
    span = fg - key
    span_len = np.linalg.norm(span, axis=-1)
    solved = np.clip(np.sum(mix * span, axis=-1) / np.maximum(span_len, 1.0) ** 2, 0.0, 1.0)
    residual = np.linalg.norm(mix - solved[:, None] * span, axis=-1)
    # Trust: full when the residual is under 30% of |F - K|, none above 60%, and none
    # when F and K are too close to tell apart.
    trust = np.clip(2.0 - residual / np.maximum(0.3 * span_len, 1.0), 0.0, 1.0)
    trust *= np.clip((span_len - 20.0) / 20.0, 0.0, 1.0)
    trust *= np.clip(strength[edge] / max(inner, 1e-3), 0.0, 1.0)
    # Snap the last few percent at both ends, where the solution is mostly sensor noise.
    solved = np.clip((solved - _SNAP) / (1.0 - 2.0 * _SNAP), 0.0, 1.0)
    refined = alpha.copy()
    refined[edge] += trust * (solved - alpha[edge])
    return refined


_MAX_HOLE_AREA = 16
"""Largest hole (in pixels) inside fully opaque foreground that :func:`_fill_small_holes`
closes; noise on dark or white texture makes holes of a few pixels, real gaps are larger."""


def _fill_small_holes(alpha: np.ndarray) -> np.ndarray:
    """Make tiny islands of not-quite-opaque pixels inside opaque foreground opaque.

    Sensor noise on neutral texture can look faintly like the key and leave see-through
    specks. Only islands of at most ``_MAX_HOLE_AREA`` pixels (and under 0.1% of the image)
    are closed; soft edges, which are connected to the background, are never touched.
    """
    max_area = min(_MAX_HOLE_AREA, int(1e-3 * alpha.size))
    if max_area < 1:
        return alpha
    _, labels, stats, _ = cv2.connectedComponentsWithStats((alpha < 1.0).astype(np.uint8), connectivity=8)
    small = stats[:, cv2.CC_STAT_AREA] <= max_area
    small[0] = False  # label 0 is the opaque region itself
    out = alpha.copy()
    out[small[labels]] = 1.0
    return out


def alpha_matte(
    img: np.ndarray,
    key_color: tuple[int, int, int],
    *,
    inner: float = 0.1,
    outer: float = 0.85,
    local: bool = True,
    refine: bool = True,
) -> np.ndarray:
    """Soft alpha matte of ``img`` on ``key_color`` (1 = foreground).

    1. The key strength ``s`` (about ``1 - alpha``, see the module notes) is mapped through
       a linear ramp: ``s <= inner`` is opaque, ``s >= outer`` is background, values in
       between get fractional alpha, so hair and motion blur stay soft. ``outer`` below 1
       absorbs noise and darker parts of the screen; ``inner`` above 0 keeps foreground
       slightly tinted towards the key opaque.
    2. With ``refine``, the soft edge is solved again from the local foreground and key
       colours (see :func:`_refine`), which removes the ramp's bias on coloured edges.
    3. Specks of a few pixels inside opaque foreground are closed (:func:`_fill_small_holes`).

    Args:
        img: ``HxWx3 uint8`` image on the key.
        key_color: RGB key colour (e.g. from :func:`detect_key_color`).
        inner, outer: the ramp's thresholds on the key strength, ``0 <= inner < outer <= 1``.
        local: estimate the key locally to cancel uneven screen lighting.
        refine: re-solve the soft edge from local colours.

    Returns:
        ``HxW float32`` in ``[0, 1]``.
    """
    _check_image(img)
    key = _check_color(key_color)
    if not 0.0 <= inner < outer <= 1.0:
        raise ValueError(f"need 0 <= inner < outer <= 1, got inner={inner}, outer={outer}")
    strength = _key_strength(img, key, local)
    alpha = np.clip((outer - strength) / (outer - inner), 0.0, 1.0).astype(np.float32)
    if refine:
        alpha = _refine(img, alpha, strength, inner)
    return _fill_small_holes(alpha)


# --------------------------------------------------------------------------- spill


def suppress_spill(
    img: np.ndarray,
    key_color: tuple[int, int, int],
    alpha: np.ndarray | None = None,
    *,
    strength: float = 1.0,
) -> np.ndarray:
    """Remove the key colour's spill (light bounced off the screen) from the foreground.

    Green and blue keys: the key channel is limited to the larger of the other two
    (``G' = G - strength * max(0, G - max(R, B))``), the classic limiter that leaves every
    colour whose key channel is not dominant (skin, hair, red, yellow) untouched. Other
    keys: the component of the pixel's chroma along the key's chroma direction is removed
    where it is positive, at constant luma.

    Args:
        img: ``HxWx3 uint8`` image.
        key_color: RGB key colour.
        alpha: optional ``HxW`` (or ``HxWx1``) float matte; pixels with ``alpha == 0`` are
            background and keep their key colour, so the result can still be keyed.
        strength: 0 (no change) to 1 (full suppression).

    Returns:
        ``HxWx3 uint8``.
    """
    _check_image(img)
    key = _check_color(key_color)
    if not 0.0 <= strength <= 1.0:
        raise ValueError(f"strength must lie in [0, 1], got {strength}")
    rgb = img.astype(np.float32)
    name = key_name(key)
    if name in _KEY_CHANNELS:
        channel = _KEY_CHANNELS[name]
        rgb[..., channel] -= strength * np.maximum(_color_difference(rgb, channel), 0.0)
    else:
        direction = _chroma(np.array(key))
        direction /= max(float(np.linalg.norm(direction)), 1e-6)
        spill = np.maximum(_chroma(rgb) @ direction, 0.0)
        rgb -= strength * spill[..., None] * (_CHROMA_TO_RGB @ direction)
    out = np.clip(np.rint(rgb), 0, 255).astype(np.uint8)
    if alpha is not None:
        background = _check_alpha(alpha, img.shape[:2]) == 0.0
        out[background] = img[background]
    return out


# --------------------------------------------------------------------------- compositing


def soften_edges(fg: np.ndarray, alpha: np.ndarray, sigma: float) -> tuple[np.ndarray, np.ndarray]:
    """``(fg, alpha)`` with the matte's outline blurred (Gaussian ``sigma`` in pixels) to
    anti-alias it; pixels more than about ``3 * sigma`` from the outline are unchanged.

    A keyed network output has the outline of the mask it was drawn from: hard, and
    stair-stepped where that mask was enlarged. The blur is of the premultiplied colour
    (``fg * alpha``), so pixels that become partly opaque take the colour of the
    foreground beside them, never the key's. ``sigma <= 0`` returns the inputs.
    """
    _check_image(fg, "fg")
    a = _check_alpha(alpha, fg.shape[:2]).astype(np.float32)
    if sigma <= 0:
        return fg, alpha
    solid = (a > 0.5).astype(np.uint8)
    outline = solid ^ cv2.erode(solid, np.ones((3, 3), np.uint8))
    reach = 2 * int(np.ceil(3 * sigma)) + 1
    near = cv2.dilate(outline, np.ones((reach, reach), np.uint8)) > 0
    blurred = cv2.GaussianBlur(a, (0, 0), sigma)
    colour = cv2.GaussianBlur(fg.astype(np.float32) * a[..., None], (0, 0), sigma)
    colour /= np.maximum(blurred, 1e-3)[..., None]
    recolour = near & (blurred > 1e-3)
    out_fg = np.where(recolour[..., None], np.clip(np.rint(colour), 0, 255), fg).astype(np.uint8)
    return out_fg, np.where(near, blurred, a).astype(np.float32)


def composite(
    fg: np.ndarray, alpha: np.ndarray, background: np.ndarray | tuple[int, int, int]
) -> np.ndarray:
    """``fg * alpha + background * (1 - alpha)``, rounded to ``uint8``.

    Args:
        fg: ``HxWx3 uint8`` foreground.
        alpha: ``HxW`` or ``HxWx1`` float matte in ``[0, 1]``.
        background: an ``H'xW'x3 uint8`` image (resized to ``HxW`` if its size differs:
            area interpolation when shrinking, linear when enlarging) or an RGB colour.

    Returns:
        ``HxWx3 uint8``; exactly ``fg`` where ``alpha == 1`` and exactly the background
        where ``alpha == 0``.
    """
    _check_image(fg, "fg")
    h, w = fg.shape[:2]
    a = _check_alpha(alpha, (h, w))
    if isinstance(background, np.ndarray):
        _check_image(background, "background")
        if background.shape[:2] != (h, w):
            shrink = background.shape[0] * background.shape[1] > h * w
            interp = cv2.INTER_AREA if shrink else cv2.INTER_LINEAR
            background = cv2.resize(background, (w, h), interpolation=interp)
        out = np.array(background, np.uint8, copy=True, order="C")
    else:
        out = np.empty_like(fg, order="C")
        out[:] = _check_color(background, "background colour")
    # mattes are mostly 0 or 1: copy there (OpenCV), mix in floats only where they are in
    # between (seconds saved on large photos)
    cv2.copyTo(fg, (a >= 1.0).view(np.uint8), out)
    mid = np.nonzero((a > 0.0) & (a < 1.0))
    if mid[0].size:
        am = a[mid][:, None]
        mixed = fg[mid].astype(np.float32) * am + out[mid].astype(np.float32) * (1.0 - am)
        out[mid] = np.clip(np.rint(mixed), 0, 255).astype(np.uint8)
    return out


def to_key_setting(img: np.ndarray, fg_alpha: np.ndarray, key_color: tuple[int, int, int]) -> np.ndarray:
    """Put the foreground of ``img`` (given by its matte ``fg_alpha``) onto ``key_color``.

    This turns a target on a real background into the chroma-key setting CHANGER works in.
    """
    return composite(img, fg_alpha, _check_color(key_color))


def _unmix(img: np.ndarray, alpha: np.ndarray, key: RGB) -> np.ndarray:
    """Remove the key's share from every soft-edge pixel: ``F = K + (p - K) / alpha``.

    An edge pixel is ``p = alpha * F + (1 - alpha) * K``; compositing ``p`` itself would
    carry ``(1 - alpha) * K`` onto the new background as a dark or coloured fringe. ``K``
    is the local key colour, spread from the pure background (``alpha == 0``) so that
    uneven lighting of the screen is followed. Pure background pixels are returned as they
    are; opaque ones are unchanged by construction.
    """
    p = img.astype(np.float32)
    background = (alpha <= 0.0).astype(np.float32)
    local_key = _fill(p, background, np.array(key, dtype=np.float32))
    a = np.maximum(alpha, 1.0 / 255.0)[..., None]
    fg = np.where(alpha[..., None] > 0.0, local_key + (p - local_key) / a, p)
    return np.clip(np.rint(fg), 0, 255).astype(np.uint8)


def key_out(img: np.ndarray, key_color: tuple[int, int, int] | None = None) -> KeyResult:
    """Matte an image on a key colour and recover a clean foreground for compositing.

    The key is detected with :func:`detect_key_color` when not given. The foreground is the
    image with the key's share removed from the soft edges (so that
    ``composite(foreground, alpha, new_background)`` shows no key-coloured fringe) and then
    despilled with :func:`suppress_spill`; pure background keeps the key colour.

    Raises:
        ValueError: when ``key_color`` is ``None`` and no key is found.
    """
    _check_image(img)
    if key_color is None:
        detection = detect_key_color(img)
        if detection is None:
            raise ValueError("no uniform green or blue key found on the image border; pass key_color")
        key = detection.color
    else:
        key = _check_color(key_color)
    alpha = alpha_matte(img, key)
    foreground = suppress_spill(_unmix(img, alpha, key), key, alpha)
    return KeyResult(alpha=alpha, foreground=foreground, key_color=key)
