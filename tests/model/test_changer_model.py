"""CHANGER (both archs, every variant): shapes, composition, hub round trip, config, training."""

from __future__ import annotations

import json

import pytest
import torch
import torch.nn.functional as F

from changer.model import CHANGER, VARIANTS, ChangerConfig


@pytest.mark.parametrize("variant", VARIANTS)
@pytest.mark.parametrize("size", [128, 256, 512])
def test_shapes(small_config, make_inputs, variant: str, size: int) -> None:
    cfg = small_config(variant)
    model = CHANGER(cfg).eval()
    x, c, b = make_inputs(size)
    with torch.inference_mode():
        out = model(x, c, b)
    g = size // cfg.stride
    assert out["y"].shape == (1, 3, size, size)
    assert out["y"].abs().max() <= 1.0 and torch.isfinite(out["y"]).all()
    assert out["mask"].shape == (1, 1, size, size)
    if cfg.arch == "changer" and cfg.use_colorizer:
        assert out["head_rgb"].shape == (1, 3, size, size)
    else:
        assert out["head_rgb"] is None
    if cfg.arch == "changer" and cfg.use_fpat:
        assert out["fg_logits"].shape == (1, 3, g, g)
        assert out["fg_types"].shape == (1, g, g)
    else:
        assert out["fg_logits"] is None and out["fg_types"] is None


@pytest.mark.parametrize("variant", ["full", "h2sb"])
def test_non_square_and_batch(small_config, make_inputs, variant: str) -> None:
    model = CHANGER(small_config(variant)).eval()
    x, c, b = (t[..., :40, :] for t in make_inputs(64, batch=2))  # 40 x 64
    with torch.no_grad():
        out = model(x, c, b)
    assert out["y"].shape == (2, 3, 40, 64)
    if out["fg_logits"] is not None:
        assert out["fg_logits"].shape == (2, 3, 5, 8)


@pytest.mark.parametrize("variant", VARIANTS)
def test_known_pixels_pass_through(small_config, make_inputs, variant: str) -> None:
    model = CHANGER(small_config(variant)).eval()
    x, c, b = make_inputs(64, batch=2)
    with torch.no_grad():
        y = model(x, c, b)["y"]
    known = ((x[:, 3:4] + x[:, 4:5]) == 0).expand(-1, 3, -1, -1)
    assert known.any() and (~known).any()
    assert torch.equal(y[known], x[:, :3][known])


def test_head_rgb_on_key_colour(small_config, make_inputs) -> None:
    model = CHANGER(small_config("full")).eval()
    x, c, b = make_inputs(64)
    key = torch.tensor([-1.0, -0.5, 1.0])
    with torch.no_grad():
        default = model(x, c, b)["head_rgb"]
        blue = model(x, c, b, key)["head_rgb"]
    outside = x[:, 4:5].expand(-1, 3, -1, -1) == 0
    assert torch.allclose(blue.permute(0, 2, 3, 1)[outside.permute(0, 2, 3, 1)[..., 0]], key)
    green = torch.tensor(model.config.key_color) / 127.5 - 1
    assert torch.allclose(default.permute(0, 2, 3, 1)[outside.permute(0, 2, 3, 1)[..., 0]], green)


def test_sizes_must_be_multiples_of_stride(small_config, make_inputs) -> None:
    model = CHANGER(small_config("full"))
    x, c, b = make_inputs(64)
    with pytest.raises(ValueError, match="multiples of 8"):
        model(x[..., :60], c, b[..., :60])
    with pytest.raises(ValueError, match=r"\(B, 5, H, W\)"):
        model(x[:, :4], c, b)
    with pytest.raises(ValueError, match="token grid"):
        model(x, c, b, fg_types=torch.zeros(1, 64, 64, dtype=torch.long))


def test_teacher_forced_types_are_used(small_config, make_inputs) -> None:
    model = CHANGER(small_config("full")).eval()
    x, c, b = make_inputs(64)
    types = torch.randint(0, 3, (1, 8, 8))
    with torch.no_grad():
        out = model(x, c, b, fg_types=types)
        free = model(x, c, b)
    assert torch.equal(out["fg_types"], types)
    assert torch.equal(free["fg_types"], free["fg_logits"].argmax(1))


@pytest.mark.parametrize("variant", ["full", "no_fpat", "no_colorizer", "h2sb"])
def test_save_load_round_trip(tmp_path, small_config, make_inputs, variant: str) -> None:
    cfg = small_config(variant, key_color=(0, 71, 187), train_size=256)
    model = CHANGER(cfg).eval()
    model.save_pretrained(tmp_path)
    names = {p.name for p in tmp_path.iterdir()}
    assert {"config.json", "model.safetensors"} <= names
    assert not [n for n in names if n.endswith((".bin", ".pt", ".pth", ".pkl", ".ckpt"))]
    saved = json.loads((tmp_path / "config.json").read_text())
    assert saved == json.loads(json.dumps(cfg.to_dict()))  # the full config, not just overrides
    loaded = CHANGER.from_pretrained(tmp_path)
    assert loaded.config == cfg
    x, c, b = make_inputs(64)
    with torch.no_grad():
        a, z = model(x, c, b), loaded(x, c, b)
    for k in ("y", "head_rgb", "fg_logits"):
        assert (a[k] is None and z[k] is None) or torch.equal(a[k], z[k]), k


