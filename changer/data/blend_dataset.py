"""PyTorch datasets of blend samples: random crops for training, seeded frames for evaluation."""

from __future__ import annotations

from collections.abc import Sequence

import cv2
import numpy as np
import torch
from torch.utils.data import Dataset

from changer import labels as L
from changer.data.appearance import AppearanceConfig, augment_appearance
from changer.data.augment import mask_box
from changer.data.dataset import Frame
from changer.data.sample import SampleBuilder, SampleConfig, frame_seed
from changer.inputs import Sample, image_to_tensor, mask_to_tensor, to_model_tensors


def resize_pair(img: np.ndarray, labels: np.ndarray, size: int) -> tuple[np.ndarray, np.ndarray]:
    """Resize a frame (area/cubic) and its labels (nearest) to ``size x size``."""
    if img.shape[:2] == (size, size):
        return img, labels
    interp = cv2.INTER_AREA if size < img.shape[0] else cv2.INTER_CUBIC
    return (
        cv2.resize(img, (size, size), interpolation=interp),
        cv2.resize(labels, (size, size), interpolation=cv2.INTER_NEAREST),
    )


def random_head_crop(
    img: np.ndarray, labels: np.ndarray, rng: np.random.Generator, scale: tuple[float, float]
) -> tuple[np.ndarray, np.ndarray]:
    """A random square crop (side = ``scale`` of the frame) that keeps the head's centre."""
    h, w = labels.shape
    side = int(round(rng.uniform(*scale) * min(h, w)))
    box = mask_box(L.head_mask(labels)) or (0, 0, w, h)
    cx, cy = (box[0] + box[2]) / 2, (box[1] + box[3]) / 2
    x0 = int(np.clip(rng.uniform(cx - 0.7 * side, cx - 0.3 * side), 0, w - side))
    y0 = int(np.clip(rng.uniform(cy - 0.55 * side, cy - 0.25 * side), 0, h - side))
    return img[y0 : y0 + side, x0 : x0 + side], labels[y0 : y0 + side, x0 : x0 + side]


def sample_to_tensors(sample: Sample, colour_head: bool = False) -> dict[str, torch.Tensor]:
    """Model inputs plus the training targets of one sample."""
    out = to_model_tensors(sample.inputs, colour_head=colour_head)
    out["y"] = image_to_tensor(sample.gt)
    out["hole"] = mask_to_tensor(sample.inputs.hole)
    out["head"] = mask_to_tensor(L.head_mask(sample.labels))
    out["hidden_clothes"] = mask_to_tensor(sample.inputs.hole & (sample.labels == L.BODY))
    out["types"] = torch.from_numpy(L.to_types(sample.labels).astype(np.int64))
    return out


class BlendDataset(Dataset):
    """Blend samples over a list of frames.

    ``train=True``: each item draws a fresh reference frame, H² parameters and a random
    head crop resized to ``size``, then the ``appearance`` augmentations (randomness from
    torch's generator, so the trainer's seed and DataLoader worker seeding make runs
    repeatable). ``train=False``: the full frame at ``size``, every draw seeded by the
    frame id (the evaluation protocol).
    """

    def __init__(
        self,
        frames: Sequence[Frame],
        config: SampleConfig | None = None,
        size: int = 256,
        train: bool = False,
        crop_scale: tuple[float, float] = (0.5, 1.0),
        colour_head: bool = False,
        donors: Sequence[Frame] | None = None,
        appearance: AppearanceConfig | None = None,
    ):
        if not frames:
            raise ValueError("no frames: check the data folder and split")
        self.frames = list(frames)
        self.size, self.train, self.crop_scale, self.colour_head = size, train, crop_scale, colour_head
        self._by_clip: dict[str, list[Frame]] = {}
        for f in self.frames:
            self._by_clip.setdefault(f.clip_id, []).append(f)
        self._donors = list(donors) if donors is not None else self.frames
        self.builder = SampleBuilder(config or SampleConfig())
        self.appearance = appearance or AppearanceConfig()

    def __len__(self) -> int:
        return len(self.frames)

    def rng_for(self, index: int) -> np.random.Generator:
        """The generator for one item (seeded by frame id in evaluation)."""
        if self.train:
            return np.random.default_rng(int(torch.randint(0, 2**62, ()).item()))
        return np.random.default_rng(frame_seed(self.frames[index].frame_id))

    def sample(self, index: int) -> Sample:
        """The :class:`Sample` of item ``index`` (numpy, for baselines and previews)."""
        frame = self.frames[index]
        rng = self.rng_for(index)
        img, lab = frame.load_pair()
        if not self.train and not L.head_mask(lab).any():  # nothing to blend: a perfect score for free
            raise ValueError(f"{frame.label_path}: the label map has no head (face or hair) to blend")
        ref = self._reference(frame, rng)
        ref_img, ref_lab = ref.load_pair()
        if self.train:
            img, lab = random_head_crop(img, lab, rng, self.crop_scale)
            img, lab = augment_appearance(img, lab, rng, self.appearance)
            if rng.random() < 0.5:
                ref_img, ref_lab = ref_img[:, ::-1], ref_lab[:, ::-1]
        img, lab = resize_pair(img, lab, self.size)
        ref_img, ref_lab = resize_pair(np.ascontiguousarray(ref_img), np.ascontiguousarray(ref_lab), self.size)
        donor = self._donor(frame, rng)
        sample = self.builder.build(img, lab, ref_img, ref_lab, rng, frame_id=frame.frame_id, donor_labels=donor)
        sample.extras["frame"] = img
        return sample

    def __getitem__(self, index: int) -> dict[str, torch.Tensor]:
        return sample_to_tensors(self.sample(index), colour_head=self.colour_head)

    def _reference(self, frame: Frame, rng: np.random.Generator) -> Frame:
        """Another frame of the same clip (the frame itself if the clip has one frame)."""
        others = [f for f in self._by_clip[frame.clip_id] if f.index != frame.index]
        return others[int(rng.integers(len(others)))] if others else frame

    def _donor(self, frame: Frame, rng: np.random.Generator) -> np.ndarray | None:
        """Labels of a frame of another identity, for the long-hair part of H²."""
        if not self.builder.config.h2:
            return None
        others = [f for f in self._donors if f.identity != frame.identity]
        if not others:
            return None
        lab = others[int(rng.integers(len(others)))].load_labels()
        return cv2.resize(lab, (self.size, self.size), interpolation=cv2.INTER_NEAREST)
