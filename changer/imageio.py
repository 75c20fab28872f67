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
* files that would decode to more than :data:`MAX_DECODE_PIXELS` pixels are refused from
  their header, before any pixel is decoded (a JPEG counts at the reduced size its decoder
  can produce directly, so a 100 MP phone JPEG still opens); label maps obey the same limit,
  and a label map whose shape cannot fit its photo is refused from its header too.

Memory: a decode holds at most the decoded picture (at most :data:`MAX_DECODE_PIXELS`, up to
4 bytes a pixel in Pillow) plus its shrunken copy and the working copies at
:data:`MAX_PIXELS` (see ``docs/deploy.md`` for the measured peak of a request).
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

MAX_DECODE_PIXELS = 8192 * 8192
"""The most pixels a picture or label map may decode to (about 67 MP, checked from the file's
header before decoding); larger files are refused. A JPEG counts at the size its decoder
produces when asked for a picture near :data:`MAX_PIXELS` (up to 8 times smaller a side)."""


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
    mismatch is an error. A file is checked from its header before it is decoded: at most
    :data:`MAX_DECODE_PIXELS` pixels, and the shape ``size`` asks for.
    """
    arr = _labels_array(src, name, size)
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
    The size the decoder will produce is checked against :data:`MAX_DECODE_PIXELS` before
    any pixel is decoded. Formats other than JPEG (MPO included: a phone's JPEG with more
    pictures in it) are decoded before their EXIF is read: a PNG's ``getexif`` decodes the
    picture itself, and a decoding error swallowed there left a half-decoded picture that
    the next ``load`` returned as if whole.
    """
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # odd EXIF, bomb warnings already handled
            jpeg = isinstance(img, JpegImagePlugin.JpegImageFile)
            header = img.size
            if jpeg:
                original = _oriented_size(img)
                _draft(img, max_side, max_pixels)
            check_decode_size(img.size, name, header)
            _check_shape(header, name, max_side, max_pixels)
            if not jpeg:
                img.load()
                original = _oriented_size(img)
            img.load()
            img = ImageOps.exif_transpose(img) or img
            img = _shrink(img, original, max_side, max_pixels)
        return (*_convert_mode(img), original)
    except InputError:
        raise
    except Image.DecompressionBombError as err:
        raise InputError(f"{name}: image is too large to open safely ({err})") from None
    except (OSError, SyntaxError, ValueError, MemoryError) as err:
        raise InputError(f"{name}: the image cannot be decoded ({_reason(err)})") from None


def check_decode_size(size: tuple[int, int], name: str, header: tuple[int, int] | None = None,
                      limit: int | None = None) -> None:
    """Refuse a picture whose decoder would produce ``size`` (``(W, H)``) with more than
    ``limit`` (:data:`MAX_DECODE_PIXELS`) pixels; ``header`` is the size the file states,
    named in the message (a JPEG's decoded size can be smaller)."""
    limit = MAX_DECODE_PIXELS if limit is None else limit
    w, h = size
    if w * h > limit:
        hw, hh = header or size
        raise InputError(
            f"{name}: image is {hw}x{hh} px ({hw * hh / 1e6:.0f} megapixels); at most {limit / 1e6:.0f} "
            "megapixels can be opened here: save a smaller copy"
        )


def check_label_header(src: str | Path | bytes | Image.Image, name: str, photo: tuple[int, int]) -> None:
    """Refuse, from the headers alone, a label map file that cannot belong to a photo whose
    header says ``photo`` (``(H, W)``): over :data:`MAX_DECODE_PIXELS`, more pixels than the
    photo, or another shape (either way round: the photo's EXIF may turn it)."""
    h, w = header_size(src, name)
    check_decode_size((w, h), name)
    ph, pw = photo
    if h * w > ph * pw:
        raise InputError(f"{name}: label map is {w}x{h} px, larger than its photo ({pw}x{ph} px): "
                         "give a map of the photo's size")
    try:
        _check_label_shape((h, w), (ph, pw), name)
    except InputError:
        try:
            _check_label_shape((h, w), (pw, ph), name)
        except InputError:
            raise InputError(f"{name}: label map is {w}x{h} px but its photo is {pw}x{ph} px") from None


def _check_shape(size: tuple[int, int], name: str, max_side: int, max_pixels: int) -> None:
    """Refuse, from the header's ``(W, H)``, a picture too small or too thin to use (the same
    messages :func:`read_image` gives after decoding), before it is decoded."""
    w, h = size
    if min(w, h) < MIN_SIDE:
        raise InputError(f"{name}: image is {w}x{h} px; at least {MIN_SIDE}x{MIN_SIDE} is needed")
    if min(w, h) * _fit_factor(h, w, max_side, max_pixels) < MIN_SIDE:
        raise InputError(f"{name}: image is {w}x{h} px; its aspect ratio is too extreme to fit the size limits")


