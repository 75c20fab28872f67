"""A cross-identity panel: fixed pairs of photos of different people, blended by each
method through the whole Blend pipeline and scored by :mod:`eval.cross_identity`.

A pairs file has one ``source target`` pair of image paths per line; ``#`` starts a
comment; paths are relative to the file's folder, or to the talking-heads data root when
they start with ``data:`` (``$CHANGER_DATA`` or the set beside the repo)::

    changer cross --pairs eval/panels/dev.txt --out outputs/cross --methods default,laplacian,inpaint

writes ``cross.csv`` (a row per pair and method: ``pair,source,target,method,seconds,
status,message`` then the metrics), ``summary.csv`` (per method and metric: mean, 95%
interval, count, and how many blends failed) and ``sheet.png`` (source | target | each
method's result and a zoom on jaw and neck, captioned with key metrics). A pair that cannot
be read or that the pipeline refuses is a row with its message, never a crash. Blends are
cached per (method weights, pair bytes, pipeline and metric code), like the benchmark.
"""

from __future__ import annotations

import argparse
import math
import shlex
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import cv2
import numpy as np
import pandas as pd

from eval.cross_identity import BETTER, METRICS

TILE = 256
"""Side (pixels) every picture of the sheet is fitted into."""

DATA_PREFIX = "data:"
"""A pairs-file path that starts with this is relative to the talking-heads data root."""

NETWORK_SUFFIX = ":network"
"""A method name ending in this blends with the network drawing the head (the paper's output)."""

DEV_PANEL = Path(__file__).with_name("panels") / "dev.txt"
"""The project's dev panel: every change to the blend is judged on it."""

CAPTION = ("id_src", "eye_ab", "kept", "seam", "sharp")
"""Metrics written under each result on the sheet."""

ProgressFn = Callable[[int, int, str], None]


@dataclass(frozen=True)
class PanelPair:
    """One line of a pairs file: a source photo (the head) and a target photo (the body)."""

    source: str
    target: str
    line: int = 0

    @property
    def name(self) -> str:
        return f"{_short(self.source)} -> {_short(self.target)}"


def _short(path: str) -> str:
    p = Path(path)
    return f"{p.parent.name}/{p.stem}" if p.parent.name not in ("", "portraits", "frames") else p.stem


def read_pairs(path: str | Path, data_root: str | Path | None = None) -> list[PanelPair]:
    """The pairs of a pairs file (see the module doc). A malformed line is a ``ValueError``
    naming it; a missing picture is not (the pair is reported when it is blended)."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as err:
        raise ValueError(f"{path}: cannot read the pairs file ({err.__class__.__name__})") from None
    pairs = []
    for number, raw in enumerate(text.splitlines(), 1):
        line = raw.split("#", 1)[0].strip()
        if not line:
            continue
        try:
            parts = shlex.split(line)
        except ValueError as err:
            raise ValueError(f"{path}:{number}: {err}") from None
        if len(parts) != 2:
            raise ValueError(f"{path}:{number}: expected 'source target' (two paths), got {len(parts)} fields")
        source, target = (_resolve(p, path.parent, data_root) for p in parts)
        pairs.append(PanelPair(source, target, number))
    if not pairs:
        raise ValueError(f"{path}: no pairs (one 'source target' pair of image paths per line)")
    return pairs


def _resolve(part: str, folder: Path, data_root: str | Path | None) -> str:
    if part.startswith(DATA_PREFIX):
        if data_root is None:
            from changer.data.dataset import default_data_root

            data_root = default_data_root()
        rel = part[len(DATA_PREFIX):]
        return str(Path(data_root) / rel) if data_root is not None else f"{DATA_PREFIX}{rel}"
    p = Path(part).expanduser()
    return str(p if p.is_absolute() else folder / p)


# --------------------------------------------------------------------------- running


@dataclass
class PanelRun:
    """The rows (``cross.csv``) and the sheet's tiles of a panel run."""

    pairs: list[PanelPair]
    methods: list[str]
    rows: list[dict[str, Any]] = field(default_factory=list)
    tiles: dict[tuple[int, str], list[np.ndarray]] = field(default_factory=dict)
    inputs: dict[int, list[np.ndarray]] = field(default_factory=dict)

    def table(self) -> pd.DataFrame:
        columns = ["pair", "source", "target", "method", "seconds", "status", "message", *METRICS]
        return pd.DataFrame(self.rows, columns=columns)

    def summary(self) -> pd.DataFrame:
        return summarize(self.table(), self.methods)

    def sheet(self) -> np.ndarray:
        return sheet(self)


