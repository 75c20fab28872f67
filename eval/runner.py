"""The benchmark runner: every method on the same seeded inputs, per-frame metrics, summary.

Protocol (DESIGN.md section 2): for each split the frames are read in the talking-heads
layout, and each evaluated frame's :class:`~changer.inputs.Sample` is built once with
:class:`~changer.data.blend_dataset.BlendDataset` (``train=False``: full frame at the
requested resolution, reference frame, H² and long-hair donor all drawn from a generator
seeded by the frame id). The dataset always spans the *whole* split, so the references
and donors a frame gets (hence its inputs) do not depend on ``max_frames`` or on sharding.
Each sample is handed to every method; the metrics compare the output to the ground truth
over the whole image and over the hole. Methods in the chroma-key setting are measured
against ``T_green`` (``T`` on the key colour); a ``no_chroma`` model (``"chroma": false``
in its ``config.json``) gets the same frame, the same hole and the same draws with the real
background kept, and is measured against ``T``.

Scale: under ``accelerate launch --num_processes N`` the work (batches of frames of every
split) is dealt round-robin to the processes, the per-frame rows are gathered once with
``accelerate.utils.gather_object`` and the main process writes cache and outputs. Batches
are the same in a single process, so the table is the same too (see ``eval/launch_sharded.py``).
"""

from __future__ import annotations

import inspect
import json
import os
import time
import warnings
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from changer.blenders import bundled_model_dir, bundled_model_names
from changer.folders import exists, is_file
from changer.inputs import BLUE_KEY_COLOR, DEFAULT_KEY_COLOR, RGB, BlendInputs, Sample
from eval.cache import ResultCache, entry_key, method_identity, module_source_hash, sha256_files
from eval.stats import METRICS, summarize, summary_markdown

KEY_COLORS: dict[str, RGB] = {"green": DEFAULT_KEY_COLOR, "blue": BLUE_KEY_COLOR}
FRAME_COLUMNS: tuple[str, ...] = ("method", "split", "frame_id", *METRICS)
"""Columns of the per-frame table."""
DEFAULT_SPLITS: tuple[str, ...] = ("test_hdtf", "test_vox", "test_green")

ProgressFn = Callable[[int, int, str], None]
"""``progress(done, total, description)``: frames x methods computed so far in this process."""
BatchFn = Callable[[Sequence[BlendInputs]], list[np.ndarray]]


# --------------------------------------------------------------------------- request


