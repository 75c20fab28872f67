"""Image metrics of the evaluation protocol (DESIGN.md section 2).

Every metric is reported twice: over the whole image and over the *blend region* (the hole,
a boolean ``HxW`` mask). Images are ``HxWx3 uint8`` RGB.

* **PSNR** (scikit-image, ``data_range=255``). Region: the MSE is averaged over the masked
  pixels only (all 3 channels), ``PSNR = 10 log10(255^2 / MSE)``. Identical images (or an
  identical region) give ``inf``, as scikit-image does; the value is *not* capped, so a
  perfect reconstruction is never confused with a very good one. Whoever averages PSNR over
  a data set has to decide how to treat ``inf`` (it cannot happen for a real method on real
  frames, only on degenerate inputs).
* **SSIM** (scikit-image, ``data_range=255``, ``channel_axis=-1``, default 7x7 uniform
  window). Region: the mean of the full SSIM map (``full=True``) over the masked pixels and
  the 3 channels. scikit-image's whole-image SSIM is the mean of that map *without* a
  ``(7 - 1) // 2 = 3`` pixel border (where the filters see reflected padding); the region
  mean leaves out the same border, so a mask that covers the whole image gives exactly the
  whole-image SSIM.
* **LPIPS** (``lpips`` package, ``net='alex'``, version 0.1, inputs scaled to ``[-1, 1]``).
  Region: the mean of the spatial LPIPS map (what ``lpips.LPIPS(spatial=True)`` returns:
  the per-layer distance maps upsampled bilinearly to the image size and summed) over the
  masked pixels. The whole-image value is the standard one (per-layer spatial means,
  summed); both come from a single forward pass. LPIPS needs the ImageNet AlexNet weights
  that torchvision downloads. Where they are not in the torch hub cache, :class:`LPIPSMetric`
  reports LPIPS as unavailable (``None`` plus a reason) instead of downloading or of putting
  another number under the LPIPS name.

An empty region gives ``NaN`` for the three region metrics: there is nothing to measure, and
``NaN`` (unlike 0 or ``inf``) cannot pass for a score.
"""

from __future__ import annotations

import importlib.util
import os
import warnings
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import torch
from skimage.metrics import peak_signal_noise_ratio, structural_similarity

DATA_RANGE = 255.0
SSIM_WIN_SIZE = 7
"""scikit-image's default window for uniform (non-Gaussian) SSIM."""

METRIC_KEYS: tuple[str, ...] = ("psnr", "ssim", "lpips", "psnr_region", "ssim_region", "lpips_region")
"""The numeric keys of :func:`evaluate_pair`'s result (the ``lpips*`` ones may be ``None``)."""

LPIPS_INFO_KEYS: tuple[str, ...] = ("lpips_available", "lpips_reason", "lpips_name", "lpips_is_reference")
"""The non-numeric keys of :func:`evaluate_pair`'s result, saying what the LPIPS numbers are."""

_BACKBONE_WEIGHTS = {
    # lpips net name -> name of the torchvision weights enum its trunk loads.
    "alex": ("AlexNet_Weights", "IMAGENET1K_V1"),
    "vgg": ("VGG16_Weights", "IMAGENET1K_V1"),
    "squeeze": ("SqueezeNet1_1_Weights", "IMAGENET1K_V1"),
}

PairResult = dict[str, Any]


# --------------------------------------------------------------------------- validation


def _check_image(img: np.ndarray, what: str) -> None:
    if not isinstance(img, np.ndarray) or img.dtype != np.uint8 or img.ndim != 3 or img.shape[2] != 3:
        shape = getattr(img, "shape", None)
        dtype = getattr(img, "dtype", None)
        raise ValueError(f"{what} must be an HxWx3 uint8 array, got shape {shape} dtype {dtype}")


def _check_pair(pred: np.ndarray, gt: np.ndarray, region: np.ndarray | None = None) -> None:
    """Raise ``ValueError`` unless ``pred``/``gt`` are same-shape ``HxWx3 uint8`` images and
    ``region`` (if given) is an ``HxW`` boolean mask of the same size."""
    _check_image(pred, "pred")
    _check_image(gt, "gt")
    if pred.shape != gt.shape:
        raise ValueError(f"pred and gt differ in shape: {pred.shape} vs {gt.shape}")
    if region is not None:
        if region.dtype != bool or region.shape != gt.shape[:2]:
            raise ValueError(
                f"region must be an HxW bool mask of shape {gt.shape[:2]}, "
                f"got shape {region.shape} dtype {region.dtype}"
            )


