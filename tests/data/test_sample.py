"""The blend-sample construction (DESIGN.md §1) and its seeded evaluation variant."""

import numpy as np
import pytest

from changer import labels as L
from changer.data.augment import H2Config
from changer.data.blend_dataset import BlendDataset
from changer.data.dataset import TalkingHeads
from changer.data.sample import SampleBuilder, SampleConfig, frame_seed
from changer.data.synthetic import synthetic_person
from changer.inputs import BLUE_KEY_COLOR, DEFAULT_KEY_COLOR, to_model_tensors


def _build(config: SampleConfig, seed: int = 0, donor=None):
    img, lab = synthetic_person(128, np.random.default_rng(1))
    ref, ref_lab = synthetic_person(128, np.random.default_rng(2))
    return SampleBuilder(config).build(img, lab, ref, ref_lab, np.random.default_rng(seed), "f", donor), img, lab


@pytest.mark.parametrize("key", [DEFAULT_KEY_COLOR, BLUE_KEY_COLOR])
def test_sample_is_in_the_chroma_key_setting(key):
    s, img, lab = _build(SampleConfig(key_color=key))
    bg = lab == L.BACKGROUND
    assert (s.gt[bg] == key).all()
    fg = ~bg
    assert (s.gt[fg] == img[fg]).all()
    inp = s.inputs
    assert (inp.target[inp.hole] == key).all()
    assert (inp.target[~inp.hole] == s.gt[~inp.hole]).all()


def test_inputs_hold_gray_head_colour_ref_and_visible_body():
    s, img, lab = _build(SampleConfig())
    inp = s.inputs
    head = L.head_mask(lab)
    assert (inp.head_mask == head).all() and inp.hole[head].all()
    gray = inp.head_gray[head]
    assert (gray[:, 0] == gray[:, 1]).all() and (gray[:, 1] == gray[:, 2]).all()
    assert (inp.head_gray[~head] == 0).all()
    assert inp.color_ref_mask.any() and (inp.color_ref[~inp.color_ref_mask] == 0).all()
    body = inp.body_ref_mask
    assert body.any() and not (body & inp.hole).any()
    assert (inp.body_ref[body] == img[body]).all()
    assert L.neck_body_mask(lab)[body].all()


def test_no_chroma_keeps_the_real_background():
    s, img, _ = _build(SampleConfig(chroma=False))
    assert (s.gt == img).all()
    assert not s.inputs.chroma


def test_h2_changes_the_hole_shape():
    plain = _build(SampleConfig(h2=False))[0].inputs.hole
    holes = [_build(SampleConfig(), seed=s)[0].inputs.hole for s in range(6)]
    assert all((h != plain).sum() > 100 for h in holes)
    assert len({h.tobytes() for h in holes}) == len(holes)


def test_h2_adds_long_hair_when_asked():
    always = SampleConfig(h2_config=H2Config(long_hair_prob=1.0))
    never = SampleConfig(h2_config=H2Config(long_hair_prob=0.0))
    with_hair, _, lab = _build(always)
    without, _, _ = _build(never)
    assert "long_hair" in with_hair.extras and "long_hair" not in without.extras
    face = lab == L.FACE
    chin = np.nonzero(face)[0].max()
    below = lambda m: m[chin + 4 :].sum()  # noqa: E731
    assert below(with_hair.inputs.hole) > below(without.inputs.hole) + 50


def test_model_tensors_have_the_documented_channels():
    s, _, _ = _build(SampleConfig())
    t = to_model_tensors(s.inputs)
    assert t["x"].shape == (5, 128, 128) and t["c"].shape == (3, 128, 128)
    assert t["x"][:3].min() >= -1 and t["x"][:3].max() <= 1
    fill = s.inputs.hole & ~s.inputs.head_mask
    assert (t["x"][3].numpy() == fill).all() and (t["x"][4].numpy() == s.inputs.head_mask).all()


def test_frame_seed_is_stable_and_distinct():
    assert frame_seed("clip/0001") == frame_seed("clip/0001")
    assert frame_seed("clip/0001") != frame_seed("clip/0002")


def test_eval_variant_is_identical_across_calls_and_differs_across_frames(synthetic_data):
    frames = TalkingHeads(synthetic_data).frames("test_hdtf")
    a = BlendDataset(frames, size=64)
    b = BlendDataset(frames, size=64)
    s1, s2 = a.sample(0), b.sample(0)
    for name in ("target", "hole", "head_gray", "color_ref", "body_ref"):
        assert (getattr(s1.inputs, name) == getattr(s2.inputs, name)).all(), name
    holes = [a.sample(i).inputs.hole for i in range(len(a))]
    assert len({h.tobytes() for h in holes}) == len(holes)


def test_train_variant_draws_new_samples(synthetic_data):
    import torch

    frames = TalkingHeads(synthetic_data).frames("train")
    ds = BlendDataset(frames, size=48, train=True)
    torch.manual_seed(0)
    first = ds[0]
    second = ds[0]
    assert first["x"].shape == (5, 48, 48) and first["y"].shape == (3, 48, 48)
    assert not (first["x"] == second["x"]).all()
    torch.manual_seed(0)
    assert (ds[0]["x"] == first["x"]).all(), "seeded training draws must repeat"


def test_a_long_caption_is_set_smaller_to_fit_its_tile() -> None:
    """A frame id longer than the tile is wide is shrunk, not cut at the tile's edge."""
    import numpy as np

    from changer.data.preview import label_tile

    tile = np.zeros((96, 96, 3), np.uint8)
    bar_rows = max(96 // 12, 14)
    long = label_tile(tile, "sadtalker-wda-aoc-000/0123")[:bar_rows]
    ink = np.where((long < 128).any(axis=2).any(axis=0))[0]
    assert ink.max() < 96 - 2  # the last letter ends inside the tile
    short = label_tile(tile, "gt")[:bar_rows]
    assert (short < 128).any()
    tiny = label_tile(np.zeros((4, 4, 3), np.uint8), "sadtalker-wda-aoc-000/0123")  # no room at all: no error
    assert tiny.shape == (14 + 4, 4, 3)
