"""Training configuration: a dataclass saved beside every checkpoint.

A run is described by a model config (``changer.model.ChangerConfig``: architecture and
ablation flags) and a :class:`TrainConfig` (budget, optimiser, loss weights). A config
file is JSON ``{"model": {...}, "train": {...}}``; ``"model"`` may also be just a variant
name (``"full"``, ``"no_h2"``, ...). Ablations are flags, never forks.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field, fields
from pathlib import Path
from typing import Any

from changer.data.appearance import AppearanceConfig


@dataclass
class LossWeights:
    """Weights of the generator losses (DESIGN.md §1)."""

    l1: float = 1.0
    l1_hole: float = 4.0
    perceptual: float = 1.0
    """LPIPS-VGG where its weights load; discriminator feature matching otherwise."""
    adversarial: float = 0.05
    colorizer: float = 1.0
    foreground: float = 0.2
    clothes_mean: float = 0.0
    """L1 on the mean colour of the hidden clothes (fill pixels labelled body); 0: off."""


@dataclass
class TrainConfig:
    """Budget and optimisation of one training run."""

    steps: int = 20000
    batch_size: int = 8
    crop_size: int = 128
    crop_scale: tuple[float, float] = (0.5, 1.0)
    """Side of the random head crops as a fraction of the frame (1.0: the whole frame,
    what the evaluation sees; smaller: the evaluation's pixel scale at ``crop_size``)."""
    lr_g: float = 2e-4
    lr_d: float = 2e-4
    betas: tuple[float, float] = (0.5, 0.99)
    adv_start: int = 2000
    """Step at which the discriminator and adversarial loss switch on (warm-up on L1)."""
    lr_decay_start: int | None = None
    """From this step to ``steps`` both learning rates fall linearly to ``lr_final_ratio``
    times their value (None: constant). A function of the step alone, so resuming is exact."""
    lr_final_ratio: float = 0.1
    init_from: str | None = None
    """A model folder (``config.json`` + ``model.safetensors``) whose weights start this run
    (fine-tuning; the checkpoint of ``--resume`` takes precedence); see
    :func:`changer.training.trainer.init_weights` for what may differ."""
    max_minutes: float | None = None
    """Wall-time budget: stop (and checkpoint) after this many minutes of this process."""
    weights: LossWeights = field(default_factory=LossWeights)
    appearance: AppearanceConfig = field(default_factory=AppearanceConfig)
    """Mirroring and clothes recolouring of the training frames (off by default)."""
    seed: int = 0
    num_workers: int = 1
    log_every: int = 25
    sample_every: int = 500
    checkpoint_every: int = 250
    average_from: int | None = None
    """From this step on, keep the generator of every checkpoint and export their mean as the
    model (``changer.training.averaging``); None: export the last weights."""
    split: str = "train"

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    def lr_factor(self, step: int) -> float:
        """Multiplier of the base learning rates at ``step`` (see :attr:`lr_decay_start`)."""
        start = self.lr_decay_start
        if start is None or step <= start or self.steps <= start:
            return 1.0
        t = min(1.0, (step - start) / (self.steps - start))
        return 1.0 + t * (self.lr_final_ratio - 1.0)

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> TrainConfig:
        known = {f.name for f in fields(cls)}
        unknown = set(d) - known
        if unknown:
            raise ValueError(f"unknown train config keys: {sorted(unknown)}")
        d = dict(d)
        if "weights" in d:
            d["weights"] = LossWeights(**d["weights"])
        if "appearance" in d:
            d["appearance"] = AppearanceConfig.from_dict(d["appearance"])
        for name in ("betas", "crop_scale"):
            if name in d:
                d[name] = tuple(d[name])
        return cls(**d)


def load_run_config(spec: str | Path) -> tuple[Any, TrainConfig]:
    """``(ChangerConfig, TrainConfig)`` from a JSON file or a bare variant name."""
    from changer.model.config import ChangerConfig

    path = Path(spec)
    if not path.is_file():
        return ChangerConfig.variant_config(str(spec)), TrainConfig()
    raw = json.loads(path.read_text())
    model = raw.get("model", "full")
    if isinstance(model, str):
        model_cfg = ChangerConfig.variant_config(model)
    else:
        base = ChangerConfig.variant_config(model.pop("variant", "full")).to_dict()
        base.update(model)
        model_cfg = ChangerConfig.from_dict(base)
    return model_cfg, TrainConfig.from_dict(raw.get("train", {}))