@dataclass
class EvalRequest:
    """What to evaluate.

    Attributes:
        data_root: dataset root in the talking-heads layout (``None``: ``$CHANGER_DATA`` or
            the set beside the repo).
        splits: split names of that root.
        methods: baseline names (``eval.baselines.BASELINES``), model folders
            (``config.json`` + ``model.safetensors``), names of bundled folders
            ``changer/weights/<name>``, or other ids ``changer.blenders.load_blender`` knows.
        max_frames: at most this many frames per split, evenly spaced (``None``: all).
        key_color: ``"green"`` or ``"blue"``.
        resolution: square side the frames are evaluated at (the protocol uses 256 or 512).
        batch_size: frames per batch (model forward passes and LPIPS).
        use_cache: read and write the result cache (``eval.cache``).
        cache_dir: cache folder (``None``: ``eval.cache.default_cache_dir()``).
        cpu: keep model methods and LPIPS on the CPU even when an accelerator is present.
    """

    data_root: str | Path | None = None
    splits: Sequence[str] = DEFAULT_SPLITS
    methods: Sequence[str] = ("paste", "poisson", "inpaint", "laplacian")
    max_frames: int | None = None
    key_color: str = "green"
    resolution: int = 256
    batch_size: int = 8
    use_cache: bool = True
    cache_dir: str | Path | None = None
    cpu: bool = False

    def __post_init__(self) -> None:
        self.splits = tuple(self.splits)
        self.methods = tuple(self.methods)
        if not self.splits or not self.methods:
            raise ValueError("an evaluation needs at least one split and one method")
        if len(set(self.methods)) != len(self.methods):
            raise ValueError(f"methods repeat: {list(self.methods)}")
        if self.key_color not in KEY_COLORS:
            raise ValueError(f"key_color must be one of {sorted(KEY_COLORS)}, got {self.key_color!r}")
        if self.resolution < 32 or self.resolution % 16:
            raise ValueError(f"resolution must be a multiple of 16 (>= 32), got {self.resolution}")
        if self.max_frames is not None and (
            isinstance(self.max_frames, bool) or not float(self.max_frames).is_integer() or self.max_frames < 1
        ):
            raise ValueError(f"max_frames must be a whole number of at least 1 (or None for all frames), "
                             f"got {self.max_frames!r}")
        if self.max_frames is not None:
            self.max_frames = int(self.max_frames)
        if self.batch_size < 1:
            raise ValueError("batch_size must be at least 1")

    def root(self) -> Path:
        """The dataset root (explicit, or the default one)."""
        from changer.data.dataset import DATA_ENV, default_data_root

        root = Path(self.data_root) if self.data_root is not None else default_data_root()
        if root is None:
            raise FileNotFoundError(f"no dataset: give data_root or set {DATA_ENV}")
        return root

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready copy (paths as strings, sequences as lists)."""
        out = asdict(self)
        out.update(splits=list(self.splits), methods=list(self.methods))
        for k in ("data_root", "cache_dir"):
            out[k] = None if out[k] is None else str(out[k])
        return out


# --------------------------------------------------------------------------- methods


@dataclass(frozen=True)
class MethodSpec:
    """A resolved method: its label in tables, what loads it, what its numbers depend on."""

    label: str
    model_id: str
    is_baseline: bool
    chroma: bool
    identity: str | None


def resolve_method(name: str) -> str:
    """A baseline name or an existing path as is; else the bundled blending model's folder
    (:func:`changer.blenders.bundled_model_dir`); else ``name`` unchanged (for
    ``load_blender`` to resolve)."""
    from eval.baselines import BASELINES

    if name in BASELINES or exists(name):
        return name
    bundled = bundled_model_dir(name)
    return name if bundled is None else str(bundled)


def read_config(folder: Path) -> dict:
    """A model folder's ``config.json`` as a dict; a ``ValueError`` naming the file otherwise."""
    path = Path(folder) / "config.json"
    try:
        config = json.loads(path.read_text())
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as err:
        raise ValueError(f"{path}: not a readable JSON file ({err})") from None
    if not isinstance(config, dict):
        raise ValueError(f"{path}: expected a JSON object, got {type(config).__name__}")
    return config


def available_methods() -> list[str]:
    """Bundled blending models (``changer/weights/<name>`` folders) first, then the baselines."""
    from eval.baselines import BASELINES

    return [*bundled_model_names(), *BASELINES]


def model_chroma(model_id: str) -> bool:
    """Whether a model works in the chroma-key setting (``config.json``'s ``chroma``)."""
    if not is_file(Path(model_id) / "config.json"):
        return True
    chroma = read_config(Path(model_id)).get("chroma", True)
    if not isinstance(chroma, bool):
        raise ValueError(f"{Path(model_id) / 'config.json'}: chroma must be true or false, got {chroma!r}")
    return chroma


def method_spec(name: str) -> MethodSpec:
    """Resolve a method name (see :func:`resolve_method`) into a :class:`MethodSpec`."""
    from eval.baselines import BASELINES

    model_id = resolve_method(name)
    label = Path(name).name if (os.sep in name or "/" in name) and exists(name) else name
    baseline = model_id in BASELINES
    chroma = True if baseline else model_chroma(model_id)
    return MethodSpec(label, model_id, baseline, chroma, method_identity(model_id))


def method_specs(names: Sequence[str]) -> list[MethodSpec]:
    """Specs of several methods; labels must be unique (full names are used if not)."""
    specs = [method_spec(n) for n in names]
    if len({s.label for s in specs}) != len(specs):
        specs = [MethodSpec(n, s.model_id, s.is_baseline, s.chroma, s.identity) for n, s in zip(names, specs)]
    return specs


def load_method(spec: MethodSpec, device: Any = None) -> BatchFn:
    """A function ``list[BlendInputs] -> list[HxWx3 uint8]`` for the method.

    Baselines come from ``eval.baselines.get_baseline``; anything else from
    ``changer.blenders.load_blender`` (on ``device`` when it takes one). A blender with a
    ``batch`` method gets whole batches, otherwise frames one by one.
    """
    if spec.is_baseline:
        from eval.baselines import get_baseline

        fn: Any = get_baseline(spec.model_id)
    else:
        from changer.blenders import load_blender

        kwargs = {"device": str(device)} if device is not None and "device" in inspect.signature(load_blender).parameters else {}
        fn = load_blender(spec.model_id, **kwargs)
    batch = getattr(fn, "batch", None)
    if callable(batch):
        return lambda inputs: [np.asarray(y) for y in batch(list(inputs))]
    return lambda inputs: [np.asarray(fn(x)) for x in inputs]


