"""The inference pipeline end to end, with fast non-learned blenders (and one tiny model)."""

from __future__ import annotations

import argparse
from pathlib import Path

import cv2
import numpy as np
import pytest
from PIL import Image

import changer.composite as composite_module
import changer.notes as notes_module
import changer.photo_labels as photo_labels_module
import changer.pipeline as pipeline_module
from changer import labels as L
from changer.align import similarity_matrix
from changer.blenders import NO_WEIGHTS_NOTE, BaselineBlender, Blender, ModelBlender, load_blender, resize_inputs
from changer.data.augment import dilate
from changer.data.synthetic import synthetic_person
from changer.imageio import InputError
from changer.inputs import DEFAULT_KEY_COLOR
from changer.orientation import turn, turn_box
from changer.pipeline import NO_PARSER_MESSAGE, BlendOptions, HeadBlendingPipeline, unmix

GREEN = DEFAULT_KEY_COLOR


@pytest.fixture(autouse=True)
def _no_parser(monkeypatch: pytest.MonkeyPatch) -> None:
    """The tests pass labels; a parser added later must not change what they check."""
    monkeypatch.setattr(pipeline_module, "find_parser", lambda: None)


@pytest.fixture(scope="module")
def pipe() -> HeadBlendingPipeline:
    return HeadBlendingPipeline(BaselineBlender("paste", resolution=128))


def _person(size: int, seed: int, background: tuple[int, int, int] | None = None) -> tuple[np.ndarray, np.ndarray]:
    return synthetic_person(size, np.random.default_rng(seed), background=background)


def _source() -> tuple[np.ndarray, np.ndarray]:
    return _person(160, 1)


def _lab_ab(img: np.ndarray, mask: np.ndarray) -> np.ndarray:
    """Mean Lab a/b of ``img`` over ``mask``."""
    return cv2.cvtColor(img, cv2.COLOR_RGB2LAB)[mask][:, 1:].astype(np.float64).mean(axis=0)


def _far_from_head(result_masks: dict[str, np.ndarray], target_labels: np.ndarray, grow: int) -> np.ndarray:
    """Pixels well away from everything the blend touches."""
    near = result_masks["hole"] | L.head_mask(target_labels) | (target_labels == L.NECK)
    return ~dilate(near, grow)


