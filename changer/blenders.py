"""One interface for every blending method the pipeline can run.

A :class:`Blender` turns a :class:`~changer.inputs.BlendInputs` into the foreground on the
key colour (``HxWx3 uint8``, the size of the inputs). Two kinds exist:

* :class:`ModelBlender`: a trained CHANGER (or ablation, or the learned h2sb baseline)
  loaded from a folder (``config.json`` + ``model.safetensors``) or a Hub repo id;
* :class:`BaselineBlender`: one of the non-learned baselines of ``eval.baselines``
  (``paste``, ``poisson``, ``inpaint``, ``laplacian``).

:func:`load_blender` picks one from a model id. With no id it loads the bundled default
weights (``changer/weights/default``); while none are bundled it falls back to the Poisson
baseline and says so in :attr:`note`, which the UI shows.

Besides the protocol's ``name``, ``resolution`` and ``__call__``, the pipeline reads three
optional attributes: ``key_color`` (the key the method needs, None = any), ``chroma``
(False for methods that work on real backgrounds) and ``note``.
"""

from __future__ import annotations

import json
import os
import re
from pathlib import Path
from typing import Any, Protocol, runtime_checkable

import cv2
import numpy as np

from changer.folders import is_model_folder
from changer.imageio import InputError, shorten
from changer.inputs import RGB, BlendInputs, tensor_to_image, to_model_tensors

DEFAULT_MODEL_DIR = Path(__file__).resolve().parent / "weights" / "default"
"""Where the bundled default weights live (inside the package)."""

FALLBACK_BASELINE = "laplacian"
NO_WEIGHTS_NOTE = "No trained CHANGER weights bundled yet: showing the Laplacian-pyramid baseline"

WORK_RESOLUTION = 256
"""Side of the pipeline's working window: the paper's evaluation size."""

HUB_TIMEOUT = 10.0
"""Seconds the quick Hub check (:func:`_check_on_hub`) waits for an answer."""

INFERENCE_ENV = "CHANGER_INFERENCE"
"""Environment variable that picks :attr:`ModelBlender.inference_path`: ``auto`` (default),
``fp32`` (the reference: float32, each pass on its own) or ``bf16``."""

INFERENCE_PATHS = ("auto", "fp32", "bf16")

BF16_CPU_FLAGS = ("avx512_bf16", "amx_bf16")
"""CPU flags (``/proc/cpuinfo``, ``lscpu``) of native bfloat16 matrix arithmetic. Without one,
oneDNN emulates bfloat16 on AVX-512 (or cannot use it at all), which is slower than float32."""

_REPO_ID = re.compile(r"^[A-Za-z0-9][\w.-]*/[\w.-]+$")
_BUNDLED_NAME = re.compile(r"^[A-Za-z0-9][\w-]{0,99}$")


def bundled_model_dir(name: str) -> Path | None:
    """``changer/weights/<name>`` when it holds a blending model (``default``,
    ``default_cpu``, ``full``, the ablations, ``h2sb``; not the parser), else None."""
    if not _BUNDLED_NAME.match(name):
        return None
    folder = DEFAULT_MODEL_DIR.parent / name
    if not is_model_folder(folder):
        return None
    try:
        config = json.loads((folder / "config.json").read_text())
    except (OSError, UnicodeDecodeError, ValueError):
        return None
    return folder if isinstance(config, dict) and "arch" in config else None


def bundled_model_names() -> list[str]:
    """Names of the bundled blending models (:func:`bundled_model_dir`), sorted."""
    folders = DEFAULT_MODEL_DIR.parent.glob("*") if DEFAULT_MODEL_DIR.parent.is_dir() else []
    return sorted(p.name for p in folders if bundled_model_dir(p.name) is not None)


@runtime_checkable
class Blender(Protocol):
    """A blending method: ``BlendInputs -> HxWx3 uint8`` foreground on the key colour."""

    name: str
    resolution: int

    def __call__(self, inputs: BlendInputs) -> np.ndarray: ...


def _multiple(n: float, m: int) -> int:
    """``n`` rounded to the nearest positive multiple of ``m``."""
    return max(m, int(round(n / m)) * m)


