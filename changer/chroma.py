"""Chroma keying: find the key colour, pull a soft alpha matte, remove spill, composite.

CHANGER produces the whole foreground on a uniform key colour and adds the real
background afterwards by ordinary chroma keying, so the background can never carry
blending artifacts. This module is that last step, and the first one for targets that
already stand in front of a green or blue screen.

Two keyers share one soft ramp (``inner``/``outer``, see :func:`alpha_matte`):

* **green and blue keys** use the classic colour-difference keyer: the *key strength* of a
  pixel is how much its key channel exceeds the larger of the other two (``G - max(R, B)``
  for green), relative to the same quantity of the key. Hair, skin, yellow and cyan all
  fall to zero, which a plain colour distance cannot achieve for cyan.
* **any other key** uses the distance from the key in the chroma plane of YCrCb,
  normalised by the key's own distance from grey.

Both quantities are (nearly) linear in the pixel colour, so a pixel that is a mix
``a * F + (1 - a) * K`` gets a key strength close to ``1 - a``: soft edges stay soft.
Screens are never lit evenly; the key's reference value is therefore estimated *locally*
from the surrounding background pixels, so shading and gradients on the screen do not
leak into the matte.

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

_KEY_CHANNELS: dict[str, int] = {"green": 1, "blue": 2}
"""Key channel (index into RGB) of the keys handled by the colour-difference keyer."""

_MIN_KEY_MARGIN = 40.0
"""How far (out of 255) the key channel must exceed both others for a colour to count
as a green or blue key. Weaker keys (dim, greyish screens) leave too little contrast for
the colour-difference keyer and are handled as ``"other"``."""

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
        color: RGB median of the border pixels that match the key.
        name: :func:`key_name` of ``color``.
        coverage: fraction of the border pixels that match the key.
    """

    color: RGB
    name: KeyName
    coverage: float


