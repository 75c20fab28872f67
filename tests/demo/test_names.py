"""Plain names for the page (demo/names.py): every method the app offers has one."""

from __future__ import annotations

import pandas as pd

from demo import names


def test_every_bundled_model_and_baseline_has_a_display_name_and_a_description() -> None:
    from changer.blenders import bundled_model_names
    from eval.baselines import BASELINES
    from eval.runner import available_methods

    offered = {*bundled_model_names(), *BASELINES, *available_methods()}
    assert {"default", "no_h2", "h2sb", "laplacian"} <= offered
    for name in offered:
        label, description = names.METHODS[name]
        assert label and label != name and description.endswith("."), name
        assert names.method_label(name) == label and names.method_description(name) == description
    labels = [names.method_label(n) for n in offered]
    assert len(set(labels)) == len(labels), "two methods share a display name"
    assert names.method_label("default") == "CHANGER (default)"
    assert names.method_label("no_h2") == "CHANGER, no H² augmentation"
    assert names.method_label("h2sb") == "HeSer-style UNet"
    assert names.method_label("inpaint") == "OpenCV inpainting"


def test_other_names_network_heads_and_choices() -> None:
    assert names.method_label("runs/my_run/model") == "runs/my_run/model"  # a folder or Hub id: as typed
    assert names.method_label("default:network") == "CHANGER (default), network draws the head"
    assert names.method_description("nonsense") == ""
    assert names.method_choices(["laplacian", "x"]) == [("Laplacian pyramid blend", "laplacian"), ("x", "x")]
    assert names.ordered_methods(["paste", "x", "no_h2", "default"]) == ["default", "no_h2", "paste", "x"]
    assert names.picture_label("no_h2") == "CHANGER, no H2 augmentation"  # OpenCV's font has no ²
    assert names.split_choices(["test_green", "mine"]) == [("green screen (MEAD)", "test_green"), ("mine", "mine")]
    assert "`laplacian`" in names.methods_markdown(["laplacian"])


def test_metric_headers_have_units_and_directions() -> None:
    from eval.cross_identity import METRICS as CROSS
    from eval.stats import METRICS

    for metric in (*METRICS, *CROSS):
        assert metric in names.METRICS, metric
    assert names.metric_label("psnr") == "PSNR dB ↑" and names.metric_label("lpips") == "LPIPS ↓"
    assert names.metric_label("ssim") == "SSIM ↑" and names.metric_label("id_src") == "id_src ↓"
    table = pd.DataFrame({"method": ["default", "paste"], "split": ["test_hdtf", "val"], "psnr": ["1", "2"]})
    shown = names.readable_table(table)
    assert list(shown.columns) == ["method", "test set", "PSNR dB ↑"]
    assert list(shown["method"]) == ["CHANGER (default)", "Paste (no blending)"]
    assert list(shown["test set"]) == ["studio speech (HDTF)", "validation"]
