"""Thin adapters between Gradio events and the library (no model or metric code here).

``BlendService`` turns the Blend tab's widgets into a ``HeadBlendingPipeline`` call and its
result into pictures; ``EvaluateService`` does the same for ``eval.runner``. Library errors
about bad input become ``gr.Error`` messages shown in the page.
"""

from __future__ import annotations

import os
import re
import threading
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import gradio as gr
import numpy as np
from PIL import Image

from changer import labels as L
from changer.imageio import ImageSource
from demo import names
from demo.errors import user_error
from demo.public import Policy
from demo.scratch import ScratchSpace

KEY_COLOURS = {"green": (0, 177, 64), "blue": (0, 71, 187)}
MODEL_ENV = "CHANGER_MODEL"
MODEL_CACHE_ENV = "CHANGER_MODEL_CACHE"
MODEL_CACHE_SIZE = 3
"""Models kept loaded (least recently used dropped first; the default model is always kept)."""

DEFAULT_EDGE_SOFTNESS = 0.8
"""``BlendOptions.edge_softness``'s default, for the slider (importing the pipeline here would
load torch before the app is up; a test keeps the two equal)."""


def default_model_id() -> str | None:
    """The model the app starts with: ``$CHANGER_MODEL`` or the bundled default (None)."""
    return os.environ.get(MODEL_ENV) or None


FEW_FRAMES = 20
"""Below this many frames per test set (or pairs) the 95% intervals are too wide to rank
methods: the Evaluate tab says so."""


def download_stem(source: ImageSource | None, target: ImageSource | None) -> str:
    """The download's name without ``.png``, after the inputs: ``art_2_on_art_5``. Uploads
    keep their file's name (Gradio's upload folder keeps it); pictures that are no file
    (arrays, bytes, pasted data) are ``source`` / ``target``."""
    def stem(photo: ImageSource | None, fallback: str) -> str:
        if isinstance(photo, (str, Path)):
            name = re.sub(r"[^A-Za-z0-9_-]+", "-", Path(photo).stem).strip("-_")[:40].strip("-_")
            return name or fallback
        return fallback

    return f"{stem(source, 'source')}_on_{stem(target, 'target')}"


def _save_png(img: np.ndarray, folder: Path, stem: str) -> str:
    path = folder / f"{stem}.png"
    Image.fromarray(img).save(path)
    return str(path)


def mask_gallery(masks: dict[str, np.ndarray]) -> list[tuple[np.ndarray, str]]:
    """The masks used, as captioned pictures (label maps coloured, boolean masks in white)."""
    items = []
    for name, mask in masks.items():
        if mask.dtype == bool:
            items.append((mask.astype(np.uint8) * 255, name.replace("_", " ")))
        elif mask.ndim == 2:
            items.append((L.colorize(mask.astype(np.uint8)), name.replace("_", " ")))
    return items


@dataclass
class BlendOutputs:
    """What the Blend tab shows after a run."""

    result: np.ndarray
    foreground: np.ndarray
    alpha: np.ndarray
    masks: list[tuple[np.ndarray, str]]
    before_after: tuple[np.ndarray, np.ndarray]
    download: str
    status: str


HEADS = ("real", "network")
"""The Blend tab's head choices (:attr:`changer.pipeline.BlendOptions.head`)."""


