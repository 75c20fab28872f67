"""The Blend tab's adapter and upload component, without a server (fast)."""

from __future__ import annotations

from pathlib import Path

import gradio as gr
import numpy as np
import pytest
from gradio.components.image import ImageData
from PIL import Image

from demo.components import photo_input
from demo.examples import example_dir
from demo.gradio_pipeline import BlendService


@pytest.fixture(scope="module")
def service() -> BlendService:
    return BlendService("paste")  # a non-learned blender: the adapter is under test, not a model


def _example(name: str) -> str:
    return str(example_dir() / name)


def _blend(service: BlendService, source: str, target: str, **kwargs):
    return service.blend(source, target, None, _example("source_short_hair_labels.png"),
                         _example("target_office_labels.png"), **kwargs)


def test_photo_input_passes_the_uploaded_file_on_undecoded(tmp_path: Path) -> None:
    empty = tmp_path / "empty.png"
    empty.write_bytes(b"")
    photo = photo_input("Source head")
    assert photo.preprocess(ImageData(path=str(empty), orig_name="empty.png")) == str(empty)
    assert photo.preprocess(None) is None
    with pytest.raises(gr.Error, match="Source head: this file cannot be read as an image"):
        photo.preprocess(ImageData(url="data:image/png;base64,bm90IGFuIGltYWdl", orig_name="x.png"))


def test_number_slider_takes_its_default_for_none_and_names_itself_in_messages() -> None:
    from demo.components import number_slider

    slider = number_slider(0.6, 1.6, 1.0, "Head scale", step=0.02)
    assert slider.preprocess(None) == 1.0 and slider.preprocess("1.2") == 1.2 and slider.preprocess(0.8) == 0.8
    for bad, needle in (("abc", "must be a number"), (float("nan"), "finite"), (5.0, "greater than maximum")):
        with pytest.raises(gr.Error, match=f"Head scale: .*{needle}"):
            slider.preprocess(bad)


def test_the_blend_reports_its_stages_to_the_progress_bar(service: BlendService) -> None:
    seen: list[tuple[float, str]] = []
    _blend(service, _example("source_short_hair.png"), _example("target_office.png"),
           progress=lambda fraction, desc="": seen.append((fraction, desc)))
    fractions = [f for f, _ in seen]
    assert fractions == sorted(fractions) and 0 <= fractions[0] and fractions[-1] < 1  # forward only
    descriptions = [d for _, d in seen]
    assert descriptions[0] == "loading the model" and "keying and compositing" in descriptions


def test_blend_from_files_and_its_before_after(service: BlendService) -> None:
    out = _blend(service, _example("source_short_hair.png"), _example("target_office.png"))
    target = np.asarray(Image.open(_example("target_office.png")).convert("RGB"))
    before, after = out.before_after
    np.testing.assert_array_equal(before, target)
    assert after.shape == target.shape and "Done with" in out.status


def test_the_head_choice_reaches_the_pipeline(service: BlendService) -> None:
    real = _blend(service, _example("source_short_hair.png"), _example("target_office.png"))
    drawn = _blend(service, _example("source_short_hair.png"), _example("target_office.png"), head="network")
    assert (real.result != drawn.result).any()
    with pytest.raises(gr.Error, match="Head must be one of real, network"):
        _blend(service, _example("source_short_hair.png"), _example("target_office.png"), head="painted")


@pytest.mark.parametrize(("content", "needle"), [(b"", "empty"), (b"not an image", "not a readable image")])
def test_unreadable_uploads_become_messages(service: BlendService, tmp_path: Path, content: bytes, needle: str) -> None:
    bad = tmp_path / "bad.png"
    bad.write_bytes(content)
    with pytest.raises(gr.Error, match=f"target.*{needle}") as err:
        _blend(service, _example("source_short_hair.png"), str(bad))
    assert err.value.print_exception is False  # bad input: a message in the page, no traceback in the log