def resize_inputs(inputs: BlendInputs, size: tuple[int, int]) -> BlendInputs:
    """``inputs`` at another ``(H, W)``: images with area/cubic interpolation, masks nearest."""
    if inputs.size == size:
        return inputs
    h, w = size
    shrink = h * w < inputs.size[0] * inputs.size[1]
    interp = cv2.INTER_AREA if shrink else cv2.INTER_CUBIC

    def img(a: np.ndarray | None) -> np.ndarray | None:
        return None if a is None else cv2.resize(a, (w, h), interpolation=interp)

    def mask(a: np.ndarray) -> np.ndarray:
        return cv2.resize(a.astype(np.uint8), (w, h), interpolation=cv2.INTER_NEAREST).astype(bool)

    head_mask = mask(inputs.head_mask)
    return BlendInputs(
        target=img(inputs.target), hole=mask(inputs.hole) | head_mask,
        head_gray=np.where(head_mask[..., None], img(inputs.head_gray), 0).astype(np.uint8),
        head_mask=head_mask, color_ref=img(inputs.color_ref), color_ref_mask=mask(inputs.color_ref_mask),
        body_ref=img(inputs.body_ref), body_ref_mask=mask(inputs.body_ref_mask), key_color=inputs.key_color,
        head_rgb=img(inputs.head_rgb), chroma=inputs.chroma,
    )


def cpu_flags() -> frozenset[str]:
    """The CPU's feature flags as Linux lists them (``/proc/cpuinfo``); empty elsewhere."""
    try:
        with open("/proc/cpuinfo", encoding="utf-8", errors="replace") as f:
            for line in f:
                if line.startswith(("flags", "Features")):
                    return frozenset(line.split(":", 1)[1].split())
    except OSError:
        pass
    return frozenset()


def cpu_has_bf16() -> bool:
    """Whether the CPU does bfloat16 matrix arithmetic natively (:data:`BF16_CPU_FLAGS`: AVX512-BF16
    or AMX, Intel Cooper Lake / Sapphire Rapids and later, AMD Zen 4 and later) and torch's
    oneDNN backend can use it."""
    import torch

    if not torch.backends.mkldnn.is_available():
        return False
    return bool(cpu_flags() & set(BF16_CPU_FLAGS))


def choose_inference(device: str, wanted: str | None = None) -> str:
    """The inference path for a model on ``device``: ``"bf16"`` or ``"fp32"``.

    ``wanted`` (default: ``$CHANGER_INFERENCE``, else ``auto``): ``fp32`` or ``bf16`` force
    that path; ``auto`` takes ``bf16`` on a CPU with native bfloat16 (:func:`cpu_has_bf16`)
    and ``fp32`` elsewhere, a GPU included (its inference has always run in float32).
    """
    wanted = (wanted if wanted is not None else os.environ.get(INFERENCE_ENV, "")).strip().lower() or "auto"
    if wanted not in INFERENCE_PATHS:
        raise InputError(f"{INFERENCE_ENV}={wanted!r}: expected one of {', '.join(INFERENCE_PATHS)}")
    if wanted != "auto":
        return wanted
    return "bf16" if str(device).startswith("cpu") and cpu_has_bf16() else "fp32"