class BlendService:
    """Loads pipelines on demand (one per model, shared by all users) and runs blends.

    Loaded pipelines are cached by the model they load (``changer.blenders.model_key``: a
    folder's real path, a bundled name's folder, a Hub id), so ``folder/.`` and ``folder/./.``
    share one; at most ``cache_size`` (``$CHANGER_MODEL_CACHE``, default
    :data:`MODEL_CACHE_SIZE`) are kept, the least recently used dropped first, the default
    never. ``policy`` (:class:`demo.public.Policy`, from the environment by default) says
    which model names the box takes.
    """

    def __init__(self, default_model: str | None = None, policy: Policy | None = None,
                 cache_size: int | None = None):
        self.default_model = default_model
        self.policy = policy or Policy.from_env()
        self.cache_size = max(1, cache_size or int(os.environ.get(MODEL_CACHE_ENV) or MODEL_CACHE_SIZE))
        self._pipelines: OrderedDict[str, Any] = OrderedDict()
        self._loading: dict[str, threading.Lock] = {}
        self._lock = threading.Lock()
        self.scratch = ScratchSpace("changer-blend-")

    def pipeline(self, model_id: str | None):
        """The pipeline for ``model_id`` (blank = the default), loaded once.

        Each model loads under its own lock: a slow or failing load (a Hub download) holds
        up only the users asking for that model, not everyone's blends.
        """
        from changer.blenders import model_key
        from changer.imageio import InputError, shorten
        from changer.pipeline import HeadBlendingPipeline

        name = self.policy.model(model_id) or self.default_model
        key = model_key(name)
        with self._lock:
            if key in self._pipelines:
                self._pipelines.move_to_end(key)
                return self._pipelines[key]
            loading = self._loading.setdefault(key, threading.Lock())
        with loading:
            try:
                with self._lock:
                    pipe = self._pipelines.get(key)
                if pipe is None:
                    pipe = HeadBlendingPipeline.from_pretrained(name)
                    with self._lock:
                        self._pipelines[key] = pipe
                        self._evict()
                return pipe
            except FileNotFoundError:
                raise
            except OSError as err:  # a name no file system takes, a full disk, a broken download
                raise InputError(f"model {shorten(name or '')!r} cannot be loaded ({err.strerror or err})") from err
            finally:
                with self._lock:  # no lock kept per name typed into the box (a failed load is tried again)
                    if self._loading.get(key) is loading:
                        del self._loading[key]

    def _evict(self) -> None:
        """Drop the least recently used pipelines beyond ``cache_size`` (never the default's);
        called with ``_lock`` held."""
        from changer.blenders import model_key

        keep = model_key(self.default_model)
        for key in list(self._pipelines):
            if len(self._pipelines) <= self.cache_size:
                break
            if key != keep:
                del self._pipelines[key]

    def status_line(self, model_id: str | None = None) -> str:
        """One line naming what the Blend tab runs (and any fallback note)."""
        try:
            pipe = self.pipeline(model_id)
        except Exception as err:  # noqa: BLE001 - shown to the user
            return f"⚠️ could not load model: {err}"
        return " · ".join([f"Model: **{self.model_label(model_id, pipe)}**", *(getattr(pipe, "notes", []) or [])])

    def model_label(self, model_id: str | None, pipe: Any = None) -> str:
        """The plain name of the model ``model_id`` picks (blank: the app's default)."""
        name = (model_id or "").strip() or self.default_model
        if not name:
            return names.method_label("default")
        if name in names.METHODS:
            return names.method_label(name)
        return str(getattr(pipe, "method", None) or name)

    def model_choices(self) -> list[tuple[str, str]]:
        """The Blend tab's model menu: the app's own model first (its value is blank, as an
        API caller sends it), then the bundled models and the baselines (public mode: what
        it offers)."""
        from changer.blenders import baseline_names, bundled_model_names

        offered = self.policy.offered() if self.policy.public else [*bundled_model_names(), *baseline_names()]
        first = self.model_label(None)
        rest = [n for n in names.ordered_methods(offered) if n != (self.default_model or "default")]
        return [(first, ""), *names.method_choices(rest)]

    def blend(
        self,
        source: ImageSource | None,
        target: ImageSource | None,
        background: ImageSource | None = None,
        source_labels: str | None = None,
        target_labels: str | None = None,
        key: str = "green",
        colour_reference: str = "target",
        scale: float = 1.0,
        dx: float = 0.0,
        dy: float = 0.0,
        output_background: str = "original",
        model_id: str | None = None,
        parser: str = "built-in",
        edge_softness: float = DEFAULT_EDGE_SOFTNESS,
        upright: bool = True,
        head: str = "real",
        force_enlargement: bool = False,
        progress: Callable[..., Any] | None = None,
    ) -> BlendOutputs:
        """Run one blend; bad input raises ``gr.Error`` with the library's message.

        ``progress``: a ``gr.Progress``, told each stage of the blend as it begins (loading
        a model the first time counts as the first step).
        """
        from changer.imageio import InputError, check_label_header, header_size, load_labels
        from changer.pipeline import BlendOptions

        if source is None or target is None:
            raise user_error("Upload a source head and a target body first (or pick an example below).")
        if parser == "labels" and not (source_labels and target_labels):
            raise user_error("Parser 'label maps only' needs both label maps (Advanced options), or pick the built-in parser.")
        if key not in KEY_COLOURS:
            raise user_error(f"Key colour must be one of {', '.join(KEY_COLOURS)}, got {key!r}.")
        if head not in HEADS:
            raise user_error(f"Head must be one of {', '.join(HEADS)}, got {head!r}.")
        try:
            scale, dx, dy, edge_softness = float(scale), float(dx), float(dy), float(edge_softness)
        except (TypeError, ValueError):
            raise user_error("Head scale, offsets and edge softness must be numbers.") from None
        report = _stage_reporter(progress)
        try:
            if progress is not None:
                progress(0.0, desc="loading the model")
            for labels, photo, name in ((source_labels, source, "source"), (target_labels, target, "target")):
                if labels and isinstance(photo, (str, Path)):  # from the headers, before anything is decoded
                    check_label_header(labels, f"{name} labels", header_size(photo, name))
            pipe = self.pipeline(model_id)
            options = BlendOptions(
                key_color=KEY_COLOURS[key], color_reference=colour_reference,
                align_scale=scale, align_offset=(dx, dy), edge_softness=edge_softness,
                upright=True if upright is None else bool(upright), head=head,
                force_enlargement=bool(force_enlargement),
                output_background="image" if background is not None and output_background == "image" else output_background,
            )
            result = pipe(
                source, target, background,
                source_labels=load_labels(source_labels, "source labels") if source_labels else None,
                target_labels=load_labels(target_labels, "target labels") if target_labels else None,
                options=options, progress=report,
            )
        except gr.Error:  # already a message (a model the public mode does not offer)
            raise
        except (InputError, ValueError, FileNotFoundError) as err:
            raise user_error(str(err)) from err
        alpha = (np.clip(result.alpha, 0, 1) * 255).astype(np.uint8)
        status = " · ".join([f"Done with **{self.model_label(model_id, result)}**", *result.notes])
        return BlendOutputs(
            result=result.image,
            foreground=result.foreground,
            alpha=alpha,
            masks=mask_gallery(result.masks),
            before_after=(result.original if result.original is not None else result.image, result.image),
            download=_save_png(result.image, self.scratch.new(), download_stem(source, target)),
            status=status,
        )


