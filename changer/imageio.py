"""Robust loading of user images and label maps for the inference pipeline.

Photos come from phones, browsers and scripts: rotated by EXIF, gray, with alpha, 16-bit,
palette-based, huge or broken. Everything here turns them into the one format the rest of
the library uses (``HxWx3 uint8 RGB``) or raises :class:`InputError` with a message a
person can act on ("source: image is 40x30 px; at least 64x64 is needed").

Size limits (:data:`MIN_SIDE`, :data:`MAX_SIDE`, :data:`MAX_PIXELS`):

* images smaller than 64 px on a side are refused (nothing to blend at that size);
* images larger than 8192 px on a side, or with more than :data:`MAX_PIXELS` pixels, are
  **downscaled automatically** (aspect ratio kept) so that memory stays bounded; the
  result of :func:`read_image` says so (``scale < 1``), and the pipeline adds a note;
* files that PIL flags as decompression bombs (more than ``2 * Image.MAX_IMAGE_PIXELS``
  pixels) are refused before decoding.
"""

from __future__ import annotations

import io
import warnings
from dataclasses import dataclass
from pathlib import Path
from typing import Union

import cv2
import numpy as np
from PIL import Image, ImageOps, JpegImagePlugin, UnidentifiedImageError

from changer import labels as L

ImageSource = Union[str, Path, bytes, np.ndarray, Image.Image]
"""What the loaders accept: a path, encoded bytes, an array or a PIL image."""

MIN_SIDE = 64
"""Smallest accepted side (pixels)."""

MAX_SIDE = 8192
"""Images with a longer side are downscaled to it."""

MAX_PIXELS = 4096 * 4096
"""Pixel budget: larger images are downscaled to it (about 16.8 MP; a 12 MP phone photo passes)."""


class InputError(ValueError):
    """A user input (image, label map, option) that cannot be used; the message says why."""


def shorten(text: str, most: int = 80) -> str:
    """``text`` cut to ``most`` characters for a message (a pasted 5,000-character name)."""
    return text if len(text) <= most else text[: most - 3] + "..."


@dataclass
class LoadedImage:
    """An image as loaded by :func:`read_image`.

    Attributes:
        rgb: ``HxWx3 uint8``; transparent pixels composited on white.
        alpha: ``HxW uint8`` alpha channel, or None when the image has none.
        original_size: ``(H, W)`` before any automatic downscaling.
        scale: the downscaling factor applied (1.0 when none).
    """

    rgb: np.ndarray
    alpha: np.ndarray | None
    original_size: tuple[int, int]
    scale: float = 1.0


def read_image(
    src: ImageSource, name: str = "image", *, max_side: int = MAX_SIDE, max_pixels: int = MAX_PIXELS
) -> LoadedImage:
    """Load ``src`` as RGB (plus alpha when it has one), validated and size-limited.

    ``name`` prefixes error messages ("source", "target", "background").
    """
    if isinstance(src, np.ndarray):
        rgb, alpha = _from_array(src, name)
        original = rgb.shape[:2]
    else:
        rgb, alpha, original = _from_pil(_open_pil(src, name), name, max_side, max_pixels)
    h, w = original
    if min(h, w) < MIN_SIDE:
        raise InputError(f"{name}: image is {w}x{h} px; at least {MIN_SIDE}x{MIN_SIDE} is needed")
    loaded = _limit_size(rgb, alpha, max_side, max_pixels, original)
    loaded.original_size, loaded.scale = (h, w), loaded.rgb.shape[1] / w
    if min(loaded.rgb.shape[:2]) < MIN_SIDE:
        raise InputError(f"{name}: image is {w}x{h} px; its aspect ratio is too extreme to fit the size limits")
    if loaded.alpha is not None and not loaded.alpha.any():
        raise InputError(f"{name}: the image is fully transparent (nothing in it can be seen)")
    return loaded


