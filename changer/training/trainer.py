"""The CHANGER trainer: one loop for every variant and for the ``h2sb`` baseline.

Runs under ``accelerate`` (one CPU process here; ``accelerate launch`` on many GPUs or
nodes elsewhere, same code), with AMP on GPU, checkpoints that resume exactly
(``accelerator.save_state``), a CSV log, periodic sample grids and a tqdm bar.

Output folder::

    run_config.json        model + train config of the run
    log.csv                one row per ``log_every`` steps
    samples/step_*.png     fixed frames: input X, prediction, ground truth
    checkpoint/            accelerate state (models, optimisers, RNG) + trainer_state.json
    model/                 the generator as a Hub model (config.json, model.safetensors, README.md)
"""

from __future__ import annotations

import csv
import json
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch
from accelerate import Accelerator
from accelerate.utils import set_seed
from PIL import Image
from torch.utils.data import DataLoader
from tqdm.auto import tqdm

from changer.data.blend_dataset import BlendDataset
from changer.data.dataset import TalkingHeads
from changer.data.sample import SampleConfig
from changer.inputs import tensor_to_image
from changer.model import CHANGER, ChangerConfig
from changer.model.discriminator import MultiScaleDiscriminator
from changer.training import averaging
from changer.training.config import TrainConfig
from changer.training.losses import (
    Perceptual,
    feature_matching,
    generator_losses,
    hinge_d_loss,
    hinge_g_loss,
    weighted_sum,
)


def init_weights(model: torch.nn.Module, folder: str | Path) -> list[str]:
    """Load ``folder/model.safetensors`` into ``model`` for fine-tuning.

    Every tensor must be present with the same shape, except that a conv weight may have
    *more input channels* in ``model`` (a newly added input): its old channels are copied
    and the new ones zeroed, so the model starts out computing exactly what the loaded one
    did. Returns the names of the widened tensors.
    """
    from safetensors.torch import load_file

    loaded = load_file(str(Path(folder) / "model.safetensors"))
    own = model.state_dict()
    missing, unexpected = sorted(set(own) - set(loaded)), sorted(set(loaded) - set(own))
    if missing or unexpected:
        raise ValueError(f"init_from {folder}: missing {missing[:5]}, unexpected {unexpected[:5]}")
    widened = []
    for name, value in loaded.items():
        target = own[name]
        if value.shape != target.shape:
            if value.ndim != 4 or value.shape[0] != target.shape[0] or value.shape[2:] != target.shape[2:] \
                    or value.shape[1] > target.shape[1]:
                raise ValueError(f"init_from {folder}: {name} has shape {tuple(value.shape)}, "
                                 f"the model needs {tuple(target.shape)}")
            value = torch.cat([value, value.new_zeros(value.shape[0], target.shape[1] - value.shape[1],
                                                      *value.shape[2:])], 1)
            widened.append(name)
        own[name] = value.to(target.dtype)
    model.load_state_dict(own)
    return widened


def sample_config_for(model_cfg: ChangerConfig) -> SampleConfig:
    """The data side of a model config (key colour, chroma setting, H²)."""
    return SampleConfig(key_color=tuple(model_cfg.key_color), chroma=model_cfg.chroma, h2=model_cfg.h2)


def _split(outs: list[tuple[torch.Tensor, list[torch.Tensor]]]) -> tuple[list, list]:
    """Per-scale discriminator outputs -> (logits per scale, features per scale)."""
    return [o[0] for o in outs], [o[1] for o in outs]


def _one_opencv_thread(_worker_id: int) -> None:
    """Loader workers build samples with OpenCV; its own thread pool in every worker
    oversubscribes the cores (torch already runs one thread per worker)."""
    import cv2

    cv2.setNumThreads(1)


def _forever(loader: DataLoader):
    while True:
        yield from loader


@dataclass
class TrainState:
    """What the loop needs besides the accelerate state to resume."""

    step: int = 0
    wall_seconds: float = 0.0