def _names(text: str | None) -> list[str]:
    """The names in a comma- or line-separated text box, stripped, blanks dropped."""
    return [name.strip() for name in (text or "").replace("\n", ",").split(",") if name.strip()]


def _stage_reporter(progress: Callable[..., Any] | None) -> Callable[[str, str], None] | None:
    """The pipeline's stage callback for a ``gr.Progress``: the bar moves to the stage's place
    in :data:`changer.pipeline.STAGES` and never back (``prepare`` also runs after ``align``)."""
    if progress is None:
        return None
    from changer.pipeline import STAGES

    order = list(STAGES)
    done = [0.0]

    def report(stage: str, description: str) -> None:
        done[0] = max(done[0], (order.index(stage) + 1) / (len(order) + 1))
        progress(done[0], desc=description)

    return report


MAX_CROSS_PAIRS = 12
"""Uploaded pairs one cross-identity run takes."""


@dataclass
class CrossOutputs:
    """What the Evaluate tab's cross-identity section shows after a run."""

    sheet: str
    message: str
    summary: Any = None
    """One row per method: each metric's mean ± 95% interval (``eval.panel.wide_summary``)."""
    pairs: Any = None
    """One row per pair and method (``cross.csv`` without the paths)."""


@dataclass
class EvaluateOutputs:
    """What the Evaluate tab shows after a run."""

    table: Any
    bars: Any
    scatter: Any
    grid: str | None
    csv: str | None
    message: str
    paired: Any = None
    """Each method minus the first on the same frames (``eval.compare.against``)."""