def load_image(src: ImageSource, name: str = "image", **limits: int) -> np.ndarray:
    """``HxWx3 uint8`` RGB of ``src`` (see :func:`read_image`; alpha composited on white)."""
    return read_image(src, name, **limits).rgb


def load_image_rgba(src: ImageSource, name: str = "image", **limits: int) -> tuple[np.ndarray, np.ndarray | None]:
    """``(rgb, alpha)`` of ``src``: the alpha channel kept separately (None when absent)."""
    loaded = read_image(src, name, **limits)
    return loaded.rgb, loaded.alpha


def load_labels(src: ImageSource, name: str = "labels", size: tuple[int, int] | None = None) -> np.ndarray:
    """A user-given 5-class label map as ``HxW uint8`` with values ``0..4``.

    Accepts a single-channel image or array, a palette PNG (its indices are used), an RGB
    image whose channels are equal, or an RGB picture drawn with :data:`changer.labels.PALETTE`
    (as :func:`changer.labels.colorize` makes). ``size``: the ``(H, W)`` of the image the
    labels belong to; a map of the same aspect ratio but another resolution (e.g. after
    automatic downscaling of the photo) is resized with nearest neighbours, any other
    mismatch is an error.
    """
    arr = _labels_array(src, name)
    if arr.ndim == 3:
        arr = _labels_from_rgb(arr, name)
    if arr.ndim != 2 or arr.size == 0:
        raise InputError(f"{name}: a label map must be a single-channel image, got shape {arr.shape}")
    if np.issubdtype(arr.dtype, np.floating) and not np.all(np.isfinite(arr) & (arr == np.round(arr))):
        raise InputError(f"{name}: label values must be whole numbers 0..4")
    bad = (arr < 0) | (arr >= L.NUM_CLASSES)
    if bad.any():
        found = sorted({int(v) for v in np.unique(arr[bad])[:5]})
        raise InputError(
            f"{name}: label values must be 0..4 ({', '.join(L.CLASS_NAMES)}); found {found}"
        )
    arr = arr.astype(np.uint8)
    return arr if size is None else _fit_labels(arr, size, name)


# --------------------------------------------------------------------------- decoding


def _open_pil(src: str | Path | bytes | Image.Image, name: str) -> Image.Image:
    """Open a path, bytes or PIL image, turning every failure into :class:`InputError`."""
    if isinstance(src, Image.Image):
        return src
    if isinstance(src, (bytes, bytearray)):
        if not src:
            raise InputError(f"{name}: the data is empty")
        fp: io.BytesIO | Path = io.BytesIO(bytes(src))
        label = "the data"
    elif isinstance(src, (str, Path)):
        fp = Path(src)
        label = f"'{fp.name}'"  # not the folder: for uploads it is the server's temporary one
        if not fp.is_file():
            raise InputError(f"{name}: file not found: {fp}")
        if fp.stat().st_size == 0:
            raise InputError(f"{name}: {label} is an empty file")
    else:
        raise InputError(f"{name}: expected a file path, bytes, a numpy array or a PIL image, got {type(src).__name__}")
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", Image.DecompressionBombWarning)
            img = Image.open(fp)
    except Image.DecompressionBombError as err:
        raise InputError(f"{name}: image is too large to open safely ({err})") from None
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError) as err:
        kind = _known_kind(fp)
        if kind:
            raise InputError(f"{name}: {label} is {kind}, which cannot be read here: save it as JPEG or PNG") from None
        reason = "" if isinstance(err, UnidentifiedImageError) else f" ({_reason(err)})"
        raise InputError(f"{name}: {label} is not a readable image{reason}") from None
    return img


_KINDS = ((b"%PDF", "a PDF document"), (b"<svg", "an SVG drawing"), (b"<?xml", "an XML file (an SVG drawing?)"))
_HEIF_BRANDS = (b"heic", b"heix", b"heim", b"heis", b"hevc", b"hevx", b"mif1", b"msf1")