def summarize(table: pd.DataFrame, methods: Sequence[str] | None = None) -> pd.DataFrame:
    """Per method and metric: mean, 95% interval half-width, values counted, blends failed."""
    from eval.stats import mean_ci

    methods = list(methods) if methods is not None else list(dict.fromkeys(table["method"]))
    out = []
    for method in methods:
        rows = table[table["method"] == method]
        ok = rows[rows["status"] == "ok"]
        failed = int((rows["status"] != "ok").sum())
        for metric in ("seconds", *METRICS):
            ci = mean_ci(ok[metric].astype(float)) if len(ok) else mean_ci([])
            out.append({"method": method, "metric": metric, "better": BETTER.get(metric, ""),
                        "mean": ci.mean, "ci95": ci.ci95, "n": ci.n, "failed": failed})
    return pd.DataFrame(out, columns=["method", "metric", "better", "mean", "ci95", "n", "failed"])


def wide_summary(summary: pd.DataFrame, digits: int = 3) -> pd.DataFrame:
    """The summary as one row per method, a ``mean ± ci`` column per metric (for tables)."""
    def cell(row: pd.Series) -> str:
        if not row["n"]:
            return "n/a"
        ci = "" if math.isnan(row["ci95"]) else f" ± {row['ci95']:.{digits}g}"
        return f"{row['mean']:.{digits}g}{ci}"

    wide = summary.assign(cell=summary.apply(cell, axis=1)).pivot(index="method", columns="metric", values="cell")
    order = [m for m in ("seconds", *METRICS) if m in wide.columns]
    wide = wide[order].reindex(list(dict.fromkeys(summary["method"])))
    failed = summary.groupby("method", sort=False)["failed"].first()
    return wide.assign(failed=failed).reset_index()


def run_panel(pairs: Sequence[PanelPair], methods: Sequence[str], *, options: Any = None,
              progress: ProgressFn | None = None, cache: Any = None) -> PanelRun:
    """Blend and score every pair with every method (``eval.runner`` method names: bundled
    models, model folders, Hub ids, baselines; ``NAME:network`` blends with the paper's
    pure output, the network drawing the head, :attr:`BlendOptions.head`). Every method
    is resolved before the first blend, so a wrong name fails at once; a refused pair is a
    row with its message."""
    from dataclasses import replace

    from changer.blenders import load_blender
    from changer.pipeline import BlendOptions, HeadBlendingPipeline
    from eval.runner import MethodSpec, method_spec

    methods = list(dict.fromkeys(methods))
    specs, variant = [], {}
    for name in methods:
        base, head = (name[: -len(NETWORK_SUFFIX)], "network") if name.endswith(NETWORK_SUFFIX) else (name, "real")
        spec = method_spec(base)
        specs.append(MethodSpec(name, spec.model_id, spec.is_baseline, spec.chroma, spec.identity))
        variant[name] = replace(options or BlendOptions(), head=head)
    pipes: dict[str, Any] = {}
    run = PanelRun(list(pairs), [s.label for s in specs])
    total, done = len(specs) * len(pairs), 0
    for i, pair in enumerate(pairs):
        loaded = _load_pair(pair)
        run.inputs[i] = [_fit(loaded[0], TILE), _fit(loaded[1], TILE)] if not isinstance(loaded, str) else \
            [refused_tile(TILE, "unreadable")] * 2
        faces = None
        for spec in specs:
            if progress is not None:
                progress(done, total, f"{spec.label}: {pair.name}")
            options = variant[spec.label]
            key = _cache_key(spec, pair, options) if cache is not None and not isinstance(loaded, str) else None
            hit = _cached(cache, key)
            if hit is not None:
                row, tiles = hit
            else:
                if spec.model_id not in pipes and not isinstance(loaded, str):
                    pipes[spec.model_id] = HeadBlendingPipeline(load_blender(spec.model_id))
                if faces is None and not isinstance(loaded, str):
                    from eval.cross_identity import pair_faces

                    faces = pair_faces(*loaded)
                row, tiles = _blend_one(pipes.get(spec.model_id), loaded, faces, options)
                if key is not None and row["status"] == "ok":
                    _store(cache, key, row, tiles)
            run.rows.append({"pair": pair.name, "source": pair.source, "target": pair.target,
                             "method": spec.label, **row})
            run.tiles[(i, spec.label)] = tiles
            done += 1
    if progress is not None:
        progress(total, total, "done")
    return run


