"""The head parser: network, Hub round trip, IoU, the pipeline hook, training and the CLI."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import cv2
import numpy as np
import pytest
import torch
from PIL import Image

import changer.parsing.parser as parser_module
from changer import chroma
from changer import labels as L
from changer.cli import main
from changer.data.synthetic import synthetic_person, write_synthetic_dataset
from changer.folders import is_model_folder
from changer.parsing import HeadParser, ParserConfig, ParserNet, get_parser
from changer.parsing.metrics import IoUAccumulator, confusion, iou_table, pooled_iou
from changer.parsing.parser import (
    DARK_FACE,
    FACE_LUMINANCE,
    PORTRAIT_FACE_SHARE,
    SEARCH_SURE,
    clean_labels,
    drop_screen_hair,
    face_confidence,
    other_faces,
    portrait_window,
    relit,
    upsample_argmax,
)
from changer.parsing.train import (
    ParserTrainConfig,
    augment,
    class_weights,
    export_parser,
    make_batch,
    split_train_val,
    train_parser,
)
from changer.pipeline import find_parser

TINY = {"widths": (4, 8, 8, 16, 16), "depths": (1, 1, 1, 1, 1), "expand": 1, "decoder_widths": (8, 8, 8, 8),
        "input_size": 64}


@pytest.fixture(autouse=True)
def _one_thread() -> None:
    torch.set_num_threads(1)


@pytest.fixture
def tiny_dir(tmp_path: Path) -> Path:
    torch.manual_seed(0)
    net = ParserNet(ParserConfig(**TINY)).eval()
    net.save_pretrained(tmp_path / "tiny")
    return tmp_path / "tiny"


# --------------------------------------------------------------------------- network


@pytest.mark.parametrize("shape", [(128, 128), (256, 256), (97, 131), (33, 40)])
def test_network_output_shape(shape: tuple[int, int]) -> None:
    net = ParserNet().eval()
    with torch.inference_mode():
        out = net(torch.rand(2, 3, *shape))
    assert out.shape == (2, L.NUM_CLASSES, *shape)
    assert torch.isfinite(out).all()


def test_default_network_size() -> None:
    n = ParserNet().num_parameters()
    assert 300_000 <= n <= 1_000_000


def test_network_rejects_bad_input() -> None:
    with pytest.raises(ValueError, match="expects"):
        ParserNet(ParserConfig(**TINY))(torch.rand(1, 4, 32, 32))


def test_config_validation() -> None:
    with pytest.raises(ValueError):
        ParserConfig(widths=(8, 8))
    with pytest.raises(TypeError, match="unknown"):
        ParserNet(ParserConfig(**TINY).to_dict() | {"nope": 1})


def test_save_load_round_trip_is_identical(tiny_dir: Path) -> None:
    assert sorted(p.name for p in tiny_dir.iterdir()) == ["README.md", "config.json", "model.safetensors"]
    saved = json.loads((tiny_dir / "config.json").read_text())
    assert saved["widths"] == list(TINY["widths"]) and saved["input_size"] == 64
    a = ParserNet(ParserConfig(**TINY))
    from safetensors.torch import load_model

    load_model(a, str(tiny_dir / "model.safetensors"))
    b = ParserNet.from_pretrained(str(tiny_dir))
    assert b.config == ParserConfig(**TINY)
    x = torch.rand(1, 3, 70, 90)
    with torch.inference_mode():
        assert torch.equal(a.eval()(x), b(x))


def test_fp16_weights_load_into_fp32(tmp_path: Path) -> None:
    net = ParserNet(ParserConfig(**TINY)).eval()
    with torch.no_grad():  # non-trivial BN statistics
        for m in net.modules():
            if isinstance(m, torch.nn.BatchNorm2d):
                m.running_mean.uniform_(-0.1, 0.1)
                m.running_var.uniform_(0.5, 1.5)
    check = [synthetic_person(64, np.random.default_rng(i)) for i in range(2)]
    report = export_parser(net, tmp_path / "half", check=check, fp16=True)
    assert report["dtype"] == "float16"
    from safetensors.torch import load_file

    assert load_file(str(tmp_path / "half" / "model.safetensors"))["head.weight"].dtype == torch.float16
    loaded = ParserNet.from_pretrained(str(tmp_path / "half"))
    assert loaded.head.weight.dtype == torch.float32
    x = torch.rand(1, 3, 64, 64)
    with torch.inference_mode():
        assert torch.allclose(loaded(x), net(x), atol=2e-2)


def test_loading_refuses_missing_weights(tmp_path: Path) -> None:
    (tmp_path / "config.json").write_text(json.dumps(ParserConfig(**TINY).to_dict()))
    with pytest.raises(FileNotFoundError, match="safetensors"):
        ParserNet.from_pretrained(str(tmp_path))


# --------------------------------------------------------------------------- IoU


def test_iou_hand_computed() -> None:
    ref1 = np.array([[0, 0, 1], [1, 1, 2]])
    pred1 = np.array([[0, 1, 1], [1, 2, 2]])
    ref2 = np.array([[3, 3], [4, 4]])
    pred2 = np.array([[3, 4], [4, 4]])
    # class 0: I=1, U=2; class 1: I=2 (+0), U=4; class 2: I=1, U=2; class 3: I=1, U=2; class 4: I=2, U=3
    iou = pooled_iou([(pred1, ref1), (pred2, ref2)])
    np.testing.assert_allclose(iou, [1 / 2, 2 / 4, 1 / 2, 1 / 2, 2 / 3])
    acc = IoUAccumulator()
    acc.add(pred1, ref1)
    acc.add(pred2, ref2)
    assert acc.images == 2
    assert acc.mean_iou() == pytest.approx(np.mean([0.5, 0.5, 0.5, 0.5, 2 / 3]))
    assert acc.pixel_accuracy() == pytest.approx(7 / 10)


def test_iou_is_pooled_not_averaged() -> None:
    # image 1: face I=1 U=1 (IoU 1); image 2: face I=1 U=9 (IoU 1/9); pooled: 2/10, mean of images: 5/9
    ref_a, pred_a = np.array([[1]]), np.array([[1]])
    ref_b = np.ones((3, 3), int)
    pred_b = np.zeros((3, 3), int)
    pred_b[0, 0] = 1
    assert pooled_iou([(pred_a, ref_a), (pred_b, ref_b)])[1] == pytest.approx(2 / 10)


def test_iou_absent_class_is_nan_and_table() -> None:
    iou = pooled_iou([(np.zeros((2, 2), int), np.zeros((2, 2), int))])
    assert iou[0] == 1.0 and np.isnan(iou[1:]).all()
    text = iou_table({"x": iou})
    assert "| x | 1.000 | n/a" in text and "mean" in text
    with pytest.raises(ValueError, match="shape"):
        confusion(np.zeros((2, 2)), np.zeros((2, 3)))


# --------------------------------------------------------------------------- parser and hook


def test_parser_any_size_and_format(tiny_dir: Path) -> None:
    parser = HeadParser.from_pretrained(tiny_dir, device="cpu")
    rng = np.random.default_rng(0)
    for shape in [(64, 64), (101, 57), (40, 300)]:
        img = rng.integers(0, 255, (*shape, 3), dtype=np.uint8)
        lab = parser(img)
        assert lab.shape == shape and lab.dtype == np.uint8 and lab.max() < L.NUM_CLASSES
        assert max(parser.working_size(shape)) == 64
    gray = rng.integers(0, 255, (50, 60), dtype=np.uint8)
    assert parser(gray).shape == (50, 60)
    rgba = rng.integers(0, 255, (50, 60, 4), dtype=np.uint8)
    np.testing.assert_array_equal(parser(rgba), parser(rgba[..., :3]))
    with pytest.raises(ValueError, match="uint8"):
        parser(np.zeros((50, 60, 3), np.float32))


def test_raw_labels_are_the_networks_arg_max_at_the_pictures_size(tiny_dir: Path) -> None:
    parser = HeadParser.from_pretrained(tiny_dir, device="cpu")
    img = np.random.default_rng(0).integers(0, 255, (101, 57, 3), dtype=np.uint8)
    np.testing.assert_array_equal(parser.raw_labels(img), upsample_argmax(parser.logits(img), (101, 57)))


def test_upsample_argmax_matches_full_resize() -> None:
    import cv2

    logits = np.random.default_rng(0).standard_normal((5, 9, 13)).astype(np.float32)
    full = cv2.resize(logits.transpose(1, 2, 0), (41, 29), interpolation=cv2.INTER_LINEAR).argmax(2)
    np.testing.assert_array_equal(upsample_argmax(logits, (29, 41)), full)


def test_clean_labels_drops_stray_blobs() -> None:
    _, lab = synthetic_person(96, np.random.default_rng(0))
    noisy = lab.copy()
    noisy[2:8, 2:8] = L.HAIR  # a background blob taken for hair
    noisy[2:6, 88:94] = L.BODY
    noisy[90:93, 2:5] = L.FACE  # a tiny second "face"
    np.testing.assert_array_equal(clean_labels(noisy), lab)
    empty = np.full((20, 20), L.HAIR, np.uint8)  # no face: unchanged
    np.testing.assert_array_equal(clean_labels(empty), empty)
    assert clean_labels(lab) is lab  # nothing to clean: no copy


def test_portrait_window_frames_small_faces_only() -> None:
    lab = np.zeros((400, 600), np.uint8)
    lab[100:145, 300:336] = L.FACE  # 45 px tall in a 600 px picture
    top, left, side = portrait_window(lab)
    assert side == round(45 / PORTRAIT_FACE_SHARE)
    assert abs(left + side / 2 - 318) <= 1 and abs(top + 0.45 * side - 122.5) <= 1
    big = np.zeros((200, 200), np.uint8)
    big[40:160, 50:150] = L.FACE  # a talking-head framing already
    assert portrait_window(big) is None
    assert portrait_window(np.zeros((50, 50), np.uint8)) is None


def _coordinate_picture(h: int, w: int) -> np.ndarray:
    """A picture whose pixels spell their own ``(y, x)``, so any crop can be located."""
    y, x = np.mgrid[:h, :w]
    return np.stack([y % 256, x % 256, (y // 256) * 16 + x // 256], -1).astype(np.uint8)


def _oracle_parser(tiny_dir: Path, truth: np.ndarray, reframe: bool, flip: bool = False) -> tuple[HeadParser, list]:
    """A parser whose network returns the true labels of whatever part of the
    :func:`_coordinate_picture` it is shown; records the sizes it is shown. Its colours
    code coordinates (green-dominant above the diagonal), so screen hair is not dropped."""
    parser = HeadParser.from_pretrained(tiny_dir, device="cpu", reframe=reframe, flip=flip, screen_hair=False)
    calls: list[tuple[int, int]] = []

    def logits(rgb: np.ndarray) -> np.ndarray:
        calls.append(rgb.shape[:2])
        c = rgb.astype(np.int64)
        lab = truth[c[..., 0] + 256 * (c[..., 2] // 16), c[..., 1] + 256 * (c[..., 2] % 16)]
        return np.eye(L.NUM_CLASSES, dtype=np.float32)[lab].transpose(2, 0, 1)

    parser.logits = logits  # type: ignore[method-assign]
    return parser, calls


def test_reframe_reparses_a_window_around_a_small_face(tiny_dir: Path) -> None:
    picture = _coordinate_picture(300, 500)
    truth = np.zeros((300, 500), np.uint8)
    truth[60:70, 200:230] = L.HAIR
    truth[70:100, 200:230] = L.FACE
    truth[100:110, 208:222] = L.NECK
    truth[110:150, 180:250] = L.BODY
    truth[250:260, 20:30] = L.HAIR  # a stray blob far from the face: dropped
    parser, calls = _oracle_parser(tiny_dir, truth, reframe=True)
    out = parser(picture)
    side = round(30 / PORTRAIT_FACE_SHARE)
    assert calls == [(300, 500), (side, side)]  # the second pass sees a portrait framing
    truth[250:260, 20:30] = L.BACKGROUND
    np.testing.assert_array_equal(out, truth)
    plain, calls = _oracle_parser(tiny_dir, truth, reframe=False)
    plain(picture)
    assert calls == [(300, 500)]
    mirrored, calls = _oracle_parser(tiny_dir, truth, reframe=True, flip=True)
    np.testing.assert_array_equal(mirrored(picture), truth)  # the mirror pass lands back in place
    assert calls == [(300, 500), (300, 500), (side, side), (side, side)]



def test_large_pictures_are_labelled_at_the_capped_size(tiny_dir: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Above PARSE_MAX_SIDE the labels are made at that size and scaled back (nearest)."""
    monkeypatch.setattr(parser_module, "PARSE_MAX_SIDE", 64)
    parser = HeadParser.from_pretrained(tiny_dir, device="cpu")
    img, _ = synthetic_person(128, np.random.default_rng(5))
    img = cv2.resize(img, (160, 128))
    small = cv2.resize(img, (64, 51), interpolation=cv2.INTER_AREA)
    parsed, at_cap = parser.parse(img), parser.parse(small)
    assert parsed.labels.shape == (128, 160)
    np.testing.assert_array_equal(parsed.labels, cv2.resize(at_cap.labels, (160, 128), interpolation=cv2.INTER_NEAREST))
    assert parsed.face_confidence == at_cap.face_confidence
    monkeypatch.setattr(parser_module, "PARSE_MAX_SIDE", 4096)
    assert parser.parse(small).labels.shape == (51, 64)  # at or under the cap: as before

