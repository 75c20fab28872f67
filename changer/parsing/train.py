"""Training the head parser on the talking-heads ``train`` split (or any folder in that layout).

Augmentation (all seeded): random flips, scale (0.4x..1.2x of the 256 px frame), small
rotations and crops in one affine warp; clothes recoloured to any hue (so that skin-like
clothing is not taken for skin) and, less often, hair; colour jitter, gray, blur and
noise; and, so that green-screen photos parse well, background pixels replaced by a flat,
shaded or noisy green/blue key colour (soft matte edge, some spill), or by a random
texture (smooth colour field, stripes, shapes) so that busy backgrounds are not hair.
Loss: cross-entropy with class weights ``1/sqrt(class share)`` (the neck is small). Adam
with warm-up and a cosine decay over the run's budget (steps or minutes, whichever ends
first). A validation set is scored every few minutes: by default the temporal tail of
every training clip (same identities, so it only monitors training); with ``val_split``, a
split of other identities (``changer data subset --holdout-ids``), and then the parser with
the best validation mean IoU is kept as well (``best/``), so a run can be chosen on people it
never saw rather than on the test splits.

Run folder::

    train_config.json   the settings
    log.csv             step, elapsed, lr, loss, images/s, validation IoU
    checkpoint/         model.safetensors, optimizer.safetensors, state.json (resumable)
    model/              the final parser (config.json + model.safetensors + README.md)
    best/               with ``val_split``: the parser of the best validation mean IoU so far

Everything is stored as safetensors + JSON; nothing is pickled.
"""

from __future__ import annotations

import csv
import json
import math
import os
import shutil
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import cv2
import numpy as np
import torch
import torch.nn.functional as F
from safetensors.torch import load_file, save_file

from changer import labels as L
from changer.data.dataset import Frame, TalkingHeads
from changer.parsing.config import ParserConfig
from changer.parsing.metrics import IoUAccumulator
from changer.parsing.network import ParserNet
from changer.parsing.parser import HeadParser

BASE_SIZE = 256
"""Frames are brought to this side before the random scale (the parser's nominal input size)."""

GREENS = ((0, 177, 64), (0, 255, 0), (40, 160, 70), (80, 190, 90), (20, 120, 40))
BLUES = ((0, 71, 187), (0, 0, 255), (40, 100, 210), (20, 60, 140))


@dataclass
class ParserTrainConfig:
    """Settings of a parser training run (saved as ``train_config.json``)."""

    crop: int = 160
    batch_size: int = 16
    lr: float = 2e-3
    weight_decay: float = 0.0
    warmup_steps: int = 100
    steps: int = 100_000
    max_minutes: float | None = None
    seed: int = 0
    split: str = "train"
    val_fraction: float = 0.08
    val_split: str | None = None
    val_every_minutes: float = 3.0
    checkpoint_every_minutes: float = 2.0
    log_every: int = 20
    threads: int = 1
    scale_range: tuple[float, float] = (0.4, 1.2)
    rotate_deg: float = 12.0
    key_bg_prob: float = 0.3
    dark_key_prob: float = 0.0
    random_bg_prob: float = 0.3
    recolor_body_prob: float = 0.5
    recolor_hair_prob: float = 0.2
    network: dict[str, Any] = field(default_factory=dict)


# --------------------------------------------------------------------------- data


def split_train_val(frames: list[Frame], val_fraction: float) -> tuple[list[Frame], list[Frame]]:
    """The last ``val_fraction`` of every clip's frames (at least one when the clip has 4+) is validation."""
    by_clip: dict[str, list[Frame]] = {}
    for f in frames:
        by_clip.setdefault(f.clip_id, []).append(f)
    train, val = [], []
    for clip in by_clip.values():
        n_val = int(round(len(clip) * val_fraction)) if len(clip) >= 4 else 0
        if val_fraction > 0 and len(clip) >= 4:
            n_val = max(1, n_val)
        train += clip[: len(clip) - n_val]
        val += clip[len(clip) - n_val :]
    return train, val