class Trainer:
    """Trains a generator (and its discriminator) on the talking-heads ``train`` split."""

    def __init__(
        self,
        model_cfg: ChangerConfig,
        train_cfg: TrainConfig,
        data_root: str | Path,
        out_dir: str | Path,
        cpu: bool = False,
    ):
        if model_cfg.members:
            raise ValueError("an output ensemble (config.members) is assembled from trained models "
                             "with `changer ensemble`, not trained as one; train each member on its own")
        self.model_cfg, self.cfg = model_cfg, train_cfg
        self.out = Path(out_dir)
        self.accel = Accelerator(cpu=cpu, mixed_precision="bf16" if torch.cuda.is_available() and not cpu else "no")
        set_seed(train_cfg.seed, device_specific=True)
        data = TalkingHeads(data_root)
        frames = data.frames(train_cfg.split)
        self.data_note = f"{len(frames)} frames of the `{train_cfg.split}` split of `{Path(data_root).resolve().name}`."
        self.dataset = BlendDataset(
            frames,
            sample_config_for(model_cfg),
            size=train_cfg.crop_size,
            train=True,
            crop_scale=train_cfg.crop_scale,
            colour_head=model_cfg.colour_head,
            appearance=train_cfg.appearance,
        )
        self.preview = BlendDataset(
            frames[:: max(len(frames) // 4, 1)][:4], sample_config_for(model_cfg), size=train_cfg.crop_size,
            colour_head=model_cfg.colour_head,
        )
        loader = DataLoader(
            self.dataset, batch_size=train_cfg.batch_size, shuffle=True, drop_last=True,
            num_workers=train_cfg.num_workers, persistent_workers=train_cfg.num_workers > 0,
            worker_init_fn=_one_opencv_thread if train_cfg.num_workers > 0 else None,
        )
        self.generator = CHANGER(model_cfg)
        if train_cfg.init_from:
            init_weights(self.generator, train_cfg.init_from)
        self.discriminator = MultiScaleDiscriminator.from_config(model_cfg, cond_channels=1)
        self.perceptual = Perceptual()
        opt_g = torch.optim.Adam(self.generator.parameters(), lr=train_cfg.lr_g, betas=train_cfg.betas)
        opt_d = torch.optim.Adam(self.discriminator.parameters(), lr=train_cfg.lr_d, betas=train_cfg.betas)
        (self.generator, self.discriminator, self.opt_g, self.opt_d, self.loader) = self.accel.prepare(
            self.generator, self.discriminator, opt_g, opt_d, loader
        )
        self.perceptual.to(self.accel.device)
        self.state = TrainState()

    # ----------------------------------------------------------------- checkpoints
    def save_checkpoint(self) -> None:
        """Accelerate state + loop state + the generator as a Hub model folder."""
        self.accel.wait_for_everyone()
        self.accel.save_state(str(self.out / "checkpoint"))
        if self.accel.is_main_process:
            (self.out / "checkpoint" / "trainer_state.json").write_text(json.dumps(self.state.__dict__))
            if self.cfg.average_from is not None and self.state.step >= self.cfg.average_from:
                averaging.save_snapshot(self.out, self.state.step, self.accel.unwrap_model(self.generator).state_dict())
            self.export(self.out / "model")

    def resume(self) -> bool:
        """Load the last checkpoint if there is one; returns whether it did."""
        ckpt = self.out / "checkpoint"
        if not (ckpt / "trainer_state.json").is_file():
            return False
        self.accel.load_state(str(ckpt))
        self.state = TrainState(**json.loads((ckpt / "trainer_state.json").read_text()))
        return True

    def export(self, folder: Path) -> None:
        """Save the generator with a model card holding the budget actually spent."""
        model: CHANGER = self.accel.unwrap_model(self.generator)
        model.save_pretrained(folder)
        averaged = ([] if self.cfg.average_from is None else  # later steps: left by an older run in this folder
                    averaging.snapshots(self.out, self.cfg.average_from, self.state.step))
        if averaged:
            averaging.save_average(averaged, folder / "model.safetensors")
        budget = (
            f"{self.state.step} steps of batch {self.cfg.batch_size} at {self.cfg.crop_size}x{self.cfg.crop_size} "
            f"crops, {self.state.wall_seconds / 60:.1f} min wall time on {self.accel.device} "
            f"({self.accel.num_processes} process(es))"
        )
        info = {"train": self.cfg.to_dict(), "step": self.state.step,
                "wall_minutes": round(self.state.wall_seconds / 60, 2), "budget": budget, "data": self.data_note,
                "perceptual": "lpips-vgg" if self.perceptual.available else "feature-matching"}
        (folder / "training.json").write_text(json.dumps(averaging.annotate(info, averaged), indent=2))

    # ------------------------------------------------------------------- training
    def train_step(self, batch: dict[str, torch.Tensor]) -> dict[str, float]:
        """One generator (and, after warm-up, discriminator) update."""
        cfg, w = self.cfg, self.cfg.weights
        factor = cfg.lr_factor(self.state.step)
        for opt, base in ((self.opt_g, cfg.lr_g), (self.opt_d, cfg.lr_d)):
            for group in opt.param_groups:
                group["lr"] = base * factor
        use_adv = self.state.step >= cfg.adv_start and (w.adversarial > 0 or not self.perceptual.available)
        out = self.generator(batch["x"], batch["c"], batch["b"], batch["key"])
        terms = generator_losses(out, batch, w)
        cond = batch["hole"]
        logs: dict[str, float] = {}
        if use_adv:
            self.opt_d.zero_grad(set_to_none=True)
            d_real = _split(self.discriminator(batch["y"], cond))
            d_fake = _split(self.discriminator(out["y"].detach(), cond))
            loss_d = hinge_d_loss(d_real[0], d_fake[0])
            self.accel.backward(loss_d)
            self.opt_d.step()
            logs["loss_d"] = loss_d.item()
            g_fake = _split(self.discriminator(out["y"], cond))
            terms["adversarial"] = hinge_g_loss(g_fake[0])
            if not self.perceptual.available:
                terms["perceptual"] = feature_matching(d_real[1], g_fake[1])
        if self.perceptual.available:
            terms["perceptual"] = self.perceptual(out["y"], batch["y"])
        loss_g = weighted_sum(terms, w)
        self.opt_g.zero_grad(set_to_none=True)
        self.accel.backward(loss_g)
        self.opt_g.step()
        logs.update({k: v.item() for k, v in terms.items()}, loss_g=loss_g.item())
        return logs

    def fit(self, resume: bool = False) -> Path:
        """Train until ``steps`` (or ``max_minutes``); checkpoint on the way and at the end."""
        self.out.mkdir(parents=True, exist_ok=True)
        if resume and self.resume():
            self.accel.print(f"resumed at step {self.state.step}")
        if self.accel.is_main_process:
            (self.out / "run_config.json").write_text(
                json.dumps({"model": self.model_cfg.to_dict(), "train": self.cfg.to_dict()}, indent=2)
            )
        self.generator.train()
        self.discriminator.train()
        batches = _forever(self.loader)
        bar = tqdm(total=self.cfg.steps, initial=self.state.step, disable=not self.accel.is_local_main_process,
                   desc=f"train {self.model_cfg.variant}", dynamic_ncols=True)
        started, last = time.monotonic(), time.monotonic()
        base_wall = self.state.wall_seconds
        while self.state.step < self.cfg.steps:
            logs = self.train_step(next(batches))
            self.state.step += 1
            self.state.wall_seconds = base_wall + time.monotonic() - started
            bar.update(1)
            if self.state.step % self.cfg.log_every == 0:
                now = time.monotonic()
                logs["sec_per_step"] = (now - last) / self.cfg.log_every
                last = now
                self._log(logs)
                bar.set_postfix(l1=f"{logs['l1']:.4f}", hole=f"{logs['l1_hole']:.4f}")
            if self.state.step % self.cfg.sample_every == 0:
                self.write_samples()
            out_of_time = self.cfg.max_minutes is not None and self.state.wall_seconds > 60 * self.cfg.max_minutes
            if self.state.step % self.cfg.checkpoint_every == 0 or out_of_time:
                self.save_checkpoint()
            if out_of_time:
                self.accel.print(f"wall-time budget of {self.cfg.max_minutes} min reached at step {self.state.step}")
                break
        bar.close()
        self.save_checkpoint()
        self.write_samples()
        return self.out / "model"

    def _log(self, logs: dict[str, float]) -> None:
        if not self.accel.is_main_process:
            return
        path = self.out / "log.csv"
        row = {"step": self.state.step, "wall_min": round(self.state.wall_seconds / 60, 3), **logs}
        cols = ["step", "wall_min", "loss_g", "l1", "l1_hole", "perceptual", "adversarial", "colorizer",
                "foreground", "clothes_mean", "loss_d", "sec_per_step"]
        new = not path.is_file()
        with path.open("a", newline="") as f:
            writer = csv.DictWriter(f, fieldnames=cols, extrasaction="ignore")
            if new:
                writer.writeheader()
            writer.writerow({c: (f"{row[c]:.5g}" if isinstance(row.get(c), float) else row.get(c, "")) for c in cols})

    @torch.no_grad()
    def write_samples(self) -> None:
        """Grid of the fixed preview frames: input X | prediction | ground truth."""
        if not self.accel.is_main_process:
            return
        model = self.accel.unwrap_model(self.generator)
        model.eval()
        rows = []
        for i in range(len(self.preview)):
            b = {k: v[None].to(self.accel.device) for k, v in self.preview[i].items() if torch.is_tensor(v)}
            y = model(b["x"], b["c"], b["b"], b["key"])["y"][0]
            rows.append(np.hstack([tensor_to_image(b["x"][0, :3]), tensor_to_image(y), tensor_to_image(b["y"][0])]))
        model.train()
        folder = self.out / "samples"
        folder.mkdir(parents=True, exist_ok=True)
        Image.fromarray(np.vstack(rows)).save(folder / f"step_{self.state.step:06d}.png")


def train(model_cfg: ChangerConfig, train_cfg: TrainConfig, data_root: str | Path, out_dir: str | Path,
          resume: bool = False, cpu: bool = False) -> Path:
    """Build a :class:`Trainer` and run it; returns the exported model folder."""
    if train_cfg.steps <= 0:
        raise ValueError(f"steps must be positive, got {train_cfg.steps}")
    return Trainer(model_cfg, train_cfg, data_root, out_dir, cpu=cpu).fit(resume=resume)