def _load_pair(pair: PanelPair) -> tuple[np.ndarray, np.ndarray] | str:
    """Both photos as the pipeline reads them, or why they cannot be read."""
    from changer.imageio import InputError, read_image

    try:
        return read_image(pair.source, "source").rgb, read_image(pair.target, "target").rgb
    except InputError as err:
        return str(err)
    except (OSError, ValueError) as err:
        return f"{err.__class__.__name__}: {err}"


def _blend_one(pipe: Any, loaded: tuple[np.ndarray, np.ndarray] | str, faces: Any,
               options: Any) -> tuple[dict[str, Any], list[np.ndarray]]:
    from changer.imageio import InputError
    from eval.cross_identity import score_blend

    blank = dict.fromkeys(METRICS, math.nan)
    if isinstance(loaded, str):
        return {"seconds": math.nan, "status": "unreadable", "message": loaded, **blank}, _refused_tiles("unreadable")
    source, target = loaded
    start = time.perf_counter()
    try:
        result = pipe(source, target, options=options)
    except InputError as err:
        return {"seconds": time.perf_counter() - start, "status": "refused", "message": str(err), **blank}, \
            _refused_tiles("refused")
    seconds = time.perf_counter() - start
    reference = getattr(options, "color_reference", "target")
    scores = score_blend(source, result.original if result.original is not None else target, result, faces, reference)
    return ({"seconds": seconds, "status": "ok", "message": " | ".join(result.notes), **scores},
            [_fit(result.image, TILE), _fit(zoom(result.image, result.masks), TILE)])


def zoom(image: np.ndarray, masks: dict[str, np.ndarray]) -> np.ndarray:
    """A square crop around where the new head meets the neck: the jaw's lower half and
    what lies below it, about one head high."""
    head = masks.get("source_head")
    if head is None or not head.any():
        return image
    ys, xs = np.nonzero(head)
    size = max(np.ptp(ys), np.ptp(xs)) + 1
    cx, cy = (xs.min() + xs.max()) / 2, ys.max()
    side = int(round(1.1 * size))
    x0, y0 = int(round(cx - side / 2)), int(round(cy - 0.55 * side))
    h, w = image.shape[:2]
    x0, y0 = min(max(x0, 0), max(w - side, 0)), min(max(y0, 0), max(h - side, 0))
    return image[y0:y0 + side, x0:x0 + side]


# --------------------------------------------------------------------------- cache


def _cache_key(spec: Any, pair: PanelPair, options: Any) -> str | None:
    from eval.cache import entry_key, module_source_hash, sha256_file

    if spec.identity is None:
        return None
    try:
        files = [sha256_file(pair.source), sha256_file(pair.target)]
    except OSError:
        return None
    code = [_blend_code(), *(module_source_hash(m) for m in ("eval.cross_identity", "eval.panel"))]
    return entry_key({"kind": "cross_identity", "method": spec.identity, "files": files, "code": code,
                      "options": repr(options)})


def _blend_code() -> str:
    """sha256 of every module of the ``changer`` package (the pipeline is an orchestrator of
    stage modules: a change to any of them changes a blend)."""
    from eval.cache import sha256_files

    root = Path(__file__).resolve().parents[1] / "changer"
    return sha256_files(sorted(root.rglob("*.py")))