def test_flip_averages_labels_but_the_confidence_is_the_plain_pass(tiny_dir: Path) -> None:
    """The plain pass is sure of a face and unsure of a strip of hair beside it; the mirror
    pass sees no hair there: the labels follow the mean, the confidence the plain pass."""
    picture = np.zeros((40, 40, 3), np.uint8)
    picture[:, :20] = 200  # the plain picture is bright on the left, its mirror image on the right
    face = np.zeros((40, 40), bool)
    face[10:30, 4:16] = True
    plain = np.zeros((L.NUM_CLASSES, 40, 40), np.float32)
    plain[L.FACE][face] = 4.0
    plain[L.HAIR, 10:30, 16:18] = 1.0  # a weak hair strip beside the face, plain pass only
    mirror = np.zeros_like(plain)  # what the mirror pass gives, already mirrored back
    mirror[L.FACE][face] = 1.0  # the face, less sure
    mirror[L.BACKGROUND, 10:30, 16:18] = 3.0  # no hair

    def logits(rgb: np.ndarray) -> np.ndarray:
        return plain if rgb[0, 0, 0] == 200 else np.ascontiguousarray(mirror[:, :, ::-1])

    parsers = {}
    for flip in (True, False):
        parsers[flip] = HeadParser.from_pretrained(tiny_dir, device="cpu", reframe=False, relight=False, flip=flip)
        parsers[flip].logits = logits  # type: ignore[method-assign]
    parsed = parsers[True].parse(picture)
    np.testing.assert_array_equal(parsed.labels, np.where(face, L.FACE, L.BACKGROUND))  # the strip loses in the mean
    assert parsed.face_confidence == pytest.approx(face_confidence(plain, face))
    assert parsed.face_confidence > face_confidence((plain + mirror) / 2, face) + 0.1
    assert (parsers[False](picture)[10:30, 16:18] == L.HAIR).all()  # without the mirror pass the strip stays