def load_frames(frames: list[Frame]) -> tuple[list[np.ndarray], list[np.ndarray]]:
    """Images and labels in memory, brought to :data:`BASE_SIZE` on the longer side."""
    images, labels = [], []
    for f in frames:
        img, lab = f.load_image(), f.load_labels()
        k = BASE_SIZE / max(img.shape[:2])
        if k != 1:
            size = (max(1, round(img.shape[1] * k)), max(1, round(img.shape[0] * k)))
            img = cv2.resize(img, size, interpolation=cv2.INTER_AREA if k < 1 else cv2.INTER_LINEAR)
            lab = cv2.resize(lab, size, interpolation=cv2.INTER_NEAREST)
        images.append(img)
        labels.append(lab)
    return images, labels


def class_weights(labels: list[np.ndarray]) -> np.ndarray:
    """``1 / sqrt(share)`` per class, normalised so that the pixel-weighted mean is 1."""
    counts = np.zeros(L.NUM_CLASSES, np.float64)
    for lab in labels:
        counts += np.bincount(lab.ravel(), minlength=L.NUM_CLASSES)[: L.NUM_CLASSES]
    share = np.maximum(counts / counts.sum(), 1e-3)
    w = 1.0 / np.sqrt(share)
    return (w / (share * w).sum()).astype(np.float32)


def _affine(rng: np.random.Generator, shape: tuple[int, int], crop: int, cfg: ParserTrainConfig) -> np.ndarray:
    """2x3 map from frame pixels to crop pixels: scale, rotation, flip, random placement."""
    h, w = shape
    lo, hi = cfg.scale_range
    s = float(np.exp(rng.uniform(np.log(lo), np.log(hi)))) * BASE_SIZE / max(h, w)
    theta = np.deg2rad(rng.uniform(-cfg.rotate_deg, cfg.rotate_deg)) if rng.random() < 0.7 else 0.0
    flip = -1.0 if rng.random() < 0.5 else 1.0
    half = crop / (2 * s)  # half the crop, in frame pixels

    def centre(n: int) -> float:
        a, b = half - 0.5, n - half - 0.5
        return rng.uniform(a, b) if a <= b else (n - 1) / 2 + rng.uniform(-1, 1) * (a - b) / 2

    cx, cy = centre(w), centre(h)
    c, si = np.cos(theta) * s, np.sin(theta) * s
    a = np.array([[flip * c, -flip * si], [si, c]], np.float64)
    t = np.array([(crop - 1) / 2, (crop - 1) / 2]) - a @ np.array([cx, cy])
    return np.hstack([a, t[:, None]])


def _smooth_field(rng: np.random.Generator, size: int, cells: int) -> np.ndarray:
    """A smooth random field in [0, 1] (``size x size``), from ``cells x cells`` random values."""
    small = rng.random((cells, cells)).astype(np.float32)
    return cv2.resize(small, (size, size), interpolation=cv2.INTER_CUBIC).clip(0, 1)


def _background(
    rng: np.random.Generator, size: int, key_prob: float, dark_key_prob: float = 0.0
) -> tuple[np.ndarray, np.ndarray | None]:
    """A key-colour (with its colour) or a random smooth background, ``size x size x 3`` float32.
    ``dark_key_prob``: how often a key screen is dim and folded like cloth."""
    if rng.random() < key_prob:
        family = BLUES if rng.random() < 0.3 else GREENS
        base = np.array(family[int(rng.integers(0, len(family)))], np.float32)
        key = np.clip(base + rng.uniform(-25, 25, 3), 0, 255)
        bg = np.broadcast_to(key, (size, size, 3)).copy()
        if rng.random() < 0.5:  # uneven lighting of the screen
            bg *= (0.75 + 0.45 * _smooth_field(rng, size, 3))[..., None]
        if dark_key_prob > 0 and rng.random() < dark_key_prob:  # a dim screen, and cloth with folds (the test_green backdrops)
            bg *= rng.uniform(0.3, 0.8)
            bg *= (0.6 + 0.6 * _smooth_field(rng, size, int(rng.integers(6, 17))))[..., None]
        if rng.random() < 0.5:  # sensor noise
            bg += rng.normal(0, rng.uniform(2, 12), bg.shape).astype(np.float32)
        return bg.clip(0, 255), key
    return _texture(rng, size), None


