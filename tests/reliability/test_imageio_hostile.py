"""Every hostile file through the loading functions: a picture or an InputError, never a
traceback; bombs and huge label maps refused from their header, at once (issue 27)."""

from __future__ import annotations

import time
from pathlib import Path

import numpy as np
import pytest

from changer.imageio import InputError, check_label_header, load_image_rgba, load_labels, read_image

REFUSED = {  # what each refused file's message says
    "empty.png": "empty file", "random_bytes.png": "not a readable image", "signature_only.png": "not a readable",
    "corrupt_middle.png": "cannot be decoded", "bad_crc.png": "not a readable", "truncated.png": "cannot be decoded",
    "truncated.jpg": "cannot be decoded", "jpeg_header_only.jpg": "not a readable", "text.png": "not a readable",
    "html.jpg": "not a readable", "document.pdf.png": "a PDF document", "drawing.svg.png": "an SVG drawing",
    "iphone.heic.jpg": "HEIC", "zip.png": "not a readable", "bomb_100k.png": "too large to open safely",
    "bomb_11000_rgb.png": "11000x11000 px (121 megapixels); at most 67", "bomb_13300_rgb.png": "177 megapixels",
    "bomb_9000_rgba16.png": "81 megapixels", "bomb_wide.png": "aspect ratio is too extreme",
    "tiny_1x1.png": "at least 64x64", "sliver_64x9000.png": "aspect ratio", "fully_transparent.png": "fully transparent",
    "ico.ico": "at least 64x64",
}


def test_the_corpus_is_small(corpus: dict[str, Path]) -> None:
    assert len(corpus) >= 40 and max(p.stat().st_size for p in corpus.values()) < 200_000


@pytest.mark.parametrize("loader", [read_image, load_image_rgba])
def test_every_file_is_a_picture_or_a_message(corpus: dict[str, Path], loader) -> None:
    for name, path in corpus.items():
        start = time.perf_counter()
        try:
            out = loader(path, "source")
        except InputError as err:
            assert name in REFUSED and REFUSED[name] in str(err), (name, str(err))
            assert str(path.parent) not in str(err)  # the file's name, never its folder
        else:
            assert name not in REFUSED, name
            rgb = out.rgb if hasattr(out, "rgb") else out[0]
            assert rgb.dtype == np.uint8 and rgb.ndim == 3 and rgb.shape[2] == 3 and min(rgb.shape[:2]) >= 64
        assert time.perf_counter() - start < 1.0, name


def test_odd_formats_decode_to_the_right_shape(corpus: dict[str, Path]) -> None:
    assert read_image(corpus["exif_turn6.jpg"]).rgb.shape == (128, 96, 3)  # turned by its EXIF
    assert read_image(corpus["exif_bad_value.jpg"]).rgb.shape == (96, 128, 3)  # a broken tag is ignored
    assert read_image(corpus["animated.gif"]).rgb[0, 0, 0] == read_image(corpus["animated.png"]).rgb[0, 0, 0]  # frame 1
    gray16 = read_image(corpus["gray16.png"]).rgb
    assert gray16.max() == 255 and np.array_equal(gray16[..., 0], gray16[..., 2])
    _, alpha = load_image_rgba(corpus["transparent_edges.png"])
    assert alpha is not None and alpha.min() == 0 and alpha.max() == 255


def test_label_maps_are_checked_from_their_header(label_corpus: dict[str, Path]) -> None:
    expect = {
        "labels_huge_11000.png": "121 megapixels", "labels_huge_gray_20000.png": "too large to open safely",
        "labels_off_palette.png": "label palette", "labels_out_of_range.png": "must be 0..4",
        "labels_16bit.png": "must be 0..4", "labels_wrong_shape.png": "label map is 42x96 px but its image is 128x96",
    }
    for name, path in label_corpus.items():
        start = time.perf_counter()
        try:
            labels = load_labels(path, "labels", size=(96, 128))
        except InputError as err:
            assert name in expect and expect[name] in str(err), (name, str(err))
        else:
            assert name not in expect and labels.shape == (96, 128) and labels.max() <= 4, name
        assert time.perf_counter() - start < 1.0, name
    with pytest.raises(InputError, match="larger than its photo"):
        check_label_header(label_corpus["labels_gray_valid.png"], "target labels", (48, 64))
    check_label_header(label_corpus["labels_gray_valid.png"], "target labels", (256, 192))  # a turned photo's map
    with pytest.raises(InputError, match="label map is 128x96 px but its photo is 300x100 px"):
        check_label_header(label_corpus["labels_gray_valid.png"], "target labels", (100, 300))


def test_palette_matching_is_a_lookup_not_a_broadcast() -> None:
    from changer import labels as L

    rng = np.random.default_rng(0)
    lab = rng.integers(0, L.NUM_CLASSES, (300, 5000), dtype=np.uint8)  # 1.5 MP: more than one chunk
    np.testing.assert_array_equal(load_labels(L.colorize(lab)), lab)
    wrong = L.colorize(lab)
    wrong[299, 4999] = (1, 2, 3)
    with pytest.raises(InputError, match="label palette"):
        load_labels(wrong)
    np.testing.assert_array_equal(load_labels(L.colorize(lab).astype(np.int32)), lab)  # numbers, not bytes