def _known_kind(fp: io.BytesIO | Path) -> str | None:
    """What a file Pillow cannot open is, when it is a common kind people upload (an
    iPhone's HEIC photo, a PDF, an SVG), from its first bytes; None otherwise."""
    try:
        if isinstance(fp, Path):
            with fp.open("rb") as f:
                head = f.read(64)
        else:
            head = fp.getvalue()[:64]
    except OSError:
        return None
    if head[4:8] == b"ftyp" and head[8:12] in _HEIF_BRANDS:
        return "a HEIC/HEIF photo (an iPhone's format)"
    text = head.lstrip(b"\xef\xbb\xbf \t\r\n").lower()
    return next((kind for magic, kind in _KINDS if text.startswith(magic.lower())), None)


def _oriented_size(img: Image.Image) -> tuple[int, int]:
    """``(H, W)`` of a PIL image once its EXIF orientation is applied."""
    w, h = img.size
    try:
        orientation = img.getexif().get(0x0112, 1)
    except Exception:  # noqa: BLE001 - broken EXIF: exif_transpose will ignore it as well
        orientation = 1
    return (w, h) if orientation in (5, 6, 7, 8) else (h, w)


def _reason(err: Exception) -> str:
    """A short reason from a decoder exception."""
    return shorten(str(err).strip() or type(err).__name__, 159)


def _from_pil(
    img: Image.Image, name: str, max_side: int, max_pixels: int,
) -> tuple[np.ndarray, np.ndarray | None, tuple[int, int]]:
    """Decode a PIL image: draft-decode big JPEGs, apply EXIF orientation, convert the mode.

    Returns ``(rgb, alpha, (H, W))``, the last the oriented size before any downscaling.
    Formats other than JPEG (MPO included: a phone's JPEG with more pictures in it) are
    decoded before their EXIF is read: a PNG's ``getexif`` decodes the picture itself, and
    a decoding error swallowed there left a half-decoded picture that the next ``load``
    returned as if whole.
    """
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # odd EXIF, bomb warnings already handled
            if not isinstance(img, JpegImagePlugin.JpegImageFile):
                img.load()
            original = _oriented_size(img)
            _draft(img, max_side, max_pixels)
            img.load()
            img = ImageOps.exif_transpose(img) or img
            img = _shrink(img, max_side, max_pixels)
        return (*_convert_mode(img), original)
    except Image.DecompressionBombError as err:
        raise InputError(f"{name}: image is too large to open safely ({err})") from None
    except (OSError, SyntaxError, ValueError, MemoryError) as err:
        raise InputError(f"{name}: the image cannot be decoded ({_reason(err)})") from None


def _draft(img: Image.Image, max_side: int, max_pixels: int) -> None:
    """Let the JPEG decoder skip detail we would throw away (DCT scaling, exact size kept >= limit)."""
    w, h = img.size
    factor = _fit_factor(h, w, max_side, max_pixels)
    if factor < 1.0 and isinstance(img, JpegImagePlugin.JpegImageFile):  # phones' MPO files too
        img.draft(img.mode, (int(w * factor) + 1, int(h * factor) + 1))


def _shrink(img: Image.Image, max_side: int, max_pixels: int) -> Image.Image:
    """Box-shrink a decoded image far over the limits by a whole factor, keeping it at least
    at the limits (:func:`_limit_size` then brings it to them exactly), so the mode
    conversion's copies are small: a 13000² PNG no longer needs several full-size copies."""
    w, h = img.size
    k = int(1.0 / _fit_factor(h, w, max_side, max_pixels))
    if k < 2 or img.mode in ("1", "P", "PA"):  # palette indices cannot be averaged
        return img
    try:
        return img.reduce(k)
    except (ValueError, NotImplementedError):  # a mode reduce does not handle
        return img