# --------------------------------------------------------------------------- PSNR


def _psnr_from_mse(mse: float) -> float:
    """``10 log10(255^2 / mse)``; ``inf`` for ``mse == 0``."""
    return float("inf") if mse == 0 else float(10.0 * np.log10(DATA_RANGE**2 / mse))


def psnr(pred: np.ndarray, gt: np.ndarray) -> float:
    """Whole-image PSNR (scikit-image, ``data_range=255``); ``inf`` for identical images."""
    _check_pair(pred, gt)
    with np.errstate(divide="ignore"):  # identical images: skimage divides by 0 -> inf
        return float(peak_signal_noise_ratio(gt, pred, data_range=DATA_RANGE))


def psnr_region(pred: np.ndarray, gt: np.ndarray, region: np.ndarray) -> float:
    """PSNR with the MSE taken over the masked pixels (x 3 channels) only.

    ``inf`` if the region is reproduced exactly, ``NaN`` for an empty region.
    """
    _check_pair(pred, gt, region)
    if not region.any():
        return float("nan")
    diff = pred[region].astype(np.float64) - gt[region].astype(np.float64)
    return _psnr_from_mse(float(np.mean(diff**2)))


# --------------------------------------------------------------------------- SSIM


def ssim_map(pred: np.ndarray, gt: np.ndarray) -> tuple[float, np.ndarray]:
    """scikit-image SSIM of an RGB pair: ``(mean SSIM, HxWx3 SSIM map)``."""
    _check_pair(pred, gt)
    mean, full = structural_similarity(
        gt, pred, data_range=DATA_RANGE, channel_axis=-1, win_size=SSIM_WIN_SIZE, full=True
    )
    return float(mean), full


def ssim_region_mask(region: np.ndarray) -> np.ndarray:
    """The region without the 3-pixel image border that scikit-image leaves out of its mean."""
    pad = (SSIM_WIN_SIZE - 1) // 2
    inner = np.zeros_like(region)
    inner[pad : region.shape[0] - pad, pad : region.shape[1] - pad] = True
    return region & inner


def ssim_region_from_map(full: np.ndarray, region: np.ndarray) -> float:
    """Mean of an ``HxWx3`` SSIM map over ``region`` (border excluded, see module doc).

    ``NaN`` when nothing of the region is left.
    """
    mask = ssim_region_mask(region)
    return float(full[mask].mean()) if mask.any() else float("nan")


def ssim(pred: np.ndarray, gt: np.ndarray) -> float:
    """Whole-image SSIM (scikit-image, ``data_range=255``, RGB)."""
    return ssim_map(pred, gt)[0]


def ssim_region(pred: np.ndarray, gt: np.ndarray, region: np.ndarray) -> float:
    """SSIM over the blend region: mean of the SSIM map over the masked pixels."""
    _check_pair(pred, gt, region)
    return ssim_region_from_map(ssim_map(pred, gt)[1], region)


# --------------------------------------------------------------------------- LPIPS


class LPIPSUnavailableError(RuntimeError):
    """LPIPS was asked for but its network could not be built (see the message)."""


@dataclass(frozen=True)
class LPIPSValue:
    """LPIPS of one pair: over the whole image and over the region (``NaN`` if empty)."""

    whole: float
    region: float


def backbone_checkpoint(net: str = "alex", hub_dir: str | os.PathLike[str] | None = None) -> Path:
    """Where torchvision caches the ImageNet weights of an ``lpips`` trunk.

    ``<hub_dir>/checkpoints/<basename of the weights url>``, with ``hub_dir`` defaulting to
    ``torch.hub.get_dir()`` (which honours ``TORCH_HOME``). Looking at this file is how the
    availability check stays offline.
    """
    import torchvision.models as tvm

    if net not in _BACKBONE_WEIGHTS:
        raise ValueError(f"unknown lpips net {net!r}; expected one of {sorted(_BACKBONE_WEIGHTS)}")
    enum_name, member = _BACKBONE_WEIGHTS[net]
    url = getattr(getattr(tvm, enum_name), member).url
    root = Path(hub_dir) if hub_dir is not None else Path(torch.hub.get_dir())
    return root / "checkpoints" / os.path.basename(url)


