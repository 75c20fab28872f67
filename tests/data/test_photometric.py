"""Photometric training augmentation: new clothes colours, one light for target and reference."""

from __future__ import annotations

import numpy as np
import pytest

from changer import labels as L
from changer.data.augment import dilate
from changer.data.blend_dataset import BlendDataset
from changer.data.dataset import TalkingHeads
from changer.data.photometric import PhotometricConfig, augment_pair, recolor_clothes, relight, relight_params
from changer.data.synthetic import synthetic_person


def _person(seed: int = 0):
    return synthetic_person(96, np.random.default_rng(seed))


def test_recolor_changes_the_clothes_and_nothing_far_from_them() -> None:
    img, lab = _person()
    body = lab == L.BODY
    assert body.any()
    out = recolor_clothes(img, lab, np.random.default_rng(1), PhotometricConfig(saturation=(1.5, 1.5)))
    far = ~dilate(body, 2)  # the recolour is feathered over one pixel
    assert np.array_equal(out[far], img[far])
    diff = np.abs(out.astype(int) - img.astype(int)).sum(-1)
    assert (diff[body] > 6).mean() > 0.5  # most clothes pixels really change colour
    no_body = np.where(lab == L.BODY, L.BACKGROUND, lab).astype(lab.dtype)
    assert np.array_equal(recolor_clothes(img, no_body, np.random.default_rng(1), PhotometricConfig()), img)


def test_relight_is_shared_and_monotone() -> None:
    img, lab = _person()
    ref, _ = _person(3)
    cfg = PhotometricConfig(clothes_prob=0.0, relight_prob=1.0)
    t2, r2 = augment_pair(img, lab, ref, np.random.default_rng(5), cfg)
    rng = np.random.default_rng(5)
    rng.random()  # the clothes coin
    rng.random()  # the relight coin
    gain, gamma = relight_params(rng, cfg)
    assert np.array_equal(t2, relight(img, gain, gamma)) and np.array_equal(r2, relight(ref, gain, gamma))
    ramp = np.repeat(np.arange(256, dtype=np.uint8)[None, :, None], 3, axis=2)
    out = relight(ramp, np.array([1.1, 0.9, 1.0], np.float32), 1.2)[0]
    assert np.all(np.diff(out.astype(int), axis=0) >= 0)  # the tone curve keeps the order
    assert out[0].tolist() == [0, 0, 0]


def test_identity_when_both_probabilities_are_zero() -> None:
    img, lab = _person()
    cfg = PhotometricConfig(clothes_prob=0.0, relight_prob=0.0)
    t2, r2 = augment_pair(img, lab, img, np.random.default_rng(0), cfg)
    assert t2 is img and r2 is img


def test_evaluation_samples_ignore_photometric(synthetic_data) -> None:
    frames = TalkingHeads(synthetic_data).frames("test_hdtf")
    plain = BlendDataset(frames, size=64).sample(0)
    augmented = BlendDataset(frames, size=64, photometric=PhotometricConfig(clothes_prob=1, relight_prob=1)).sample(0)
    assert np.array_equal(plain.gt, augmented.gt) and np.array_equal(plain.inputs.target, augmented.inputs.target)


@pytest.mark.parametrize("seed", [0, 1])
def test_training_sample_is_consistent_after_augmentation(synthetic_data, seed: int) -> None:
    import torch

    torch.manual_seed(seed)
    frames = TalkingHeads(synthetic_data).frames("train")
    ds = BlendDataset(frames, size=64, train=True, photometric=PhotometricConfig(clothes_prob=1, relight_prob=1))
    s = ds.sample(0)
    body = s.inputs.body_ref_mask
    # B shows exactly the ground truth's (recoloured) clothes where it is not black
    assert np.array_equal(s.inputs.body_ref[body], s.gt[body])
    keep = ~s.inputs.hole
    assert np.array_equal(s.inputs.target[keep], s.gt[keep])