def _convert_mode(img: Image.Image) -> tuple[np.ndarray, np.ndarray | None]:
    """Any PIL mode -> ``(HxWx3 uint8 RGB on white, alpha or None)``."""
    mode = img.mode
    if mode in ("I;16", "I;16B", "I;16L", "I;16N", "I", "F"):
        gray = _to_uint8(np.asarray(img), sixteen_bit=mode.startswith("I"))
        return np.repeat(gray[..., None], 3, axis=2), None
    has_alpha = mode in ("RGBA", "LA", "PA", "La", "RGBa") or "transparency" in img.info
    if not has_alpha:
        return np.asarray(img.convert("RGB"), dtype=np.uint8).copy(), None
    rgba = np.asarray(img.convert("RGBA"), dtype=np.uint8)
    alpha = rgba[..., 3].copy()
    return _on_white(rgba[..., :3], alpha), alpha


def _on_white(rgb: np.ndarray, alpha: np.ndarray) -> np.ndarray:
    """Composite RGB with an 8-bit alpha onto white."""
    a = alpha.astype(np.float32)[..., None] / 255.0
    return np.clip(np.rint(rgb.astype(np.float32) * a + 255.0 * (1.0 - a)), 0, 255).astype(np.uint8)


FLOAT_OVERSHOOT = 1023.0
"""Float pictures whose maximum is above this are scaled so that their maximum becomes 255;
up to it, values over 255 are a 0..255 picture's overshoot (a cubic resize reaches about
300) and are clipped."""


def _to_uint8(arr: np.ndarray, sixteen_bit: bool = False) -> np.ndarray:
    """Integer or float samples -> uint8: 16-bit scaled by 1/257; floats in [0, 1] by 255, up
    to :data:`FLOAT_OVERSHOOT` as they are (clipped at 255), larger ones, of no known range,
    so that their maximum is 255."""
    if arr.dtype == np.uint8:
        return arr
    if arr.dtype == bool:
        return arr.astype(np.uint8) * 255
    if np.issubdtype(arr.dtype, np.floating):
        arr = arr.astype(np.float32)
        finite = np.isfinite(arr)
        top = float(arr[finite].max()) if finite.any() else 0.0  # an inf must not decide the range
        scale = 255.0 if top <= 1.0 else 1.0 if top <= FLOAT_OVERSHOOT else 255.0 / top
        arr = np.nan_to_num(arr, nan=0.0, posinf=top, neginf=0.0)
        return np.clip(np.rint(arr * scale), 0, 255).astype(np.uint8)
    if sixteen_bit or arr.dtype == np.uint16 or (arr.size and int(arr.max()) > 255):
        return np.clip(np.rint(arr.astype(np.float64) / 257.0), 0, 255).astype(np.uint8)
    return np.clip(arr, 0, 255).astype(np.uint8)


def _from_array(arr: np.ndarray, name: str) -> tuple[np.ndarray, np.ndarray | None]:
    """An array (gray, gray+1, RGB, RGBA; uint8/uint16/float/bool) -> ``(rgb, alpha)``."""
    if np.issubdtype(arr.dtype, np.complexfloating) or not (np.issubdtype(arr.dtype, np.number) or arr.dtype == bool):
        raise InputError(f"{name}: unsupported array type {arr.dtype}")
    if arr.ndim == 3 and arr.shape[2] == 1:
        arr = arr[..., 0]
    if arr.ndim == 2:
        gray = _to_uint8(arr)
        return np.repeat(gray[..., None], 3, axis=2), None
    if arr.ndim != 3 or arr.shape[2] not in (3, 4):
        raise InputError(f"{name}: expected an HxW, HxWx3 or HxWx4 array, got shape {arr.shape}")
    data = _to_uint8(arr)
    if arr.shape[2] == 3:
        return np.ascontiguousarray(data), None
    alpha = data[..., 3].copy()
    return _on_white(data[..., :3], alpha), alpha


# --------------------------------------------------------------------------- size