# --------------------------------------------------------------------------- frames


def evenly_spaced(n: int, k: int | None) -> list[int]:
    """``k`` of ``range(n)`` evenly spaced, first and last included (all when ``k >= n``).

    Integer arithmetic (``round(i (n-1) / (k-1))``, halves up), so the pick is the same on
    every platform, strictly increasing and free of repeats.
    """
    if k is None or k >= n:
        return list(range(n))
    if k == 1:
        return [0]
    return [(2 * i * (n - 1) + (k - 1)) // (2 * (k - 1)) for i in range(k)]


@dataclass
class SplitData:
    """The frames of one split and the evaluated subset, with sample builders per setting."""

    name: str
    frames: list[Any]
    picks: list[int]
    fingerprint: str
    key_color: RGB
    resolution: int
    _datasets: dict[bool, Any] = field(default_factory=dict, repr=False)

    @property
    def frame_ids(self) -> list[str]:
        """Ids of the evaluated frames, in order."""
        return [self.frames[i].frame_id for i in self.picks]

    def dataset(self, chroma: bool) -> Any:
        """The seeded evaluation dataset over the whole split for one chroma setting."""
        if chroma not in self._datasets:
            from changer.data.blend_dataset import BlendDataset
            from changer.data.sample import SampleConfig

            config = SampleConfig(key_color=self.key_color, chroma=chroma)
            self._datasets[chroma] = BlendDataset(self.frames, config, size=self.resolution, train=False)
        return self._datasets[chroma]

    def samples(self, picks: Sequence[int], chroma: bool) -> list[Sample]:
        """Samples of the frames ``picks`` (indices into :attr:`frames`)."""
        ds = self.dataset(chroma)
        return [ds.sample(i) for i in picks]


def load_split(request: EvalRequest, split: str) -> SplitData:
    """Frames of ``split``, the evenly spaced pick, and a fingerprint of the split's files."""
    from changer.data.dataset import TalkingHeads

    heads = TalkingHeads(request.root())
    frames = heads.frames(split)
    if not frames:
        clips = [c.clip_id for c in heads.clips(split)]
        pictures = [c for c in clips if any((heads.root / "frames" / c).glob("*"))]
        if pictures:  # pictures without label maps
            raise ValueError(f"split {split!r} has no frames with label maps: no parsing/<clip>/<frame>.png "
                             f"beside the pictures of {', '.join(pictures[:3])}{' ...' if len(pictures) > 3 else ''}")
        raise ValueError(f"split {split!r} has no frames")
    files = [p for f in frames for p in (f.image_path, f.label_path)]
    return SplitData(
        name=split,
        frames=frames,
        picks=evenly_spaced(len(frames), request.max_frames),
        fingerprint=sha256_files(files),
        key_color=KEY_COLORS[request.key_color],
        resolution=request.resolution,
    )


# --------------------------------------------------------------------------- result


@dataclass
class EvalResult:
    """Per-frame metrics, their summary, and what the numbers mean.

    Attributes:
        per_frame: one row per method x split x frame (:data:`FRAME_COLUMNS`); LPIPS
            columns are ``NaN`` when LPIPS is unavailable.
        summary: :func:`eval.stats.summarize` of ``per_frame``.
        lpips_available: whether the LPIPS columns hold LPIPS (AlexNet, ImageNet trunk).
        lpips_reason: why not, when they do not.
        request: what was asked.
        methods: label -> model id, identity (cache) and chroma setting.
        cached: ``(method, split)`` pairs read from the cache; ``computed``: those run now.
        seconds: wall time of the run; ``method_seconds``: time inside each method (this
            process only, computed entries only).
        processes: how many processes shared the work (``accelerate launch``).
    """

    per_frame: pd.DataFrame
    summary: pd.DataFrame
    lpips_available: bool
    lpips_reason: str | None
    request: EvalRequest
    methods: dict[str, dict[str, Any]] = field(default_factory=dict)
    cached: list[tuple[str, str]] = field(default_factory=list)
    computed: list[tuple[str, str]] = field(default_factory=list)
    seconds: float = 0.0
    method_seconds: dict[str, float] = field(default_factory=dict)
    processes: int = 1

    def markdown(self) -> str:
        """The summary as a Markdown table (``mean ± ci95``), with an LPIPS note if needed."""
        table = summary_markdown(self.summary)
        if not self.lpips_available:
            table += f"\n\nLPIPS unavailable: {self.lpips_reason}"
        return table

    def info(self) -> dict[str, Any]:
        """Everything but the tables, JSON-ready (for ``summary.json``)."""
        return {
            "request": self.request.to_dict(),
            "lpips": {"available": self.lpips_available, "reason": self.lpips_reason, "name": "lpips-alex"},
            "methods": self.methods,
            "cached": [list(p) for p in self.cached],
            "computed": [list(p) for p in self.computed],
            "seconds": self.seconds,
            "method_seconds": self.method_seconds,
            "processes": self.processes,
            "versions": versions(),
        }

    def save(self, out_dir: str | Path, figures: bool = True) -> dict[str, Path]:
        """Write ``per_frame.csv``, ``summary.csv``, ``summary.json``, ``summary.md`` and
        (``figures=True``) ``figures.html`` into ``out_dir``; returns the paths by name."""
        import json

        out = Path(out_dir)
        out.mkdir(parents=True, exist_ok=True)
        paths = {name: out / name for name in ("per_frame.csv", "summary.csv", "summary.json", "summary.md")}
        self.per_frame.to_csv(paths["per_frame.csv"], index=False, float_format="%.17g")
        self.summary.to_csv(paths["summary.csv"], index=False, float_format="%.17g")
        doc = {**self.info(), "summary": _json_records(self.summary)}
        paths["summary.json"].write_text(json.dumps(doc, indent=2, allow_nan=False, default=str))
        paths["summary.md"].write_text(self.markdown() + "\n")
        if figures:
            from eval.figures import write_figures

            paths["figures.html"] = write_figures(self, out / "figures.html")
        return paths


def versions() -> dict[str, Any]:
    """Versions that the numbers depend on (protocol, code, libraries)."""
    import platform
    from importlib.metadata import PackageNotFoundError, version

    from changer.data.sample import PROTOCOL_VERSION

    libs = {}
    for pkg in ("changer", "torch", "numpy", "scikit-image", "opencv-python-headless", "lpips", "accelerate"):
        try:
            libs[pkg] = version(pkg)
        except PackageNotFoundError:
            libs[pkg] = None
    return {
        "protocol": PROTOCOL_VERSION,
        "metrics_source": module_source_hash("eval.metrics"),
        "baselines_source": module_source_hash("eval.baselines"),
        "python": platform.python_version(),
        **libs,
    }


def _json_records(df: pd.DataFrame) -> list[dict[str, Any]]:
    """Rows as dicts with ``NaN``/``inf`` as ``None`` (JSON has neither)."""
    return [
        {k: (None if isinstance(v, float) and not np.isfinite(v) else v) for k, v in rec.items()}
        for rec in df.to_dict(orient="records")
    ]


# --------------------------------------------------------------------------- running


@dataclass(frozen=True)
class _Job:
    """One batch of frames of one split, for the methods that are missing there."""

    split: str
    picks: tuple[int, ...]
    methods: tuple[str, ...]


def _cache_payload(spec: MethodSpec, split: SplitData, request: EvalRequest, lpips_available: bool) -> dict[str, Any]:
    """What an entry's key is made of (see ``eval.cache``)."""
    from changer.data.sample import PROTOCOL_VERSION

    return {
        "method": spec.identity,
        "split": split.name,
        "frames": split.frame_ids,
        "data": split.fingerprint,
        "protocol": PROTOCOL_VERSION,
        "metrics": module_source_hash("eval.metrics"),
        "key_color": list(split.key_color),
        "resolution": request.resolution,
        "max_frames": request.max_frames,
        "chroma": spec.chroma,
        "lpips_available": lpips_available,
    }


def _progress_fn(progress: ProgressFn | bool, main: bool) -> tuple[ProgressFn, Callable[[], None]]:
    """The progress callback and a closer: a tqdm bar on the main process for ``True``."""
    if callable(progress):
        return progress, lambda: None
    if not progress or not main:
        return (lambda done, total, desc: None), lambda: None
    from tqdm.auto import tqdm

    bar = tqdm(total=0, unit="frame", desc="eval")

    def update(done: int, total: int, desc: str) -> None:
        bar.total = total
        bar.set_description(desc, refresh=False)
        bar.update(done - bar.n)

    return update, bar.close


def _rows(spec: MethodSpec, split: str, samples: list[Sample], preds: list[np.ndarray], lpips_metric: Any, batch_size: int) -> list[dict[str, Any]]:
    """Per-frame metric rows of one method on one batch."""
    from eval.metrics import evaluate_pairs

    results = evaluate_pairs(preds, [s.gt for s in samples], [s.inputs.hole for s in samples], lpips_metric, batch_size)
    return [
        {"method": spec.label, "split": split, "frame_id": s.frame_id, **{m: _num(r[m]) for m in METRICS}}
        for s, r in zip(samples, results)
    ]


def _num(value: Any) -> float:
    """A metric as float, ``None`` (unavailable) as ``NaN``."""
    return float("nan") if value is None else float(value)


def _run_jobs(
    jobs: list[_Job],
    splits: dict[str, SplitData],
    specs: dict[str, MethodSpec],
    lpips_metric: Any,
    device: Any,
    batch_size: int,
    progress: ProgressFn,
) -> tuple[list[dict[str, Any]], dict[str, float]]:
    """Run this process's jobs: build each frame's samples once, give them to every method.

    Every method is loaded before the first frame, so a model that cannot be loaded stops
    the run before any time is spent on the others.
    """
    loaded: dict[str, BatchFn] = {m: load_method(specs[m], device) for j in jobs for m in j.methods}
    seconds: dict[str, float] = {}
    rows: list[dict[str, Any]] = []
    total = sum(len(j.picks) * len(j.methods) for j in jobs)
    done = 0
    progress(done, total, "eval")
    for job in jobs:
        split = splits[job.split]
        samples = {c: split.samples(job.picks, c) for c in sorted({specs[m].chroma for m in job.methods})}
        for label in job.methods:
            spec = specs[label]
            batch = samples[spec.chroma]
            start = time.perf_counter()
            preds = loaded[label]([s.inputs for s in batch])
            seconds[label] = seconds.get(label, 0.0) + time.perf_counter() - start
            rows += _rows(spec, job.split, batch, preds, lpips_metric, batch_size)
            done += len(job.picks)
            progress(done, total, f"{job.split} {label}")
    return rows, seconds


def _state(cpu: bool) -> Any:
    """accelerate's process state (process index, count, device); one process if absent."""
    from accelerate import PartialState

    return PartialState(cpu=cpu)


def _gather(rows: list[dict[str, Any]], state: Any) -> list[dict[str, Any]]:
    """All processes' rows (one ``gather_object``); the rows themselves in one process."""
    if state.num_processes == 1:
        return rows
    from accelerate.utils import gather_object

    return list(gather_object(rows))


def _ordered(df: pd.DataFrame, specs: list[MethodSpec], splits: dict[str, SplitData]) -> pd.DataFrame:
    """Rows in request order: method, then split, then frame (as picked)."""
    if df.empty:
        return pd.DataFrame(columns=list(FRAME_COLUMNS))
    m_rank = {s.label: i for i, s in enumerate(specs)}
    s_rank = {name: i for i, name in enumerate(splits)}
    f_rank = {(name, fid): i for name, sd in splits.items() for i, fid in enumerate(sd.frame_ids)}
    ranks = pd.DataFrame({
        "m": df.method.map(m_rank),
        "s": df.split.map(s_rank),
        "f": [f_rank[(s, f)] for s, f in zip(df.split, df.frame_id)],
    })
    order = ranks.sort_values(["m", "s", "f"], kind="stable").index
    return df.loc[order, list(FRAME_COLUMNS)].reset_index(drop=True)


CacheKeys = dict[tuple[str, str], tuple[str, dict[str, Any]]]


def _cache_keys(specs: list[MethodSpec], splits: dict[str, SplitData], request: EvalRequest, lpips_ok: bool) -> CacheKeys:
    """The cache key (and what it is made of) of every (method, split)."""
    keys: CacheKeys = {}
    for spec in specs:
        for name, split in splits.items():
            payload = _cache_payload(spec, split, request, lpips_ok)
            keys[(spec.label, name)] = (entry_key(payload), payload)
    return keys


def _cache_hits(
    cache: ResultCache | None, keys: CacheKeys, specs: dict[str, MethodSpec], splits: dict[str, SplitData], state: Any
) -> dict[tuple[str, str], pd.DataFrame]:
    """Tables found in the cache; the main process decides which entries count as hits, so
    every process plans the same work even where the cache folder is not shared."""
    hits: dict[tuple[str, str], pd.DataFrame] = {}
    for (label, name), (key, _) in keys.items():
        table = cache.get(key) if cache is not None and specs[label].identity else None
        if table is not None and list(table["frame_id"]) == splits[name].frame_ids:
            hits[(label, name)] = table.assign(method=label)
    if state.num_processes > 1:
        from accelerate.utils import broadcast_object_list

        agreed = [sorted(hits)]
        broadcast_object_list(agreed, from_process=0)
        hits = {p: t for p, t in hits.items() if p in set(map(tuple, agreed[0]))}
        hits.update({tuple(p): pd.DataFrame(columns=list(FRAME_COLUMNS)) for p in agreed[0] if tuple(p) not in hits})
    return hits


def _store(
    cache: ResultCache, computed: pd.DataFrame, done: list[tuple[str, str]], keys: CacheKeys,
    specs: list[MethodSpec], splits: dict[str, SplitData],
) -> None:
    """Write the freshly computed (method, split) tables (methods with an identity only)."""
    by_label = {s.label: s for s in specs}
    for label, name in done:
        if by_label[label].identity is None:
            continue
        key, payload = keys[(label, name)]
        part = computed[(computed.method == label) & (computed.split == name)]
        try:
            cache.put(key, _ordered(part, specs, splits), payload)
        except OSError as err:  # an unwritable cache must not cost the results just computed
            warnings.warn(f"evaluation cache not written ({cache.root}: {err}); the results are complete",
                          stacklevel=2)
            return


def run_evaluation(request: EvalRequest, progress: ProgressFn | bool = True) -> EvalResult:
    """Evaluate every method of ``request`` on every split; cached entries are reused.

    ``progress``: a callback ``(done, total, description)``, ``True`` for a tqdm bar (main
    process only) or ``False`` for silence. Under ``accelerate launch`` every process must
    call this; the main process's result is complete (the others' too where the cache
    folder is shared), and only the main process writes the cache.
    """
    from eval.metrics import LPIPSMetric

    start = time.perf_counter()
    state = _state(request.cpu)
    lpips_metric = LPIPSMetric(device=state.device)
    lpips_ok = bool(lpips_metric.available)
    specs = method_specs(request.methods)
    by_label = {s.label: s for s in specs}
    splits = {name: load_split(request, name) for name in request.splits}
    cache = ResultCache(request.cache_dir) if request.use_cache else None
    keys = _cache_keys(specs, splits, request, lpips_ok)
    hits = _cache_hits(cache, keys, by_label, splits, state)

    jobs = _jobs(specs, splits, hits, request.batch_size)
    update, close = _progress_fn(progress, state.is_main_process)
    try:
        mine = jobs[state.process_index :: state.num_processes]
        rows, seconds = _run_jobs(mine, splits, by_label, lpips_metric, state.device, request.batch_size, update)
    finally:
        close()
    computed = pd.DataFrame(_gather(rows, state), columns=list(FRAME_COLUMNS))
    done = [p for p in keys if any(p[0] in j.methods and p[1] == j.split for j in jobs)]
    if cache is not None and state.is_main_process:
        _store(cache, computed, done, keys, specs, splits)
    parts = [t for t in (computed, *hits.values()) if not t.empty]
    per_frame = _ordered(pd.concat(parts, ignore_index=True) if parts else computed, specs, splits)
    return EvalResult(
        per_frame=per_frame,
        summary=summarize(per_frame),
        lpips_available=lpips_ok,
        lpips_reason=lpips_metric.reason,
        request=request,
        methods={s.label: {"model_id": s.model_id, "identity": s.identity, "chroma": s.chroma} for s in specs},
        cached=[p for p in keys if p in hits],
        computed=done,
        seconds=time.perf_counter() - start,
        method_seconds=seconds,
        processes=state.num_processes,
    )


def _jobs(specs: list[MethodSpec], splits: dict[str, SplitData], hits: dict[tuple[str, str], Any], batch_size: int) -> list[_Job]:
    """Batches of frames per split with the methods that have no cache entry there."""
    jobs = []
    for name, split in splits.items():
        missing = tuple(s.label for s in specs if (s.label, name) not in hits)
        if not missing:
            continue
        for i in range(0, len(split.picks), batch_size):
            jobs.append(_Job(name, tuple(split.picks[i : i + batch_size]), missing))
    return jobs