def header_size(src: str | Path | bytes | Image.Image, name: str = "image") -> tuple[int, int]:
    """``(H, W)`` of a picture file from its header alone (no pixel decoded), before any
    EXIF turn; :class:`InputError` when it cannot be opened."""
    img = _open_pil(src, name)
    w, h = img.size
    return h, w


def _draft(img: Image.Image, max_side: int, max_pixels: int) -> None:
    """Let the JPEG decoder skip detail we would throw away (DCT scaling, exact size kept >= limit)."""
    w, h = img.size
    factor = _fit_factor(h, w, max_side, max_pixels)
    if factor < 1.0 and isinstance(img, JpegImagePlugin.JpegImageFile):  # phones' MPO files too
        img.draft(img.mode, (int(w * factor) + 1, int(h * factor) + 1))


_PALETTE_MODES = {"1": "L", "P": "RGB", "PA": "RGBA"}
"""Modes whose values cannot be averaged, and what they are converted to before a shrink."""


def _shrink(img: Image.Image, original: tuple[int, int], max_side: int, max_pixels: int) -> Image.Image:
    """Bring a decoded image over the limits to the exact size :func:`_limit_size` would give
    (``original`` is its oriented size before any decoder shrinking), in Pillow and before the
    mode conversion, by one box resize (area averaging; a whole-factor ``reduce`` first and a
    box resize after it blurred more). The conversion's copies (alpha compositing, 16-bit scaling) are then made at the small size:
    a 13000² PNG, or an RGBA one just over the budget, no longer needs several full-size copies.
    """
    h, w = original
    factor = _fit_factor(h, w, max_side, max_pixels)
    if factor >= 1.0:
        return img
    target = (max(1, int(w * factor)), max(1, int(h * factor)))
    if img.size == target:
        return img
    if img.mode in _PALETTE_MODES:  # palette indices cannot be averaged
        img = img.convert("RGBA" if img.mode == "P" and "transparency" in img.info else _PALETTE_MODES[img.mode])
    try:
        img = img.resize(target, Image.Resampling.BOX)  # area averaging, as cv2's INTER_AREA
    except (ValueError, NotImplementedError):  # a mode Pillow cannot shrink: _limit_size does it
        pass
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
    """Composite RGB with an 8-bit alpha onto white, rounded: ``(rgb a + 255 (255 - a)) / 255``
    in 16-bit integers, in place (a float version took 60 bytes a pixel)."""
    a = alpha.astype(np.uint16)[..., None]
    out = rgb.astype(np.uint16)
    out *= a
    a = 255 - a  # the white's weight
    a *= 255
    out += a
    out += 127
    out //= 255
    return out.astype(np.uint8)


FLOAT_OVERSHOOT = 1023.0
"""Float pictures whose maximum is above this are scaled so that their maximum becomes 255;
up to it, values over 255 are a 0..255 picture's overshoot (a cubic resize reaches about
300) and are clipped."""


def _to_uint8(arr: np.ndarray, sixteen_bit: bool = False) -> np.ndarray:
    """Integer or float samples -> uint8: 16-bit scaled by 1/257; floats in [0, 1] by 255, up
    to :data:`FLOAT_OVERSHOOT` as they are (clipped at 255), larger ones, of no known range,
    so that their maximum is 255. Works on one working copy in place (a few bytes a pixel)."""
    if arr.dtype == np.uint8:
        return arr
    if arr.dtype == bool:
        return arr.astype(np.uint8) * 255
    if np.issubdtype(arr.dtype, np.floating):
        work = arr.astype(np.float32)  # a copy even when already float32: changed in place below
        finite = np.isfinite(work)
        top = float(np.max(work, where=finite, initial=-np.inf)) if finite.any() else 0.0  # an inf must not decide the range
        del finite
        scale = 255.0 if top <= 1.0 else 1.0 if top <= FLOAT_OVERSHOOT else 255.0 / top
        np.nan_to_num(work, copy=False, nan=0.0, posinf=top, neginf=0.0)
        work *= scale
        np.rint(work, out=work)
        np.clip(work, 0, 255, out=work)
        return work.astype(np.uint8)
    if sixteen_bit or arr.dtype == np.uint16 or (arr.size and int(arr.max()) > 255):
        # rint(x / 257) for x in 0..65535 is (x + 128) // 257 exactly (x / 257 is never k + 1/2)
        work = np.clip(arr, 0, 65535).astype(np.int32)
        work += 128
        work //= 257
        return work.astype(np.uint8)
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