class ModelBlender:
    """A trained CHANGER model behind the :class:`Blender` interface.

    The generator is resolution-agnostic, so it runs at the inputs' own size (sides
    rounded to multiples of the model's stride), under ``torch.inference_mode``; the
    result is resized back to the inputs' size. ``resolution`` is the side of the working
    window the pipeline cuts around the head. As for the
    baselines, pixels outside ``inputs.hole`` are the target's exactly.

    :attr:`inference_path` (:func:`choose_inference`, at load time): ``"fp32"``, the
    reference, runs the network in float32 and the flip ensemble's two passes one after
    the other; ``"bf16"`` runs it under bfloat16 autocast with the weights in channels-last
    layout and the plain and mirrored pass as one batch (the default on a CPU with
    AVX512-BF16 or AMX: the network 2.4-2.5x faster on two cores; outputs 62-66 dB from
    float32's, evaluation scores within 0.01 dB; ``docs/experiments/speed.md``).
    """

    def __init__(
        self, model: Any, name: str = "changer", device: str | None = None, note: str = "",
        resolution: int = WORK_RESOLUTION, inference: str | None = None,
    ) -> None:
        import torch

        self.device = device or ("cuda" if torch.cuda.is_available() else "cpu")
        self.model = model.to(self.device).eval()
        self.inference_path = choose_inference(self.device, inference)
        if self.inference_path == "bf16":
            self.model = self.model.to(memory_format=torch.channels_last)
            self.model.flip_batch = True
        cfg = model.config
        self.config = cfg
        self.name = name
        self.stride = max(8, int(getattr(cfg, "stride", 8)))
        self.resolution = resolution
        self.key_color: RGB | None = tuple(int(v) for v in cfg.key_color)  # type: ignore[assignment]
        self.chroma = bool(getattr(cfg, "chroma", True))
        self.colour_head = bool(getattr(cfg, "colour_head", not cfg.use_colorizer))
        self.note = note

    def run_size(self, size: tuple[int, int]) -> tuple[int, int]:
        """``(H, W)`` the network runs at for inputs of ``size``."""
        h, w = size
        return _multiple(h, self.stride), _multiple(w, self.stride)

    def __call__(self, inputs: BlendInputs) -> np.ndarray:
        return self.batch([inputs])[0]

    def batch(self, items: list[BlendInputs]) -> list[np.ndarray]:
        """Blend several inputs; those of equal run size and key go through the network together."""
        import torch

        groups: dict[tuple[tuple[int, int], RGB], list[int]] = {}
        for i, inputs in enumerate(items):
            groups.setdefault((self.run_size(inputs.size), inputs.key_color), []).append(i)
        outputs: list[np.ndarray] = [np.empty(0)] * len(items)
        for (size, _), indices in groups.items():
            tensors = [to_model_tensors(resize_inputs(items[i], size), colour_head=self.colour_head) for i in indices]
            x, c, b = (torch.stack([t[k] for t in tensors]).to(self.device) for k in ("x", "c", "b"))
            with torch.inference_mode(), self._precision():
                y = self.model(x, c, b, tensors[0]["key"].to(self.device))["y"]
            for i, out in zip(indices, y):
                outputs[i] = self._finish(tensor_to_image(out), items[i])
        return outputs

    def _precision(self) -> Any:
        """bfloat16 autocast on the ``bf16`` path, else nothing."""
        import contextlib

        import torch

        if self.inference_path != "bf16":
            return contextlib.nullcontext()
        return torch.autocast(torch.device(self.device).type, dtype=torch.bfloat16)

    @staticmethod
    def _finish(y: np.ndarray, inputs: BlendInputs) -> np.ndarray:
        """Back to the inputs' size; the target exactly outside the hole."""
        h, w = inputs.size
        if y.shape[:2] != (h, w):
            y = cv2.resize(y, (w, h), interpolation=cv2.INTER_CUBIC)
        y[~inputs.hole] = inputs.target[~inputs.hole]
        return y

    def __repr__(self) -> str:
        return (f"ModelBlender(name={self.name!r}, resolution={self.resolution}, device={self.device!r}, "
                f"inference_path={self.inference_path!r})")


class BaselineBlender:
    """A non-learned baseline of ``eval.baselines`` behind the :class:`Blender` interface."""

    key_color: RGB | None = None
    chroma = True

    def __init__(self, name: str, resolution: int = WORK_RESOLUTION, note: str = "") -> None:
        from eval.baselines import get_baseline

        try:
            self.baseline = get_baseline(name)
        except KeyError as err:
            raise InputError(str(err.args[0])) from None
        self.name = name
        self.resolution = resolution
        self.note = note

    def __call__(self, inputs: BlendInputs) -> np.ndarray:
        return self.baseline(inputs)

    def __repr__(self) -> str:
        return f"BaselineBlender(name={self.name!r}, resolution={self.resolution})"


def baseline_names() -> list[str]:
    """Names :func:`load_blender` accepts as baselines."""
    from eval.baselines import BASELINES

    return sorted(BASELINES)


def load_blender(model_id: str | Path | None = None, device: str | None = None) -> Blender:
    """The blender for ``model_id``.

    ``model_id``: None (the bundled default, or the Poisson baseline with a note while no
    weights are bundled), a baseline name (``paste``, ``poisson``, ``inpaint``,
    ``laplacian``), a local folder with ``config.json`` + ``model.safetensors``, a bundled
    model's name (:func:`bundled_model_names`: ``default_cpu``, ``h2sb``, ...), or a
    Hugging Face Hub repo id (``owner/name``). Failures raise :class:`InputError`.
    """
    if model_id is None:
        if is_model_folder(DEFAULT_MODEL_DIR):
            return _load_model(DEFAULT_MODEL_DIR, device, name="changer")
        return BaselineBlender(FALLBACK_BASELINE, note=NO_WEIGHTS_NOTE)
    text = str(model_id).strip()
    if text.lower() in baseline_names():
        return BaselineBlender(text.lower())
    try:
        path = Path(text).expanduser()
        is_dir, exists = path.is_dir(), path.exists()
    except (OSError, RuntimeError):  # a name no file system takes (too long), "~nosuchuser/..."
        path, is_dir, exists = Path(text), False, False
    if is_dir:
        if not is_model_folder(path):
            raise InputError(f"model folder {path} needs config.json and model.safetensors")
        return _load_model(path, device, name=path.name)
    bundled = None if exists else bundled_model_dir(text)
    if bundled is not None:
        return _load_model(bundled, device, name=text)
    if exists or not _is_repo_id(text):
        raise InputError(
            f"unknown model {shorten(text)!r}: give a folder with config.json and model.safetensors, "
            f"a Hugging Face repo id (owner/name), a bundled model: {', '.join(bundled_model_names())}, "
            f"or a baseline: {', '.join(baseline_names())}"
        )
    return _load_model(text, device, name=text)