@dataclass(frozen=True)
class KeyResult:
    """What :func:`key_out` pulls from an image on a key colour.

    Attributes:
        alpha: ``HxW float32`` matte in ``[0, 1]``, 1 for foreground.
        foreground: ``HxWx3 uint8`` image with the key's spill removed from the
            foreground; pure background pixels keep the key colour.
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


def key_name(color: tuple[int, int, int]) -> KeyName:
    """Classify a key colour: ``"green"``, ``"blue"`` or ``"other"``.

    A colour is a green (blue) key when its green (blue) channel exceeds both other
    channels by at least ``_MIN_KEY_MARGIN``; green and blue keys get the
    colour-difference keyer and spill limiter, every other colour the chroma-plane ones.
    """
    rgb = np.array(_check_color(color), dtype=np.float32)
    for name, channel in _KEY_CHANNELS.items():
        if _color_difference(rgb, channel) >= _MIN_KEY_MARGIN:
            return name  # type: ignore[return-value]
    return "other"


# --------------------------------------------------------------------------- detection


def _border_pixels(img: np.ndarray, band: float) -> np.ndarray:
    """The pixels of a band of ``band * min(H, W)`` (at least 1) pixels along the border, ``Nx3``."""
    h, w = img.shape[:2]
    k = max(1, int(round(band * min(h, w))))
    mask = np.zeros((h, w), dtype=bool)
    mask[:k, :] = mask[-k:, :] = True
    mask[:, :k] = mask[:, -k:] = True
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
    min_coverage: float = 0.6,
    max_hue_deviation: float = 20.0,
) -> KeyDetection | None:
    """Decide whether ``img`` stands on a uniform green or blue key, and which.

    A person on a key touches the border at most with the body, so the border band
    (``band`` of the smaller side) must be mostly key. A border pixel matches when its key
    channel exceeds both others by ``_MIN_KEY_MARGIN`` (strongly saturated green or blue)
    and its hue is within ``max_hue_deviation`` degrees of the median key colour (low
    spread; hue rather than colour so that uneven lighting of the screen is allowed).

    Returns:
        The detection when at least ``min_coverage`` of the border matches, else ``None``
        (ordinary photos, dim or patchy screens).
    """
    _check_image(img)
    pixels = _border_pixels(img, band).astype(np.float32)
    for channel in _KEY_CHANNELS.values():
        candidates = _color_difference(pixels, channel) >= _MIN_KEY_MARGIN
        if candidates.mean() < min_coverage:
            continue
        median = np.median(pixels[candidates], axis=0)
        similar = _hue_deviation(_chroma(pixels), _chroma(median)) <= max_hue_deviation
        coverage = float((candidates & similar).mean())
        if coverage >= min_coverage:
            color = _check_color(median, "median key colour")
            return KeyDetection(color=color, name=key_name(color), coverage=coverage)
    return None


# --------------------------------------------------------------------------- matting


def _fill_from(
    values: np.ndarray, weights: np.ndarray, fallback: np.ndarray, sigma: float
) -> np.ndarray:
    """Smoothly interpolate ``values`` from where ``weights`` is high into everywhere else.

    Normalised convolution at a reduced resolution (the result is smooth anyway): a
    Gaussian-weighted mean of the weighted values, pulled towards ``fallback`` where no
    weighted pixel is within a few ``sigma`` (``sigma`` is a fraction of the image size).

    Args:
        values: ``HxWxC`` float32 values.
        weights: ``HxW`` float32 weights in ``[0, 1]``.
        fallback: ``C`` values used where there is no weight nearby.
        sigma: Gaussian width as a fraction of ``max(H, W)``.
    """
    h, w = weights.shape
    scale = min(1.0, 128.0 / max(h, w))
    small = (max(1, round(w * scale)), max(1, round(h * scale)))
    sigma_px = max(1.0, sigma * max(small))

    def smooth(x: np.ndarray) -> np.ndarray:
        x = cv2.resize(x, small, interpolation=cv2.INTER_AREA)
        return cv2.GaussianBlur(x, (0, 0), sigma_px, borderType=cv2.BORDER_REFLECT)

    num = smooth(values * weights[..., None]).reshape(small[1], small[0], -1)
    den = smooth(weights).reshape(small[1], small[0], 1)
    prior = 1e-3
    local = (num + prior * fallback) / (den + prior)
    return cv2.resize(local, (w, h), interpolation=cv2.INTER_LINEAR).reshape(h, w, -1)


def _strength_difference(img: np.ndarray, key: RGB, channel: int, bg_weight: np.ndarray | None) -> np.ndarray:
    """Colour-difference key strength ``d / d_key`` (1 on the key, <= 0 on neutral and warm colours)."""
    diff = _color_difference(img, channel)
    key_diff = np.array([_color_difference(np.array(key), channel)], dtype=np.float32)
    if bg_weight is not None:
        key_diff = _fill_from(diff[..., None], bg_weight, key_diff, _LOCAL_KEY_SIGMA)[..., 0]
    return diff / key_diff


def _strength_chroma(img: np.ndarray, key: RGB, bg_weight: np.ndarray | None) -> np.ndarray:
    """Chroma key strength ``1 - |c - c_key| / |c_key|`` (1 on the key, <= 0 on grey)."""
    chroma = _chroma(img)
    key_chroma = _chroma(np.array(key))
    if bg_weight is not None:
        key_chroma = _fill_from(chroma, bg_weight, key_chroma, _LOCAL_KEY_SIGMA)
    radius = np.maximum(np.linalg.norm(key_chroma, axis=-1), 1.0)
    return 1.0 - np.linalg.norm(chroma - key_chroma, axis=-1) / radius


_LOCAL_KEY_SIGMA = 0.05
"""Width of the local key estimate, as a fraction of the image size: wide enough to bridge
thin foreground structures, narrow enough to follow lighting gradients on the screen."""


def key_strength(img: np.ndarray, key_color: tuple[int, int, int], *, local: bool = True) -> np.ndarray:
    """How much each pixel looks like the key: ~1 on the key, ~0 (or below) on foreground.

    For a mix ``a * F + (1 - a) * K`` of a neutral foreground ``F`` with the key ``K``
    the strength is ``1 - a``. With ``local=True`` the key's reference value is
    re-estimated around each pixel from the pixels that the global pass calls background,
    which removes the effect of uneven lighting of the screen.

    Returns:
        ``HxW float32`` (unclipped).
    """
    _check_image(img)
    key = _check_color(key_color)
    name = key_name(key)

    def strength(bg_weight: np.ndarray | None) -> np.ndarray:
        if name in _KEY_CHANNELS:
            return _strength_difference(img, key, _KEY_CHANNELS[name], bg_weight)
        return _strength_chroma(img, key, bg_weight)

    global_strength = strength(None)
    if not local:
        return global_strength.astype(np.float32)
    background = np.clip((global_strength - 0.5) / 0.3, 0.0, 1.0).astype(np.float32)
    return strength(background).astype(np.float32)


def alpha_matte(
    img: np.ndarray,
    key_color: tuple[int, int, int],
    *,
    inner: float = 0.1,
    outer: float = 0.85,
    local: bool = True,
) -> np.ndarray:
    """Soft alpha matte of ``img`` on ``key_color`` (1 = foreground).

    The key strength ``s`` of :func:`key_strength` is mapped through a linear ramp: pixels
    with ``s <= inner`` are opaque, pixels with ``s >= outer`` are background, and mixes in
    between get fractional alpha, so hair and motion blur stay soft. ``outer`` below 1
    absorbs noise and the darker parts of the screen; ``inner`` above 0 keeps foreground
    that is slightly tinted towards the key opaque.

    Returns:
        ``HxW float32`` in ``[0, 1]``.
    """
    if not 0.0 <= inner < outer <= 1.0:
        raise ValueError(f"need 0 <= inner < outer <= 1, got inner={inner}, outer={outer}")
    strength = key_strength(img, key_color, local=local)
    return np.clip((outer - strength) / (outer - inner), 0.0, 1.0).astype(np.float32)


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
    a = _check_alpha(alpha, (h, w))[..., None]
    if isinstance(background, np.ndarray):
        _check_image(background, "background")
        if background.shape[:2] != (h, w):
            shrink = background.shape[0] * background.shape[1] > h * w
            interp = cv2.INTER_AREA if shrink else cv2.INTER_LINEAR
            background = cv2.resize(background, (w, h), interpolation=interp)
        bg = background.astype(np.float32)
    else:
        bg = np.array(_check_color(background, "background colour"), dtype=np.float32)
    out = fg.astype(np.float32) * a + bg * (1.0 - a)
    return np.clip(np.rint(out), 0, 255).astype(np.uint8)


def to_key_setting(img: np.ndarray, fg_alpha: np.ndarray, key_color: tuple[int, int, int]) -> np.ndarray:
    """Put the foreground of ``img`` (given by its matte ``fg_alpha``) onto ``key_color``.

    This turns a target on a real background into the chroma-key setting CHANGER works in.
    """
    return composite(img, fg_alpha, key_color)


def key_out(img: np.ndarray, key_color: tuple[int, int, int] | None = None) -> KeyResult:
    """Matte and despill an image on a key colour, detecting the key when not given.

    Raises:
        ValueError: when ``key_color`` is ``None`` and :func:`detect_key_color` finds no key.
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
    return KeyResult(alpha=alpha, foreground=suppress_spill(img, key, alpha), key_color=key)