def _lpips_linear_weights(net: str, version: str = "0.1") -> Path:
    """The calibrated linear-layer weights shipped inside the ``lpips`` package."""
    import lpips

    return Path(lpips.__file__).parent / "weights" / f"v{version}" / f"{net}.pth"


class _HubDir:
    """Context manager: point torch hub (hence torchvision's weight cache) at ``path``."""

    def __init__(self, path: str | os.PathLike[str] | None) -> None:
        self.path = path
        self._saved: str | None = None

    def __enter__(self) -> None:
        if self.path is not None:
            # The private attribute is what ``set_dir`` writes; saving it (rather than
            # ``get_dir()``) restores the "follow TORCH_HOME" default exactly.
            self._saved = getattr(torch.hub, "_hub_dir", None)
            torch.hub.set_dir(os.fspath(self.path))

    def __exit__(self, *exc: object) -> None:
        if self.path is not None:
            torch.hub._hub_dir = self._saved  # type: ignore[attr-defined]


class LPIPSMetric:
    """Lazily built LPIPS (``lpips.LPIPS``) that knows whether it is available.

    The network is built on first use. Before building, the ImageNet trunk weights are
    looked up in the torch hub cache (:func:`backbone_checkpoint`); when they are absent the
    metric is marked unavailable with the reason and nothing is downloaded, so the check is
    fast and never touches the network. Any error while building is caught the same way.

    ``pnet_rand=True`` builds the trunk with random weights (seeded, no download). That only
    exercises the plumbing in tests: the numbers are **not** LPIPS, which ``is_reference``
    (False) and ``name`` say.

    Attributes:
        net: ``lpips`` trunk (``'alex'`` is the protocol's).
        name: label for reports, e.g. ``'lpips-alex'`` or ``'lpips-alex-random-trunk(not LPIPS)'``.
        is_reference: True only for the protocol's metric (AlexNet, ImageNet trunk).
    """

    def __init__(
        self,
        net: str = "alex",
        *,
        pnet_rand: bool = False,
        device: str | torch.device = "cpu",
        hub_dir: str | os.PathLike[str] | None = None,
        seed: int = 0,
    ) -> None:
        if net not in _BACKBONE_WEIGHTS:
            raise ValueError(f"unknown lpips net {net!r}; expected one of {sorted(_BACKBONE_WEIGHTS)}")
        self.net = net
        self.pnet_rand = pnet_rand
        self.device = torch.device(device)
        self.hub_dir = hub_dir
        self.seed = seed
        self.is_reference = net == "alex" and not pnet_rand
        self.name = f"lpips-{net}" + ("-random-trunk(not LPIPS)" if pnet_rand else "")
        self._model: torch.nn.Module | None = None
        self._reason: str | None = None
        self._tried = False

    # ---- availability

    @property
    def available(self) -> bool:
        """Whether LPIPS can be computed (builds the network on first call)."""
        self._ensure_loaded()
        return self._model is not None

    @property
    def reason(self) -> str | None:
        """Why LPIPS is unavailable (``None`` when it is available)."""
        self._ensure_loaded()
        return self._reason

    def missing_weights(self) -> str | None:
        """Offline check: a reason if the package or a weights file the network needs is absent, else None."""
        if importlib.util.find_spec("lpips") is None:
            return "the lpips package is not installed (pip install lpips)"
        linear = _lpips_linear_weights(self.net)
        if not linear.is_file():
            return f"lpips linear-layer weights not found at {linear}"
        if self.pnet_rand:
            return None
        ckpt = backbone_checkpoint(self.net, self.hub_dir)
        if not ckpt.is_file():
            return (
                f"ImageNet weights of the {self.net} trunk are not in the torch hub cache "
                f"({ckpt}); they are never downloaded here. Put the file there to enable LPIPS."
            )
        return None

    def _ensure_loaded(self) -> None:
        if self._tried:
            return
        self._tried = True
        self._reason = self.missing_weights()
        if self._reason is not None:
            return
        try:
            self._model = self._build()
        except Exception as exc:  # noqa: BLE001 - any failure means "unavailable", with why
            self._reason = f"building lpips.LPIPS(net={self.net!r}) failed: {type(exc).__name__}: {exc}"

    def _build(self) -> torch.nn.Module:
        import lpips

        with warnings.catch_warnings(), _HubDir(self.hub_dir), torch.random.fork_rng(devices=[]):
            # lpips calls torchvision with the deprecated ``pretrained=`` argument.
            warnings.simplefilter("ignore", UserWarning)
            torch.manual_seed(self.seed)  # reproducible random trunk for pnet_rand
            model = lpips.LPIPS(net=self.net, pnet_rand=self.pnet_rand, verbose=False)
        return model.to(self.device).eval()

    def _require_model(self) -> torch.nn.Module:
        self._ensure_loaded()
        if self._model is None:
            raise LPIPSUnavailableError(f"{self.name} is unavailable: {self._reason}")
        return self._model

    # ---- computation

    def __call__(self, pred: np.ndarray, gt: np.ndarray, region: np.ndarray | None = None) -> LPIPSValue:
        """LPIPS of one pair (raises :class:`LPIPSUnavailableError` if unavailable)."""
        return self.compute_batch([pred], [gt], [region])[0]

    def compute_batch(
        self,
        preds: Sequence[np.ndarray],
        gts: Sequence[np.ndarray],
        regions: Sequence[np.ndarray | None] | None = None,
        batch_size: int = 16,
    ) -> list[LPIPSValue]:
        """LPIPS of many pairs, run through the network in batches of same-size images.

        ``regions`` may hold ``None`` (region value ``NaN``). Results are in input order.
        """
        regions = list(regions) if regions is not None else [None] * len(preds)
        if not len(preds) == len(gts) == len(regions):
            raise ValueError("preds, gts and regions must have the same length")
        for p, g, r in zip(preds, gts, regions):
            _check_pair(p, g, r)
        model = self._require_model()
        out: list[LPIPSValue | None] = [None] * len(preds)
        for idx in _same_shape_chunks([p.shape for p in preds], batch_size):
            whole, maps = self._forward([preds[i] for i in idx], [gts[i] for i in idx], model)
            for k, i in enumerate(idx):
                out[i] = LPIPSValue(float(whole[k]), _masked_mean(maps[k], regions[i]))
        return [v for v in out if v is not None]

    @torch.inference_mode()
    def _forward(
        self, preds: list[np.ndarray], gts: list[np.ndarray], model: torch.nn.Module
    ) -> tuple[np.ndarray, np.ndarray]:
        """One pass: ``(N whole-image values, N x H x W spatial maps)``.

        Mirrors ``lpips.LPIPS.forward`` (version 0.1, ``lpips=True``) but keeps both
        reductions of the per-layer distances: the spatial mean (the standard scalar) and
        the bilinear upsampling to the image size (what ``spatial=True`` returns).
        """
        import lpips

        x0 = model.scaling_layer(_to_batch(preds, self.device))
        x1 = model.scaling_layer(_to_batch(gts, self.device))
        out0, out1 = model.net.forward(x0), model.net.forward(x1)
        size = x0.shape[2:]
        whole = torch.zeros(x0.shape[0], device=self.device)
        maps = torch.zeros(x0.shape[0], 1, *size, device=self.device)
        for kk in range(model.L):
            diff = (lpips.normalize_tensor(out0[kk]) - lpips.normalize_tensor(out1[kk])) ** 2
            layer = model.lins[kk](diff)
            whole += lpips.spatial_average(layer, keepdim=False).flatten()
            maps += lpips.upsample(layer, out_HW=size)
        return whole.cpu().numpy(), maps[:, 0].cpu().numpy()


