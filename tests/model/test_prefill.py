"""Pull-push pre-fill of the hole (``ChangerConfig.prefill``)."""

from __future__ import annotations

import json

import torch

from changer.model import CHANGER
from changer.model.prefill import pull_push


def test_known_pixels_stay_and_a_constant_fills_with_itself() -> None:
    img = torch.rand(2, 3, 37, 52)
    known = (torch.rand(2, 1, 37, 52) > 0.6).float()
    out = pull_push(img, known)
    k = known.bool().expand_as(img)
    assert torch.equal(out[k], img[k]) and torch.isfinite(out).all()
    const = torch.full((1, 3, 40, 40), 0.3)
    hole = torch.ones(1, 1, 40, 40)
    hole[..., 10:30, 5:35] = 0
    assert torch.allclose(pull_push(const * hole, hole), const, atol=1e-6)


def test_fill_takes_the_colour_of_the_nearest_side() -> None:
    img = torch.zeros(1, 1, 32, 64)
    img[..., :, :16] = -1.0  # dark on the left, bright on the right, unknown between
    img[..., :, 48:] = 1.0
    known = torch.ones(1, 1, 32, 64)
    known[..., :, 16:48] = 0
    row = pull_push(img, known)[0, 0, 16]
    assert row[17] < -0.3 and row[46] > 0.3  # near each side: that side's value
    assert torch.all(row[16:48].diff() >= -1e-6)  # a monotone ramp in between
    nothing = torch.zeros(1, 1, 32, 64)
    assert torch.equal(pull_push(img, nothing), img)  # no known pixel: unchanged


def test_changer_with_prefill_sees_the_filled_hole(small_config, make_inputs, tmp_path) -> None:
    x, c, b = make_inputs(64, batch=2)
    filled = CHANGER._prefilled(x)
    fill = x[:, 3:4].bool().expand(-1, 3, -1, -1)
    assert torch.equal(filled[:, :3][~fill], x[:, :3][~fill]) and torch.equal(filled[:, 3:], x[:, 3:])
    assert not torch.equal(filled[:, :3][fill], x[:, :3][fill])
    model = CHANGER(small_config("full", prefill=True)).eval()
    seen = {}
    model.net.register_forward_pre_hook(lambda m, args, kwargs: seen.update(x=args[0]), with_kwargs=True)
    with torch.no_grad():
        y = model(x, c, b)["y"]
    assert torch.equal(seen["x"], filled)
    known = ((x[:, 3:4] + x[:, 4:5]) == 0).expand(-1, 3, -1, -1)
    assert torch.equal(y[known], x[:, :3][known])  # composition still passes X through
    model.save_pretrained(tmp_path)
    assert json.loads((tmp_path / "config.json").read_text())["prefill"] is True
    old = json.loads((tmp_path / "config.json").read_text())
    del old["prefill"]  # a folder saved before the option existed loads without it
    (tmp_path / "config.json").write_text(json.dumps(old))
    assert CHANGER.from_pretrained(tmp_path).config.prefill is False
