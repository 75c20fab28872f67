"""Loading user images and label maps: formats, orientation, limits and clear errors."""

from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np
import pytest
from PIL import Image

from changer import labels as L
from changer.imageio import InputError, load_image, load_image_rgba, load_labels, read_image


def _gradient(h: int = 80, w: int = 120) -> np.ndarray:
    """A deterministic RGB test picture."""
    yy, xx = np.mgrid[0:h, 0:w]
    return np.stack([xx * 2 % 256, yy * 3 % 256, (xx + yy) % 256], axis=2).astype(np.uint8)


def test_png_roundtrip(tmp_path: Path) -> None:
    img = _gradient()
    Image.fromarray(img).save(tmp_path / "a.png")
    out = load_image(tmp_path / "a.png")
    assert out.dtype == np.uint8 and out.shape == (80, 120, 3)
    np.testing.assert_array_equal(out, img)


@pytest.mark.parametrize(
    ("content", "needle"),
    [
        (b"", "empty"),
        (b"\x89PNG\r\n\x1a\n" + bytes(range(200)), "not a readable image"),
        (b"hello, world\n", "not a readable image"),
        (b"\x00\x00\x00\x18ftypheic\x00\x00\x00\x00mif1heic" + bytes(64), "a HEIC/HEIF photo .* save it as JPEG or PNG"),
        (b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n1 0 obj\n", "a PDF document"),
        (b'\xef\xbb\xbf<svg xmlns="http://www.w3.org/2000/svg" width="9" height="9"/>', "an SVG drawing"),
    ],
    ids=["empty", "corrupt", "text", "heic", "pdf", "svg"],
)
def test_bad_files(tmp_path: Path, content: bytes, needle: str) -> None:
    path = tmp_path / "bad.png"
    path.write_bytes(content)
    with pytest.raises(InputError, match=needle) as err:
        load_image(path, "source")
    assert str(err.value).startswith("source:")
    assert str(tmp_path) not in str(err.value)  # the file's name only: uploads live in server folders
    assert isinstance(err.value, ValueError)


def test_truncated_jpeg(tmp_path: Path) -> None:
    path = tmp_path / "cut.jpg"
    Image.fromarray(_gradient(200, 200)).save(path, quality=90)
    path.write_bytes(path.read_bytes()[:400])
    with pytest.raises(InputError, match="target: "):
        load_image(path, "target")


def test_a_png_corrupt_in_its_middle_is_refused(tmp_path: Path) -> None:
    """Reading a PNG's EXIF decodes it; a decoding error there must not leave a
    half-decoded picture that loads as if whole (it did: a blend with a black half)."""
    rng = np.random.default_rng(0)
    img = np.dstack([_gradient(200, 160)[..., 0], rng.integers(0, 256, (200, 160, 2), dtype=np.uint8)])
    path = tmp_path / "broken.png"
    Image.fromarray(img).save(path)
    data = bytearray(path.read_bytes())
    data[len(data) // 2] ^= 0xFF
    path.write_bytes(bytes(data))
    with pytest.raises(InputError, match="source: the image cannot be decoded"):
        load_image(path, "source")


def test_missing_file(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="file not found"):
        load_image(tmp_path / "nope.png", "source")


def test_tiny_image(tmp_path: Path) -> None:
    Image.fromarray(_gradient(30, 40)).save(tmp_path / "tiny.png")
    with pytest.raises(InputError, match=r"source: image is 40x30 px; at least 64x64 is needed"):
        load_image(tmp_path / "tiny.png", "source")
    with pytest.raises(InputError, match="40x30"):
        load_image(_gradient(30, 40), "source")


def test_sixteen_bit_gray_png(tmp_path: Path) -> None:
    ramp = (np.arange(80 * 96).reshape(80, 96) * 8).astype(np.uint16)
    Image.fromarray(ramp).save(tmp_path / "g16.png")
    out = load_image(tmp_path / "g16.png")
    assert out.shape == (80, 96, 3) and out.dtype == np.uint8
    expected = np.rint(ramp / 257.0).astype(np.uint8)
    np.testing.assert_array_equal(out[..., 0], expected)
    np.testing.assert_array_equal(out[..., 0], out[..., 2])


def test_sixteen_bit_array() -> None:
    arr = np.full((64, 64, 3), 65535, np.uint16)
    assert load_image(arr).max() == 255 and load_image(arr).dtype == np.uint8


def test_rgba_on_white_and_alpha_kept(tmp_path: Path) -> None:
    rgba = np.zeros((64, 80, 4), np.uint8)
    rgba[..., 0] = 200
    rgba[:, :40, 3] = 255  # left half opaque red-ish, right half transparent
    Image.fromarray(rgba, "RGBA").save(tmp_path / "a.png")
    rgb = load_image(tmp_path / "a.png")
    np.testing.assert_array_equal(rgb[0, 0], [200, 0, 0])
    np.testing.assert_array_equal(rgb[0, 79], [255, 255, 255])
    rgb2, alpha = load_image_rgba(tmp_path / "a.png")
    np.testing.assert_array_equal(rgb2, rgb)
    assert alpha is not None and alpha[0, 0] == 255 and alpha[0, 79] == 0
    rgba[..., 3] = 0  # nothing left to see: refused, not parsed as a white picture
    Image.fromarray(rgba, "RGBA").save(tmp_path / "clear.png")
    with pytest.raises(InputError, match="target: the image is fully transparent"):
        load_image(tmp_path / "clear.png", "target")


def test_grayscale_and_palette(tmp_path: Path) -> None:
    gray = _gradient()[..., 1]
    Image.fromarray(gray, "L").save(tmp_path / "g.png")
    out = load_image(tmp_path / "g.png")
    assert out.shape == (80, 120, 3)
    np.testing.assert_array_equal(out[..., 0], gray)
    Image.fromarray(_gradient()).convert("P", palette=Image.Palette.ADAPTIVE, colors=16).save(tmp_path / "p.png")
    assert load_image(tmp_path / "p.png").shape == (80, 120, 3)
    assert load_image(gray).shape == (80, 120, 3)


def test_exif_rotated_jpeg(tmp_path: Path) -> None:
    img = np.zeros((64, 128, 3), np.uint8)
    img[:, :64] = (255, 0, 0)  # red left half of a landscape picture
    pil = Image.fromarray(img)
    exif = pil.getexif()
    exif[0x0112] = 6  # "rotate 90 CW to display"
    pil.save(tmp_path / "r.jpg", exif=exif, quality=95)
    loaded = read_image(tmp_path / "r.jpg")
    assert loaded.rgb.shape == (128, 64, 3)  # portrait once oriented
    assert loaded.original_size == (128, 64)
    top, bottom = loaded.rgb[:20].mean(axis=(0, 1)), loaded.rgb[-20:].mean(axis=(0, 1))
    assert top[0] > 200 and bottom[0] < 50  # red ends up on top after a clockwise turn


def test_pil_and_bytes_inputs(tmp_path: Path) -> None:
    img = _gradient()
    Image.fromarray(img).save(tmp_path / "a.png")
    np.testing.assert_array_equal(load_image(Image.fromarray(img)), img)
    np.testing.assert_array_equal(load_image((tmp_path / "a.png").read_bytes()), img)
    with pytest.raises(InputError, match="expected a file path"):
        load_image(12345)  # type: ignore[arg-type]


def test_large_image_downscaled() -> None:
    big = np.zeros((300, 1000, 3), np.uint8)
    loaded = read_image(big, max_side=500)
    assert loaded.rgb.shape == (150, 500, 3) and loaded.scale == pytest.approx(0.5)
    assert loaded.original_size == (300, 1000)
    budget = read_image(np.zeros((400, 400, 3), np.uint8), max_pixels=100 * 100)
    assert budget.rgb.shape == (100, 100, 3)


def test_decompression_bomb(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    Image.fromarray(_gradient(100, 100)).save(tmp_path / "bomb.png")
    monkeypatch.setattr(Image, "MAX_IMAGE_PIXELS", 2000)  # 10,000 px > 2 x limit
    with pytest.raises(InputError, match="too large"):
        load_image(tmp_path / "bomb.png", "target")


def test_labels_validation(tmp_path: Path) -> None:
    lab = np.zeros((64, 64), np.uint8)
    lab[10:30, 10:30] = L.FACE
    lab[40:, :] = L.BODY
    Image.fromarray(lab).save(tmp_path / "l.png")
    np.testing.assert_array_equal(load_labels(tmp_path / "l.png"), lab)
    Image.fromarray(L.colorize(lab)).save(tmp_path / "c.png")
    np.testing.assert_array_equal(load_labels(tmp_path / "c.png"), lab)
    big = load_labels(lab, size=(128, 128))
    assert big.shape == (128, 128) and set(np.unique(big)) == set(np.unique(lab))
    bad = lab.copy()
    bad[0, 0] = 7
    with pytest.raises(InputError, match=r"values must be 0\.\.4.*\[7\]"):
        load_labels(bad, "target labels")
    with pytest.raises(InputError, match="label map is 64x64 px but its image is 100x64 px"):
        load_labels(lab, "target labels", size=(64, 100))
    with pytest.raises(InputError, match="empty"):
        (tmp_path / "e.png").write_bytes(b"")
        load_labels(tmp_path / "e.png")


def test_odd_array_types() -> None:
    ramp = np.linspace(0, 1, 64 * 64, dtype=np.float32).reshape(64, 64)
    with_inf = ramp.copy()
    with_inf[0, 0] = np.inf  # one bad sample must not switch the 0..1 scaling off
    out = load_image(with_inf)
    np.testing.assert_array_equal(out[1:, :, 0], load_image(ramp)[1:, :, 0])
    assert out[0, 0, 0] == 255
    np.testing.assert_array_equal(load_image(ramp * 255), load_image(ramp))  # floats already in 0..255
    np.testing.assert_array_equal(load_image(ramp * 255000), load_image(ramp))  # unknown range: max to white
    overshoot = ramp * 255
    overshoot[0, 0] = 300.6  # a cubic resize of a 0..255 picture: clipped, not the whole picture darkened
    np.testing.assert_array_equal(load_image(overshoot)[1:], load_image(ramp)[1:])
    for bad in (ramp.astype(np.complex64), np.full((64, 64), "x", object)):  # 2-D arrays are checked too
        with pytest.raises(InputError, match="unsupported array type"):
            load_image(bad, "source")


@pytest.mark.parametrize("mode", ["RGB", "RGBA", "P", "I;16"])
def test_big_files_shrink_before_conversion_like_arrays(tmp_path: Path, mode: str) -> None:
    """Files far over the limit are box-shrunk first; the result matches resizing the whole picture."""
    rng = np.random.default_rng(0)
    smooth = cv2.resize(rng.integers(0, 256, (30, 40, 3), dtype=np.uint8), (1200, 900), interpolation=cv2.INTER_CUBIC)
    img = Image.fromarray(smooth)
    if mode == "RGBA":
        img.putalpha(255)
    elif mode == "P":
        img = img.quantize(64)
    elif mode == "I;16":
        img = Image.fromarray(smooth[..., 0].astype(np.uint16) * 257)
    img.save(tmp_path / "big.png")
    whole = read_image(np.asarray(img.convert("RGB") if mode != "I;16" else np.asarray(img)), max_side=250)
    loaded = read_image(tmp_path / "big.png", max_side=250)
    assert loaded.rgb.shape == whole.rgb.shape == (187, 250, 3) and loaded.original_size == (900, 1200)
    assert np.abs(loaded.rgb.astype(int) - whole.rgb.astype(int)).mean() < 2.0


def test_a_phones_mpo_jpeg_is_draft_decoded_like_a_jpeg() -> None:
    """Phones save JPEGs with a second picture in them (MPO): they are shrunk while decoding
    as plain JPEGs are (a full 12 MP decode otherwise), so both give the same pixels."""
    import io

    picture = Image.fromarray(_gradient(480, 640))
    jpeg, mpo = io.BytesIO(), io.BytesIO()
    picture.save(jpeg, "JPEG", quality=90)
    picture.save(mpo, "MPO", save_all=True, append_images=[picture.reduce(2)], quality=90)
    assert Image.open(io.BytesIO(mpo.getvalue())).format == "MPO"
    limits = {"max_side": 150, "max_pixels": 150 * 150}
    plain, multi = read_image(jpeg.getvalue(), **limits), read_image(mpo.getvalue(), **limits)
    assert multi.rgb.shape == (112, 150, 3) and multi.original_size == (480, 640)
    np.testing.assert_array_equal(multi.rgb, plain.rgb)


def test_pictures_over_the_decode_limit_are_refused_from_the_header(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Issue 27: the limit is checked before decoding; a JPEG counts at the size its decoder
    can shrink it to, so a big JPEG still opens where a PNG of its size is refused."""
    import changer.imageio as imageio

    picture = Image.fromarray(_gradient(800, 800))
    picture.save(tmp_path / "big.png")
    picture.save(tmp_path / "big.jpg", quality=90)
    monkeypatch.setattr(imageio, "MAX_DECODE_PIXELS", 200 * 200)
    decoded = []
    stock = Image.Image.load
    monkeypatch.setattr(Image.Image, "load", lambda self: decoded.append(self.format) or stock(self))
    with pytest.raises(InputError, match=r"target: image is 800x800 px \(1 megapixels\); at most 0 megapixels"):
        read_image(tmp_path / "big.png", "target", max_pixels=100 * 100)
    assert decoded == []  # refused before a pixel was decoded
    assert read_image(tmp_path / "big.jpg", "target", max_pixels=100 * 100).rgb.shape == (100, 100, 3)  # drafted to 200²
    with pytest.raises(InputError, match="target labels: image is 800x800"):
        load_labels(tmp_path / "big.png", "target labels")


def test_big_rgba_and_16_bit_files_are_shrunk_before_conversion(tmp_path: Path) -> None:
    """The mode conversion (alpha compositing, 16-bit scaling) runs at the budget's size."""
    rgba = np.dstack([_gradient(600, 800), np.full((600, 800), 128, np.uint8)])
    Image.fromarray(rgba, "RGBA").save(tmp_path / "rgba.png")
    loaded = read_image(tmp_path / "rgba.png", max_pixels=200 * 150)
    assert loaded.rgb.shape == (150, 200, 3) and loaded.alpha.shape == (150, 200) and loaded.alpha.max() == 128
    expected = cv2.resize(np.rint(_gradient(600, 800) * (128 / 255) + 255 * (127 / 255)).astype(np.uint8),
                          (200, 150), interpolation=cv2.INTER_AREA)
    assert np.abs(loaded.rgb.astype(int) - expected).max() <= 2