def _to_batch(images: list[np.ndarray], device: torch.device) -> torch.Tensor:
    """``N`` same-size ``HxWx3 uint8`` images -> ``Nx3xHxW float`` in ``[-1, 1]``."""
    arr = torch.from_numpy(np.stack(images)).to(device)
    return arr.permute(0, 3, 1, 2).float().div(127.5).sub(1.0)


def _same_shape_chunks(shapes: Sequence[tuple[int, ...]], batch_size: int) -> Iterator[list[int]]:
    """Indices grouped by image shape, in chunks of at most ``batch_size``."""
    groups: dict[tuple[int, ...], list[int]] = {}
    for i, shape in enumerate(shapes):
        groups.setdefault(tuple(shape), []).append(i)
    for idx in groups.values():
        for start in range(0, len(idx), max(1, batch_size)):
            yield idx[start : start + batch_size]


def _masked_mean(values: np.ndarray, region: np.ndarray | None) -> float:
    """Mean of an ``HxW`` map over ``region``; ``NaN`` for no or an empty region."""
    if region is None or not region.any():
        return float("nan")
    return float(values[region].mean())


# --------------------------------------------------------------------------- all metrics


def _lpips_fields(lpips_metric: LPIPSMetric | None) -> dict[str, Any]:
    """The LPIPS info keys (availability, reason, name) for a result dict."""
    if lpips_metric is None:
        return {
            "lpips_available": False,
            "lpips_reason": "no LPIPS metric given",
            "lpips_name": None,
            "lpips_is_reference": False,
        }
    return {
        "lpips_available": lpips_metric.available,
        "lpips_reason": lpips_metric.reason,
        "lpips_name": lpips_metric.name,
        "lpips_is_reference": lpips_metric.is_reference,
    }