class EvaluateService:
    """Runs ``eval.runner`` for the Evaluate tab (cached results come back at once)."""

    def __init__(self, data_root: str | None = None, policy: Policy | None = None):
        from changer.data.dataset import default_data_root

        root = data_root or default_data_root()
        self.default_data = str(root) if root else None
        self.policy = policy or Policy.from_env()
        self.scratch = ScratchSpace("changer-eval-")

    @staticmethod
    def methods() -> list[str]:
        """Models (bundled variants found) and baselines the user can pick."""
        from eval.runner import available_methods

        return available_methods()

    def default_methods(self) -> list[str]:
        return [m for m in self.methods() if m in ("default", "inpaint", "laplacian")] or self.methods()[:2]

    def splits(self, data_dir: str | None = None) -> list[str]:
        """Split names of the dataset, or none when it cannot be read."""
        from changer.data.dataset import TalkingHeads

        try:
            return [s for s in TalkingHeads(self.policy.data_dir(data_dir, self.default_data)).splits if s != "train"]
        except (OSError, ValueError):  # not a dataset folder, or an unreadable manifest
            return []

    def default_splits(self) -> list[str]:
        return [s for s in self.splits() if s == "test_hdtf"] or self.splits()[:1]

    def data_hint(self, data_dir: str | None = None) -> str:
        """A line saying which data will be used, or how to get some (no server path in public mode)."""
        from demo.public import scrub

        folder = self.policy.data_dir(data_dir, self.default_data)
        if folder and self.splits(folder):
            return scrub(f"Dataset: `{folder}`.", self.policy.public)
        if self.policy.public:
            return "**No dataset on this server**: the Evaluate tab needs one (`CHANGER_DATA`)."
        reason = f" ({self._problem(folder)})" if folder else ""
        return (
            f"**No dataset found**{reason}. Point *Dataset folder* at a folder in the talking-heads layout "
            "(`manifest.csv`, `frames/<clip>/<idx>.jpg`, `parsing/<clip>/<idx>.png`), or set "
            "`CHANGER_DATA` before starting the app."
        )

    @staticmethod
    def _problem(folder: str) -> str:
        """Why ``folder`` offers no split to evaluate (a missing folder, a broken manifest, ...)."""
        from changer.data.dataset import TalkingHeads
        from changer.folders import describe_error

        try:
            TalkingHeads(folder).splits  # noqa: B018 - read for its errors
        except (OSError, ValueError) as err:
            return describe_error(err)
        return "it has no split besides train"

    def refresh_splits(self, data_dir: str):
        choices = self.splits(data_dir)
        return gr.update(choices=names.split_choices(choices), value=choices[:1]), self.data_hint(data_dir)

    def lpips_note(self) -> str | None:
        """Why the LPIPS columns are hidden (one line), or None when LPIPS can be measured.
        Checked once, offline (:meth:`eval.metrics.LPIPSMetric.missing_weights`)."""
        if not hasattr(self, "_lpips_note"):
            from eval.metrics import LPIPSMetric

            self._lpips_note = _lpips_line(LPIPSMetric().missing_weights(), self.policy.public)
        return self._lpips_note

    def evaluate(
        self, data_dir: str, splits: list[str], methods: list[str], max_frames: int, progress,
        other_models: str | None = None,
    ) -> EvaluateOutputs:
        """Run (or fetch from the cache) the evaluation and build the tab's outputs.

        ``other_models``: more methods typed by the user (model folders, bundled names, Hub
        repo ids), separated by commas or new lines, after the ticked ones; a name given twice
        counts once.
        """
        from changer.folders import describe_error
        from eval.compare import against
        from eval.figures import bar_figure, scatter_figure
        from eval.grid import render_grid, save_grid
        from eval.runner import EvalRequest, run_evaluation
        from eval.stats import wide_table

        data_dir = self.policy.data_dir(data_dir, self.default_data)
        if not data_dir or not self.splits(data_dir):
            raise user_error(self.data_hint(data_dir).replace("*", "").replace("`", ""))
        methods = self.policy.methods([*(methods or []), *_names(other_models)])
        if not splits or not methods:
            raise user_error("Pick at least one split and one method.")
        max_frames = self.policy.frames(max_frames)
        try:
            request = EvalRequest(data_root=data_dir, splits=list(splits), methods=list(methods), max_frames=max_frames)
            result = run_evaluation(request, progress=lambda done, total, what="": progress(done / max(total, 1), desc=what))
            out_dir = self.scratch.new()
            files = result.save(out_dir, figures=False)
            progress(1.0, desc="qualitative grid")
            grid = save_grid(relabel_grid(render_grid(request, rows=3), request.methods), out_dir / "grid.png")
        except (ValueError, OSError) as err:  # a clip folder that is a file, an unreadable frame, ...
            raise user_error(describe_error(err)) from err
        cached = f" ({len(result.cached)} of {len(result.cached) + len(result.computed)} results from the cache)" if result.cached else ""
        message = f"Evaluated {len(result.per_frame)} method × frame results in {result.seconds:.1f} s{cached}."
        if not result.lpips_available and self.lpips_note() is None:  # the page's line says LPIPS is there
            message += "\n\n" + _lpips_line(result.lpips_reason or "it could not be measured", self.policy.public)
        frames = int(result.per_frame.groupby(["method", "split"]).size().min())
        if frames < FEW_FRAMES:
            message += (f"\n\n⚠️ **Only {frames} frame{'s' * (frames != 1)} per test set**: with fewer than "
                        f"{FEW_FRAMES} the ± intervals are too wide to rank the methods (with one frame there "
                        f"are none). Raise *Frames per test set* for numbers to rely on.")
        hide = () if result.lpips_available else ("lpips", "lpips_region")
        reference = next(iter(dict.fromkeys(result.per_frame["method"])))
        return EvaluateOutputs(
            table=names.readable_table(wide_table(result.summary).drop(columns=list(hide), errors="ignore")),
            paired=names.readable_table(against(result.per_frame, reference).drop(columns=list(hide), errors="ignore")),
            bars=readable_figure(bar_figure(result.summary, "psnr"), "PSNR dB ↑ per test set",
                                 "whole picture, mean ± 95% interval"),
            scatter=readable_figure(scatter_figure(result.summary, result.lpips_available),
                                    f"PSNR against {'LPIPS' if result.lpips_available else 'SSIM'}",
                                    "whole picture; up and right is better" if not result.lpips_available
                                    else "whole picture; down and right is better"),
            grid=str(grid),
            csv=str(files["per_frame.csv"]),
            message=message,
        )

    def cross_identity(
        self, methods: list[str], progress, other_models: str | None = None,
        sources: list[str] | None = None, targets: list[str] | None = None,
    ) -> CrossOutputs:
        """Blend and score a cross-identity panel (:mod:`eval.panel`) with every chosen method:
        uploaded ``sources`` and ``targets`` paired in order, or the dev panel (its talking-heads
        frames from the server's dataset folder). Refused pairs are rows with their message."""
        from changer.folders import describe_error
        from eval.cache import ResultCache
        from eval.grid import save_grid
        from eval.panel import DEV_PANEL, PanelPair, read_pairs, run_panel, wide_summary

        methods = self.policy.methods([*(methods or []), *_names(other_models)])
        if not methods:
            raise user_error("Pick at least one method.")
        sources, targets = list(sources or []), list(targets or [])
        if len(sources) != len(targets):
            raise user_error(f"Give as many target photos as source photos (they are paired in order): "
                             f"{len(sources)} sources, {len(targets)} targets.")
        if len(sources) > self.policy.pairs(MAX_CROSS_PAIRS):
            raise user_error(f"At most {self.policy.pairs(MAX_CROSS_PAIRS)} uploaded pairs at a time, got {len(sources)}.")
        try:
            pairs = ([PanelPair(s, t, i + 1) for i, (s, t) in enumerate(zip(sources, targets, strict=True))]
                     or read_pairs(DEV_PANEL, self.default_data))
            run = run_panel(pairs, methods, progress=lambda done, total, what: progress(done / max(total, 1), desc=what),
                            cache=ResultCache())
            sheet = save_grid(readable_run(run).sheet(), self.scratch.new() / "cross_identity.png")
        except (ValueError, OSError) as err:  # an unknown model, an unreadable pairs file
            raise user_error(describe_error(err)) from err
        table = run.table()
        per_pair = table.drop(columns=["source", "target"]).round(3)
        failed = table[table["status"] != "ok"]
        n, m = len(pairs), len(run.methods)
        message = f"Blended {n} pair{'s' * (n != 1)} × {m} method{'s' * (m != 1)}."
        if len(failed):
            message += f" {len(failed)} blend{'s' * (len(failed) != 1)} failed (see the status column)."
        if n < FEW_FRAMES:
            message += (f"\n\n⚠️ With {n} pair{'s' * (n != 1)} (fewer than {FEW_FRAMES}) the ± intervals are "
                        "rough: look at the pictures and the pairs, not only the means.")
        return CrossOutputs(sheet=str(sheet), message=message, summary=names.readable_table(wide_summary(run.summary())),
                            pairs=names.readable_table(per_pair))