def test_odd_option_values_become_messages(service: BlendService) -> None:
    src, tgt = _example("source_short_hair.png"), _example("target_office.png")
    with pytest.raises(gr.Error, match="Key colour"):
        _blend(service, src, tgt, key=None)
    with pytest.raises(gr.Error, match="numbers"):
        _blend(service, src, tgt, dx=None)
    with pytest.raises(gr.Error, match="outside the picture"):
        _blend(service, src, tgt, dx=1.9)
    with pytest.raises(gr.Error, match="edge_softness"):
        _blend(service, src, tgt, edge_softness=9.0)


def test_the_edge_softness_slider_starts_at_the_pipelines_default(service: BlendService) -> None:
    from changer.pipeline import BlendOptions
    from demo.gradio_pipeline import DEFAULT_EDGE_SOFTNESS

    assert BlendOptions().edge_softness == DEFAULT_EDGE_SOFTNESS
    src, tgt = _example("source_short_hair.png"), _example("target_office.png")
    hard, soft = _blend(service, src, tgt, edge_softness=0.0), _blend(service, src, tgt)
    assert not np.array_equal(hard.alpha, soft.alpha)  # the slider reaches the pipeline


def test_the_upright_checkbox_reaches_the_pipeline(service: BlendService, monkeypatch: pytest.MonkeyPatch) -> None:
    import changer.photo_labels as photo_labels_module

    asked: list[bool] = []

    def upright_turns(img, labels, look=None) -> int:
        asked.append(True)
        return 0

    monkeypatch.setattr(photo_labels_module, "upright_turns", upright_turns)
    src, tgt = _example("source_short_hair.png"), _example("target_office.png")
    _blend(service, src, tgt, upright=False)
    assert asked == []
    _blend(service, src, tgt)  # ticked by default
    assert asked == [True, True]  # the source and the target


