"""Output ensembles: several trained CHANGER generators as one model.

:func:`combine` puts trained single models into one :class:`~changer.model.CHANGER`
whose ``config.members`` lists the architecture of every generator after the first; its
output is the mean of their outputs (:meth:`~changer.model.CHANGER.forward`). The result
is an ordinary model folder (one ``config.json``, one ``model.safetensors``), so every
loader, the cache fingerprint and ``push_to_hub`` treat it like any other model.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import asdict, replace

from changer.model.changer import CHANGER
from changer.model.config import MEMBER_FIELDS, ChangerConfig


def _shared(cfg: ChangerConfig) -> dict:
    """The fields every member must agree on: all but the architecture, the name, the
    inference option ``flip_ensemble`` (the first model's counts) and what only training reads."""
    own = (*MEMBER_FIELDS, "variant", "members", "flip_ensemble", "train_size",
           "disc_channels", "disc_layers", "disc_scales")
    return {k: v for k, v in asdict(cfg).items() if k not in own}


def combine(models: Sequence[CHANGER]) -> CHANGER:
    """One model whose output is the mean of ``models``' outputs (weights copied).

    Raises ``ValueError`` for fewer than two models, a model that is itself an ensemble,
    an ``h2sb`` model, or models that are fed differently (variant switches, key colour,
    pre-fill, residual output, token stride). ``flip_ensemble`` is the first model's.
    """
    if len(models) < 2:
        raise ValueError("an ensemble needs at least two models")
    first = models[0].config
    expected = _shared(first)
    for i, model in enumerate(models):
        cfg = model.config
        if cfg.members:
            raise ValueError(f"model {i + 1} is already an ensemble; list its members instead")
        if cfg.arch != "changer":
            raise ValueError(f"model {i + 1} has arch {cfg.arch!r}; only 'changer' models can be combined")
        diff = sorted(k for k, v in _shared(cfg).items() if expected[k] != v)
        if diff:
            raise ValueError(f"model {i + 1} is fed differently from model 1 ({', '.join(diff)})")
    members = tuple({k: getattr(m.config, k) for k in MEMBER_FIELDS} for m in models[1:])
    ensemble = CHANGER(replace(first, members=members))  # the config checks the members' stride
    ensemble.net.load_state_dict(models[0].net.state_dict())
    for slot, model in zip(ensemble.members, models[1:]):
        slot.load_state_dict(model.net.state_dict())
    return ensemble.eval()


def split(model: CHANGER) -> list[CHANGER]:
    """The generators of an ensemble as single models (weights copied): :func:`combine`'s
    inverse, up to each model's ``variant`` and training-only fields, which the ensemble
    keeps once (the first model's). Raises ``ValueError`` for a model with no members."""
    cfg = model.config
    if not cfg.members:
        raise ValueError("not an ensemble: the model has no members")
    models = [CHANGER(c) for c in (replace(cfg, members=()), *cfg.member_configs())]
    for one, net in zip(models, (model.net, *model.members)):
        one.net.load_state_dict(net.state_dict())
    return [m.eval() for m in models]