def _lpips_line(reason: str | None, public: bool) -> str | None:
    """One line on why the LPIPS columns are hidden (None: LPIPS can be measured)."""
    from demo.public import scrub

    if reason is None:
        return None
    if "torch hub cache" in reason:  # eval.metrics' words for the trunk's missing ImageNet weights
        reason = "the ImageNet weights of its AlexNet are not installed, and they are never downloaded here"
    elif "lpips package" in reason:
        reason = "the lpips package is not installed"
    return scrub(f"LPIPS columns are hidden: LPIPS (a learned perceptual distance) cannot be measured on this "
                 f"server ({reason.rstrip('.')}).", public)


def readable_figure(fig: Any, title: str, subtitle: str = "") -> Any:
    """A Plotly figure of :mod:`eval.figures` for the page: methods and test sets by their
    plain names, a short title that fits a phone (the subtitle on its own line), the legend
    under the plot, and a size that follows the page's width."""
    import plotly.graph_objects as go

    fig = go.Figure(fig)
    for trace in fig.data:
        trace.name = names.method_label(trace.name)
        if getattr(trace, "x", None) is not None and trace.type == "bar":
            trace.x = [names.split_label(x) for x in trace.x]
        if getattr(trace, "text", None) is not None and not isinstance(trace.text, str):
            trace.text = [names.split_label(t) for t in trace.text]
        if trace.type == "bar":
            trace.hovertemplate = "%{x}: %{y:.4f} ± %{error_y.array:.4f} (n=%{customdata})<extra>" + trace.name + "</extra>"
    axis = dict(title=dict(font=dict(size=11)), automargin=True)
    fig.update_layout(
        title=dict(text=f"{title}<br><sup>{subtitle}</sup>" if subtitle else title, x=0.0, xanchor="left",
                   font=dict(size=15)),
        legend=dict(orientation="h", yanchor="top", y=-0.22, xanchor="left", x=0.0, title=None),
        margin=dict(l=10, r=10, t=60, b=10), autosize=True, height=440,
    )
    fig.update_xaxes(**axis)
    fig.update_yaxes(**axis)
    if fig.layout.xaxis.title.text == "split":
        fig.update_xaxes(title_text="")
    if fig.layout.yaxis.title.text == "psnr":
        fig.update_yaxes(title_text="PSNR dB")
    for ax, metric in (("xaxis", fig.layout.xaxis.title.text), ("yaxis", fig.layout.yaxis.title.text)):
        short = _axis_label(metric)
        if short:
            fig.update_layout({ax: dict(title=dict(text=short))})
    return fig