def _texture(rng: np.random.Generator, size: int) -> np.ndarray:
    """A random non-key background: smooth colour field, stripes (flags, blinds) or shapes (rooms, props)."""
    kind = rng.random()
    bg = np.stack([_smooth_field(rng, size, int(rng.integers(2, 6))) for _ in range(3)], -1) * 255
    if kind < 0.35:  # stripes of two colours at a random angle and period
        yy, xx = np.mgrid[0:size, 0:size].astype(np.float32)
        theta = rng.uniform(0, np.pi)
        phase = (xx * np.cos(theta) + yy * np.sin(theta)) / rng.uniform(6, 40)
        t = (np.sin(2 * np.pi * phase) > rng.uniform(-0.5, 0.5)).astype(np.float32)
        t = cv2.GaussianBlur(t, (0, 0), rng.uniform(0.3, 1.5))[..., None]
        bg = bg * 0.3 + (t * rng.uniform(0, 255, 3) + (1 - t) * rng.uniform(0, 255, 3)) * 0.7
    elif kind < 0.7:  # random rectangles and ellipses
        for _ in range(int(rng.integers(3, 12))):
            colour = tuple(float(v) for v in rng.uniform(0, 255, 3))
            c = tuple(int(v) for v in rng.integers(0, size, 2))
            r = tuple(int(v) for v in rng.integers(4, max(5, size // 2), 2))
            if rng.random() < 0.5:
                cv2.rectangle(bg, (c[0] - r[0], c[1] - r[1]), (c[0] + r[0], c[1] + r[1]), colour, -1)
            else:
                cv2.ellipse(bg, c, r, float(rng.uniform(0, 180)), 0, 360, colour, -1)
        bg = cv2.GaussianBlur(bg, (0, 0), rng.uniform(0.3, 2.0))
    if rng.random() < 0.5:
        bg += rng.normal(0, rng.uniform(2, 15), bg.shape).astype(np.float32)
    return bg.clip(0, 255).astype(np.float32)


def _recolor(img: np.ndarray, mask: np.ndarray, rng: np.random.Generator, hue: float, sat: tuple[float, float],
             val: tuple[float, float]) -> np.ndarray:
    """``img`` (float32 RGB) with the hue of ``mask`` rotated by up to ``hue`` degrees and S/V scaled."""
    if not mask.any():
        return img
    hsv = cv2.cvtColor(img.clip(0, 255).astype(np.uint8), cv2.COLOR_RGB2HSV).astype(np.float32)
    hsv[..., 0] = (hsv[..., 0] + rng.uniform(-hue, hue) / 2) % 180
    hsv[..., 1] = (hsv[..., 1] * rng.uniform(*sat) + rng.uniform(0, 40) * (rng.random() < 0.3)).clip(0, 255)
    hsv[..., 2] = (hsv[..., 2] * rng.uniform(*val)).clip(0, 255)
    new = cv2.cvtColor(hsv.astype(np.uint8), cv2.COLOR_HSV2RGB).astype(np.float32)
    soft = cv2.GaussianBlur(mask.astype(np.float32), (0, 0), 0.8)[..., None]
    return img * (1 - soft) + new * soft


def _replace_background(
    img: np.ndarray, lab: np.ndarray, rng: np.random.Generator, cfg: ParserTrainConfig
) -> np.ndarray:
    """Background pixels replaced by a key colour (soft matte, spill) or a random smooth field."""
    size = img.shape[0]
    key_share = cfg.key_bg_prob / max(cfg.key_bg_prob + cfg.random_bg_prob, 1e-6)
    bg, key = _background(rng, size, key_share, cfg.dark_key_prob)
    fg = (lab != L.BACKGROUND).astype(np.float32)
    alpha = cv2.GaussianBlur(fg, (0, 0), rng.uniform(0.4, 1.5))[..., None]
    out = img * alpha + bg * (1 - alpha)
    if key is not None and rng.random() < 0.5:  # key-colour spill on the person's edges
        near = cv2.GaussianBlur(1 - fg, (0, 0), 3.0)[..., None] * fg[..., None]
        amount = rng.uniform(0.1, 0.4)
        out = out * (1 - amount * near) + key * amount * near
    return out


def _photometric(img: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Colour jitter, gray, blur and noise on a float32 RGB image in 0..255."""
    if rng.random() < 0.8:
        img = img * rng.uniform(0.7, 1.3)
        mean = img.mean()
        img = (img - mean) * rng.uniform(0.7, 1.3) + mean
        gray = img.mean(axis=2, keepdims=True)
        img = gray + (img - gray) * rng.uniform(0.6, 1.4)
        img = img + rng.uniform(-12, 12, 3).astype(np.float32)  # white balance
    img = img.clip(0, 255)
    if rng.random() < 0.3:
        hsv = cv2.cvtColor(img.astype(np.uint8), cv2.COLOR_RGB2HSV).astype(np.int16)
        hsv[..., 0] = (hsv[..., 0] + int(rng.integers(-6, 7))) % 180
        img = cv2.cvtColor(hsv.astype(np.uint8), cv2.COLOR_HSV2RGB).astype(np.float32)
    if rng.random() < 0.05:
        img = np.repeat(img.mean(axis=2, keepdims=True), 3, axis=2)
    if rng.random() < 0.15:
        img = cv2.GaussianBlur(img, (0, 0), rng.uniform(0.3, 1.2))
    if rng.random() < 0.2:
        img = img + rng.normal(0, rng.uniform(2, 8), img.shape).astype(np.float32)
    return img.clip(0, 255)


def augment(
    img: np.ndarray, lab: np.ndarray, rng: np.random.Generator, cfg: ParserTrainConfig
) -> tuple[np.ndarray, np.ndarray]:
    """One training crop: ``(crop x crop x 3 uint8, crop x crop uint8)``."""
    crop = cfg.crop
    m = _affine(rng, lab.shape, crop, cfg)
    img = cv2.warpAffine(img, m, (crop, crop), flags=cv2.INTER_LINEAR, borderMode=cv2.BORDER_REPLICATE)
    lab = cv2.warpAffine(lab, m, (crop, crop), flags=cv2.INTER_NEAREST, borderMode=cv2.BORDER_REPLICATE)
    out = img.astype(np.float32)
    if rng.random() < cfg.recolor_body_prob:  # clothes come in every colour (incl. skin-like ones)
        out = _recolor(out, lab == L.BODY, rng, 180.0, (0.4, 1.6), (0.6, 1.3))
    if rng.random() < cfg.recolor_hair_prob:  # blond, gray, dyed hair
        out = _recolor(out, lab == L.HAIR, rng, 40.0, (0.5, 1.5), (0.6, 2.2))
    if rng.random() < cfg.key_bg_prob + cfg.random_bg_prob:
        out = _replace_background(out, lab, rng, cfg)
    out = _photometric(out, rng)
    return np.rint(out).astype(np.uint8), lab


def make_batch(
    images: list[np.ndarray], labels: list[np.ndarray], rng: np.random.Generator, cfg: ParserTrainConfig
) -> tuple[torch.Tensor, torch.Tensor]:
    """A random batch: ``(B, 3, crop, crop) float in [0, 1]`` and ``(B, crop, crop) long``."""
    idx = rng.integers(0, len(images), cfg.batch_size)
    pairs = [augment(images[i], labels[i], rng, cfg) for i in idx]
    x = torch.from_numpy(np.stack([p[0] for p in pairs])).permute(0, 3, 1, 2).float() / 255.0
    y = torch.from_numpy(np.stack([p[1] for p in pairs])).long()
    return x.contiguous(memory_format=torch.channels_last), y


# --------------------------------------------------------------------------- evaluation


def evaluate(parser: HeadParser, frames: list[Frame] | list[tuple[np.ndarray, np.ndarray]]) -> IoUAccumulator:
    """Pooled IoU of ``parser`` over frames (or ``(image, labels)`` pairs)."""
    acc = IoUAccumulator()
    for item in frames:
        img, lab = (item.load_image(), item.load_labels()) if isinstance(item, Frame) else item
        acc.add(parser(img), lab)
    return acc


# --------------------------------------------------------------------------- checkpoints


def _save_checkpoint(folder: Path, model: ParserNet, opt: torch.optim.Optimizer, state: dict[str, Any]) -> None:
    """Model, optimizer (as flat tensors) and JSON state; written to a temp folder then swapped in."""
    tmp = folder.with_name(folder.name + ".tmp")
    shutil.rmtree(tmp, ignore_errors=True)
    tmp.mkdir(parents=True)
    save_file({k: v.contiguous() for k, v in model.state_dict().items()}, str(tmp / "model.safetensors"))
    tensors: dict[str, torch.Tensor] = {}
    sd = opt.state_dict()
    for pid, pstate in sd["state"].items():
        for name, value in pstate.items():
            tensors[f"{pid}.{name}"] = torch.as_tensor(value).contiguous()
    tensors["torch_rng"] = torch.get_rng_state()
    save_file(tensors, str(tmp / "optimizer.safetensors"))
    (tmp / "state.json").write_text(json.dumps({**state, "param_groups": sd["param_groups"]}, indent=1))
    shutil.rmtree(folder, ignore_errors=True)
    tmp.rename(folder)


def _load_checkpoint(folder: Path, model: ParserNet, opt: torch.optim.Optimizer) -> dict[str, Any]:
    """Restore what :func:`_save_checkpoint` wrote; returns the JSON state."""
    model.load_state_dict(load_file(str(folder / "model.safetensors")))
    tensors = load_file(str(folder / "optimizer.safetensors"))
    state = json.loads((folder / "state.json").read_text())
    torch.set_rng_state(tensors.pop("torch_rng"))
    per_param: dict[int, dict[str, torch.Tensor]] = {}
    for key, value in tensors.items():
        pid, name = key.split(".", 1)
        per_param.setdefault(int(pid), {})[name] = value
    opt.load_state_dict({"state": per_param, "param_groups": state.pop("param_groups")})
    return state


# --------------------------------------------------------------------------- export


def _plain(model: ParserNet) -> HeadParser:
    """The network as training judges it: one pass, no mirror or relit second pass, no
    screen-hair rule or face search (those are inference choices; validation scores stay
    comparable with earlier runs' logs)."""
    return HeadParser(model, device="cpu", relight=False, flip=False, screen_hair=False, search=False, fringe=False)


def export_parser(model: ParserNet, dst: str | Path, check: list[tuple[np.ndarray, np.ndarray]] | None = None,
                  fp16: bool | None = None) -> dict[str, Any]:
    """Save ``model`` to ``dst`` (``config.json`` + ``model.safetensors`` + README.md).

    ``fp16=None``: store fp16 weights when that changes the validation mIoU on ``check`` by
    less than 1e-4 (and at most 0.05 % of the predicted pixels), else fp32.
    """
    dst = Path(dst)
    model = model.cpu().eval()
    report: dict[str, Any] = {}
    if fp16 is None:
        fp16 = True
        if check:
            ref = evaluate(_plain(model), check)
            half = ParserNet(model.config)
            half.load_state_dict({k: v.half().float() if v.is_floating_point() else v
                                  for k, v in model.state_dict().items()})
            half_parser = _plain(half.eval())
            low = evaluate(half_parser, check)
            base = _plain(model)
            changed = sum(int((half_parser(img) != base(img)).sum()) for img, _ in check)
            pixels = sum(lab.size for _, lab in check)
            report = {"miou_fp32": ref.mean_iou(), "miou_fp16": low.mean_iou(), "changed_pixels": changed / pixels}
            fp16 = abs(ref.mean_iou() - low.mean_iou()) < 1e-4 and changed / pixels <= 5e-4
    report["dtype"] = "float16" if fp16 else "float32"
    dst.mkdir(parents=True, exist_ok=True)
    to_save = ParserNet(model.config)
    to_save.load_state_dict(model.state_dict())
    if fp16:
        to_save = to_save.half()
    to_save.save_pretrained(dst)
    (dst / "model.safetensors").chmod(0o644)
    return report


# --------------------------------------------------------------------------- loop


def _lr(cfg: ParserTrainConfig, step: int, elapsed: float) -> float:
    """Warm-up, then cosine decay to 2 % over the budget (steps or minutes, whichever is tighter)."""
    if step < cfg.warmup_steps:
        return cfg.lr * (step + 1) / cfg.warmup_steps
    progress = step / cfg.steps
    if cfg.max_minutes:
        progress = max(progress, elapsed / (60 * cfg.max_minutes))
    progress = min(1.0, progress)
    return cfg.lr * (0.02 + 0.98 * 0.5 * (1 + math.cos(math.pi * progress)))


def train_parser(
    cfg: ParserTrainConfig, data_root: str | Path, out: str | Path, resume: bool = False,
    export: str | Path | None = None, progress: bool = True,
) -> Path:
    """Train; returns the folder of the exported parser (``export`` or ``out/model``)."""
    torch.set_num_threads(max(1, cfg.threads))
    cv2.setNumThreads(1)
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    ckpt = out / "checkpoint"
    if resume and (out / "train_config.json").is_file():
        saved = json.loads((out / "train_config.json").read_text())
        saved["scale_range"] = tuple(saved["scale_range"])
        # the budget may be extended on resume; everything else comes from the run
        cfg = ParserTrainConfig(**{**saved, "steps": cfg.steps, "max_minutes": cfg.max_minutes})
    (out / "train_config.json").write_text(json.dumps(asdict(cfg), indent=1))

    torch.manual_seed(cfg.seed)
    data = TalkingHeads(data_root)
    if cfg.val_split:
        train_frames, val_frames = data.frames(cfg.split), data.frames(cfg.val_split)
        shared = sorted({f.identity for f in train_frames} & {f.identity for f in val_frames})
        if shared:
            raise ValueError(f"val_split {cfg.val_split!r} shares identities with {cfg.split!r} ({', '.join(shared)}): "
                             "it would not measure people the parser never saw")
    else:
        train_frames, val_frames = split_train_val(data.frames(cfg.split), cfg.val_fraction)
    images, labels = load_frames(train_frames)
    val = list(zip(*load_frames(val_frames)))
    weights = torch.from_numpy(class_weights(labels))

    model = ParserNet(ParserConfig(**{**cfg.network, "train_crop": cfg.crop}))
    model = model.to(memory_format=torch.channels_last)
    opt = torch.optim.Adam(model.parameters(), lr=cfg.lr, weight_decay=cfg.weight_decay)
    state: dict[str, Any] = {"step": 0, "elapsed": 0.0, "rng": None, "best": None}
    if resume and (ckpt / "state.json").is_file():
        state = _load_checkpoint(ckpt, model, opt)
    if resume and (out / "best" / "score.json").is_file():  # best/ may be newer than the checkpoint
        state["best"] = json.loads((out / "best" / "score.json").read_text())
    rng = np.random.default_rng(cfg.seed)
    if state.get("rng"):
        rng.bit_generator.state = state["rng"]

    log_path = out / "log.csv"
    columns = ["step", "elapsed_s", "lr", "loss", "images_per_s", "val_miou",
               *[f"val_{n}" for n in L.CLASS_NAMES]]
    if not log_path.is_file() or not resume:
        with log_path.open("w", newline="") as fh:
            csv.writer(fh).writerow(columns)

    def log(row: dict[str, Any]) -> None:
        with log_path.open("a", newline="") as fh:
            csv.writer(fh).writerow([row.get(c, "") for c in columns])

    def validate() -> dict[str, Any]:
        if not val:
            return {}
        model.eval()
        acc = evaluate(_plain(model), val)
        model.train()
        result = {"val_miou": f"{acc.mean_iou():.4f}",
                  **{f"val_{n}": f"{v:.4f}" for n, v in zip(L.CLASS_NAMES, acc.iou())}}
        if cfg.val_split and (state.get("best") is None or acc.mean_iou() > state["best"]["val_miou"]):
            state["best"] = {"step": step, "val_miou": acc.mean_iou()}
            export_parser(model, out / "best", fp16=False)
            (out / "best" / "score.json").write_text(json.dumps(state["best"]))
            model.train()
        return result

    step, elapsed = int(state["step"]), float(state["elapsed"])
    start = time.perf_counter() - elapsed
    last_ckpt = last_val = elapsed
    window_loss, window_n, window_t = 0.0, 0, time.perf_counter()
    budget_s = 60 * cfg.max_minutes if cfg.max_minutes else float("inf")
    print(f"parser: {model.num_parameters()} params, {len(images)} train / {len(val)} val frames, "
          f"class weights {np.round(weights.numpy(), 2).tolist()}", flush=True)
    model.train()
    while step < cfg.steps and elapsed < budget_s:
        lr = _lr(cfg, step, elapsed)
        for group in opt.param_groups:
            group["lr"] = lr
        x, y = make_batch(images, labels, rng, cfg)
        loss = F.cross_entropy(model(x), y, weight=weights)
        opt.zero_grad(set_to_none=True)
        loss.backward()
        opt.step()
        step += 1
        window_loss += loss.item()
        window_n += 1
        elapsed = time.perf_counter() - start
        if step % cfg.log_every == 0 or step == cfg.steps or elapsed >= budget_s:
            now = time.perf_counter()
            row: dict[str, Any] = {"step": step, "elapsed_s": f"{elapsed:.1f}", "lr": f"{lr:.2e}",
                                   "loss": f"{window_loss / window_n:.4f}",
                                   "images_per_s": f"{window_n * cfg.batch_size / max(now - window_t, 1e-9):.1f}"}
            if elapsed - last_val >= 60 * cfg.val_every_minutes:
                row.update(validate())
                last_val = elapsed
            log(row)
            if progress:
                print(" ".join(f"{k}={v}" for k, v in row.items()), flush=True)
            window_loss, window_n, window_t = 0.0, 0, time.perf_counter()
        if elapsed - last_ckpt >= 60 * cfg.checkpoint_every_minutes:
            _save_checkpoint(ckpt, model, opt, {"step": step, "elapsed": elapsed,
                                                "rng": rng.bit_generator.state, "best": state.get("best")})
            last_ckpt = elapsed
    final = validate()
    _save_checkpoint(ckpt, model, opt, {"step": step, "elapsed": elapsed,
                                        "rng": rng.bit_generator.state, "best": state.get("best")})
    log({"step": step, "elapsed_s": f"{elapsed:.1f}", **final})
    model.eval()
    dst = Path(export) if export else out / "model"
    report = export_parser(model, dst, check=val[:: max(1, len(val) // 48)] if val else None)
    summary = {"steps": step, "minutes": round(elapsed / 60, 2), "threads": cfg.threads, "crop": cfg.crop,
               "batch_size": cfg.batch_size, "train_frames": len(images), "val_frames": len(val),
               "val": final, "best": state.get("best"), "export": report, "device": "cpu"}
    (out / "summary.json").write_text(json.dumps(summary, indent=1))
    print(f"parser: {step} steps in {elapsed / 60:.1f} min; validation {final}; export {report}", flush=True)
    if dst != out / "model":
        os.makedirs(out / "model", exist_ok=True)
        for name in ("config.json", "model.safetensors", "README.md"):
            if (dst / name).is_file():
                shutil.copy2(dst / name, out / "model" / name)
    return dst