@pytest.mark.parametrize("shape", [(257, 301), (333, 200)], ids=["landscape-301x257", "portrait-200x333"])
def test_output_size_and_untouched_pixels(pipe: HeadBlendingPipeline, shape: tuple[int, int]) -> None:
    h, w = shape
    big, big_lab = _person(max(h, w), 2)
    x0 = (big.shape[1] - w) // 2
    tgt, tgt_lab = big[:h, x0 : x0 + w].copy(), big_lab[:h, x0 : x0 + w].copy()
    src, src_lab = _source()
    result = pipe(src, tgt, source_labels=src_lab, target_labels=tgt_lab)
    assert result.image.shape == (h, w, 3) and result.image.dtype == np.uint8
    assert result.alpha.shape == (h, w) and result.alpha.dtype == np.float32
    assert result.foreground.shape == (h, w, 3)
    assert all(m.shape == (h, w) and m.dtype == bool for m in result.masks.values())
    assert result.paste_weight is not None and result.paste_weight.shape == (h, w)
    weight, hole = result.paste_weight, result.masks["hole"]
    assert not weight[~hole].any()  # the fade lies inside the hole: every pixel outside it is the target's
    fade = round(BlendOptions().feather * result.window[2]) + 2
    assert (weight[~dilate(~hole, fade) & hole] == 1).mean() > 0.95  # (less only where the window's edge ramps)
    assert result.inputs.size == (128, 128) and result.method == "paste"
    changed = np.any(result.image != tgt, axis=2)
    assert changed.any()
    assert not changed[~result.masks["blend_region"]].any()  # only the feathered hole may change
    far = _far_from_head(result.masks, tgt_lab, grow=max(h, w) // 10)
    assert far.mean() > 0.15
    np.testing.assert_array_equal(result.image[far], tgt[far])
    # The new head sits where the target's was.
    assert (result.masks["source_head"] & result.masks["target_head"]).sum() > 0.5 * result.masks["source_head"].sum()


def test_inputs_built_like_training(pipe: HeadBlendingPipeline) -> None:
    src, src_lab = _source()
    tgt, tgt_lab = _person(200, 2)
    inp = pipe(src, tgt, source_labels=src_lab, target_labels=tgt_lab).inputs
    key = np.array(inp.key_color, np.uint8)
    assert inp.key_color == GREEN and inp.chroma
    assert (inp.hole >= inp.head_mask).all()  # the pasted head lies inside the hole
    assert (inp.target[inp.hole] == key).all()  # the hole is painted in the key colour
    gray = inp.head_gray[inp.head_mask]
    assert (gray[:, 0] == gray[:, 1]).all() and (gray[:, 1] == gray[:, 2]).all()
    assert not inp.head_gray[~inp.head_mask].any() and not inp.body_ref[~inp.body_ref_mask].any()
    assert not (inp.body_ref_mask & inp.hole).any()
    assert inp.head_rgb is not None and inp.color_ref_mask.any()


def test_missing_labels_without_parser(pipe: HeadBlendingPipeline) -> None:
    src, src_lab = _source()
    tgt, _ = _person(200, 2)
    with pytest.raises(InputError, match="no head parser available yet: pass source_labels and target_labels") as err:
        pipe(src, tgt, source_labels=src_lab)
    assert str(err.value) == NO_PARSER_MESSAGE


def test_parser_is_used_when_given() -> None:
    src, src_lab = _source()
    tgt, tgt_lab = _person(200, 2)
    table = {src.tobytes(): src_lab, tgt.tobytes(): tgt_lab}
    def parser(img: np.ndarray) -> np.ndarray:  # also asked about turned copies: no face there
        return table.get(img.tobytes(), np.zeros(img.shape[:2], np.uint8))

    parse_pipe = HeadBlendingPipeline(BaselineBlender("paste", resolution=96), parser=parser)
    assert parse_pipe(src, tgt).image.shape == tgt.shape


def test_bad_inputs_are_input_errors(pipe: HeadBlendingPipeline, tmp_path: Path) -> None:
    src, src_lab = _source()
    tgt, tgt_lab = _person(200, 2)
    (tmp_path / "t.txt").write_text("not an image")
    with pytest.raises(InputError, match="target: "):
        pipe(src, tmp_path / "t.txt", source_labels=src_lab, target_labels=tgt_lab)
    with pytest.raises(InputError, match="target labels: the map has no face"):
        pipe(src, tgt, source_labels=src_lab, target_labels=np.where(L.head_mask(tgt_lab), 0, tgt_lab))
    with pytest.raises(InputError, match="source labels: the map has no face"):  # hair only: nothing to place by
        pipe(src, tgt, source_labels=np.where(src_lab == L.FACE, L.HAIR, src_lab), target_labels=tgt_lab)
    with pytest.raises(InputError, match="label map is"):
        pipe(src, tgt, source_labels=src_lab, target_labels=tgt_lab[:100])
    with pytest.raises(InputError, match="needs a background"):
        pipe(src, tgt, source_labels=src_lab, target_labels=tgt_lab, options=BlendOptions(output_background="image"))
    with pytest.raises(InputError, match="color_reference"):
        bad = BlendOptions(color_reference="both")  # type: ignore[arg-type]
        pipe(src, tgt, source_labels=src_lab, target_labels=tgt_lab, options=bad)


def test_green_screen_target(pipe: HeadBlendingPipeline) -> None:
    src, src_lab = _source()
    tgt, tgt_lab = _person(200, 3, background=GREEN)
    result = pipe(src, tgt, source_labels=src_lab, target_labels=tgt_lab)
    assert any("green key" in n for n in result.notes)
    far = _far_from_head(result.masks, tgt_lab, grow=20)
    np.testing.assert_array_equal(result.image[far], tgt[far])
    person = L.foreground_mask(tgt_lab)
    assert result.alpha[far & ~dilate(person, 2)].max() < 0.05  # screen keyed out
    assert result.alpha[far & ~dilate(~person, 3)].min() > 0.95  # body kept
    keyed = pipe(src, tgt, source_labels=src_lab, target_labels=tgt_lab, options=BlendOptions(output_background="key"))
    screen = far & ~dilate(person, 2)
    assert np.abs(keyed.image[screen].astype(int) - np.array(GREEN)).max() <= 1
    assert (result.masks["source_head"]).any() and result.inputs.body_ref_mask.any()


def test_background_options(pipe: HeadBlendingPipeline) -> None:
    src, src_lab = _source()
    tgt, tgt_lab = _person(200, 2)
    kwargs = dict(source_labels=src_lab, target_labels=tgt_lab)
    far_bg = np.zeros(tgt_lab.shape, bool)
    far_bg[:15, :15] = True  # the top-left corner is background in the synthetic frames
    assert not L.foreground_mask(tgt_lab)[far_bg].any()

    original = pipe(src, tgt, **kwargs)
    np.testing.assert_array_equal(original.image[far_bg], tgt[far_bg])

    key = pipe(src, tgt, options=BlendOptions(output_background="key"), **kwargs)
    assert (key.image[far_bg] == np.array(GREEN, np.uint8)).all()
    np.testing.assert_array_equal(key.image, key.foreground)

    blue_bg = np.zeros((90, 150, 3), np.uint8)
    blue_bg[...] = (10, 20, 230)
    on_image = pipe(src, tgt, blue_bg, **kwargs)  # a background implies output_background="image"
    assert (on_image.image[far_bg] == np.array((10, 20, 230), np.uint8)).all()
    body = L.neck_body_mask(tgt_lab) & ~on_image.masks["blend_region"]
    assert body.sum() > 1000
    np.testing.assert_array_equal(on_image.image[body], tgt[body])  # the person is kept
    # the same head on any background, but for its anti-aliased outline (BlendOptions.edge_softness)
    head = on_image.masks["source_head"] & ~dilate(~on_image.masks["source_head"], 7)
    np.testing.assert_array_equal(on_image.image[head], key.image[head])


def test_color_reference_changes_head_colour(pipe: HeadBlendingPipeline) -> None:
    src, src_lab = _person(160, 4)
    tgt, tgt_lab = _person(200, 9)
    kwargs = dict(source_labels=src_lab, target_labels=tgt_lab)
    as_target = pipe(src, tgt, **kwargs, options=BlendOptions(color_reference="target"))
    as_source = pipe(src, tgt, **kwargs, options=BlendOptions(color_reference="source"))
    head = as_target.masks["source_head"] & ~dilate(~as_target.masks["source_head"], 3)
    ab_t, ab_s = _lab_ab(as_target.image, head), _lab_ab(as_source.image, head)
    assert np.linalg.norm(ab_t - ab_s) > 3
    target_ab = _lab_ab(tgt, L.head_mask(tgt_lab))
    source_ab = _lab_ab(src, L.head_mask(src_lab))
    assert np.linalg.norm(ab_t - target_ab) < np.linalg.norm(ab_t - source_ab)
    assert np.linalg.norm(ab_s - source_ab) < np.linalg.norm(ab_s - target_ab)


def test_unmix_recovers_soft_edges() -> None:
    fg = np.full((64, 64, 3), (200, 120, 90), np.uint8)
    alpha = np.tile(np.linspace(0, 1, 64, dtype=np.float32), (64, 1))
    mixed = (fg * alpha[..., None] + np.array(GREEN) * (1 - alpha[..., None])).round().astype(np.uint8)
    out = unmix(mixed, alpha, GREEN)
    assert np.abs(out[:, 8:].astype(int) - fg[:, 8:]).max() <= 12  # no dark or green fringe where seen


def test_align_overrides_reach_the_result(pipe: HeadBlendingPipeline) -> None:
    src, src_lab = _source()
    tgt, tgt_lab = _person(240, 2)
    kwargs = dict(source_labels=src_lab, target_labels=tgt_lab)
    base = pipe(src, tgt, **kwargs).masks["source_head"]
    moved = pipe(src, tgt, **kwargs, options=BlendOptions(align_offset=(0.15, 0.0))).masks["source_head"]
    bigger = pipe(src, tgt, **kwargs, options=BlendOptions(align_scale=1.3)).masks["source_head"]
    assert np.nonzero(moved)[1].mean() > np.nonzero(base)[1].mean() + 8
    width = lambda m: np.ptp(np.nonzero(m)[1]) + 1  # noqa: E731
    assert width(bigger) == pytest.approx(1.3 * width(base), rel=0.05)


def test_every_baseline_runs() -> None:
    src, src_lab = _source()
    tgt, tgt_lab = _person(128, 2)
    for name in ("paste", "poisson", "inpaint", "laplacian"):
        result = HeadBlendingPipeline.from_pretrained(name)(
            src, tgt, source_labels=src_lab, target_labels=tgt_lab, options=BlendOptions(resolution=96)
        )
        assert result.method == name and result.image.shape == tgt.shape


def test_load_blender_default_and_errors(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    import changer.blenders as blenders

    monkeypatch.setattr(blenders, "DEFAULT_MODEL_DIR", tmp_path / "no-weights")
    default = load_blender(None)
    assert isinstance(default, Blender) and default.name == blenders.FALLBACK_BASELINE
    assert default.note == NO_WEIGHTS_NOTE  # without bundled weights the app says so
    fallback = HeadBlendingPipeline(default)
    assert fallback.note == NO_WEIGHTS_NOTE and fallback.notes == [NO_WEIGHTS_NOTE]
    assert fallback.method == blenders.FALLBACK_BASELINE
    assert load_blender("Laplacian").name == "laplacian"
    with pytest.raises(InputError, match="unknown model 'no such thing'"):
        load_blender("no such thing")
    with pytest.raises(InputError, match="needs config.json and model.safetensors"):
        load_blender(str(tmp_path))

    from changer.model import CHANGER

    def offline(*args: object, **kwargs: object) -> None:
        raise OSError("We couldn't connect to 'https://huggingface.co'")

    monkeypatch.setattr(CHANGER, "from_pretrained", offline)
    monkeypatch.setattr("huggingface_hub.model_info", lambda *args, **kwargs: None)  # the Hub answers
    with pytest.raises(InputError, match="from Hugging Face Hub repo 'someone/changer'.*no network"):
        load_blender("someone/changer")


def test_hub_ids_fail_fast(monkeypatch: pytest.MonkeyPatch) -> None:
    """A Hub id that is malformed, missing or unreachable is a message before any download
    (which would retry a connection error for about 25 s)."""
    from unittest.mock import MagicMock

    from huggingface_hub.errors import RepositoryNotFoundError

    from changer.model import CHANGER

    downloads: list[str] = []

    def from_pretrained(model_id: str, local_files_only: bool = False, **kwargs: object) -> None:
        if local_files_only:
            raise OSError("not in the local cache")
        downloads.append(model_id)
        raise AssertionError("the download must not start")

    asked: list[str] = []

    def no_answer(repo_id: str, **kwargs: object) -> None:
        asked.append(repo_id)
        raise ConnectionError("[Errno -2] Name or service not known")

    monkeypatch.setattr(CHANGER, "from_pretrained", from_pretrained)
    monkeypatch.setattr("huggingface_hub.model_info", no_answer)
    with pytest.raises(InputError, match="Hub cannot be reached for 'someone/changer' .*Name or service"):
        load_blender("someone/changer")
    for malformed in ("someone/bad--name", "someone/" + "x" * 100, "-someone/name"):
        with pytest.raises(InputError, match="unknown model"):
            load_blender(malformed)
    assert asked == ["someone/changer"]  # malformed ids never reach the network

    def missing(repo_id: str, **kwargs: object) -> None:
        raise RepositoryNotFoundError("404 Repository Not Found", response=MagicMock(status_code=404))

    monkeypatch.setattr("huggingface_hub.model_info", missing)
    with pytest.raises(InputError, match="no model 'someone/changer' on the Hugging Face Hub"):
        load_blender("someone/changer")
    assert downloads == []


def test_tiny_model_blender(tmp_path: Path) -> None:
    from changer.model import CHANGER, ChangerConfig

    config = ChangerConfig(channels=(8, 16, 32, 32), dim=32, heads=2, colorizer_depth=1, blender_depth=1, train_size=64)
    CHANGER(config).save_pretrained(tmp_path / "tiny")
    blender = load_blender(str(tmp_path / "tiny"))
    assert isinstance(blender, ModelBlender) and blender.key_color == GREEN
    assert blender.run_size((100, 77)) == (96, 80)  # resolution-agnostic: own size, multiples of 8
    src, src_lab = _source()
    tgt, tgt_lab = _person(150, 2)
    result = HeadBlendingPipeline(blender)(src, tgt, source_labels=src_lab, target_labels=tgt_lab)
    assert result.image.shape == tgt.shape and result.inputs.size == (blender.resolution, blender.resolution)
    assert not np.any(result.image != tgt, axis=2)[~result.masks["blend_region"]].any()
    small = resize_inputs(result.inputs, (40, 56))  # any size works (run at multiples of 8, resized back)
    outs = blender.batch([result.inputs, small, result.inputs])
    assert [o.shape for o in outs] == [(256, 256, 3), (40, 56, 3), (256, 256, 3)]
    np.testing.assert_array_equal(outs[0], outs[2])
    np.testing.assert_array_equal(outs[1][~small.hole], small.target[~small.hole])

    # Another key colour asked for: the network still works on its own green, and only
    # the foreground (and the key-colour background) are put on blue.
    blue = (0, 71, 187)
    on_blue = HeadBlendingPipeline(blender)(src, tgt, source_labels=src_lab, target_labels=tgt_lab,
                                            options=BlendOptions(key_color=blue, output_background="key"))
    assert on_blue.inputs.key_color == GREEN and on_blue.key_color == blue
    np.testing.assert_array_equal(on_blue.raw, result.raw)
    outside = on_blue.alpha == 0
    assert outside.any() and (on_blue.foreground[outside] == blue).all() and (on_blue.image[outside] == blue).all()


def test_bundled_models_load_by_name(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """``changer/weights/<name>`` blending models load by their name (as the Evaluate tab
    lists them); a bundled folder that is no blending model (the parser) does not."""
    import json

    from changer import blenders
    from changer.model import CHANGER, ChangerConfig

    weights = tmp_path / "weights"
    monkeypatch.setattr(blenders, "DEFAULT_MODEL_DIR", weights / "default")
    config = ChangerConfig(channels=(8, 16, 32, 32), dim=32, heads=2, colorizer_depth=1, blender_depth=1, train_size=64)
    CHANGER(config).save_pretrained(weights / "tiny_cpu")
    (weights / "parser").mkdir()
    (weights / "parser" / "config.json").write_text(json.dumps({"input_size": 256}))
    (weights / "parser" / "model.safetensors").write_bytes(b"")
    assert blenders.bundled_model_names() == ["tiny_cpu"]
    loaded = load_blender("tiny_cpu")
    assert isinstance(loaded, ModelBlender) and loaded.name == "tiny_cpu"
    with pytest.raises(InputError, match="unknown model 'parser'.*a bundled model: tiny_cpu,"):
        load_blender("parser")
    with pytest.raises(InputError, match="unknown model '../tiny_cpu'"):
        load_blender("../tiny_cpu")  # names only, no paths into the package
    with pytest.raises(InputError, match="unknown model '~nosuchuser_xyz/model'"):
        load_blender("~nosuchuser_xyz/model")  # expanduser's RuntimeError is a message too


def _cli(argv: list[str]) -> int:
    from changer.commands.blend import register

    parser = argparse.ArgumentParser()
    register(parser.add_subparsers(dest="command"))
    args = parser.parse_args(["blend", *argv])
    return args.handler(args)


def test_blend_command(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    src, src_lab = _source()
    (tmp_path / "targets").mkdir()
    (tmp_path / "labels").mkdir()
    Image.fromarray(src).save(tmp_path / "src.png")
    Image.fromarray(src_lab).save(tmp_path / "src_labels.png")
    for i, seed in enumerate((2, 3)):
        tgt, tgt_lab = _person(128, seed)
        Image.fromarray(tgt).save(tmp_path / "targets" / f"t{i}.jpg", quality=95)
        Image.fromarray(tgt_lab).save(tmp_path / "labels" / f"t{i}.png")
    common = ["--source", str(tmp_path / "src.png"), "--source-labels", str(tmp_path / "src_labels.png"),
              "--model", "paste", "--key-color", "0,177,64", "--offset", "0,0.02", "--quiet"]
    assert _cli([*common, "--target", str(tmp_path / "targets" / "t0.jpg"),
                 "--target-labels", str(tmp_path / "labels" / "t0.png"), "--out", str(tmp_path / "one.png")]) == 0
    assert Image.open(tmp_path / "one.png").size == (128, 128)
    assert _cli([*common, "--target", str(tmp_path / "targets"), "--target-labels", str(tmp_path / "labels"),
                 "--out", str(tmp_path / "out")]) == 0
    assert sorted(p.name for p in (tmp_path / "out").iterdir()) == ["t0.png", "t1.png"]
    (tmp_path / "targets" / "t2.jpg").write_bytes(b"not a picture")  # a bad pair: skipped, named, exit code 1
    (tmp_path / "labels" / "t2.png").write_bytes((tmp_path / "labels" / "t1.png").read_bytes())
    capsys.readouterr()
    assert _cli([*common, "--target", str(tmp_path / "targets"), "--target-labels", str(tmp_path / "labels"),
                 "--out", str(tmp_path / "out2")]) == 1
    assert "skipped src.png onto t2.jpg: target: 't2.jpg' is not a readable image" in capsys.readouterr().err
    assert sorted(p.name for p in (tmp_path / "out2").iterdir()) == ["t0.png", "t1.png"]
    with pytest.raises(SystemExit):
        _cli([*common, "--key-color", "purple", "--target", "x", "--out", "y"])
    one = [*common, "--target", str(tmp_path / "targets" / "t0.jpg"), "--target-labels", str(tmp_path / "labels" / "t0.png")]
    assert _cli([*one, "--edge-softness", "0", "--out", str(tmp_path / "hard.png")]) == 0
    assert not np.array_equal(np.asarray(Image.open(tmp_path / "hard.png")), np.asarray(Image.open(tmp_path / "one.png")))
    with pytest.raises(InputError, match="edge_softness"):  # `changer` prints it and exits with 2
        _cli([*one, "--edge-softness", "9", "--out", str(tmp_path / "bad.png")])
    asked: list[bool] = []
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(photo_labels_module, "upright_turns", lambda img, labels, look=None: asked.append(True) or 0)
        assert _cli([*one, "--keep-orientation", "--out", str(tmp_path / "kept.png")]) == 0
        assert asked == []
        assert _cli([*one, "--out", str(tmp_path / "turnable.png")]) == 0
        assert asked == [True, True]


def test_pictures_without_a_face_are_refused() -> None:
    """With the bundled parser, a flat picture is refused instead of getting a head pasted."""
    from changer.parsing import get_parser

    parser = get_parser()
    if parser is None:
        pytest.skip("no bundled parser")
    parse_pipe = HeadBlendingPipeline(BaselineBlender("paste", resolution=96), parser=parser)
    src, _ = _source()
    flat = np.full((200, 200, 3), 128, np.uint8)
    with pytest.raises(InputError, match="source: no face found"):
        parse_pipe(flat, src)
    with pytest.raises(InputError, match="target: no face found"):
        parse_pipe(src, flat)


def test_offsets_that_push_the_head_off_the_picture_are_refused(pipe: HeadBlendingPipeline) -> None:
    src, src_lab = _source()
    tgt, tgt_lab = _person(200, 2)
    kwargs = dict(source_labels=src_lab, target_labels=tgt_lab)
    with pytest.raises(InputError, match="outside the picture"):
        pipe(src, tgt, **kwargs, options=BlendOptions(align_offset=(1.8, 0.0)))
    with pytest.raises(InputError, match="within ±2"):
        pipe(src, tgt, **kwargs, options=BlendOptions(align_offset=(100.0, 0.0)))
    with pytest.raises(InputError, match="between 0.2 and 5"):
        pipe(src, tgt, **kwargs, options=BlendOptions(align_scale=40.0))
    assert pipe(src, tgt, **kwargs, options=BlendOptions(align_offset=(0.3, 0.0))).image.shape == tgt.shape




def test_the_gray_face_takes_the_target_faces_lightness(pipe: HeadBlendingPipeline) -> None:
    """With the target as colour reference, the gray face the blender gets has the target
    face's lightness (a dim photo gets a dim face) and the hair keeps its own; with the
    source as colour reference, nothing is bent."""
    from changer import tone
    from changer.data.sample import to_gray

    src, src_lab = _source()
    tgt, tgt_lab = _person(200, 2)
    dim = (tgt * 0.5).astype(np.uint8)
    gray = {}
    for ref in ("target", "source"):
        result = pipe(src, dim, source_labels=src_lab, target_labels=tgt_lab, options=BlendOptions(color_reference=ref))
        head = result.inputs.head_mask
        gray[ref] = result.inputs.head_gray[..., 0].astype(int)
    np.testing.assert_array_equal(gray["source"][head], to_gray(result.inputs.head_rgb)[..., 0][head])
    src_face, dim_face = tone.face_luma(src, src_lab), tone.face_luma(dim, tgt_lab)
    assert src_face is not None and dim_face is not None and src_face - dim_face > 40
    bent = head & (gray["target"] != gray["source"])
    assert 0.2 * head.sum() < bent.sum() < 0.95 * head.sum()  # the face, not the hair
    assert abs(float(np.median(gray["target"][bent])) - dim_face) < 12
    darkened = pipe(src, dim, source_labels=src_lab, target_labels=tgt_lab)
    assert any("darkened to match the target's lighting" in n for n in darkened.notes)
    assert not any("lighting" in n for n in result.notes)  # the source as colour reference: no note


def test_a_much_enlarged_source_head_is_noted(pipe: HeadBlendingPipeline) -> None:
    tgt, tgt_lab = _person(240, 2)
    src, src_lab = _person(240, 1)
    same = pipe(src, tgt, source_labels=src_lab, target_labels=tgt_lab)
    assert not any("enlarged" in note for note in same.notes)
    small = cv2.resize(src, (80, 80), interpolation=cv2.INTER_AREA)
    small_lab = cv2.resize(src_lab, (80, 80), interpolation=cv2.INTER_NEAREST)
    result = pipe(small, tgt, source_labels=small_lab, target_labels=tgt_lab)
    scale = np.sqrt(abs(np.linalg.det(similarity_matrix(small_lab, tgt_lab)[:, :2])))
    assert scale > 2.5
    assert any(f"enlarged {scale:.1f}x" in note for note in result.notes), result.notes


def test_a_relit_parse_is_noted(pipe: HeadBlendingPipeline) -> None:
    from changer.parsing.parser import Parsed

    src, src_lab = _source()
    tgt, tgt_lab = _person(200, 2)

    class DarkPhotoParser:
        def parse(self, img: np.ndarray) -> Parsed:
            is_source = img.shape[:2] == src.shape[:2]
            return Parsed(src_lab if is_source else tgt_lab, 0.95, relit=is_source)

    result = HeadBlendingPipeline(pipe.blender, parser=DarkPhotoParser())(src, tgt)
    assert [n for n in result.notes if "brightened copy" in n] == [
        "the source photo is dark: it was parsed from a brightened copy (the picture itself is unchanged)"]


def test_a_source_head_spread_over_its_backdrop_gets_its_own_message(pipe: HeadBlendingPipeline) -> None:
    """Hair labels over the whole of a wide source (a busy backdrop taken for hair): with
    the automatic alignment, the message points at the source, not at the sliders."""
    src, src_lab = _source()
    wide = cv2.copyMakeBorder(src, 160, 160, 160, 160, cv2.BORDER_REFLECT)
    wide_lab = cv2.copyMakeBorder(src_lab, 160, 160, 160, 160, cv2.BORDER_CONSTANT, value=L.HAIR)
    wide_lab[wide_lab == L.BACKGROUND] = L.HAIR
    tgt, tgt_lab = _person(200, 2)
    with pytest.raises(InputError, match="label map's head .* reaches far beyond its face") as err:
        pipe(wide, tgt, source_labels=wide_lab, target_labels=tgt_lab)
    assert "offset" not in str(err.value)
    parsing = HeadBlendingPipeline(pipe.blender, parser=lambda img: wide_lab if img.shape == wide.shape else tgt_lab)
    with pytest.raises(InputError, match="background, or another person, taken for hair"):
        parsing(wide, tgt)

def test_a_wide_real_photo_keeps_its_body_apart_from_the_neck() -> None:
    """scikit-image's astronaut (a real half-body photo): the parser takes patches of the
    suit and the helmet for neck; only the neck under the face may become a hole."""
    from skimage.data import astronaut

    from changer.parsing import get_parser

    parser = get_parser()
    if parser is None:
        pytest.skip("no bundled parser")
    photo = astronaut()
    labels = parser(photo)
    face_bottom = int(np.nonzero(labels == L.FACE)[0].max())
    assert np.nonzero(labels == L.NECK)[0].max() < face_bottom + 0.25 * photo.shape[0]
    src, src_lab = _source()
    result = HeadBlendingPipeline(BaselineBlender("paste", resolution=128), parser=parser)(
        src, photo, source_labels=src_lab)
    changed_rows = np.nonzero((result.image != photo).any(-1))[0]
    assert changed_rows.max() < 0.6 * photo.shape[0]  # the suit, helmet and hands stay as they were


def test_a_black_and_white_target_gets_a_black_and_white_head(pipe: HeadBlendingPipeline) -> None:
    from changer.data.sample import to_gray
    from changer.pipeline import is_grayscale

    src, src_lab = _source()
    tgt, tgt_lab = _person(200, 2)
    assert not is_grayscale(src) and not is_grayscale(tgt)
    gray = to_gray(tgt)
    result = pipe(src, gray, source_labels=src_lab, target_labels=tgt_lab)
    assert is_grayscale(result.image) and is_grayscale(result.foreground[result.alpha > 0.99][None])
    assert any("black-and-white" in n for n in result.notes)
    coloured = pipe(src, tgt, source_labels=src_lab, target_labels=tgt_lab)
    assert not is_grayscale(coloured.image) and not any("black-and-white" in n for n in coloured.notes)


def test_black_and_white_is_judged_on_the_person() -> None:
    from changer.data.sample import to_gray
    from changer.pipeline import _person_is_grayscale

    img, lab = _person(200, 3)
    person = (lab != L.BACKGROUND).astype(np.float32)
    colour_in_gray_scene = np.where(person[..., None] > 0, img, to_gray(img))
    assert not _person_is_grayscale(colour_in_gray_scene, person)
    gray_with_caption = to_gray(img)
    gray_with_caption[person == 0] = (200, 30, 30)  # a red background or caption
    assert _person_is_grayscale(gray_with_caption, person)
    assert _person_is_grayscale(to_gray(img), np.zeros_like(person))  # no person: the window decides


def test_edge_softness_touches_only_the_new_outline(pipe: HeadBlendingPipeline) -> None:
    """The keyed outline is anti-aliased (partly opaque pixels appear along it); away from
    it nothing differs from a blend without softening, and bad values are refused."""
    src, src_lab = _source()
    tgt, tgt_lab = _person(200, 2)
    kwargs = dict(source_labels=src_lab, target_labels=tgt_lab)
    # the network's head: its keyed outline is the whole new outline (a real head brings its own soft matte)
    hard = pipe(src, tgt, options=BlendOptions(head="network", edge_softness=0.0, output_background="key"), **kwargs)
    soft = pipe(src, tgt, **kwargs, options=BlendOptions(head="network", output_background="key"))
    region = hard.masks["blend_region"]
    partly = lambda alpha: ((alpha > 0.05) & (alpha < 0.95) & region).sum()  # noqa: E731
    assert partly(soft.alpha) > partly(hard.alpha) + 50
    outline = cv2.morphologyEx((hard.alpha > 0.5).astype(np.uint8), cv2.MORPH_GRADIENT, np.ones((3, 3), np.uint8))
    far = cv2.dilate(outline, np.ones((19, 19), np.uint8)) == 0  # the blur's 3 px at 128 px, enlarged
    np.testing.assert_array_equal(soft.image[far], hard.image[far])
    for bad in (-1.0, 100.0):
        with pytest.raises(InputError, match="edge_softness"):
            pipe(src, tgt, options=BlendOptions(edge_softness=bad), **kwargs)


def test_mend_head_seam_repaints_the_ring_around_the_head_inside_the_person() -> None:
    """A light one-pixel line drawn around the pasted head, as the network leaves where the
    generated neck meets it, takes the colour around it where it lies inside the person;
    beyond the person's outline and everywhere else nothing changes."""
    from changer.pipeline import mend_head_seam

    fg = np.zeros((64, 64, 3), np.uint8)
    fg[...] = (170, 120, 100)
    head = np.zeros((64, 64), np.uint8)
    cv2.circle(head, (32, 24), 14, 1, -1)
    head = head > 0
    ring = (cv2.dilate(head.astype(np.uint8), np.ones((3, 3), np.uint8)) > 0) & ~head
    fg[ring] = (235, 200, 190)
    alpha = np.zeros((64, 64), np.float32)
    alpha[20:, :] = 1.0  # the person: from the middle of the head down
    out = mend_head_seam(fg, alpha, head)
    inside = ring & (cv2.erode((alpha > 0.5).astype(np.uint8), np.ones((5, 5), np.uint8)) > 0)
    assert inside.sum() > 20
    deep = inside.copy()
    deep[:27] = False  # the ring's ends border the unmended ring beyond the person
    np.testing.assert_allclose(out[deep].astype(float), np.broadcast_to((170, 120, 100), (int(deep.sum()), 3)), atol=8)
    assert (out[inside].astype(int).sum(axis=1) < fg[inside].astype(int).sum(axis=1)).all()
    np.testing.assert_array_equal(out[~inside], fg[~inside])
    assert mend_head_seam(fg, np.zeros_like(alpha), head) is fg  # no person: nothing to mend


def test_mend_head_seam_repaints_a_line_on_the_heads_own_edge_only_where_it_stands_out() -> None:
    """The light jaw line of cross-identity blends lies on the pasted head's own outer pixel:
    with ``line_level`` it is repainted where it meets the generated fill; an edge that does
    not stand out (a face a little darker than the neck, cleanly) is left as it is."""
    from changer.pipeline import mend_head_seam

    head = np.zeros((64, 64), np.uint8)
    cv2.circle(head, (32, 24), 14, 1, -1)
    head = head > 0
    edge = head & ~(cv2.erode(head.astype(np.uint8), np.ones((3, 3), np.uint8)) > 0)
    alpha = np.ones((64, 64), np.float32)
    fg = np.full((64, 64, 3), (170, 120, 100), np.uint8)
    fg[head] = (160, 110, 92)
    lined = fg.copy()
    lined[edge] = (235, 200, 190)
    jaw = edge.copy()
    jaw[:30] = False  # the lower part of the edge, well inside the person
    mended = mend_head_seam(lined, alpha, head, line_level=16)
    assert np.abs(mended[jaw].astype(int) - (160, 112, 95)).max() < 20  # the line takes the colours around it
    assert np.abs(mend_head_seam(lined, alpha, head)[jaw].astype(int) - (235, 200, 190)).max() == 0  # off: kept
    clean = mend_head_seam(fg, alpha, head, line_level=16)
    np.testing.assert_array_equal(clean[head], fg[head])  # a clean edge is no line


def test_the_old_hairs_soft_edge_is_rebuilt_only_where_the_new_person_is_away() -> None:
    """A photo's soft hair edge lies beyond the parser's label: where the new head is smaller
    than the old hair it would stay as a ghost outline, so the background is rebuilt further
    out there; where the new person's outline follows the old one the photo is kept."""
    from changer.pipeline import _Layer, _paste_original

    size = 256
    bg = np.zeros((size, size, 3), np.uint8)
    bg[...] = np.linspace(150, 210, size, dtype=np.uint8)[None, :, None]
    old = np.zeros((size, size), np.uint8)
    cv2.circle(old, (128, 128), 80, 1, -1)
    ghost = ((cv2.dilate(old, np.ones((11, 11), np.uint8)) > 0) & ~(cv2.dilate(old, np.ones((7, 7), np.uint8)) > 0))
    tgt = bg.copy()
    tgt[old > 0] = (60, 40, 30)
    tgt[ghost] = (110, 90, 80)  # the hair's soft edge, 4-5 px beyond the label (1% of 256 px: 3 px)
    layer = _Layer(fg=tgt.copy(), alpha=old.astype(np.float32), keyed=None)
    new = np.zeros((size, size), np.uint8)
    cv2.circle(new, (128, 160), 44, 1, -1)  # a smaller head, low: the old outline's top is far from it
    alpha = new.astype(np.float32)
    fg = np.where(new[..., None] > 0, np.uint8(200), tgt).astype(np.uint8)
    weight = np.ones((size, size), np.float32)
    whole = slice(0, size)
    narrow = _paste_original(tgt, layer, fg, alpha, weight, whole, whole, size, margin=0.01)
    wide = _paste_original(tgt, layer, fg, alpha, weight, whole, whole, size, margin=0.03)
    top = ghost.copy()
    top[100:] = False  # the ghost's top arc, far from the new head
    assert np.abs(narrow[top].astype(int) - tgt[top]).mean() < 5  # kept: a ghost outline
    assert np.abs(wide[top].astype(int) - bg[top]).mean() < 15  # rebuilt from the background around it
    # next to a new person whose outline runs along the old one, nothing beyond 1% is rebuilt
    same = _paste_original(tgt, layer, tgt, old.astype(np.float32), weight, whole, whole, size, margin=0.03)
    np.testing.assert_array_equal(same[ghost], tgt[ghost])
    # nor on a busy background (stripes: inpainting a wider strip smears them more than the ghost shows)
    striped = tgt.copy()
    stripes = (np.arange(size) // 4 % 2 == 0)[:, None] & ~(cv2.dilate(old, np.ones((11, 11), np.uint8)) > 0)
    striped[stripes] = (30, 30, 160)
    busy = _paste_original(striped, layer, np.where(new[..., None] > 0, np.uint8(200), striped).astype(np.uint8),
                           alpha, weight, whole, whole, size, margin=0.03)
    np.testing.assert_array_equal(busy[top], striped[top])


def test_a_letterboxed_source_is_parsed_without_its_black_bars(monkeypatch: pytest.MonkeyPatch) -> None:
    """The parser would take a black bar touching dark hair for hair (a slab on the pasted
    head): the source is parsed without its bars, and the result says so; a source given
    with its label map is taken whole."""
    seen: list[tuple[int, ...]] = []

    def parse(img: np.ndarray) -> np.ndarray:
        seen.append(img.shape[:2])
        return synthetic_person(img.shape[0], np.random.default_rng(5))[1][:, : img.shape[1]]

    monkeypatch.setattr(pipeline_module, "find_parser", lambda: parse)
    monkeypatch.setattr(photo_labels_module, "upright_turns", lambda *args, **kwargs: 0)
    pipe = HeadBlendingPipeline(BaselineBlender("paste", resolution=96))
    src, src_lab = _person(160, 1)
    boxed = np.vstack([np.zeros((20, 160, 3), np.uint8), src, np.zeros((20, 160, 3), np.uint8)])
    tgt, tgt_lab = _person(160, 2)
    result = pipe(boxed, tgt, target_labels=tgt_lab)
    assert seen == [(160, 160)] and any("black bars" in note for note in result.notes)
    seen.clear()
    labels = np.vstack([np.zeros((20, 160), np.uint8), src_lab, np.zeros((20, 160), np.uint8)])
    given = pipe(boxed, tgt, source_labels=labels, target_labels=tgt_lab)
    assert seen == [] and not any("black bars" in note for note in given.notes)


def test_a_source_head_cut_by_its_photo_edge_is_noted(pipe: HeadBlendingPipeline) -> None:
    """A source whose hair runs off the top of its photo: the note says so when the cut lands
    inside the target, and not for a whole head."""
    tgt, tgt_lab = _person(240, 2)
    src, src_lab = _person(240, 1)
    whole = pipe(src, tgt, source_labels=src_lab, target_labels=tgt_lab)
    assert not any("cut off" in note for note in whole.notes), whole.notes
    top = int(np.nonzero(L.head_mask(src_lab).any(axis=1))[0][0])
    cut, cut_lab = src[top + 30 :], src_lab[top + 30 :]  # the top 30 rows of the head are gone
    result = pipe(cut, tgt, source_labels=cut_lab, target_labels=tgt_lab)
    assert any("cut off by the top edge" in note for note in result.notes), result.notes


def test_mend_seam_option_runs_the_repair(pipe: HeadBlendingPipeline, monkeypatch: pytest.MonkeyPatch) -> None:
    calls: list[tuple[int, ...]] = []
    real = pipeline_module.mend_head_seam
    monkeypatch.setattr(composite_module, "mend_head_seam",
                        lambda fg, a, h, level: calls.append((h.shape, level)) or real(fg, a, h, level))
    src, src_lab = _source()
    tgt, tgt_lab = _person(200, 2)
    network = BlendOptions(head="network")  # the repair is of the network's head; a real head has no such line
    pipe(src, tgt, source_labels=src_lab, target_labels=tgt_lab, options=BlendOptions(head="network", mend_seam=False))
    pipe(src, tgt, source_labels=src_lab, target_labels=tgt_lab)
    assert calls == []
    pipe(src, tgt, source_labels=src_lab, target_labels=tgt_lab, options=network)
    assert calls == [((128, 128), 16.0)]  # once, on the working window, the jaw-line repair on
    pipe(src, tgt, source_labels=src_lab, target_labels=tgt_lab,
         options=BlendOptions(head="network", seam_line_level=None))
    assert calls[-1] == ((128, 128), None)


def _lies(picture: np.ndarray, turns: int):
    """A stand-in for ``upright_turns`` that knows which picture lies (no detector sees the
    synthetic people's faces, so the turn itself is tested in tests/test_orientation.py)."""
    return lambda img, labels, look=None: turns if np.array_equal(img, picture) else 0


def test_a_lying_target_is_blended_upright_and_turned_back(
    pipe: HeadBlendingPipeline, monkeypatch: pytest.MonkeyPatch,
) -> None:
    src, src_lab = _source()
    tgt, tgt_lab = (a[:, 15:185].copy() for a in _person(200, 2))  # not square: the shapes must follow
    bg = np.zeros((90, 150, 3), np.uint8)
    bg[:, :75], bg[:, 75:] = (200, 30, 30), (30, 30, 200)  # two halves: a turned background would show
    lying, lying_lab = turn(tgt, -1), turn(tgt_lab, -1)  # a quarter clockwise
    monkeypatch.setattr(photo_labels_module, "upright_turns", _lies(lying, 1))

    upright = pipe(src, tgt, turn(bg, 1), source_labels=src_lab, target_labels=tgt_lab)
    result = pipe(src, lying, bg, source_labels=src_lab, target_labels=lying_lab)
    assert result.image.shape == lying.shape
    for got, want in [(result.image, upright.image), (result.alpha, upright.alpha),
                      (result.foreground, upright.foreground), (result.paste_weight, upright.paste_weight),
                      *((result.masks[k], m) for k, m in upright.masks.items())]:
        # the same sums in another memory order: floats may differ in the last bit, bytes by one level
        tolerance = 0 if want.dtype == bool else 1 if want.dtype == np.uint8 else 1e-5
        np.testing.assert_allclose(got.astype(np.float64), turn(want, -1).astype(np.float64), rtol=0, atol=tolerance)
    np.testing.assert_array_equal(result.original, lying)
    assert result.window == turn_box(upright.window, upright.image.shape, -1)
    assert "the target photo lies turned a quarter clockwise: it was blended upright and turned back" in result.notes

    kept = pipe(src, lying, bg, source_labels=src_lab, target_labels=lying_lab, options=BlendOptions(upright=False))
    assert not any("turned" in note for note in kept.notes)
    assert not np.array_equal(kept.image, result.image)


def test_a_lying_source_is_parsed_again_upright(pipe: HeadBlendingPipeline, monkeypatch: pytest.MonkeyPatch) -> None:
    """The parser labels every picture as if upright, so a lying photo's first parse is thrown
    away: the head comes from the parse of the photo turned upright."""
    from changer.parsing.parser import Parsed

    src, src_lab = _source()
    tgt, tgt_lab = _person(200, 2)
    lying = turn(src, 2)
    table = {src.tobytes(): src_lab, tgt.tobytes(): tgt_lab, lying.tobytes(): np.flipud(src_lab)}  # upside-down photo, upright labels

    class TableParser:
        def parse(self, img: np.ndarray) -> Parsed:
            return Parsed(table[img.tobytes()], 0.95)

    monkeypatch.setattr(photo_labels_module, "upright_turns", _lies(lying, 2))
    parsing = HeadBlendingPipeline(pipe.blender, parser=TableParser())
    result = parsing(lying, tgt)
    np.testing.assert_allclose(result.image, parsing(src, tgt).image, rtol=0, atol=1)
    assert "the source photo is upside down: its head was turned upright" in result.notes


def test_a_lying_photo_is_found_by_the_real_check(pipe: HeadBlendingPipeline) -> None:
    """The bundled parser and the real orientation check on scikit-image's astronaut lying a
    quarter clockwise: the blend is the upright one, turned back."""
    from skimage.data import astronaut

    from changer.parsing import get_parser

    parser = get_parser()
    if parser is None:
        pytest.skip("no bundled parser")
    photo = astronaut()
    parsing = HeadBlendingPipeline(pipe.blender, parser=parser)
    src, src_lab = _source()
    upright = parsing(src, photo, source_labels=src_lab)
    result = parsing(src, turn(photo, -1), source_labels=src_lab)
    assert "the target photo lies turned a quarter clockwise: it was blended upright and turned back" in result.notes
    np.testing.assert_allclose(result.image, turn(upright.image, -1), rtol=0, atol=1)
    assert not any("turned" in note for note in upright.notes)


def test_a_plain_callable_parser_looks_at_the_turns_itself(pipe: HeadBlendingPipeline) -> None:
    """A parser that is only a function is asked about the turned copies too, and parses the
    photo again once it is upright."""
    from skimage.data import astronaut

    photo = astronaut()
    labels = np.zeros(photo.shape[:2], np.uint8)
    labels[80:170, 180:260] = L.FACE  # her face, as a box
    labels[60:80, 180:260] = L.HAIR
    turns_of = {turn(photo, k).tobytes(): k for k in range(4)}
    asked: list[int] = []

    def parser(img: np.ndarray) -> np.ndarray:
        asked.append(turns_of[img.tobytes()])
        return turn(labels, asked[-1])

    parsing = HeadBlendingPipeline(pipe.blender, parser=parser)
    src, src_lab = _source()
    result = parsing(src, turn(photo, 2), source_labels=src_lab)
    assert "the target photo is upside down: it was blended upright and turned back" in result.notes
    np.testing.assert_allclose(result.image, turn(parsing(src, photo, source_labels=src_lab).image, 2), rtol=0, atol=1)
    assert {1, 3} <= set(asked)  # the sideways copies of the upside-down photo were looked at


def test_a_parser_that_finds_no_face_in_a_lying_photo_still_gets_it_turned(pipe: HeadBlendingPipeline) -> None:
    """The no-face check comes after the turn: a parser that sees a face only upright."""
    from skimage.data import astronaut

    photo = astronaut()
    labels = np.zeros(photo.shape[:2], np.uint8)
    labels[80:170, 180:260] = L.FACE
    labels[60:80, 180:260] = L.HAIR
    upright = photo.tobytes()

    def parser(img: np.ndarray) -> np.ndarray:
        return labels if img.tobytes() == upright else np.zeros(img.shape[:2], np.uint8)

    src, src_lab = _source()
    result = HeadBlendingPipeline(pipe.blender, parser=parser)(src, turn(photo, 2), source_labels=src_lab)
    assert "the target photo is upside down: it was blended upright and turned back" in result.notes
    with pytest.raises(InputError, match=r"target: no face found \(the parser labelled none\)"):
        HeadBlendingPipeline(pipe.blender, parser=lambda img: np.zeros(img.shape[:2], np.uint8))(
            src, photo, source_labels=src_lab)


def test_paste_weight_is_the_feathered_hole_over_the_picture_part_of_the_window() -> None:
    """Computed only near the hole and the picture, the weight equals the formula over the
    whole window: a smoothstep of the distance to the hole, ramped at inner window borders."""
    rng = np.random.default_rng(5)
    for _ in range(60):
        side, h, w = (int(v) for v in rng.integers(20, 160, 3))
        window = (int(rng.integers(-side + 2, w - 2)), int(rng.integers(-side + 2, h - 2)), side)
        _, _, wr, wc = pipeline_module._region(window, (h, w))
        if wr.stop <= wr.start or wc.stop <= wc.start:
            continue
        hole = np.zeros((side, side), bool)
        for _ in range(int(rng.integers(0, 3))):
            y, x, s = (int(v) for v in rng.integers(0, side, 3))
            hole[y : y + s // 3 + 1, x : x + s // 3 + 1] = True
        feather = float(rng.choice([0.0, 0.02, 0.1, 0.3]))
        f = max(1, round(feather * side))
        dist = cv2.distanceTransform((~hole).astype(np.uint8), cv2.DIST_L2, cv2.DIST_MASK_PRECISE) if hole.any() \
            else np.full(hole.shape, np.inf, np.float32)
        t = np.clip(dist / (2 * f), 0, 1)
        ramp = np.clip((np.arange(side) + 0.5) / f, 0, 1)
        x0, y0, _ = window
        rows_ramp = np.minimum(ramp if y0 > 0 else 1, ramp[::-1] if y0 + side < h else 1) * np.ones(side)
        cols_ramp = np.minimum(ramp if x0 > 0 else 1, ramp[::-1] if x0 + side < w else 1) * np.ones(side)
        want = ((1 - t * t * (3 - 2 * t)) * rows_ramp[:, None] * cols_ramp[None, :])[wr, wc]
        got = pipeline_module._paste_weight(hole, window, (h, w), feather)
        assert got.shape == want.shape and got.dtype == np.float32
        np.testing.assert_allclose(got, want, atol=1e-6)


def test_other_people_in_a_photo_are_noted(pipe: HeadBlendingPipeline, monkeypatch: pytest.MonkeyPatch) -> None:
    src, src_lab = _source()
    tgt, tgt_lab = _person(150, 2)
    seen: list[tuple[int, ...]] = []

    def other_faces(img: np.ndarray, face: np.ndarray | None) -> int:
        seen.append(img.shape)
        return 0 if img.shape == src.shape else 2  # the target is a group of three

    monkeypatch.setattr(notes_module, "other_faces", other_faces)
    result = pipe(src, tgt, source_labels=src_lab, target_labels=tgt_lab)
    assert seen == [src.shape, tgt.shape]
    assert [n for n in result.notes if "faces" in n] == [
        "the target photo shows 3 faces: only one person's head was replaced (crop the photo to the person you want)"]


class _GrayFill:
    """A blender that paints the whole hole a washed-out gray and pastes the head in colour,
    as the network's neck under a new chin looks."""

    name, resolution, key_color = "gray-fill", 128, None

    def __call__(self, inputs):
        out = inputs.target.copy()
        out[inputs.hole] = (150, 150, 160)
        out[inputs.head_mask] = inputs.head_rgb[inputs.head_mask]
        return out


def test_the_generated_neck_is_tinted_inside_the_hole_only(monkeypatch: pytest.MonkeyPatch) -> None:
    pipe = HeadBlendingPipeline(_GrayFill())
    seen: list[tuple[np.ndarray, np.ndarray, float]] = []
    real = composite_module.tint_neck
    monkeypatch.setattr(composite_module, "tint_neck",
                        lambda fg, neck, face, s: seen.append((neck, face, s)) or real(fg, neck, face, s))
    src, src_lab = _source()
    tgt, tgt_lab = _person(200, 2)
    result = pipe(src, tgt, source_labels=src_lab, target_labels=tgt_lab, options=BlendOptions(head="network"))
    neck, face, strength = seen[-1]
    assert strength == 1.0 and neck.sum() > 50 and face.sum() > 200
    assert not (neck & result.inputs.head_mask).any() and not (neck & ~result.inputs.hole).any()
    assert not (face & ~result.inputs.head_mask).any()
    plain = pipe(src, tgt, source_labels=src_lab, target_labels=tgt_lab,
                 options=BlendOptions(head="network", neck_tint=0.0))
    differs = (plain.image != result.image).any(axis=2)
    assert differs.any() and not (differs & ~result.masks["blend_region"]).any()
    for bad in (-0.1, 1.5, float("nan")):
        with pytest.raises(InputError, match="neck_tint must be in"):
            pipe(src, tgt, source_labels=src_lab, target_labels=tgt_lab, options=BlendOptions(neck_tint=bad))
