"""The flip ensemble's two passes as one batch (CHANGER.flip_batch): the same outputs."""

from __future__ import annotations

import pytest
import torch

from changer.model import CHANGER, combine


@pytest.mark.parametrize("variant", ["full", "no_fpat", "h2sb"])
def test_one_batch_gives_the_two_passes_outputs(small_config, make_inputs, variant: str) -> None:
    x, c, b = make_inputs(64, batch=2)
    model = CHANGER(small_config(variant, flip_ensemble=True)).eval()
    with torch.no_grad():
        two = model(x, c, b)
        model.flip_batch = True
        one = model(x, c, b)
        key = torch.tensor([[-1.0, 0.4, -0.5], [-1.0, -1.0, 1.0]])  # a key per item
        model.flip_batch = False
        per_item = model(x, c, b, key)["y"]
        model.flip_batch = True
        torch.testing.assert_close(model(x, c, b, key)["y"], per_item, atol=1e-5, rtol=1e-5)
    for name, t in two.items():
        if t is None:
            assert one[name] is None
        else:
            assert one[name].shape == t.shape, name
            torch.testing.assert_close(one[name].float(), t.float(), atol=1e-5, rtol=1e-5)


def test_an_ensemble_batches_its_members_too(small_config, make_inputs) -> None:
    x, c, b = make_inputs(64)
    models = [CHANGER(small_config("full", flip_ensemble=True)).eval() for _ in range(2)]
    ensemble = combine(models)
    with torch.no_grad():
        two = ensemble(x, c, b)["y"]
        ensemble.flip_batch = True
        one = ensemble(x, c, b)["y"]
    torch.testing.assert_close(one, two, atol=1e-5, rtol=1e-5)


def test_training_ignores_it(small_config, make_inputs) -> None:
    x, c, b = make_inputs(64)
    model = CHANGER(small_config("full", flip_ensemble=True)).train()
    model.flip_batch = True
    with torch.no_grad():
        assert model(x, c, b)["y"].shape == (1, 3, 64, 64)  # one pass: no mirror in training
