"""Optional second parser backend: a Hugging Face SegFormer face-parsing model.

CelebAMask-HQ face parsers on the Hub (e.g. ``jonathandinu/face-parsing``, a SegFormer
MiT-b5) predict 19 classes; :data:`CELEBAMASK_TO_OURS` maps them onto our 5 by *name*
(read from the model's ``id2label``; some exports write ``"skin.png"`` for ``"skin"``), so
a model with another class order still maps right. ``transformers`` is optional: without
it, or without the weights (this machine is offline), loading says so and the bundled
parser stays the default.

Use it with ``CHANGER_PARSER=jonathandinu/face-parsing`` (or a local folder holding such a
model) or ``changer parse --model ...``; :func:`changer.parsing.parser.load_parser` picks
this backend when the folder's ``config.json`` says ``"model_type": "segformer"``.
"""

from __future__ import annotations

import os
from typing import Any

import cv2
import numpy as np
import torch
import torch.nn.functional as F

from changer import labels as L
from changer.imageio import InputError
from changer.parsing.parser import LabelParser, ParseOptions

CELEBAMASK_TO_OURS: dict[str, int] = {
    "background": L.BACKGROUND,
    **dict.fromkeys(
        ("skin", "nose", "eye_g", "l_eye", "r_eye", "l_brow", "r_brow", "l_ear", "r_ear", "mouth", "u_lip",
         "l_lip", "ear_r"),
        L.FACE,
    ),
    "hair": L.HAIR,
    "hat": L.HAIR,  # a hat is part of the head the pipeline moves
    "neck": L.NECK,
    "neck_l": L.NECK,  # necklace
    "cloth": L.BODY,
}

IMAGENET_MEAN = (0.485, 0.456, 0.406)
IMAGENET_STD = (0.229, 0.224, 0.225)


def class_map(id2label: dict[Any, str]) -> np.ndarray:
    """Our class of each of the model's classes, from the label names.

    Raises ``ValueError`` for a name it does not know (a model trained on other classes)."""
    n = len(id2label)
    out = np.zeros(n, np.int64)
    for idx, name in id2label.items():
        key = str(name).strip().lower().removesuffix(".png")
        if key not in CELEBAMASK_TO_OURS:
            raise ValueError(f"unknown face-parsing class {name!r}: expected CelebAMask-HQ names "
                             f"({', '.join(CELEBAMASK_TO_OURS)})")
        out[int(idx)] = CELEBAMASK_TO_OURS[key]
    return out


def merge_logits(logits: torch.Tensor, mapping: np.ndarray) -> torch.Tensor:
    """``(K, h, w)`` logits of the model's classes -> ``(5, h, w)`` log-probabilities of ours.

    The probability of one of our classes is the sum of its members' probabilities
    (log-sum-exp of their log-softmax); a class with no member gets ``-inf``."""
    logp = logits.float().log_softmax(0)
    out = torch.full((L.NUM_CLASSES, *logits.shape[1:]), float("-inf"), dtype=logp.dtype, device=logp.device)
    for c in range(L.NUM_CLASSES):
        members = np.flatnonzero(mapping == c)
        if len(members):
            out[c] = torch.logsumexp(logp[torch.as_tensor(members, device=logp.device)], 0)
    return out


class SegformerParser(LabelParser):
    """A ``transformers`` SegFormer face parser behind the :class:`LabelParser` interface.

    The picture is resized to ``input_size`` squared (as the model's image processor does:
    SegFormer face parsers are trained on square CelebA-HQ crops) and normalised with the
    ImageNet statistics; the logits (at 1/4 of that) are merged to our 5 classes. The mirror
    pass (``flip``) is off by default here: its gain was measured on the bundled parser only,
    and it doubles the cost of a large network.
    """

    default_options = ParseOptions(flip=False)

    def __init__(
        self, model: Any, input_size: int = 512, device: str | torch.device | None = None,
        *, options: ParseOptions | None = None, **flags: bool,
    ) -> None:
        super().__init__(options, **flags)
        self.device = torch.device(device or ("cuda" if torch.cuda.is_available() else "cpu"))
        self.model = model.to(self.device).eval()
        self.mapping = class_map(model.config.id2label)
        self.input_size = int(input_size)

    @classmethod
    def from_pretrained(
        cls, model_id: str | os.PathLike[str], device: str | None = None, input_size: int | None = None,
        **kwargs: Any,
    ) -> SegformerParser:
        """Load a local folder or a Hub repo id (needs ``transformers`` and, for a repo, the network)."""
        try:
            from transformers import SegformerForSemanticSegmentation
        except ImportError:
            raise InputError("the SegFormer parser needs the optional package `transformers` "
                             "(pip install transformers)") from None
        try:
            model = SegformerForSemanticSegmentation.from_pretrained(str(model_id))
        except OSError as err:
            raise InputError(f"cannot load the SegFormer parser {model_id!s}: {err}") from None
        size = input_size or _processor_size(model_id) or 512
        return cls(model, input_size=size, device=device, **kwargs)

    def logits(self, rgb: np.ndarray) -> np.ndarray:
        s = self.input_size
        x = cv2.resize(rgb, (s, s), interpolation=cv2.INTER_AREA if s < max(rgb.shape[:2]) else cv2.INTER_LINEAR)
        x = torch.from_numpy(x).to(self.device).permute(2, 0, 1).float() / 255.0
        mean = torch.tensor(IMAGENET_MEAN, device=self.device)[:, None, None]
        std = torch.tensor(IMAGENET_STD, device=self.device)[:, None, None]
        with torch.inference_mode():
            out = self.model(pixel_values=((x - mean) / std)[None]).logits[0]
        merged = merge_logits(out, self.mapping)
        # undo the square resize: the picture's aspect ratio at the logits' resolution
        h, w = rgb.shape[:2]
        k = out.shape[-1] / max(h, w)
        size = (max(1, round(h * k)), max(1, round(w * k)))
        merged = F.interpolate(merged.clamp_min(-1e4)[None], size=size, mode="bilinear", align_corners=False)[0]
        return merged.cpu().numpy()

    def __repr__(self) -> str:
        return f"SegformerParser(input_size={self.input_size}, classes={len(self.mapping)}, device={str(self.device)!r})"


def _processor_size(model_id: str | os.PathLike[str]) -> int | None:
    """The square size in the model's ``preprocessor_config.json``, if it has one."""
    try:
        from transformers import AutoImageProcessor

        size = AutoImageProcessor.from_pretrained(str(model_id)).size
    except Exception:  # no processor file, offline, or an unknown format: use the default
        return None
    if not isinstance(size, dict):
        return None
    return int(size.get("height") or size.get("shortest_edge") or 0) or None
