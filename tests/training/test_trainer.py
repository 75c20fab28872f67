"""The trainer end to end on a tiny synthetic set: logs, samples, export, exact resume."""

import csv
import json

import pytest
import torch

from changer.data.dataset import TalkingHeads
from changer.model import CHANGER, ChangerConfig
from changer.training.config import LossWeights, TrainConfig
from changer.training.losses import generator_losses, masked_l1, region_mean_l1, type_cross_entropy
from changer.training.trainer import train

TINY = dict(channels=(8, 16, 16, 32), dim=32, heads=2, colorizer_depth=1, blender_depth=1, train_size=48)


def _cfg(steps: int) -> TrainConfig:
    return TrainConfig(steps=steps, batch_size=2, crop_size=48, adv_start=2, num_workers=0,
                       log_every=2, sample_every=4, checkpoint_every=2)


def test_train_logs_exports_and_resumes(synthetic_data, tmp_path):
    torch.set_num_threads(1)
    out = tmp_path / "run"
    model_cfg = ChangerConfig.variant_config("full", **TINY)
    folder = train(model_cfg, _cfg(4), synthetic_data, out, cpu=True)
    rows = list(csv.DictReader((out / "log.csv").open()))
    assert [r["step"] for r in rows] == ["2", "4"]
    assert rows[-1]["loss_d"] != "" and rows[-1]["adversarial"] != ""  # GAN on after adv_start
    assert (out / "samples" / "step_000004.png").is_file()
    assert json.loads((out / "checkpoint" / "trainer_state.json").read_text())["step"] == 4
    assert CHANGER.from_pretrained(str(folder)).config.variant == "full"
    record = json.loads((folder / "training.json").read_text())
    n_train = len(TalkingHeads(synthetic_data).frames("train"))
    assert record["data"] == f"{n_train} frames of the `train` split of `{synthetic_data.resolve().name}`."

    train(model_cfg, _cfg(6), synthetic_data, out, resume=True, cpu=True)
    rows = list(csv.DictReader((out / "log.csv").open()))
    assert [r["step"] for r in rows] == ["2", "4", "6"], "resume continues from the checkpoint"


def test_masked_l1_and_type_cross_entropy_against_hand_values():
    pred, target = torch.zeros(1, 3, 2, 2), torch.ones(1, 3, 2, 2)
    mask = torch.tensor([[[[1.0, 0.0], [0.0, 0.0]]]])
    pred[0, :, 1, 1] = 5.0  # outside the mask: must not count
    assert masked_l1(pred, target, mask).item() == 1.0
    logits = torch.zeros(1, 3, 1, 1)
    types = torch.zeros(1, 4, 4, dtype=torch.long)
    assert abs(type_cross_entropy(logits, types).item() - torch.log(torch.tensor(3.0)).item()) < 1e-6


def test_region_mean_l1_compares_mean_colours_and_skips_empty_masks():
    pred, target = torch.zeros(2, 3, 2, 2), torch.zeros(2, 3, 2, 2)
    pred[0, :, 0] = 2.0  # mean 1.0 over the first image
    target[0, :, 1] = 1.0  # mean 0.5
    mask = torch.ones(2, 1, 2, 2)
    mask[1] = 0.0  # second sample: no hidden clothes, must not count
    pred[1] = 9.0
    assert abs(region_mean_l1(pred, target, mask).item() - 0.5) < 1e-6
    swapped = pred.clone()
    swapped[0] = pred[0].flip(-2)  # same pixels, other places: same mean, no loss change
    assert abs(region_mean_l1(swapped, target, mask).item() - 0.5) < 1e-6
    assert region_mean_l1(pred, target, torch.zeros_like(mask)).item() == 0.0


def test_generator_losses_add_the_clothes_term_only_when_weighted(synthetic_data):
    from changer.data.blend_dataset import BlendDataset
    from changer.data.dataset import TalkingHeads

    frames = TalkingHeads(synthetic_data).frames("train")[:2]
    ds = BlendDataset(frames, size=64, train=False)
    item = ds[0]
    batch = {k: v[None] for k, v in item.items() if torch.is_tensor(v)}
    assert batch["hidden_clothes"].shape == batch["hole"].shape
    assert (batch["hidden_clothes"] <= batch["hole"]).all(), "hidden clothes lie in the hole"
    out = {"y": torch.zeros_like(batch["y"])}
    assert "clothes_mean" not in generator_losses(out, batch, LossWeights())
    terms = generator_losses(out, batch, LossWeights(clothes_mean=1.0))
    assert torch.isfinite(terms["clothes_mean"])


def test_lr_factor_decays_linearly_and_only_after_its_start():
    cfg = TrainConfig(steps=300, lr_decay_start=100, lr_final_ratio=0.1)
    assert cfg.lr_factor(0) == cfg.lr_factor(100) == 1.0
    assert abs(cfg.lr_factor(200) - 0.55) < 1e-9
    assert abs(cfg.lr_factor(300) - 0.1) < 1e-9
    assert cfg.lr_factor(10_000) == cfg.lr_factor(300)  # no extrapolation past the end
    assert TrainConfig(steps=300).lr_factor(299) == 1.0
    assert TrainConfig.from_dict(cfg.to_dict()) == cfg


def test_init_weights_loads_a_model_folder_and_widens_new_inputs_with_zeros(tmp_path):
    """Fine-tuning start: the same outputs as the saved model; a conv with more input
    channels gets zeros for them (so it still computes the old function); other shape
    mismatches are refused."""
    from safetensors.torch import save_file

    from changer.training.trainer import init_weights

    torch.manual_seed(0)
    old = CHANGER(ChangerConfig.variant_config("full", **TINY)).eval()
    old.save_pretrained(tmp_path / "old")
    new = CHANGER(ChangerConfig.variant_config("full", **TINY)).eval()
    assert init_weights(new, tmp_path / "old") == []
    x = torch.rand(1, 5, 48, 48) * 2 - 1
    x[:, 3:] = (x[:, 3:] > 0).float()
    c, b = torch.rand(1, 3, 48, 48) * 2 - 1, torch.rand(1, 3, 48, 48) * 2 - 1
    with torch.no_grad():
        assert torch.equal(old(x, c, b)["y"], new(x, c, b)["y"])

    narrow, wide = torch.nn.Conv2d(3, 4, 3), torch.nn.Conv2d(5, 4, 3)
    (tmp_path / "narrow").mkdir()
    save_file(narrow.state_dict(), tmp_path / "narrow" / "model.safetensors")
    assert init_weights(wide, tmp_path / "narrow") == ["weight"]
    img = torch.rand(1, 5, 8, 8)
    with torch.no_grad():
        assert torch.allclose(wide(img), narrow(img[:, :3]), atol=1e-6)

    wider = CHANGER(ChangerConfig.variant_config("full", **{**TINY, "dim": 64}))
    with pytest.raises(ValueError, match="shape"):
        init_weights(wider, tmp_path / "old")