def _face_picture(face_value: int, backdrop: int) -> tuple[np.ndarray, np.ndarray]:
    """A 64x64 picture with a square face of one gray value on a backdrop, and its labels."""
    labels = np.zeros((64, 64), np.uint8)
    labels[16:48, 20:44] = L.FACE
    picture = np.full((64, 64, 3), backdrop, np.uint8)
    picture[labels == L.FACE] = face_value
    return picture, labels


def test_relit_brightens_dark_faces_only() -> None:
    dark, labels = _face_picture(40, 10)
    bright = relit(dark, labels)
    assert bright is not None and bright.dtype == np.uint8
    assert abs(float(np.median(bright[labels == L.FACE])) - FACE_LUMINANCE) <= 1
    assert bright[0, 0, 0] > 10  # the whole picture gets the same curve
    lit_face_dark_room, labels = _face_picture(int(DARK_FACE) + 20, 5)
    assert relit(lit_face_dark_room, labels) is None  # the face is judged, not the picture
    assert relit(dark, np.zeros_like(labels)) is None  # no face: nothing to judge


def test_parse_relights_an_underexposed_photo(tiny_dir: Path) -> None:
    dark, labels = _face_picture(40, 10)
    wider = labels.copy()
    wider[16:48, 44:50] = L.HAIR  # what the brightened copy reveals beside the face
    dim = np.eye(L.NUM_CLASSES, dtype=np.float32)[labels].transpose(2, 0, 1) * 2.0
    for relight, face_medians in ((True, [40.0, FACE_LUMINANCE]), (False, [40.0])):
        parser = HeadParser.from_pretrained(tiny_dir, device="cpu", reframe=False, relight=relight, flip=False,
                                            search=False)
        seen: list[float] = []

        def logits(rgb: np.ndarray, seen: list[float] = seen) -> np.ndarray:
            seen.append(float(np.median(rgb[labels == L.FACE])))
            if seen[-1] < 100:
                return dim
            return np.eye(L.NUM_CLASSES, dtype=np.float32)[wider].transpose(2, 0, 1) * 5.0  # surer when lit

        parser.logits = logits  # type: ignore[method-assign]
        parsed = parser.parse(dark)
        assert seen == pytest.approx(face_medians, abs=1)  # the second pass sees the brightened copy
        np.testing.assert_array_equal(parsed.labels, wider if relight else labels)  # labels: the last pass's
        assert parsed.face_confidence == pytest.approx(face_confidence(dim, labels == L.FACE))  # the lower one


