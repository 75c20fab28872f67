"""Every hostile file through the Blend tab's handler (demo.gradio_pipeline.BlendService) in
each place a file goes: a result or a gr.Error message, never another exception (issue 27)."""

from __future__ import annotations

import time
from pathlib import Path

import gradio as gr
import pytest

from demo.examples import example_dir
from demo.gradio_pipeline import BlendOutputs, BlendService
from demo.public import Policy

SLOW = 10.0
"""Seconds one decodable file may take (the head parser runs on it); a refused one: 1 s."""


@pytest.fixture(scope="module")
def service() -> BlendService:
    return BlendService("paste", policy=Policy(public=False))


def _outcome(fn, *args, **kwargs) -> tuple[str, float]:
    start = time.perf_counter()
    try:
        out = fn(*args, **kwargs)
    except gr.Error as err:
        return f"refused: {err.message}", time.perf_counter() - start
    assert isinstance(out, BlendOutputs)
    return "ok", time.perf_counter() - start


def _example(name: str) -> str:
    return str(example_dir() / name)


def test_hostile_sources_and_targets(service: BlendService, corpus: dict[str, Path]) -> None:
    src, src_labels = _example("source_short_hair.png"), _example("source_short_hair_labels.png")
    tgt, tgt_labels = _example("target_office.png"), _example("target_office_labels.png")
    outcomes = {}
    for name, path in corpus.items():
        outcomes[name, "source"] = _outcome(service.blend, str(path), tgt, None, None, tgt_labels)
        outcomes[name, "target"] = _outcome(service.blend, src, str(path), None, src_labels, None)
    for (name, role), (what, seconds) in outcomes.items():
        assert seconds < (SLOW if what == "ok" or "face" in what else 1.0), (name, role, what, seconds)
        if name.startswith(("bomb", "empty", "truncated", "corrupt", "text")) or name.startswith("noise"):
            assert what.startswith("refused"), (name, role, what)
        assert "/tmp/" not in what and str(path_parent(corpus)) not in what, what
    for role in ("source", "target"):
        assert "no face found" in outcomes["noise.webp", role][0]  # pixel noise is no face, in any format
        assert "121 megapixels" in outcomes["bomb_11000_rgb.png", role][0]


def path_parent(corpus: dict[str, Path]) -> Path:
    return next(iter(corpus.values())).parent


def test_hostile_backgrounds(service: BlendService, corpus: dict[str, Path]) -> None:
    src, src_labels = _example("source_short_hair.png"), _example("source_short_hair_labels.png")
    tgt, tgt_labels = _example("target_office.png"), _example("target_office_labels.png")
    for name, path in corpus.items():
        what, seconds = _outcome(service.blend, src, tgt, str(path), src_labels, tgt_labels, output_background="image")
        assert seconds < SLOW, (name, what)
        assert what == "ok" or what.startswith("refused: background"), (name, what)


def test_hostile_label_maps(service: BlendService, hostile, tmp_path: Path) -> None:
    src, src_labels = _example("source_short_hair.png"), _example("source_short_hair_labels.png")
    tgt = _example("target_office.png")
    maps = hostile.label_corpus(tmp_path, size=(256, 256))
    expect = {
        "labels_huge_11000.png": "target labels: image is 11000x11000 px (121 megapixels)",
        "labels_huge_gray_20000.png": "target labels: image is too large", "labels_off_palette.png": "label palette",
        "labels_out_of_range.png": "must be 0..4", "labels_16bit.png": "must be 0..4",
        "labels_wrong_shape.png": "target labels: label map is 85x256 px but its photo is 256x256 px",
    }
    for name, path in maps.items():
        what, seconds = _outcome(service.blend, src, tgt, None, src_labels, str(path), parser="labels")
        assert seconds < (SLOW if what == "ok" else 1.0), (name, what, seconds)
        assert what == "ok" if name not in expect else expect[name] in what, (name, what)


def test_odd_but_valid_encodings_of_a_real_photo_blend(service: BlendService, hostile, tmp_path: Path) -> None:
    tgt, tgt_labels = _example("target_office.png"), _example("target_office_labels.png")
    for name, path in hostile.odd_encodings(_example("source_short_hair.png"), tmp_path).items():
        what, _ = _outcome(service.blend, str(path), tgt, None, _example("source_short_hair_labels.png"), tgt_labels)
        assert what == "ok", (name, what)
