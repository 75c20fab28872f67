"""The optional SegFormer backend, on a tiny randomly initialised model saved offline."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import torch

from changer import labels as L
from changer.imageio import InputError
from changer.parsing import ParseOptions, load_parser
from changer.parsing.parser import HeadParser, get_parser
from changer.parsing.segformer import CELEBAMASK_TO_OURS, SegformerParser, class_map, merge_logits

transformers = pytest.importorskip("transformers")  # in requirements-dev.txt: runs in CI

# jonathandinu/face-parsing's order; other exports shuffle it or write "skin.png"
NAMES = ["background", "skin", "nose", "eye_g", "l_eye", "r_eye", "l_brow", "r_brow", "l_ear", "r_ear", "mouth",
         "u_lip", "l_lip", "hair", "hat", "ear_r", "neck_l", "neck", "cloth"]


@pytest.fixture
def tiny_segformer(tmp_path: Path) -> Path:
    torch.manual_seed(0)
    cfg = transformers.SegformerConfig(
        num_channels=3, num_encoder_blocks=2, depths=[1, 1], sr_ratios=[2, 1], hidden_sizes=[8, 16],
        patch_sizes=[7, 3], strides=[4, 2], num_attention_heads=[1, 1], mlp_ratios=[2, 2],
        decoder_hidden_size=16, id2label=dict(enumerate(NAMES)), label2id={n: i for i, n in enumerate(NAMES)},
    )
    model = transformers.SegformerForSemanticSegmentation(cfg).eval()
    model.save_pretrained(tmp_path / "seg")
    return tmp_path / "seg"


def test_class_map_by_name_in_any_order() -> None:
    assert class_map(dict(enumerate(NAMES))).tolist() == [CELEBAMASK_TO_OURS[n] for n in NAMES]
    shuffled = {0: "background", 1: "cloth.png", 2: "Hair.png", 3: "skin.png"}
    assert class_map(shuffled).tolist() == [L.BACKGROUND, L.BODY, L.HAIR, L.FACE]
    with pytest.raises(ValueError, match="unknown face-parsing class 'car'"):
        class_map({0: "background", 1: "car"})


def test_merge_logits_sums_member_probabilities() -> None:
    mapping = np.array([L.BACKGROUND, L.FACE, L.FACE, L.HAIR])
    logits = torch.tensor([0.0, 2.0, 2.0, 2.5])[:, None, None]  # nose+skin together beat hair
    merged = merge_logits(logits, mapping)
    p = logits[:, 0, 0].softmax(0)
    assert torch.allclose(merged[:, 0, 0].exp()[[0, 1, 2]], torch.stack([p[0], p[1] + p[2], p[3]]), atol=1e-6)
    assert merged[L.NECK].isneginf().all() and merged[L.BODY].isneginf().all()
    assert int(merged.argmax(0)) == L.FACE and int(logits.argmax(0)) == 3


def test_load_parser_picks_the_backend_from_the_config(tiny_segformer: Path, tmp_path: Path) -> None:
    parser = load_parser(tiny_segformer, device="cpu")
    assert isinstance(parser, SegformerParser)
    rng = np.random.default_rng(0)
    for shape in [(96, 128, 3), (200, 150, 3)]:
        labels = parser(rng.integers(0, 256, shape, dtype=np.uint8))
        assert labels.shape == shape[:2] and labels.dtype == np.uint8 and labels.max() < L.NUM_CLASSES
    from changer.parsing import ParserConfig, ParserNet

    ParserNet(ParserConfig(widths=(4, 8, 8, 16, 16), depths=(1, 1, 1, 1, 1), expand=1,
                           decoder_widths=(8, 8, 8, 8), input_size=64)).save_pretrained(tmp_path / "ours")
    assert isinstance(load_parser(tmp_path / "ours", device="cpu"), HeadParser)


def test_segformer_mirror_pass_is_off_unless_asked(tiny_segformer: Path) -> None:
    """Its default options differ from the bundled parser's in ``flip`` alone; flags apply on
    top of that default."""
    assert load_parser(tiny_segformer, device="cpu").options == ParseOptions(flip=False)
    assert load_parser(tiny_segformer, device="cpu", fringe=False).options == ParseOptions(flip=False, fringe=False)
    assert load_parser(tiny_segformer, device="cpu", flip=True).options == ParseOptions()


def test_env_selects_the_segformer(tiny_segformer: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CHANGER_PARSER", str(tiny_segformer))
    assert isinstance(get_parser(), SegformerParser)


def test_missing_transformers_is_a_clear_message(tiny_segformer: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import builtins

    real_import = builtins.__import__

    def no_transformers(name: str, *args, **kwargs):  # noqa: ANN002, ANN003
        if name == "transformers" or name.startswith("transformers."):
            raise ImportError(name)
        return real_import(name, *args, **kwargs)

    monkeypatch.setattr(builtins, "__import__", no_transformers)
    with pytest.raises(InputError, match="pip install transformers"):
        SegformerParser.from_pretrained(tiny_segformer)