def test_evaluate_service_messages(synthetic_data: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from demo.gradio_pipeline import EvaluateService

    monkeypatch.setenv("CHANGER_CACHE", str(tmp_path / "cache"))
    service = EvaluateService(str(synthetic_data))
    quiet = lambda *a, **k: None
    out = service.evaluate("  ", ["test_hdtf"], ["paste"], 1, quiet)  # blank: the default dataset
    assert "Evaluated" in out.message
    assert "Only 1 frame per test set" in out.message  # too few for intervals: the page says so
    assert Path(out.grid).parent.parent == Path(out.csv).parent.parent == service.scratch.root
    assert out.paired.empty  # one method: nothing to pair
    two = service.evaluate("", ["test_hdtf"], ["paste", "inpaint"], 2, quiet)
    # plain names on the page (the CSV keeps the short ones); headers with units and arrows
    assert list(two.paired["method"]) == ["OpenCV inpainting"] and list(two.paired["compared with"]) == ["Paste (no blending)"]
    assert " ± " in two.paired["PSNR dB ↑"].iloc[0]
    assert list(two.table.columns[:4]) == ["method", "test set", "PSNR dB ↑", "SSIM ↑"]
    assert set(two.table["test set"]) == {"studio speech (HDTF)"}
    if service.lpips_note():  # LPIPS cannot be measured here: its columns are left out, one line says why
        assert not any("LPIPS" in c for c in [*two.table.columns, *two.paired.columns])
    twice = service.evaluate(str(synthetic_data), ["test_hdtf"], ["paste"], 1, quiet, " paste,\n")
    assert "Evaluated 1 method" in twice.message  # a name ticked and typed counts once
    with pytest.raises(gr.Error, match=r"unknown split\(s\) \['val'\]; .* has \["):
        service.evaluate(str(synthetic_data), ["val"], ["paste"], 1, quiet)
    with pytest.raises(gr.Error, match=r"unknown model 'x{77}\.\.\.'"):
        service.evaluate(str(synthetic_data), ["test_hdtf"], ["x" * 3000], 1, quiet)  # no "File name too long"
    bad = tmp_path / "bad"
    (bad / "frames").mkdir(parents=True)
    (bad / "parsing").mkdir()
    (bad / "manifest.csv").write_text("clip_id,identity\na,b\n")  # no split column
    assert EvaluateService(str(bad)).splits() == []  # the app still starts
    with pytest.raises(gr.Error, match=r"No dataset found \(.*manifest.csv: missing column\(s\) split\)"):
        service.evaluate(str(bad), ["test_hdtf"], ["paste"], 1, quiet)  # the reason, not only "none found"

    import shutil

    clipped = tmp_path / "clipped"
    shutil.copytree(synthetic_data, clipped)
    clip = next(p for p in sorted((clipped / "frames").iterdir()) if p.is_dir())
    shutil.rmtree(clip)
    clip.write_text("not a folder")  # a clip whose frames folder is a file: a message, not a bare Error
    with pytest.raises(gr.Error, match=f"Not a directory: .*{clip.name}"):
        service.evaluate(str(clipped), ["test_hdtf", "train"], ["paste"], 1, quiet)


def test_evaluate_takes_other_models_typed_by_the_user(synthetic_data: Path, tmp_path: Path,
                                                       monkeypatch: pytest.MonkeyPatch) -> None:
    from changer.model import CHANGER, ChangerConfig
    from demo.gradio_pipeline import EvaluateService

    monkeypatch.setenv("CHANGER_CACHE", str(tmp_path / "cache"))
    config = ChangerConfig(channels=(8, 16, 32, 32), dim=32, heads=2, colorizer_depth=1, blender_depth=1, train_size=64)
    CHANGER(config).save_pretrained(tmp_path / "my_run")
    service = EvaluateService(str(synthetic_data))
    out = service.evaluate(str(synthetic_data), ["test_hdtf"], ["paste"], 1, lambda *a, **k: None,
                           f"{tmp_path / 'my_run'}, inpaint")
    assert set(out.table["method"]) == {"Paste (no blending)", "my_run", "OpenCV inpainting"}
    with pytest.raises(gr.Error, match="unknown model 'nonsense'"):
        service.evaluate(str(synthetic_data), ["test_hdtf"], [], 1, lambda *a, **k: None, "nonsense")


def test_cross_identity_panel_for_the_evaluate_tab(tmp_path: Path) -> None:
    from demo.gradio_pipeline import EvaluateService

    portraits = Path(__file__).resolve().parents[2] / "examples" / "portraits"
    service = EvaluateService(str(tmp_path / "no-data"))
    steps: list[float] = []
    sources = [str(portraits / "art_14.jpg"), str(portraits / "art_5.jpg")]
    targets = [str(portraits / "art_5.jpg"), str(tmp_path / "missing.jpg")]
    out = service.cross_identity(["paste"], lambda f, desc="": steps.append(f), " paste", sources, targets)
    assert out.message.startswith("Blended 2 pairs × 1 method. 1 blend failed (see the status column).")  # typed twice: once
    assert list(out.pairs["status"]) == ["ok", "unreadable"] and "id_src ↓" in out.pairs.columns
    assert list(out.summary["method"]) == ["Paste (no blending)"] and out.summary["failed"].tolist() == [1]
    assert "With 2 pairs (fewer than 20)" in out.message
    assert Image.open(out.sheet).size[0] == 4 * 256 and Path(out.sheet).parent.parent == service.scratch.root
    assert steps[0] == 0.0 and steps[-1] == 1.0
    quiet = lambda *a, **k: None
    with pytest.raises(gr.Error, match="as many target photos as source photos"):
        service.cross_identity(["paste"], quiet, "", sources, targets[:1])
    with pytest.raises(gr.Error, match="unknown model 'nonsense'"):
        service.cross_identity([], quiet, "nonsense", sources[:1], targets[:1])
    with pytest.raises(gr.Error, match="Pick at least one method"):
        service.cross_identity([], quiet, "", sources, targets)


def test_checkbox_groups_take_null_as_no_choice_and_leave_names_to_the_handler() -> None:
    from demo.components import checkbox_group

    group = checkbox_group(["test_hdtf", "test_vox"], "Splits", value=["test_hdtf"])
    assert group.preprocess(None) == [] and group.preprocess(["test_vox"]) == ["test_vox"]
    assert group.preprocess(["val"]) == ["val"]  # another dataset's split: the handler checks it
    assert group.preprocess("test_vox") == ["test_vox"]
    for bad in (3, [1, 2], {"a": 1}):
        with pytest.raises(gr.Error, match="Splits: must be a list of names"):
            group.preprocess(bad)


def test_choice_radio_names_itself_and_its_choices() -> None:
    from demo.components import choice_radio

    radio = choice_radio([("built-in head parser", "built-in"), ("label maps only", "labels")], "built-in", "Parser")
    assert radio.preprocess(None) == "built-in" and radio.preprocess("labels") == "labels"
    for bad in ("label maps only", "red", 3):  # a shown name is not a value
        with pytest.raises(gr.Error, match=f"Parser: must be one of built-in, labels; got {bad!r}"):
            radio.preprocess(bad)


def test_label_map_messages_say_which_map(service: BlendService, tmp_path: Path) -> None:
    bad = tmp_path / "labels.png"
    Image.fromarray(np.full((64, 64), 50, np.uint8)).save(bad)
    src, tgt = _example("source_short_hair.png"), _example("target_office.png")
    with pytest.raises(gr.Error, match="target labels: label values must be 0..4"):
        service.blend(src, tgt, None, _example("source_short_hair_labels.png"), str(bad))
    with pytest.raises(gr.Error, match="source labels: "):
        service.blend(src, tgt, None, str(bad), _example("target_office_labels.png"))


def test_odd_model_names_and_failing_loads_are_messages(service: BlendService, monkeypatch: pytest.MonkeyPatch) -> None:
    import changer.pipeline as pipeline_module

    src, tgt = _example("source_short_hair.png"), _example("target_office.png")
    with pytest.raises(gr.Error, match=r"unknown model 'x{77}\.\.\.'.*a bundled model: .*default_cpu"):
        _blend(service, src, tgt, model_id="x" * 5000)  # a name no file system takes

    def full_disk(name: str | None = None, **kwargs):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(pipeline_module.HeadBlendingPipeline, "from_pretrained", staticmethod(full_disk))
    with pytest.raises(gr.Error, match=r"model 'some/model' cannot be loaded \(No space left on device\)"):
        _blend(service, src, tgt, model_id="some/model")


def test_a_slow_model_load_holds_up_only_that_model(monkeypatch: pytest.MonkeyPatch) -> None:
    """Models load under their own locks: a download in progress does not stop other blends."""
    import threading

    import changer.pipeline as pipeline_module

    release, started = threading.Event(), threading.Event()
    stock = pipeline_module.HeadBlendingPipeline.from_pretrained

    def from_pretrained(name: str | None = None, **kwargs):
        if name == "slow/download":
            started.set()
            release.wait(30)
            raise FileNotFoundError("offline")
        return stock(name, **kwargs)

    monkeypatch.setattr(pipeline_module.HeadBlendingPipeline, "from_pretrained", staticmethod(from_pretrained))
    service = BlendService("paste")
    slow = threading.Thread(target=lambda: pytest.raises(FileNotFoundError, service.pipeline, "slow/download"))
    slow.start()
    assert started.wait(10)
    other: list = []
    fast = threading.Thread(target=lambda: other.append(service.pipeline(None)))
    fast.start()
    fast.join(10)
    done = not fast.is_alive()
    release.set()
    slow.join(10)
    assert done and other and other[0].method == "paste"
    assert service._loading == {}  # no lock kept per name once its load is over
