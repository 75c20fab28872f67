"""Output ensembles (``config.members``, ``changer.model.combine`` and ``split``)."""

from __future__ import annotations

import pytest
import torch

from changer.model import CHANGER, ChangerConfig, combine, split
from changer.training.config import TrainConfig
from changer.training.trainer import Trainer


def _pair(small_config) -> tuple[CHANGER, CHANGER]:
    torch.manual_seed(1)
    a = CHANGER(small_config(prefill=True)).eval()
    b = CHANGER(small_config(prefill=True, channels=(8, 8, 16, 16), dim=16)).eval()
    return a, b


def test_combined_output_is_the_mean_of_the_members(small_config, make_inputs) -> None:
    a, b = _pair(small_config)
    x, c, body = make_inputs(32, batch=2)
    ens = combine([a, b])
    with torch.inference_mode():
        ya, yb, y = a(x, c, body)["y"], b(x, c, body)["y"], ens(x, c, body)["y"]
    assert torch.allclose(y, (ya + yb) / 2, atol=1e-6)
    assert not torch.allclose(ya, yb, atol=1e-3), "the members must differ for the test to mean anything"
    assert ens.config.members == ({"channels": (8, 8, 16, 16), "dim": 16, "heads": 2, "mlp_ratio": 2.0,
                                   "colorizer_depth": 1, "blender_depth": 1, "color_ref_pool": 2,
                                   "sa_pool": 2, "upsample": "pixelshuffle"},)
    assert ens.num_parameters() == a.num_parameters() + b.num_parameters()


def test_ensemble_round_trips_through_a_folder(tmp_path, small_config, make_inputs) -> None:
    ens = combine(list(_pair(small_config)))
    ens.save_pretrained(tmp_path / "ens")
    loaded = CHANGER.from_pretrained(str(tmp_path / "ens")).eval()
    assert loaded.config == ens.config
    x, c, body = make_inputs(32)
    with torch.inference_mode():
        assert torch.equal(loaded(x, c, body)["y"], ens(x, c, body)["y"])


def test_split_gives_back_the_members(small_config, make_inputs) -> None:
    a, b = _pair(small_config)
    parts = split(combine([a, b]))
    assert [p.config for p in parts] == [a.config, b.config]
    x, c, body = make_inputs(32)
    with torch.inference_mode():
        for original, part in zip((a, b), parts):
            assert torch.equal(original(x, c, body)["y"], part(x, c, body)["y"])
    with pytest.raises(ValueError, match="not an ensemble"):
        split(a)


def test_a_single_model_keeps_its_weight_names(small_config) -> None:
    names = set(CHANGER(small_config()).state_dict())
    assert names and all(n.startswith("net.") for n in names)


def test_combine_refuses_models_fed_differently(small_config) -> None:
    a, b = _pair(small_config)
    with pytest.raises(ValueError, match="at least two"):
        combine([a])
    with pytest.raises(ValueError, match="fed differently.*prefill"):
        combine([a, CHANGER(small_config(prefill=False))])
    with pytest.raises(ValueError, match="only 'changer'"):
        combine([a, CHANGER(small_config("h2sb", prefill=True))])
    with pytest.raises(ValueError, match="already an ensemble"):
        combine([combine([a, b]), a])


def test_member_entries_are_checked() -> None:
    with pytest.raises(ValueError, match="may only set"):
        ChangerConfig(members=({"use_fpat": False},))
    with pytest.raises(ValueError, match="stride"):
        ChangerConfig(members=({"channels": (8, 16, 32)},))
    with pytest.raises(ValueError, match="only arch 'changer'"):
        ChangerConfig(arch="h2sb", members=({"dim": 64},))


def test_trainer_refuses_an_ensemble(tmp_path) -> None:
    with pytest.raises(ValueError, match="changer ensemble"):
        Trainer(ChangerConfig(members=({"dim": 64},)), TrainConfig(steps=1), tmp_path, tmp_path / "out")