def _fit_factor(h: int, w: int, max_side: int, max_pixels: int) -> float:
    """The factor (<= 1) that brings ``h x w`` within both limits."""
    return min(1.0, max_side / max(h, w), (max_pixels / float(h * w)) ** 0.5)


def _limit_size(
    rgb: np.ndarray, alpha: np.ndarray | None, max_side: int, max_pixels: int, original: tuple[int, int]
) -> LoadedImage:
    """Downscale (area interpolation) when the image is over :data:`MAX_SIDE` or the pixel budget.

    The size comes from the ``original`` size, so a picture the decoder already shrank (JPEG
    draft, :func:`_shrink`) ends at exactly the size a full decode would have given.
    """
    h, w = original
    factor = _fit_factor(h, w, max_side, max_pixels)
    if factor >= 1.0:
        return LoadedImage(rgb=rgb, alpha=alpha, original_size=(h, w))
    size = (max(1, int(w * factor)), max(1, int(h * factor)))
    if (rgb.shape[1], rgb.shape[0]) == size:
        return LoadedImage(rgb=rgb, alpha=alpha, original_size=(h, w), scale=size[0] / w)
    rgb = cv2.resize(rgb, size, interpolation=cv2.INTER_AREA)
    if alpha is not None:
        alpha = cv2.resize(alpha, size, interpolation=cv2.INTER_AREA)
    return LoadedImage(rgb=np.ascontiguousarray(rgb), alpha=alpha, original_size=(h, w), scale=size[0] / w)


# --------------------------------------------------------------------------- labels


def _labels_array(src: ImageSource, name: str) -> np.ndarray:
    """Raw label values: arrays as given, images decoded without colour conversion."""
    if isinstance(src, np.ndarray):
        if not (np.issubdtype(src.dtype, np.number) or src.dtype == bool):
            raise InputError(f"{name}: unsupported array type {src.dtype}")
        return src.astype(np.int64) if src.dtype == bool else src
    img = _open_pil(src, name)
    try:
        img.load()
        if img.mode in ("P", "L", "I", "I;16", "I;16B", "I;16L", "F", "1"):
            return np.asarray(img)
        return np.asarray(img.convert("RGB"))
    except (OSError, SyntaxError, ValueError) as err:
        raise InputError(f"{name}: the label map cannot be decoded ({_reason(err)})") from None


def _labels_from_rgb(arr: np.ndarray, name: str) -> np.ndarray:
    """An RGB(A) label picture -> class indices (equal channels, or the label palette)."""
    if arr.shape[2] == 4:
        arr = arr[..., :3]
    if arr.shape[2] == 1:
        return arr[..., 0]
    if arr.shape[2] != 3:
        raise InputError(f"{name}: a label map must have 1 or 3 channels, got {arr.shape[2]}")
    if np.array_equal(arr[..., 0], arr[..., 1]) and np.array_equal(arr[..., 1], arr[..., 2]):
        return arr[..., 0]
    flat = arr.reshape(-1, 3).astype(np.int32)
    palette = L.PALETTE.astype(np.int32)
    match = (flat[:, None, :] == palette[None]).all(axis=2)
    if not match.any(axis=1).all():
        raise InputError(
            f"{name}: a colour label map must use the label palette of changer.labels "
            "(or save the map as a single-channel PNG with values 0..4)"
        )
    return match.argmax(axis=1).reshape(arr.shape[:2]).astype(np.uint8)


def _fit_labels(labels: np.ndarray, size: tuple[int, int], name: str) -> np.ndarray:
    """Resize ``labels`` (nearest) to ``size`` when only the resolution differs."""
    h, w = labels.shape
    th, tw = size
    if (h, w) == (th, tw):
        return labels
    if abs(h / w - th / tw) > 0.01 * (th / tw) + 1.0 / min(h, w):
        raise InputError(f"{name}: label map is {w}x{h} px but its image is {tw}x{th} px")
    return cv2.resize(labels, (tw, th), interpolation=cv2.INTER_NEAREST)