def _pixel_metrics(pred: np.ndarray, gt: np.ndarray, region: np.ndarray) -> dict[str, float]:
    """PSNR and SSIM, whole and region (the SSIM map is computed once)."""
    ssim_mean, full = ssim_map(pred, gt)
    return {
        "psnr": psnr(pred, gt),
        "ssim": ssim_mean,
        "psnr_region": psnr_region(pred, gt, region),
        "ssim_region": ssim_region_from_map(full, region),
    }


def _assemble(pixel: dict[str, float], lp: LPIPSValue | None, info: dict[str, Any]) -> PairResult:
    result: PairResult = dict(pixel)
    result["lpips"] = lp.whole if lp is not None else None
    result["lpips_region"] = lp.region if lp is not None else None
    result.update(info)
    return {k: result[k] for k in METRIC_KEYS + LPIPS_INFO_KEYS}


def evaluate_pair(
    pred: np.ndarray, gt: np.ndarray, region: np.ndarray, lpips_metric: LPIPSMetric | None = None
) -> PairResult:
    """All metrics of one prediction against its ground truth.

    Args:
        pred, gt: ``HxWx3 uint8`` RGB images of the same shape.
        region: ``HxW bool`` blend region (the hole).
        lpips_metric: the LPIPS to use; ``None`` (or an unavailable one) gives ``None`` for
            the LPIPS keys.

    Returns:
        ``psnr, ssim, lpips, psnr_region, ssim_region, lpips_region`` (floats, or ``None``
        for LPIPS when it is unavailable) plus ``lpips_available`` (bool), ``lpips_reason``
        (why not, or ``None``), ``lpips_name`` (which network produced the LPIPS numbers)
        and ``lpips_is_reference`` (True only for the protocol's AlexNet LPIPS: numbers
        from a random trunk, used in tests, must not be reported as LPIPS).
    """
    return evaluate_pairs([pred], [gt], [region], lpips_metric)[0]


def evaluate_pairs(
    preds: Sequence[np.ndarray],
    gts: Sequence[np.ndarray],
    regions: Sequence[np.ndarray],
    lpips_metric: LPIPSMetric | None = None,
    batch_size: int = 16,
) -> list[PairResult]:
    """:func:`evaluate_pair` for many pairs, with LPIPS run in batches."""
    if not len(preds) == len(gts) == len(regions):
        raise ValueError("preds, gts and regions must have the same length")
    for p, g, r in zip(preds, gts, regions):
        _check_pair(p, g, r)
    info = _lpips_fields(lpips_metric)
    lp: list[LPIPSValue | None] = [None] * len(preds)
    if lpips_metric is not None and info["lpips_available"]:
        lp = list(lpips_metric.compute_batch(preds, gts, regions, batch_size=batch_size))
    return [
        _assemble(_pixel_metrics(p, g, r), v, info) for p, g, r, v in zip(preds, gts, regions, lp)
    ]
