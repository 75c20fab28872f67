"""``SafetensorsHubMixin``: ``huggingface_hub``'s model mixin that only ever loads safetensors.

Every network that ships weights (the CHANGER generator, the head parser) derives from it,
so ``from_pretrained`` behaves the same everywhere: a local folder or a Hub repo id,
``model.safetensors`` only (never a pickle), strict about missing or unexpected weights,
fp16 files loaded into the fp32 network (``load_state_dict`` casts), int8 files
(:mod:`changer.quantize`) turned back into floats first.
"""

from __future__ import annotations

import os
import warnings
from dataclasses import fields
from pathlib import Path
from typing import Any, TypeVar

from huggingface_hub import PyTorchModelHubMixin, constants, hf_hub_download
from safetensors.torch import load_file, load_model

from changer import quantize

C = TypeVar("C")


def merge_config(config_cls: type[C], config: Any, overrides: dict[str, Any], owner: str) -> C:
    """``config`` (dataclass, dict or None) with single fields overridden by ``overrides``.

    ``from_pretrained`` passes the saved ``config.json`` both as ``config`` and as keyword
    arguments; this merge accepts both and rejects unknown field names.
    """
    if isinstance(config, config_cls):
        config = config.to_dict()  # type: ignore[attr-defined]
    unknown = sorted(set(overrides) - {f.name for f in fields(config_cls)})  # type: ignore[arg-type]
    if unknown:
        raise TypeError(f"{owner} got unknown config fields {unknown}")
    return config_cls.from_dict({**(config or {}), **overrides})  # type: ignore[attr-defined]


class SafetensorsHubMixin(PyTorchModelHubMixin):
    """Mix into an ``nn.Module`` (pass the usual mixin kwargs in the class statement)."""

    def num_parameters(self) -> int:
        """Trainable parameters."""
        return sum(p.numel() for p in self.parameters() if p.requires_grad)  # type: ignore[attr-defined]

    @classmethod
    def _from_pretrained(
        cls,
        *,
        model_id: str,
        revision: str | None,
        cache_dir: str | Path | None,
        force_download: bool,
        local_files_only: bool,
        token: str | bool | None,
        map_location: str = "cpu",
        strict: bool = True,
        **model_kwargs: Any,
    ):
        """Build the model from its config and load ``model.safetensors`` into it."""
        model = cls(**model_kwargs)
        if os.path.isdir(model_id):
            weights = os.path.join(model_id, constants.SAFETENSORS_SINGLE_FILE)
            if not os.path.isfile(weights):
                raise FileNotFoundError(f"{weights} not found (only safetensors weights are loaded)")
        else:
            weights = hf_hub_download(
                repo_id=model_id, filename=constants.SAFETENSORS_SINGLE_FILE, revision=revision,
                cache_dir=cache_dir, force_download=force_download, token=token,
                local_files_only=local_files_only,
            )
        if quantize.is_int8(weights):
            state = quantize.dequantize(load_file(weights, device=map_location))
            missing, unexpected = model.load_state_dict(state, strict=strict)
        else:
            missing, unexpected = load_model(model, weights, strict=strict, device=map_location)
        if missing or unexpected:  # only reachable with strict=False
            warnings.warn(f"{model_id}: missing keys {missing}, unexpected keys {unexpected}", stacklevel=2)
        return model.to(map_location).eval()