def _cached(cache: Any, key: str | None) -> tuple[dict[str, Any], list[np.ndarray]] | None:
    if cache is None or key is None:
        return None
    table, tiles = cache.get(key), cache.get_images(key)
    if table is None or tiles is None or len(table) != 1:
        return None
    row = table.iloc[0].to_dict()
    row["message"] = "" if pd.isna(row.get("message")) else str(row["message"])
    return row, tiles


def _store(cache: Any, key: str, row: dict[str, Any], tiles: list[np.ndarray]) -> None:
    try:
        cache.put(key, pd.DataFrame([row]))
        cache.put_images(key, tiles)
    except OSError:  # a full or read-only cache only costs the next run time
        pass


# --------------------------------------------------------------------------- pictures


def _fit(img: np.ndarray, side: int) -> np.ndarray:
    """``img`` scaled so that its longer side is ``side``, centred on a white square."""
    h, w = img.shape[:2]
    scale = side / max(h, w)
    size = (max(1, round(w * scale)), max(1, round(h * scale)))
    small = cv2.resize(img, size, interpolation=cv2.INTER_AREA if scale < 1 else cv2.INTER_LINEAR)
    out = np.full((side, side, 3), 255, np.uint8)
    y, x = (side - size[1]) // 2, (side - size[0]) // 2
    out[y:y + size[1], x:x + size[0]] = small
    return out


def refused_tile(side: int, word: str = "refused") -> np.ndarray:
    """A grey square saying ``word``."""
    out = np.full((side, side, 3), 200, np.uint8)
    scale = side / 256
    width = cv2.getTextSize(word, cv2.FONT_HERSHEY_SIMPLEX, 0.8 * scale, max(1, round(2 * scale)))[0][0]
    cv2.putText(out, word, ((side - width) // 2, side // 2), cv2.FONT_HERSHEY_SIMPLEX, 0.8 * scale,
                (90, 90, 90), max(1, round(2 * scale)), cv2.LINE_AA)
    return out


def _refused_tiles(word: str) -> list[np.ndarray]:
    return [refused_tile(TILE, word), refused_tile(TILE, "")]


def _caption(row: dict[str, Any]) -> str:
    if row["status"] != "ok":
        return f"{row['method']}: {row['status']}"
    parts = [f"{m} {row[m]:.2f}" for m in CAPTION if not math.isnan(row[m])]
    return f"{row['method']}  " + " ".join(parts)


def sheet(run: PanelRun) -> np.ndarray:
    """A row per pair: source, target, then per method its result and the jaw/neck zoom."""
    from changer.data.preview import label_tile

    rows = []
    by_key = {(r["pair"], r["method"]): r for r in run.rows}
    for i, pair in enumerate(run.pairs):
        src, tgt = run.inputs[i]
        tiles = [label_tile(src, f"source {_short(pair.source)}"), label_tile(tgt, f"target {_short(pair.target)}")]
        for method in run.methods:
            result, close = run.tiles[(i, method)]
            row = by_key[(pair.name, method)]
            tiles += [label_tile(result, _caption(row)), label_tile(close, f"{method}: jaw and neck")]
        rows.append(np.hstack(tiles))
    return np.vstack(rows)


# --------------------------------------------------------------------------- files and command line


def write_panel(run: PanelRun, out: str | Path) -> dict[str, Path]:
    """``cross.csv``, ``summary.csv`` and ``sheet.png`` in ``out``."""
    from eval.grid import save_grid

    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    paths = {"cross": out / "cross.csv", "summary": out / "summary.csv", "sheet": out / "sheet.png"}
    run.table().to_csv(paths["cross"], index=False, float_format="%.6g")
    run.summary().to_csv(paths["summary"], index=False, float_format="%.6g")
    save_grid(run.sheet(), paths["sheet"])
    return paths


def main(argv: Sequence[str] | None = None) -> int:
    from changer.folders import describe_error

    from changer.commands.cross import add_arguments, command

    p = argparse.ArgumentParser(prog="python -m eval.panel", description=__doc__.split("\n\n")[0])
    add_arguments(p)
    args = p.parse_args(argv)
    try:
        return command(args)
    except (OSError, ValueError) as err:
        print(f"eval.panel: {describe_error(err)}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    raise SystemExit(main())
