"""Hostile inputs for the reliability tests and the load test, made at run time (nothing stored).

:func:`corpus` writes small files that exercise every way an upload can be wrong or odd:
corrupt, truncated, text posing as a picture, "bombs" that only claim huge sizes in their
header, 16-bit, CMYK, EXIF turns, animation, transparency, noise. :func:`png_header` writes a
PNG that is only a header (a bomb costs nothing to make), :func:`solid_png` a real PNG of any
size streamed row by row (a 13300² picture in a few MB of memory and about 0.5 MB of file).
"""

from __future__ import annotations

import io
import struct
import zlib
from pathlib import Path

import numpy as np
from PIL import Image

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
_CHANNELS = {0: 1, 2: 3, 4: 2, 6: 4}
"""PNG colour type -> samples a pixel (gray, RGB, gray+alpha, RGBA)."""


def _chunk(kind: bytes, data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)


def _ihdr(width: int, height: int, colour_type: int, bit_depth: int) -> bytes:
    return _chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, bit_depth, colour_type, 0, 0, 0))


def png_header(width: int, height: int, colour_type: int = 2, bit_depth: int = 8) -> bytes:
    """A PNG whose header claims ``width x height`` with one tiny compressed row of data: a
    decoder that trusts the header allocates the whole picture before finding it truncated."""
    row = b"\x00" * (1 + min(width, 4096) * _CHANNELS[colour_type] * bit_depth // 8)
    return PNG_SIGNATURE + _ihdr(width, height, colour_type, bit_depth) + _chunk(b"IDAT", zlib.compress(row)) + _chunk(b"IEND", b"")


def solid_png(path: str | Path, width: int, height: int, value: int | tuple[int, int, int] = 0,
              colour_type: int = 2) -> Path:
    """Write a valid ``width x height`` 8-bit PNG of one colour (``value``: a grey level, or an
    RGB triple for ``colour_type`` 2), streamed row by row: a 13300² picture takes a few MB of
    memory here and about 0.5 MB on disk."""
    path = Path(path)
    pixel = bytes(value) if isinstance(value, tuple) else bytes([value]) * _CHANNELS[colour_type]
    row = b"\x00" + pixel * width
    squeeze = zlib.compressobj(9)
    with path.open("wb") as f:
        f.write(PNG_SIGNATURE + _ihdr(width, height, colour_type, 8))
        rows_per_step = max(1, (8 << 20) // len(row))
        block = row * rows_per_step
        left = height
        while left:
            n = min(rows_per_step, left)
            data = squeeze.compress(block if n == rows_per_step else row * n)
            if data:
                f.write(_chunk(b"IDAT", data))
            left -= n
        f.write(_chunk(b"IDAT", squeeze.flush()) + _chunk(b"IEND", b""))
    return path


def _encoded(img: Image.Image, fmt: str, **kwargs) -> bytes:
    out = io.BytesIO()
    img.save(out, fmt, **kwargs)
    return out.getvalue()


def _gradient(h: int = 96, w: int = 128) -> np.ndarray:
    y, x = np.mgrid[0:h, 0:w]
    return np.stack([x * 255 // max(w - 1, 1), y * 255 // max(h - 1, 1), (x + y) * 255 // (h + w)], -1).astype(np.uint8)


def _exif_turned(img: Image.Image, orientation: int) -> bytes:
    exif = Image.Exif()
    exif[0x0112] = orientation
    return _encoded(img, "JPEG", exif=exif.tobytes(), quality=90)


def odd_encodings(photo: str | Path, folder: str | Path) -> dict[str, Path]:
    """``photo`` (a real picture) saved in odd but valid ways that must decode to the same
    pixels, near enough: 16-bit PNG, CMYK JPEG, RGBA and palette PNG, the first frame of an
    animated GIF, WebP, and a JPEG stored turned with an EXIF tag that turns it back."""
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    img = Image.open(photo).convert("RGB")
    rgb = np.asarray(img)
    gray16 = Image.fromarray((rgb.mean(axis=2) * 257).astype(np.uint16))
    stored_turned = img.transpose(Image.Transpose.ROTATE_90)  # orientation 6 turns it back by 270
    other = Image.fromarray(255 - rgb)
    files = {
        "odd_gray16.png": _encoded(gray16, "PNG"),
        "odd_cmyk.jpg": _encoded(img.convert("CMYK"), "JPEG", quality=95),
        "odd_rgba.png": _encoded(img.convert("RGBA"), "PNG"),
        "odd_palette.png": _encoded(img.quantize(256), "PNG"),
        "odd_animated.gif": _encoded(img, "GIF", save_all=True, append_images=[other], duration=50, loop=0),
        "odd_lossless.webp": _encoded(img, "WEBP", lossless=True),
        "odd_exif_turned.jpg": _exif_turned(stored_turned, 6),
    }
    out = {}
    for name, data in files.items():
        (folder / name).write_bytes(data)
        out[name] = folder / name
    return out


def corpus(folder: str | Path) -> dict[str, Path]:
    """Write the hostile corpus into ``folder``; returns name -> file. Every file is small
    (the largest a few tens of KB); the bombs only claim their size."""
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(27)
    picture = Image.fromarray(_gradient())
    png = _encoded(picture, "PNG")
    jpeg = _encoded(picture, "JPEG", quality=90)
    noise = Image.fromarray(rng.integers(0, 256, (128, 128, 3), dtype=np.uint8))
    frames = [Image.fromarray(np.full((96, 96, 3), v, np.uint8)) for v in (40, 140, 240)]
    rgba = picture.convert("RGBA")
    rgba.putalpha(Image.fromarray(np.tile(np.linspace(0, 255, 128, dtype=np.uint8), (96, 1))))
    clear = picture.convert("RGBA")
    clear.putalpha(0)
    files: dict[str, bytes] = {
        "empty.png": b"",
        "random_bytes.png": rng.integers(0, 256, 4096, dtype=np.uint8).tobytes(),
        "signature_only.png": PNG_SIGNATURE,
        "corrupt_middle.png": png[: len(png) // 2] + bytes(len(png) // 4) + png[len(png) // 2 + len(png) // 4:],
        "bad_crc.png": png[:29] + b"\x00\x00\x00\x00" + png[33:],
        "truncated.png": png[: len(png) * 2 // 3],
        "truncated.jpg": jpeg[: len(jpeg) // 2],
        "jpeg_header_only.jpg": jpeg[:200],
        "text.png": b"hello, this is not a picture\n" * 20,
        "html.jpg": b"<!doctype html><html><body>not an image</body></html>",
        "document.pdf.png": b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj\n<<>>\nendobj\n",
        "drawing.svg.png": b'<svg xmlns="http://www.w3.org/2000/svg" width="99999" height="99999"></svg>',
        "iphone.heic.jpg": b"\x00\x00\x00\x18ftypheic\x00\x00\x00\x00mif1heic" + bytes(64),
        "zip.png": b"PK\x03\x04" + bytes(200),
        "bomb_100k.png": png_header(100_000, 100_000),
        "bomb_11000_rgb.png": png_header(11_000, 11_000),
        "bomb_13300_rgb.png": png_header(13_300, 13_300),
        "bomb_9000_rgba16.png": png_header(9_000, 9_000, colour_type=6, bit_depth=16),
        "bomb_wide.png": png_header(1_000_000, 64),
        "tiny_1x1.png": _encoded(Image.new("RGB", (1, 1)), "PNG"),
        "sliver_64x9000.png": _encoded(Image.new("RGB", (9000, 64), (90, 120, 150)), "PNG"),
        "gray16.png": _encoded(Image.fromarray((_gradient()[..., 0].astype(np.uint16) * 257)), "PNG"),
        "rgb16.tif": _encoded(Image.fromarray(_gradient()), "TIFF"),  # Pillow writes 8-bit RGB TIFF
        "float.tif": _encoded(Image.fromarray(_gradient()[..., 1].astype(np.float32) / 255), "TIFF"),
        "cmyk.jpg": _encoded(picture.convert("CMYK"), "JPEG"),
        "cmyk.tif": _encoded(picture.convert("CMYK"), "TIFF"),
        "exif_turn6.jpg": _exif_turned(picture, 6),
        "exif_turn8.jpg": _exif_turned(picture, 8),
        "exif_bad_value.jpg": _exif_turned(picture, 77),
        "animated.gif": _encoded(frames[0], "GIF", save_all=True, append_images=frames[1:], duration=50, loop=0),
        "animated.png": _encoded(frames[0], "PNG", save_all=True, append_images=frames[1:], duration=50),
        "animated.webp": _encoded(frames[0], "WEBP", save_all=True, append_images=frames[1:], duration=50),
        "transparent_edges.png": _encoded(rgba, "PNG"),
        "fully_transparent.png": _encoded(clear, "PNG"),
        "palette_transparency.png": _encoded(picture.convert("P"), "PNG", transparency=0),
        "bilevel.png": _encoded(picture.convert("1"), "PNG"),
        "noise.png": _encoded(noise, "PNG"),
        "noise.webp": _encoded(noise, "WEBP"),
        "noise.jpg": _encoded(noise, "JPEG"),
        "bmp.bmp": _encoded(picture, "BMP"),
        "ico.ico": _encoded(picture, "ICO"),
    }
    out = {}
    for name, data in files.items():
        path = folder / name
        path.write_bytes(data)
        out[name] = path
    return out


def label_corpus(folder: str | Path, size: tuple[int, int] = (96, 128)) -> dict[str, Path]:
    """Hostile label maps for a photo of ``size`` (``(H, W)``): huge by header, a colour map off
    the palette, values out of range, 16-bit, RGBA, the wrong shape, and two that are valid
    (gray classes and the palette)."""
    from changer import labels as L

    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    h, w = size
    lab = np.zeros((h, w), np.uint8)
    lab[h // 5:h * 5 // 8, w * 5 // 16:w * 11 // 16] = L.FACE
    lab[h // 10:h // 5, w // 4:w * 3 // 4] = L.HAIR
    lab[h * 5 // 8:, :] = L.BODY
    files = {
        "labels_huge_11000.png": png_header(11_000, 11_000),
        "labels_huge_gray_20000.png": png_header(20_000, 20_000, colour_type=0),
        "labels_off_palette.png": _encoded(Image.fromarray(_gradient(h, w)), "PNG"),
        "labels_out_of_range.png": _encoded(Image.fromarray(lab * 50), "PNG"),
        "labels_16bit.png": _encoded(Image.fromarray(lab.astype(np.uint16) * 1000), "PNG"),
        "labels_rgba.png": _encoded(Image.fromarray(L.colorize(lab)).convert("RGBA"), "PNG"),
        "labels_wrong_shape.png": _encoded(Image.fromarray(lab[:, : w // 3]), "PNG"),
        "labels_gray_valid.png": _encoded(Image.fromarray(lab), "PNG"),
        "labels_palette_valid.png": _encoded(Image.fromarray(L.colorize(lab)), "PNG"),
    }
    out = {}
    for name, data in files.items():
        path = folder / name
        path.write_bytes(data)
        out[name] = path
    return out
