"""Appearance augmentation: mirroring and clothes recolouring of training frames."""

import numpy as np
import torch

from changer import labels as L
from changer.data.appearance import AppearanceConfig, augment_appearance, recolour_clothes
from changer.data.blend_dataset import BlendDataset
from changer.data.dataset import TalkingHeads
from changer.data.synthetic import synthetic_person
from changer.training.config import TrainConfig


def _person():
    return synthetic_person(96, np.random.default_rng(3))


def test_recolour_changes_clothes_only():
    img, lab = _person()
    body = lab == L.BODY
    assert body.any()
    out = recolour_clothes(img, lab, hue_shift=120.0, saturation=1.2, value=0.9)
    assert (out[~body] == img[~body]).all()
    assert np.abs(out[body].astype(int) - img[body].astype(int)).mean() > 5


def test_recolour_turns_the_hue_and_leaves_it_with_identity_factors():
    lab = np.full((8, 8), L.BODY, np.uint8)
    red = np.zeros((8, 8, 3), np.uint8)
    red[..., 0] = 200
    same = recolour_clothes(red, lab, 0.0, 1.0, 1.0)
    assert np.abs(same.astype(int) - red.astype(int)).max() <= 2
    cyan = recolour_clothes(red, lab, 180.0, 1.0, 1.0)[0, 0].astype(int)
    assert cyan[0] < 10 and cyan[1] > 150 and cyan[2] > 150


def test_inactive_config_returns_the_frame_unchanged():
    img, lab = _person()
    out, out_lab = augment_appearance(img, lab, np.random.default_rng(0), AppearanceConfig())
    assert (out == img).all() and (out_lab == lab).all()


def test_mirroring_moves_image_and_labels_together():
    img, lab = _person()
    cfg = AppearanceConfig(hflip=True)
    flipped = 0
    for seed in range(20):
        out, out_lab = augment_appearance(img, lab, np.random.default_rng(seed), cfg)
        mirrored = (out == img[:, ::-1]).all()
        assert mirrored or (out == img).all()
        assert (out_lab == (lab[:, ::-1] if mirrored else lab)).all()
        flipped += mirrored
    assert 0 < flipped < 20


def test_train_config_round_trips_the_appearance_settings():
    cfg = TrainConfig.from_dict({"appearance": {"hflip": True, "recolour_prob": 0.8, "value": [0.5, 1.5]}})
    assert cfg.appearance == AppearanceConfig(hflip=True, recolour_prob=0.8, value=(0.5, 1.5))
    again = TrainConfig.from_dict(cfg.to_dict())
    assert again.appearance == cfg.appearance


def test_evaluation_samples_ignore_the_augmentation(synthetic_data):
    frames = TalkingHeads(synthetic_data).frames("test_hdtf")
    plain = BlendDataset(frames, size=64, train=False)
    augmented = BlendDataset(frames, size=64, train=False, appearance=AppearanceConfig(True, 1.0))
    for i in range(len(frames)):
        a, b = plain.sample(i), augmented.sample(i)
        assert (a.gt == b.gt).all() and (a.inputs.body_ref == b.inputs.body_ref).all()


def test_training_samples_get_recoloured_clothes(synthetic_data):
    frames = TalkingHeads(synthetic_data).frames("train")
    cfg = AppearanceConfig(recolour_prob=1.0)
    torch.manual_seed(0)
    plain = BlendDataset(frames, size=64, train=True, crop_scale=(1.0, 1.0)).sample(0)
    torch.manual_seed(0)
    recoloured = BlendDataset(frames, size=64, train=True, crop_scale=(1.0, 1.0), appearance=cfg).sample(0)
    body = plain.labels == L.BODY
    assert (recoloured.labels == plain.labels).all()
    assert (recoloured.gt[~body] == plain.gt[~body]).all()
    assert (recoloured.gt[body] != plain.gt[body]).any()