@pytest.mark.data
def test_relighting_recovers_underexposed_frames(shared_data: Path) -> None:
    """Held-out frames made darker (gamma 2.2) parse far better with the relit second pass,
    and the frames as they are do not change (no face among them is that dark)."""
    from changer.data.dataset import TalkingHeads
    from changer.parsing.train import evaluate

    found = get_parser()
    if found is None:
        pytest.skip("no bundled parser")
    heads = TalkingHeads(shared_data)
    frames = [f for split in ("test_hdtf", "test_vox", "test_green") for f in heads.frames(split)[::4]]
    pairs = [(np.asarray(Image.open(f.image_path).convert("RGB")), np.asarray(Image.open(f.label_path)))
             for f in frames]
    darker = [((255 * (img / 255.0) ** 2.2).round().astype(np.uint8), lab) for img, lab in pairs]
    plain = HeadParser(found.net, device="cpu", relight=False)
    relighting = HeadParser(found.net, device="cpu")
    gain = evaluate(relighting, darker).mean_iou() - evaluate(plain, darker).mean_iou()
    assert gain > 0.05  # measured 0.09 when written
    for img, _ in pairs[::3]:
        np.testing.assert_array_equal(relighting(img), plain(img))

def _head_on(backdrop: tuple[int, int, int], hair: tuple[int, int, int]) -> tuple[np.ndarray, np.ndarray]:
    """A 64x64 picture: a face under a cap of hair on ``backdrop``, and the labels a parser
    that also took a patch of backdrop beside the hair for hair would give."""
    labels = np.zeros((64, 64), np.uint8)
    labels[20:50, 22:42] = L.FACE
    labels[10:20, 20:44] = L.HAIR
    picture = np.full((64, 64, 3), backdrop, np.uint8)
    picture[labels == L.FACE] = (200, 150, 120)
    picture[labels == L.HAIR] = hair
    labels[10:30, 44:52] = L.HAIR  # backdrop taken for hair, touching the hair
    return picture, labels


def test_drop_screen_hair_makes_green_hair_background() -> None:
    picture, labels = _head_on((30, 60, 40), (50, 35, 25))
    out = drop_screen_hair(labels, chroma.green_dominant(picture))
    assert (out[10:30, 44:52] == L.BACKGROUND).all()
    assert (out[10:20, 20:44] == L.HAIR).all() and (out == L.FACE).sum() == (labels == L.FACE).sum()
    hairless = np.where(labels == L.HAIR, L.BACKGROUND, labels).astype(np.uint8)
    assert drop_screen_hair(hairless, chroma.green_dominant(picture)) is hairless  # nothing to drop: no copy


@pytest.mark.parametrize(("backdrop", "hair", "dropped"), [
    ((30, 60, 40), (50, 35, 25), True),  # a dim green screen: the patch of screen goes
    ((120, 120, 120), (50, 35, 25), False),  # a gray wall: the parser's labels stay as they are
    ((120, 120, 120), (40, 150, 60), False),  # green-dyed hair off a green screen stays hair
])
def test_parser_drops_screen_hair_on_green_backdrops_only(
    tiny_dir: Path, backdrop: tuple[int, int, int], hair: tuple[int, int, int], dropped: bool,
) -> None:
    picture, labels = _head_on(backdrop, hair)
    scores = np.eye(L.NUM_CLASSES, dtype=np.float32)[labels].transpose(2, 0, 1) * 5.0
    for screen_hair in (True, False):
        parser = HeadParser.from_pretrained(tiny_dir, device="cpu", reframe=False, relight=False, flip=False,
                                            screen_hair=screen_hair)
        parser.logits = lambda rgb: scores  # type: ignore[method-assign]
        out = parser(picture)
        assert (out[10:20, 20:44] == L.HAIR).all()
        gone = bool((out[10:30, 44:52] == L.BACKGROUND).all())
        assert gone is (dropped and screen_hair), (screen_hair, np.unique(out[10:30, 44:52]))
        assert (out[10:30, 44:52] == L.HAIR).all() or gone


