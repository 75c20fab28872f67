"""``SafetensorsHubMixin``: ``huggingface_hub``'s model mixin that only ever loads safetensors.

Every network that ships weights (the CHANGER generator, the head parser) derives from it,
so ``from_pretrained`` behaves the same everywhere: a local folder or a Hub repo id,
``model.safetensors`` only (never a pickle), strict about missing or unexpected weights,
fp16 files loaded into the fp32 network (``load_state_dict`` casts), int8 files
(:mod:`changer.quantize`) turned back into floats first.

Before any weight tensor exists, a load is checked against :mod:`changer.limits`: the files'
sizes (a Hub repo's from its file list, before anything is downloaded), the network's size
when built on the ``meta`` device (no memory), and the safetensors header's names and shapes
against that network (:func:`check_weights`). A config asking for a network of gigabytes,
or weights that do not fit the config, is a ``ValueError`` that costs nothing.
"""

from __future__ import annotations

import os
import warnings
from dataclasses import fields
from pathlib import Path
from typing import Any, TypeVar

from huggingface_hub import PyTorchModelHubMixin, constants, hf_hub_download
from safetensors.torch import load_file, load_model

from changer import limits, quantize

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


def _too_big(what: str, size: int, limit: int) -> ValueError:
    return ValueError(f"{what} is {size / 2**20:.1f} MB; at most {limit / 2**20:.1f} MB is loaded")


def check_files(folder: str | os.PathLike[str]) -> None:
    """A local model folder's ``config.json`` and ``model.safetensors`` within
    :data:`~changer.limits.MAX_CONFIG_BYTES` / :data:`~changer.limits.MAX_WEIGHT_BYTES`."""
    for name, limit in ((constants.CONFIG_NAME, limits.MAX_CONFIG_BYTES),
                        (constants.SAFETENSORS_SINGLE_FILE, limits.MAX_WEIGHT_BYTES)):
        path = os.path.join(folder, name)
        if os.path.isfile(path) and os.path.getsize(path) > limit:
            raise _too_big(name, os.path.getsize(path), limit)


def check_hub_files(repo_id: str, revision: str | None = None, token: str | bool | None = None,
                    timeout: float = 10.0) -> None:
    """A Hub repo's ``config.json`` and ``model.safetensors`` sizes from its file list
    (``model_info(files_metadata=True)``), before anything is downloaded."""
    from huggingface_hub import HfApi

    info = HfApi().model_info(repo_id, revision=revision, token=token, files_metadata=True, timeout=timeout)
    sizes = {f.rfilename: f.size for f in info.siblings or []}
    if constants.SAFETENSORS_SINGLE_FILE not in sizes:
        raise FileNotFoundError(f"{repo_id} has no {constants.SAFETENSORS_SINGLE_FILE} (only safetensors weights are loaded)")
    for name, limit in ((constants.CONFIG_NAME, limits.MAX_CONFIG_BYTES),
                        (constants.SAFETENSORS_SINGLE_FILE, limits.MAX_WEIGHT_BYTES)):
        size = sizes.get(name)
        if size is not None and size > limit:
            raise _too_big(f"{repo_id}'s {name}", size, limit)


def _cached_config(repo_id: str, revision: str | None, cache_dir: str | Path | None) -> str | None:
    """The path of a Hub repo's ``config.json`` in the local cache, or None."""
    from huggingface_hub import try_to_load_from_cache

    found = try_to_load_from_cache(repo_id, constants.CONFIG_NAME, cache_dir=cache_dir, revision=revision)
    return found if isinstance(found, str) else None


def check_weights(cls: type, model_kwargs: dict[str, Any], weights: str, strict: bool = True) -> None:
    """Refuse, before any tensor is allocated, a network too big for
    :data:`~changer.limits.MAX_PARAMETERS` (counted on the ``meta`` device) or a weights file
    too big (``ValueError``), or one whose header's tensor names and shapes do not fit that
    network (``RuntimeError``, as ``load_state_dict`` would say after allocating)."""
    import torch
    from safetensors import safe_open

    size = os.path.getsize(weights)
    if size > limits.MAX_WEIGHT_BYTES:
        raise _too_big(constants.SAFETENSORS_SINGLE_FILE, size, limits.MAX_WEIGHT_BYTES)
    with torch.device("meta"):
        probe = cls(**model_kwargs)
    numbers = sum(t.numel() for t in probe.parameters()) + sum(t.numel() for t in probe.buffers())
    if numbers > limits.MAX_PARAMETERS:
        raise ValueError(f"the config asks for a network of {numbers / 1e6:.0f} M numbers; "
                         f"at most {limits.MAX_PARAMETERS / 1e6:.0f} M are loaded")
    expected = {k: tuple(v.shape) for k, v in probe.state_dict().items()}
    del probe
    with safe_open(weights, framework="pt") as f:  # reads the header only
        stored = {k: tuple(f.get_slice(k).get_shape()) for k in f.keys() if not k.endswith(quantize.SCALE_SUFFIX)}
    wrong = [f"{k} {stored[k]} (config: {expected[k]})" for k in expected if k in stored and stored[k] != expected[k]]
    missing = sorted(set(expected) - set(stored)) if strict else []
    unexpected = sorted(set(stored) - set(expected)) if strict else []
    if wrong or missing or unexpected:
        parts = [f"{label}: {', '.join(items[:3])}{' ...' if len(items) > 3 else ''}"
                 for label, items in (("wrong shapes", wrong), ("missing", missing), ("unexpected", unexpected)) if items]
        raise RuntimeError(f"the weights do not fit the config ({'; '.join(parts)})")  # as load_state_dict's


class SafetensorsHubMixin(PyTorchModelHubMixin):
    """Mix into an ``nn.Module`` (pass the usual mixin kwargs in the class statement)."""

    @classmethod
    def from_pretrained(cls, pretrained_model_name_or_path: str | Path, **kwargs: Any):  # type: ignore[override]
        """``PyTorchModelHubMixin.from_pretrained`` after the file-size checks of
        :mod:`changer.limits`: a folder's files on disk, a Hub repo's file list before any
        download (or its cached config when ``local_files_only``)."""
        model_id = str(pretrained_model_name_or_path)
        if os.path.isdir(model_id):
            check_files(model_id)
        elif kwargs.get("local_files_only"):
            config = _cached_config(model_id, kwargs.get("revision"), kwargs.get("cache_dir"))
            if config is not None and os.path.getsize(config) > limits.MAX_CONFIG_BYTES:
                raise _too_big(constants.CONFIG_NAME, os.path.getsize(config), limits.MAX_CONFIG_BYTES)
        else:
            check_hub_files(model_id, kwargs.get("revision"), kwargs.get("token"))
        return super().from_pretrained(pretrained_model_name_or_path, **kwargs)

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
        """Build the model from its config and load ``model.safetensors`` into it (after
        :func:`check_weights`)."""
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
        check_weights(cls, model_kwargs, weights, strict)
        model = cls(**model_kwargs)
        if quantize.is_int8(weights):
            state = quantize.dequantize(load_file(weights, device=map_location))
            missing, unexpected = model.load_state_dict(state, strict=strict)
        else:
            missing, unexpected = load_model(model, weights, strict=strict, device=map_location)
        if missing or unexpected:  # only reachable with strict=False
            warnings.warn(f"{model_id}: missing keys {missing}, unexpected keys {unexpected}", stacklevel=2)
        return model.to(map_location).eval()
