"""The app's API through ``gradio_client`` (what scripts and other apps call)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from PIL import Image

pytestmark = pytest.mark.slow


def test_blend_endpoint_returns_a_picture_of_the_target_size(app_url):
    from gradio_client import Client, handle_file

    from demo.examples import example_dir

    d = example_dir()
    client = Client(app_url, verbose=False)
    result, _compare, fg, alpha, _masks, download, status = client.predict(
        handle_file(str(d / "source_short_hair.png")),
        handle_file(str(d / "target_office.png")),
        None,
        handle_file(str(d / "source_short_hair_labels.png")),
        handle_file(str(d / "target_office_labels.png")),
        "green", "target", 1.0, 0.0, 0.0, "original", "", "built-in",
        api_name="/blend",
    )
    target = np.asarray(Image.open(d / "target_office.png"))
    out = np.asarray(Image.open(result).convert("RGB"))
    assert out.shape == target.shape
    assert not np.array_equal(out, target), "the head region must change"
    assert "Done with" in status
    # the 14th input is the edge softness slider (older clients leave it out: its default)
    _r, _c, _f, hard_alpha, *_ = client.predict(
        handle_file(str(d / "source_short_hair.png")), handle_file(str(d / "target_office.png")), None,
        handle_file(str(d / "source_short_hair_labels.png")), handle_file(str(d / "target_office_labels.png")),
        "green", "target", 1.0, 0.0, 0.0, "original", "", "built-in", 0.0, api_name="/blend",
    )
    assert not np.array_equal(np.asarray(Image.open(hard_alpha)), np.asarray(Image.open(alpha)))


def test_blend_endpoint_reports_bad_input(app_url, tmp_path):
    from gradio_client import Client, handle_file

    from demo.examples import example_dir

    tiny = tmp_path / "tiny.png"
    Image.fromarray(np.zeros((20, 20, 3), np.uint8)).save(tiny)
    client = Client(app_url, verbose=False)
    with pytest.raises(Exception, match="64"):
        client.predict(handle_file(str(tiny)), handle_file(str(tiny)), None, None, None,
                       "green", "target", 1.0, 0.0, 0.0, "original", "", "built-in", api_name="/blend")

    d = example_dir()
    pair = (handle_file(str(d / "source_short_hair.png")), handle_file(str(d / "target_office.png")), None,
            handle_file(str(d / "source_short_hair_labels.png")), handle_file(str(d / "target_office_labels.png")))
    with pytest.raises(Exception, match="Head size: must be a number"):  # not a bare "Error"
        client.predict(*pair, "green", "target", "abc", 0.0, 0.0, "original", "", "built-in", api_name="/blend")
    *_, status = client.predict(*pair, "green", "target", None, None, 0.0, "original", "", "built-in", api_name="/blend")
    assert "Done with" in status  # a slider left out takes its starting value


def test_choices_are_checked_by_the_app_not_against_the_startup_lists(app_url, tmp_path):
    """An API caller may evaluate a split of another dataset folder (the page's split list is
    the startup dataset's); a wrong option value is a message naming the option."""
    from gradio_client import Client, handle_file

    from changer.data.synthetic import write_synthetic_dataset
    from demo.examples import example_dir

    other = write_synthetic_dataset(tmp_path / "other", {"val": 1}, size=64)
    client = Client(app_url, verbose=False)
    *_, message = client.predict(str(other), ["val"], ["paste"], 1, api_name="/evaluate")
    assert message.startswith("Evaluated 1 method")
    with pytest.raises(Exception, match="unknown split"):
        client.predict(str(other), ["test_hdtf"], ["paste"], 1, api_name="/evaluate")

    d = example_dir()
    pair = (handle_file(str(d / "source_short_hair.png")), handle_file(str(d / "target_office.png")), None, None, None)
    with pytest.raises(Exception, match="Key colour: must be one of green, blue; got 'red'"):
        client.predict(*pair, "red", "target", 1.0, 0.0, 0.0, "original", "", "built-in", api_name="/blend")


def test_cross_identity_endpoint_scores_uploaded_pairs(app_url):
    from gradio_client import Client, handle_file

    portraits = Path(__file__).resolve().parents[2] / "examples" / "portraits"
    client = Client(app_url, verbose=False)
    summary, pairs, sheet, message = client.predict(
        ["paste"], "", [handle_file(str(portraits / "art_14.jpg"))], [handle_file(str(portraits / "art_5.jpg"))],
        api_name="/cross_identity")
    assert message.startswith("Blended 1 pair × 1 method.")  # then: one pair gives no interval
    # the page's plain names and headers with their direction (the CSV files keep the short ones)
    assert "id_src ↓" in pairs["headers"] and pairs["data"][0][pairs["headers"].index("status")] == "ok"
    assert pairs["data"][0][pairs["headers"].index("method")] == "Paste (no blending)"
    with pytest.raises(Exception, match="as many target photos"):
        client.predict(["paste"], "", [handle_file(str(portraits / "art_14.jpg"))], [], api_name="/cross_identity")