def _axis_label(title: str | None) -> str | None:
    """A short axis title for one of :data:`eval.figures.TITLES`' long ones (None: keep it)."""
    from eval.figures import TITLES

    for metric, long in TITLES.items():
        if title and title.startswith(long):
            return names.metric_label(metric)
    return None


def relabel_grid(grid: np.ndarray, methods: list[str]) -> np.ndarray:
    """The qualitative grid (:func:`eval.grid.qualitative_grid`: a row per frame of
    ``input, *methods, ground truth`` tiles, each under a caption bar) with the methods'
    and the last column's captions in plain words. Left as it is when its layout is not the
    one expected (tiles not square)."""
    from changer.data.preview import label_tile

    columns = len(methods) + 2
    height, width = grid.shape[:2]
    side = width // columns
    bar = max(side // 12, 14)
    row = side + bar
    if side == 0 or width % columns or height % row:
        return grid
    captions = [names.picture_label(_grid_name(m)) for m in methods] + ["true frame"]
    out = grid.copy()
    for y in range(0, height, row):
        for c, caption in enumerate(captions, start=1):
            x = c * side
            out[y:y + row, x:x + side] = label_tile(grid[y + bar:y + row, x:x + side], caption)
    return out


def _grid_name(method: str) -> str:
    """The grid's own name for a method (``eval.runner.method_spec``'s label: a model
    folder by its last part)."""
    return Path(method).name if ("/" in method or os.sep in method) and Path(method).exists() else method


def readable_run(run: Any) -> Any:
    """A cross-identity run (:class:`eval.panel.PanelRun`) whose methods carry their plain
    names, for its sheet's captions."""
    from dataclasses import replace

    label = {m: names.picture_label(m) for m in run.methods}
    return replace(run, methods=[label[m] for m in run.methods],
                   rows=[{**r, "method": label.get(r["method"], r["method"])} for r in run.rows],
                   tiles={(i, label.get(m, m)): t for (i, m), t in run.tiles.items()})