def model_key(model_id: str | Path | None) -> str:
    """One name per model that :func:`load_blender` ``(model_id)`` would load, for a cache:
    ``baseline:<name>``, ``folder:<real path>`` (a folder however it is written, ``~``, ``.``,
    ``..`` or links, and a bundled model's name), ``hub:<repo id>@main``; anything else
    ``unknown:<text>`` (it does not load). None and blank are the bundled default's folder."""
    if model_id is None or not str(model_id).strip():
        return f"folder:{os.path.realpath(DEFAULT_MODEL_DIR)}" if is_model_folder(DEFAULT_MODEL_DIR) else (
            f"baseline:{FALLBACK_BASELINE}")
    text = str(model_id).strip()
    if text.lower() in baseline_names():
        return f"baseline:{text.lower()}"
    try:
        path = Path(text).expanduser()
        is_dir, exists = path.is_dir(), path.exists()
    except (OSError, RuntimeError, ValueError):
        is_dir, exists = False, False
    if is_dir:
        return f"folder:{os.path.realpath(path)}"
    bundled = None if exists else bundled_model_dir(text)
    if bundled is not None:
        return f"folder:{os.path.realpath(bundled)}"
    if not exists and _is_repo_id(text):
        return f"hub:{text}@main"
    return f"unknown:{text}"


def _is_repo_id(text: str) -> bool:
    """Whether ``text`` is a Hub model id (``owner/name``) the Hub would take: huggingface_hub's
    own rules (characters, ``--``, at most 96 characters), so a malformed id never waits on
    the network."""
    from huggingface_hub.utils import HFValidationError, validate_repo_id

    if not _REPO_ID.match(text):
        return False
    try:
        validate_repo_id(text)
    except HFValidationError:
        return False
    return True


def _load_model(model_id: str | Path, device: str | None, name: str) -> ModelBlender:
    """``CHANGER.from_pretrained`` with every failure turned into a readable :class:`InputError`."""
    try:
        from changer.model import CHANGER
    except ImportError as err:  # pragma: no cover - the model package ships with the library
        raise InputError(f"the CHANGER model code cannot be imported ({err})") from None
    where = "folder" if isinstance(model_id, Path) else "Hugging Face Hub repo"
    try:
        model = _from_pretrained(CHANGER, model_id)
    except InputError:
        raise
    except Exception as err:  # noqa: BLE001 - hub, network, file and shape errors alike
        hint = "" if isinstance(model_id, Path) else (
            " (no network? download it first, or pass a local folder with config.json and model.safetensors)"
        )
        raise InputError(f"could not load the model from {where} {shorten(str(model_id))!r}: {_short(err)}{hint}") from None
    return ModelBlender(model, name=name, device=device)


def _from_pretrained(cls: Any, model_id: str | Path) -> Any:
    """Load a folder, or a Hub repo from the local cache first (no network round trips), then online."""
    if isinstance(model_id, Path):
        return cls.from_pretrained(str(model_id))
    try:
        return cls.from_pretrained(model_id, local_files_only=True)
    except Exception:  # noqa: BLE001 - not cached (or cache broken): ask the Hub
        _check_on_hub(model_id)
        return cls.from_pretrained(model_id)


def _check_on_hub(repo_id: str) -> None:
    """One quick question to the Hub before downloading, so that a missing repo or no
    network is a message within seconds: ``hf_hub_download`` retries a connection error
    five times with back-off (about 25 s) before it gives up."""
    import huggingface_hub
    from huggingface_hub.errors import HfHubHTTPError, RepositoryNotFoundError

    try:
        huggingface_hub.model_info(repo_id, timeout=HUB_TIMEOUT)
    except RepositoryNotFoundError:
        raise InputError(
            f"no model {shorten(repo_id)!r} on the Hugging Face Hub (a private or gated one needs a token: "
            "`hf auth login` or HF_TOKEN)"
        ) from None
    except HfHubHTTPError:  # the Hub answered with another error: let the download say what
        return
    except Exception as err:  # noqa: BLE001 - no answer: DNS, refused, timeout, offline mode
        raise InputError(
            f"the Hugging Face Hub cannot be reached for {shorten(repo_id)!r} ({_short(err)}): "
            "download the model where there is a network, or pass a local folder with config.json and model.safetensors"
        ) from None


def _short(err: Exception) -> str:
    """First line of an exception message, bounded."""
    return shorten((str(err).strip().splitlines() or [type(err).__name__])[0], 199)