@pytest.mark.data
def test_screen_hair_mends_the_green_split_and_leaves_the_others(shared_data: Path) -> None:
    """On the MEAD frames (a dim, folded green screen) the bundled parser takes folds of the
    screen for hair; dropping green hair raises the green split's mean IoU (0.772 -> 0.804
    when written) and changes no label on the other splits' frames (no green backdrop)."""
    from changer.data.dataset import TalkingHeads
    from changer.parsing.train import evaluate

    found = get_parser()
    if found is None:
        pytest.skip("no bundled parser")
    heads = TalkingHeads(shared_data)
    plain = HeadParser(found.net, device="cpu", screen_hair=False)
    screen = HeadParser(found.net, device="cpu")
    green = heads.frames("test_green")[::2]
    gain = evaluate(screen, green).mean_iou() - evaluate(plain, green).mean_iou()
    assert gain > 0.015
    for f in heads.frames("test_hdtf")[::12] + heads.frames("test_vox")[::12]:
        img = f.load_image()
        np.testing.assert_array_equal(screen(img), plain(img))


def test_search_adopts_a_confirmed_face_in_a_proposed_window(tiny_dir: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The whole picture gives an unsure face; a window the detector proposes holds a sure one:
    its parse is taken when the stricter check confirms it, and not otherwise."""
    picture = np.random.default_rng(0).integers(0, 256, (300, 400, 3), dtype=np.uint8)
    unsure = np.zeros((L.NUM_CLASSES, 8, 8), np.float32)
    unsure[L.FACE, 3:5, 3:5] = 0.5  # a weak face: about 24% sure

    def logits(rgb: np.ndarray) -> np.ndarray:
        if rgb.shape[:2] == (300, 400):
            return unsure
        sure = np.zeros((L.NUM_CLASSES, *rgb.shape[:2]), np.float32)
        h, w = rgb.shape[:2]
        sure[L.FACE, h // 3:2 * h // 3, w // 3:2 * w // 3] = 6.0
        return sure

    monkeypatch.setattr(parser_module, "search_windows", lambda rgb: [(200, 300, 60)])
    for confirmed, search in ((True, True), (False, True), (True, False)):
        monkeypatch.setattr(parser_module, "face_confirmed", lambda rgb, labels, ok=confirmed: ok)
        parser = HeadParser.from_pretrained(tiny_dir, device="cpu", reframe=False, relight=False, flip=False,
                                            search=search)
        parser.logits = logits  # type: ignore[method-assign]
        parsed = parser.parse(picture)
        found = bool((parsed.labels[220:240, 320:340] == L.FACE).all())
        assert found is (confirmed and search)
        assert (parsed.face_confidence > SEARCH_SURE) is (confirmed and search)
        gray = np.repeat(picture[..., :1], 3, axis=2)  # no skin tone possible: not searched
        assert not (parser(gray)[220:240, 320:340] == L.FACE).any()


def test_search_windows_frame_the_face_at_any_picture_size() -> None:
    """The astronaut's face (about 80 px in her 512 px photo) put in a larger canvas at two
    sizes: the first window proposed frames it like a talking-head frame, in picture pixels."""
    from skimage.data import astronaut

    for scale in (1.0, 3.0):
        photo = cv2.resize(astronaut(), None, fx=scale, fy=scale, interpolation=cv2.INTER_CUBIC)
        canvas = np.full((photo.shape[0] * 2, photo.shape[1] * 2, 3), 90, np.uint8)
        canvas[photo.shape[0] // 2:photo.shape[0] // 2 + photo.shape[0], :photo.shape[1]] = photo
        windows = parser_module.search_windows(canvas)
        assert windows, scale
        top, left, side = windows[0]
        cy, cx = (photo.shape[0] // 2 + 125 * scale), 220 * scale  # her face's centre in the canvas
        assert left < cx < left + side and top < cy < top + side
        assert 80 * scale / side == pytest.approx(PORTRAIT_FACE_SHARE, rel=0.4)


def test_skin_tone_and_confirmation_of_a_found_face() -> None:
    from skimage.data import astronaut

    from changer.parsing.face_check import face_confirmed, skin_toned

    patch = np.ones((8, 8), bool)
    for colour, skin in (((224, 172, 140), True), ((120, 72, 40), True), ((60, 140, 60), False),
                         ((128, 128, 128), False), ((90, 120, 200), False)):
        assert skin_toned(np.full((8, 8, 3), colour, np.uint8), patch) is skin, colour
    assert not skin_toned(np.full((8, 8, 3), 200, np.uint8), np.zeros((8, 8), bool))
    labels = np.zeros((512, 512), np.uint8)
    labels[80:170, 180:260] = L.FACE  # the astronaut's face
    assert face_confirmed(astronaut(), labels)
    assert not face_confirmed(np.repeat(astronaut()[..., :1], 3, 2), labels)  # gray: no skin tone
    elsewhere = np.zeros_like(labels)
    elsewhere[380:470, 30:110] = L.FACE  # the suit's sleeve
    assert not face_confirmed(astronaut(), elsewhere)


@pytest.mark.data
def test_search_finds_small_faces_in_a_wide_picture(shared_data: Path) -> None:
    """A held-out frame scaled to 128 px in a 1024 px picture of grass (its face about 60 px)
    is not found by the whole-picture pass; the search finds it (14 of 20 frames when
    written, the face's IoU above 0.7) and nothing on the grass alone. Darkened, a face
    accepted is the right one (the brightened copy's whole-picture pass once took grass)."""
    from skimage.data import grass

    from changer.data.dataset import TalkingHeads
    from changer.parsing.face_check import face_problem

    found = get_parser()
    if found is None:
        pytest.skip("no bundled parser")
    field = cv2.resize(grass(), (1024, 1024)).astype(np.float32)
    field = np.clip(np.stack([0.55 * field, 0.9 * field, 0.4 * field], -1), 0, 255).astype(np.uint8)
    plain = HeadParser(found.net, device="cpu", search=False)
    searching = HeadParser(found.net, device="cpu")
    hits = 0
    frames = TalkingHeads(shared_data).frames("test_hdtf")[::12]
    for frame in frames:
        img, ref = frame.load_pair()
        picture = field.copy()
        picture[300:428, 400:528] = cv2.resize(img, (128, 128), interpolation=cv2.INTER_AREA)
        truth = np.zeros((1024, 1024), bool)
        truth[300:428, 400:528] = cv2.resize(ref, (128, 128), interpolation=cv2.INTER_NEAREST) == L.FACE
        assert not (plain(picture) == L.FACE)[truth].any()
        face = searching(picture) == L.FACE
        hits += (face & truth).sum() / (face | truth).sum() > 0.7
        dark = (picture * 0.5).astype(np.uint8)  # found by the search, then relit in its window only
        parsed = searching.parse(dark)
        if face_problem(dark, parsed.labels, parsed.face_confidence) is None:
            face = parsed.labels == L.FACE
            assert (face & truth).sum() / (face | truth).sum() > 0.5, frame.frame_id
    assert hits >= len(frames) // 2, hits
    parsed = searching.parse(field)
    assert face_problem(field, parsed.labels, parsed.face_confidence) is not None  # grass is no face


def test_get_parser_none_without_weights(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(parser_module.PARSER_ENV, raising=False)
    monkeypatch.setattr(parser_module, "WEIGHTS_DIR", tmp_path / "missing")
    assert get_parser() is None
    assert find_parser() is None


def test_get_parser_loads_bundled_weights(tiny_dir: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(parser_module.PARSER_ENV, raising=False)
    monkeypatch.setattr(parser_module, "WEIGHTS_DIR", tiny_dir)
    parser = get_parser()
    assert isinstance(parser, HeadParser)
    assert get_parser() is parser  # cached
    assert find_parser() is parser  # the pipeline's hook
    img, _ = synthetic_person(80, np.random.default_rng(3))
    assert parser(img).shape == (80, 80)
    monkeypatch.setenv(parser_module.PARSER_ENV, "off")
    assert get_parser() is None


def test_pipeline_uses_the_hook(monkeypatch: pytest.MonkeyPatch) -> None:
    """Without label files the pipeline asks ``changer.parsing.get_parser()`` (stubbed here)."""
    from changer.blenders import BaselineBlender
    from changer.imageio import InputError
    from changer.pipeline import HeadBlendingPipeline

    calls = []

    def parse(img: np.ndarray) -> np.ndarray:
        calls.append(img.shape)
        return synthetic_person(img.shape[0], np.random.default_rng(5))[1]

    monkeypatch.setattr("changer.parsing.get_parser", lambda: parse)
    pipe = HeadBlendingPipeline(BaselineBlender("paste", resolution=64))
    src, _ = synthetic_person(96, np.random.default_rng(1))
    tgt, _ = synthetic_person(96, np.random.default_rng(2))
    timings: dict[str, float] = {}
    stages: list[tuple[str, str]] = []
    try:
        result = pipe(src, tgt, timings=timings, progress=lambda stage, words: stages.append((stage, words)))
    except InputError:  # pragma: no cover - the stub always has a head
        pytest.fail("the parser hook was not used")
    # both pictures, and their turned copies: the orientation check looks at those with the parser too
    assert len(calls) >= 2 and result.image.shape == tgt.shape
    assert {"load", "parse", "align", "prepare", "model", "composite"} <= set(timings)
    # every stage is reported once as it begins, in words (prepare runs again after align)
    assert [s for s, _ in stages] == ["load", "parse", "prepare", "align", "prepare", "model", "composite"]
    assert ("model", "blending on the key colour") in stages


# --------------------------------------------------------------------------- training


def test_augment_and_class_weights() -> None:
    img, lab = synthetic_person(96, np.random.default_rng(0))
    cfg = ParserTrainConfig(crop=64)
    rng = np.random.default_rng(0)
    for _ in range(5):
        a, b = augment(img, lab, rng, cfg)
        assert a.shape == (64, 64, 3) and a.dtype == np.uint8 and b.shape == (64, 64) and b.max() < 5
    w = class_weights([lab])
    share = np.bincount(lab.ravel(), minlength=5) / lab.size
    assert w[L.NECK] > w[L.BACKGROUND] and (share * w).sum() == pytest.approx(1.0, rel=1e-5)
    x, y = make_batch([img], [lab], np.random.default_rng(0), ParserTrainConfig(crop=48, batch_size=3))
    assert x.shape == (3, 3, 48, 48) and y.shape == (3, 48, 48) and 0 <= float(x.min()) <= float(x.max()) <= 1


def test_key_background_replaces_background() -> None:
    img, lab = synthetic_person(64, np.random.default_rng(0))
    cfg = ParserTrainConfig(crop=64, key_bg_prob=1.0, random_bg_prob=0.0, scale_range=(1.0, 1.0), rotate_deg=0)
    rng = np.random.default_rng(1)
    greenish = 0
    for _ in range(6):
        a, b = augment(img, lab, rng, cfg)
        bg = a[b == L.BACKGROUND].astype(float).mean(0)
        greenish += int(bg[1] > bg[0] + 30 or bg[2] > bg[0] + 30)
    assert greenish >= 4  # photometric jitter may wash one out


def test_dark_key_backgrounds_are_darker() -> None:
    from changer.parsing.train import _background

    def mean_level(dark: float) -> float:
        rng = np.random.default_rng(2)
        return float(np.mean([_background(rng, 32, 1.0, dark)[0].mean() for _ in range(40)]))

    assert mean_level(1.0) < 0.75 * mean_level(0.0)


def test_a_few_steps_lower_the_loss(tmp_path: Path) -> None:
    root = write_synthetic_dataset(tmp_path / "data", splits={"train": 2}, frames_per_clip=2, size=64)
    from changer.data.dataset import TalkingHeads
    from changer.parsing.train import load_frames

    images, labels = load_frames(TalkingHeads(root).frames("train"))
    cfg = ParserTrainConfig(crop=64, batch_size=4)
    x, y = make_batch(images, labels, np.random.default_rng(0), cfg)
    torch.manual_seed(0)
    net = ParserNet(ParserConfig(**TINY)).train()
    opt = torch.optim.Adam(net.parameters(), lr=1e-2)
    losses = []
    for _ in range(15):
        loss = torch.nn.functional.cross_entropy(net(x), y)
        opt.zero_grad()
        loss.backward()
        opt.step()
        losses.append(loss.item())
    assert losses[-1] < 0.8 * losses[0]


def test_train_parser_runs_logs_and_resumes(tmp_path: Path) -> None:
    root = write_synthetic_dataset(tmp_path / "data", splits={"train": 2}, frames_per_clip=4, size=64)
    cfg = ParserTrainConfig(crop=48, batch_size=2, steps=4, log_every=2, warmup_steps=1, network=dict(TINY),
                            val_every_minutes=0.0)
    out = tmp_path / "run"
    folder = train_parser(cfg, root, out, progress=False)
    assert folder == out / "model" and (folder / "model.safetensors").is_file()
    assert ParserNet.from_pretrained(str(folder)).config.train_crop == 48
    rows = list(csv.DictReader((out / "log.csv").open()))
    assert [r["step"] for r in rows if r["loss"]] == ["2", "4"] and rows[-1]["val_miou"]
    summary = json.loads((out / "summary.json").read_text())
    assert summary["steps"] == 4 and summary["val_frames"] == 2
    assert not list(out.rglob("*.pt")) and not list(out.rglob("*.bin"))
    train_parser(ParserTrainConfig(**{**cfg.__dict__, "steps": 6}), root, out, resume=True, progress=False)
    rows = list(csv.DictReader((out / "log.csv").open()))
    assert [r["step"] for r in rows if r["loss"]] == ["2", "4", "6"]


def test_train_parser_keeps_the_best_on_a_validation_split(tmp_path: Path) -> None:
    root = write_synthetic_dataset(tmp_path / "data", splits={"train": 2, "val": 1}, frames_per_clip=3, size=64)
    cfg = ParserTrainConfig(crop=48, batch_size=2, steps=4, log_every=1, warmup_steps=1, network=dict(TINY),
                            val_every_minutes=0.0, val_split="val")
    out = tmp_path / "run"
    train_parser(cfg, root, out, progress=False)
    summary = json.loads((out / "summary.json").read_text())
    assert summary["train_frames"] == 6 and summary["val_frames"] == 3  # whole clips: no tails held out
    rows = [r for r in csv.DictReader((out / "log.csv").open()) if r["val_miou"]]
    scores = {int(r["step"]): float(r["val_miou"]) for r in rows}
    best = summary["best"]
    assert best["val_miou"] == pytest.approx(max(scores.values()), abs=1e-4)  # the log rounds to 4 decimals
    assert scores[int(best["step"])] == pytest.approx(best["val_miou"], abs=1e-4)
    assert json.loads((out / "best" / "score.json").read_text()) == best  # what a resume starts from
    kept = HeadParser(ParserNet.from_pretrained(str(out / "best")).eval(), device="cpu")
    from changer.data.dataset import TalkingHeads
    from changer.parsing.train import evaluate

    assert evaluate(kept, TalkingHeads(root).frames("val")).mean_iou() == pytest.approx(best["val_miou"], abs=1e-6)
    with pytest.raises(ValueError, match="unknown split"):
        train_parser(ParserTrainConfig(**{**cfg.__dict__, "val_split": "nope"}), root, tmp_path / "r2", progress=False)
    with pytest.raises(ValueError, match="shares identities"):
        train_parser(ParserTrainConfig(**{**cfg.__dict__, "val_split": "train"}), root, tmp_path / "r3", progress=False)


def test_split_train_val_keeps_clip_tails() -> None:
    from changer.data.dataset import Frame

    frames = [Frame("c", "i", "train", f"{k:04d}", Path("x"), Path("y")) for k in range(10)]
    train, val = split_train_val(frames, 0.2)
    assert [f.index for f in val] == ["0008", "0009"] and len(train) == 8


# --------------------------------------------------------------------------- CLI


def test_cli_parse_image(tiny_dir: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    img, _ = synthetic_person(72, np.random.default_rng(0))
    Image.fromarray(img).save(tmp_path / "a.png")
    assert main(["parse", "--image", str(tmp_path / "a.png"), "--out", str(tmp_path / "l.png"),
                 "--model", str(tiny_dir)]) == 0
    lab = np.asarray(Image.open(tmp_path / "l.png"))
    assert lab.shape == (72, 72) and lab.max() < 5
    assert main(["parse", "--image", str(tmp_path / "a.png"), "--out", str(tmp_path / "c.png"),
                 "--model", str(tiny_dir), "--color"]) == 0
    np.testing.assert_array_equal(np.asarray(Image.open(tmp_path / "c.png")), L.colorize(lab))
    assert "wrote" in capsys.readouterr().out
    assert main(["parse", "--out", str(tmp_path / "x.png")]) == 2


def test_cli_parse_eval(tiny_dir: Path, synthetic_data: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["parse", "eval", "--data", str(synthetic_data), "--splits", "train,test_hdtf",
                 "--model", str(tiny_dir)]) == 0
    out = capsys.readouterr().out
    for word in (*L.CLASS_NAMES, "train", "test_hdtf", "all", "mean"):
        assert word in out


@pytest.mark.data
def test_real_frames_parse_shapes(shared_data: Path, tiny_dir: Path) -> None:
    from changer.data.dataset import TalkingHeads

    frame = TalkingHeads(shared_data).frames("test_green")[0]
    lab = HeadParser.from_pretrained(tiny_dir, device="cpu")(frame.load_image())
    assert lab.shape == frame.load_labels().shape


@pytest.mark.data
def test_bundled_parser_on_real_frames(shared_data: Path) -> None:
    """The bundled weights parse held-out real frames well (regression guard)."""
    from changer.data.dataset import TalkingHeads

    assert is_model_folder(parser_module.WEIGHTS_DIR), "no bundled parser in changer/weights/parser"
    parser = HeadParser.from_pretrained(parser_module.WEIGHTS_DIR, device="cpu")
    frames = TalkingHeads(shared_data).frames("test_hdtf")[::6]
    acc = IoUAccumulator()
    for f in frames:
        acc.add(parser(f.load_image()), f.load_labels())
    assert acc.mean_iou() > 0.6, acc.iou()


def test_face_confidence_hand_values() -> None:
    logits = np.zeros((5, 4, 4), np.float32)
    logits[L.FACE, :, :2] = np.log(4.0)  # left half: face probability 4 / (4 + 4) = 0.5
    logits[L.FACE, :, 2:] = 50.0  # right half: ~1
    left = np.zeros((8, 8), bool)
    left[:, :4] = True  # the mask is at twice the logits' size
    assert face_confidence(logits, left) == pytest.approx(0.5)
    assert face_confidence(logits, ~left) == pytest.approx(1.0)
    assert face_confidence(logits, np.ones((8, 8), bool)) == pytest.approx(0.75)
    assert face_confidence(logits, np.zeros((8, 8), bool)) == 0.0


def test_parse_gives_the_labels_of_call_and_a_confidence(tiny_dir: Path) -> None:
    parser = HeadParser.from_pretrained(tiny_dir, device="cpu")
    img, _ = synthetic_person(96, np.random.default_rng(3))
    parsed = parser.parse(img)
    np.testing.assert_array_equal(parsed.labels, parser(img))
    assert 0.0 <= parsed.face_confidence <= 1.0
    assert (parsed.face_confidence == 0.0) == (not (parsed.labels == L.FACE).any())


def test_bundled_parser_is_sure_of_people_and_not_of_flat_pictures() -> None:
    """What the pipeline's no-face check rests on (:data:`changer.parsing.face_check.MIN_FACE_CONFIDENCE`):
    people score above it; flat pictures are refused, by confidence or, for a flat gray the
    bundled 0.55 M parser is 0.7505 sure of, as featureless."""
    from changer.parsing.face_check import MIN_FACE_CONFIDENCE, face_problem

    parser = get_parser()
    if parser is None:
        pytest.skip("no bundled parser")
    rng = np.random.default_rng(0)
    people = [synthetic_person(192, np.random.default_rng(s))[0] for s in range(3)]
    flats = [np.full((192, 192, 3), v, np.uint8) for v in ((128, 128, 128), (0, 0, 0), (0, 71, 187))]
    flats.append(np.tile(np.linspace(0, 255, 192).astype(np.uint8)[None, :, None], (192, 1, 3)))
    flats.append(rng.integers(0, 256, (192, 192, 3), dtype=np.uint8))
    assert min(parser.parse(p).face_confidence for p in people) > MIN_FACE_CONFIDENCE
    for flat in flats:
        parsed = parser.parse(flat)
        assert parsed.face_confidence < MIN_FACE_CONFIDENCE + 0.01
        assert face_problem(flat, parsed.labels, parsed.face_confidence) is not None


@pytest.mark.data
def test_bundled_parser_is_sure_of_real_faces(shared_data: Path) -> None:
    """No real held-out frame would be refused by the pipeline's no-face check."""
    from changer.data.dataset import TalkingHeads
    from changer.parsing.face_check import MIN_FACE_CONFIDENCE

    parser = HeadParser.from_pretrained(parser_module.WEIGHTS_DIR, device="cpu")
    data = TalkingHeads(shared_data)
    frames = [f for split in ("test_hdtf", "test_vox", "test_green") for f in data.frames(split)[::10]]
    assert min(parser.parse(f.load_image()).face_confidence for f in frames) > MIN_FACE_CONFIDENCE


def test_other_faces_counts_the_people_beside_the_parsed_one() -> None:
    from skimage.data import astronaut

    photo = astronaut()
    face = np.zeros(photo.shape[:2], bool)
    face[80:170, 180:260] = True  # her face
    assert other_faces(photo, face) == 0  # one person (the flag, the suit, the helmet are no faces)
    assert other_faces(photo, None) == 0
    pair = np.hstack([photo, photo[:, ::-1]])  # her and her mirror image: two people
    assert other_faces(pair, np.hstack([face, np.zeros_like(face)])) == 1
    assert other_faces(pair, np.hstack([np.zeros_like(face), face[:, ::-1]])) == 1
    blank = np.hstack([photo, np.full_like(photo, 128)])
    assert other_faces(blank, np.hstack([face, np.zeros_like(face)])) == 0  # a blank half: nobody else
