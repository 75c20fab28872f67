"""changer: an open implementation of CHANGER (head blending with chroma keying, WACV 2025).

The main classes are importable from the top, like diffusers' exports::

    from changer import HeadBlendingPipeline, BlendOptions, CHANGER

    pipe = HeadBlendingPipeline.from_pretrained()  # the bundled default model and parser
    result = pipe("head.jpg", "body.jpg", options=BlendOptions())

They are loaded lazily (PEP 562): ``import changer`` alone does not import torch, OpenCV
or the pipeline, so the command line and ``changer.__version__`` stay quick; the first
access to one of the names below imports its module.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

__version__ = "0.1.0"

_EXPORTS: dict[str, str] = {
    # the blend pipeline
    "HeadBlendingPipeline": "changer.pipeline",
    "BlendOptions": "changer.pipeline",
    "BlendResult": "changer.pipeline",
    # the network
    "CHANGER": "changer.model",
    "ChangerConfig": "changer.model",
    # what a blender receives, and the error bad inputs raise
    "BlendInputs": "changer.inputs",
    "InputError": "changer.imageio",
}

__all__ = ["__version__", *_EXPORTS]

if TYPE_CHECKING:  # for type checkers and IDEs; at run time the names come from __getattr__
    from changer.imageio import InputError
    from changer.inputs import BlendInputs
    from changer.model import CHANGER, ChangerConfig
    from changer.pipeline import BlendOptions, BlendResult, HeadBlendingPipeline


def __getattr__(name: str) -> Any:
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module 'changer' has no attribute {name!r}")
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value  # later lookups skip this function
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(_EXPORTS))