def test_load_is_strict_and_safetensors_only(tmp_path, small_config) -> None:
    CHANGER(small_config("full")).save_pretrained(tmp_path)
    cfg = json.loads((tmp_path / "config.json").read_text())
    (tmp_path / "config.json").write_text(json.dumps({**cfg, "use_fpat": False}))
    with pytest.raises(RuntimeError):  # weights of fg_head are unexpected
        CHANGER.from_pretrained(tmp_path)
    (tmp_path / "model.safetensors").unlink()
    with pytest.raises(FileNotFoundError):
        CHANGER.from_pretrained(tmp_path)


def test_config_round_trip() -> None:
    for name in VARIANTS:
        cfg = ChangerConfig.variant_config(name, channels=(8, 16, 32, 64))
        assert cfg.variant == name
        assert ChangerConfig.from_dict(json.loads(json.dumps(cfg.to_dict()))) == cfg
    assert ChangerConfig.variant_config("no_fpat").use_fpat is False
    assert ChangerConfig.variant_config("no_colorizer").colour_head is True
    assert ChangerConfig.variant_config("no_chroma").chroma is False
    assert ChangerConfig.variant_config("no_h2").h2 is False
    assert ChangerConfig.variant_config("h2sb").arch == "h2sb"
    assert ChangerConfig.variant_config("h2sb").colour_head is False
    with pytest.raises(ValueError):
        ChangerConfig.variant_config("nope")
    with pytest.raises(ValueError):
        ChangerConfig(arch="unet")


def test_init_from_dict_and_kwargs(small_config) -> None:
    cfg = small_config("no_fpat")
    assert CHANGER(cfg.to_dict()).config == cfg
    assert CHANGER(cfg, use_fpat=True).config.use_fpat is True
    with pytest.raises(TypeError):
        CHANGER(cfg, not_a_field=1)


def test_optimisation_lowers_loss(small_config, make_inputs) -> None:
    model = CHANGER(small_config("full")).train()
    x, c, b = make_inputs(48)
    coarse = torch.rand(1, 3, 6, 6, generator=torch.Generator().manual_seed(1)) * 2 - 1
    target = F.interpolate(coarse, size=48, mode="bilinear", align_corners=False)
    opt = torch.optim.Adam(model.parameters(), lr=3e-3)
    losses = []
    for _ in range(8):
        out = model(x, c, b)
        m = out["mask"].expand(-1, 3, -1, -1) > 0  # the pixels the network produces
        head = x[:, 4:5].expand(-1, 3, -1, -1) > 0
        loss = (out["y"] - target).abs()[m].mean() + (out["head_rgb"] - target).abs()[head].mean()
        opt.zero_grad()
        loss.backward()
        opt.step()
        losses.append(loss.item())
    assert losses[-1] < 0.8 * losses[0], losses


def test_bilinear_upsampling_is_smooth_and_old_configs_keep_pixel_shuffle(tmp_path, small_config) -> None:
    from changer.model.blocks import Up

    up = Up(4, 2, "bilinear")
    h = torch.zeros(1, 4, 8, 8)
    h[..., 4:, :] = 1.0  # a step: bilinear gives a ramp, pixel shuffle a hard edge
    out = up(h)
    assert out.shape == (1, 2, 16, 16)
    column = out[0, 0, :, 3]
    assert len(torch.unique(column.round(decimals=5))) > 2
    with pytest.raises(ValueError):
        Up(4, 2, "nearest")
    with pytest.raises(ValueError):
        ChangerConfig(upsample="nearest")
    model = CHANGER(small_config("full", upsample="bilinear"))
    model.save_pretrained(tmp_path)
    assert CHANGER.from_pretrained(tmp_path).config.upsample == "bilinear"
    old = json.loads((tmp_path / "config.json").read_text())
    del old["upsample"]
    (tmp_path / "config.json").write_text(json.dumps(old))
    with pytest.raises(RuntimeError):  # weights of a bilinear model do not fit the old layout
        CHANGER.from_pretrained(tmp_path)
    assert ChangerConfig.from_dict(old).upsample == "pixelshuffle"


@pytest.mark.parametrize("variant", ["full", "h2sb"])
def test_flip_ensemble_averages_the_mirrored_pass_in_eval_mode_only(small_config, make_inputs, variant: str) -> None:
    x, c, b = make_inputs(64, batch=2)
    plain = CHANGER(small_config(variant)).eval()
    ensemble = CHANGER(small_config(variant, flip_ensemble=True)).eval()
    ensemble.load_state_dict(plain.state_dict())
    with torch.no_grad():
        y = plain(x, c, b)["y"]
        y_mirror = plain(x.flip(-1), c.flip(-1), b.flip(-1))["y"].flip(-1)
        out = ensemble(x, c, b)
    assert (y - y_mirror).abs().max() > 1e-3  # the network is not mirror-equivariant
    torch.testing.assert_close(out["y"], (y + y_mirror) / 2)
    known = (x[:, 3:4] + x[:, 4:5]) == 0
    assert torch.equal(out["y"].masked_select(known), x[:, :3].masked_select(known.expand_as(y)))
    ensemble.train()
    with torch.no_grad():
        torch.testing.assert_close(ensemble(x, c, b)["y"], plain.train()(x, c, b)["y"])