def _labels_array(src: ImageSource, name: str, size: tuple[int, int] | None = None) -> np.ndarray:
    """Raw label values: arrays as given, images decoded without colour conversion (after
    their header's size is checked: the pixel limit, and the shape of ``size``)."""
    if isinstance(src, np.ndarray):
        if not (np.issubdtype(src.dtype, np.number) or src.dtype == bool):
            raise InputError(f"{name}: unsupported array type {src.dtype}")
        return src.astype(np.int64) if src.dtype == bool else src
    img = _open_pil(src, name)
    check_decode_size(img.size, name)
    if size is not None:
        _check_label_shape((img.size[1], img.size[0]), size, name)
    try:
        img.load()
        if img.mode in ("P", "L", "I", "I;16", "I;16B", "I;16L", "F", "1"):
            return np.asarray(img)
        return np.asarray(img.convert("RGB"))
    except (OSError, SyntaxError, ValueError) as err:
        raise InputError(f"{name}: the label map cannot be decoded ({_reason(err)})") from None


_CHUNK = 1 << 20
"""Pixels per step when a label picture is matched against the palette (bounded scratch memory)."""


def _palette_tables() -> tuple[np.ndarray, np.ndarray]:
    """Lookup tables for the label palette: ``channels[c][v]`` has bit ``i`` set when palette
    colour ``i`` has value ``v`` in channel ``c``; ``index[bits]`` is the class of a pixel whose
    three channel bit sets AND to ``bits`` (255 where no palette colour matches)."""
    palette = np.asarray(L.PALETTE, dtype=np.int64)
    channels = np.zeros((3, 256), np.uint8)
    for i, colour in enumerate(palette):
        for c in range(3):
            channels[c, colour[c]] |= np.uint8(1 << i)
    index = np.full(256, 255, np.uint8)
    for i in range(len(palette)):
        index[1 << i] = i
    return channels, index


def _labels_from_rgb(arr: np.ndarray, name: str) -> np.ndarray:
    """An RGB(A) label picture -> class indices (equal channels, or the label palette).

    Both the check for equal channels and the palette match run a million pixels at a time
    through small lookup tables (one byte a pixel of scratch), not a broadcast against the
    palette (that took 60 bytes a pixel: 5 GB for an 11000² map)."""
    if arr.shape[2] == 4:
        arr = arr[..., :3]
    if arr.shape[2] == 1:
        return arr[..., 0]
    if arr.shape[2] != 3:
        raise InputError(f"{name}: a label map must have 1 or 3 channels, got {arr.shape[2]}")
    h, w = arr.shape[:2]
    rows = max(1, _CHUNK // max(w, 1))
    if all(np.array_equal(arr[y:y + rows, :, 0], arr[y:y + rows, :, 1])
           and np.array_equal(arr[y:y + rows, :, 1], arr[y:y + rows, :, 2]) for y in range(0, h, rows)):
        return arr[..., 0]
    channels, index = _palette_tables()
    out = np.empty((h, w), np.uint8)
    for y in range(0, h, rows):
        part = arr[y:y + rows]
        if part.dtype != np.uint8:  # an array given as numbers: only 0..255 can be palette colours
            if not np.all((part >= 0) & (part <= 255)):
                out[y:y + rows] = 255
                break
            part = part.astype(np.uint8)
        bits = channels[0][part[..., 0]]
        bits &= channels[1][part[..., 1]]
        bits &= channels[2][part[..., 2]]
        out[y:y + rows] = index[bits]
    if (out == 255).any():
        raise InputError(
            f"{name}: a colour label map must use the label palette of changer.labels "
            "(or save the map as a single-channel PNG with values 0..4)"
        )
    return out


def _check_label_shape(shape: tuple[int, int], size: tuple[int, int], name: str) -> None:
    """Refuse a label map of ``shape`` (``(H, W)``) that cannot be fitted to an image of ``size``."""
    h, w = shape
    th, tw = size
    if min(h, w) < 1 or abs(h / w - th / tw) > 0.01 * (th / tw) + 1.0 / min(h, w):
        raise InputError(f"{name}: label map is {w}x{h} px but its image is {tw}x{th} px")


def _fit_labels(labels: np.ndarray, size: tuple[int, int], name: str) -> np.ndarray:
    """Resize ``labels`` (nearest) to ``size`` when only the resolution differs."""
    h, w = labels.shape
    th, tw = size
    if (h, w) == (th, tw):
        return labels
    _check_label_shape((h, w), size, name)
    return cv2.resize(labels, (tw, th), interpolation=cv2.INTER_NEAREST)
