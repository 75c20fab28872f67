"""What a model folder is: ``config.json`` beside ``model.safetensors``.

One definition for every place that tells a local model folder from a Hub repo id or a
baseline name: the blender factory, the parser loader, the ensemble exporter and the
evaluation cache. It imports nothing heavy, so light modules can use it without torch.
"""

from __future__ import annotations

import os
from pathlib import Path

CONFIG = "config.json"
WEIGHTS = "model.safetensors"
MODEL_FILES = (WEIGHTS, CONFIG)
"""The files every model folder holds, weights first (the order the evaluation cache hashes)."""


def is_model_folder(path: str | os.PathLike[str]) -> bool:
    """Whether ``path`` is a local folder holding ``config.json`` and ``model.safetensors``."""
    p = Path(path)
    return all((p / name).is_file() for name in MODEL_FILES)
