"""Publishing trained models: bundle a run's model folder with its model card, push to the Hub;
combine models into an output ensemble and split one back into its members.

A model folder is what ``CHANGER.save_pretrained`` writes (``config.json`` +
``model.safetensors``) plus ``training.json`` (the budget the trainer spent) and
``README.md`` (the model card). By default weights are stored in fp16 when that costs no
quality: ``export_model`` measures the largest output difference on a fixed input and
keeps fp32 when it is visible (above half a grey level). ``precision="int8"``
(:mod:`changer.quantize`) halves the file again; its cost is judged by ``changer eval``.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import torch
from safetensors.torch import save_file

from changer import quantize
from changer.folders import WEIGHTS, is_model_folder
from changer.model import CHANGER

MAX_FP16_ERROR = 1.0 / 255  # in [-1, 1] units: half a grey level of 0..255


def _probe_inputs(model: CHANGER, size: int = 128) -> tuple[torch.Tensor, ...]:
    """A fixed, seeded input that exercises every branch (head, fill, body reference)."""
    g = torch.Generator().manual_seed(0)
    x = torch.rand(1, 5, size, size, generator=g) * 2 - 1
    x[:, 3:] = (x[:, 3:] > 0).float()
    c = torch.rand(1, 3, size, size, generator=g) * 2 - 1
    b = torch.rand(1, 3, size, size, generator=g) * 2 - 1
    return x, c, b


def storage_error(folder: Path, precision: str) -> float:
    """Largest output change (``[-1, 1]`` units) when the weights are stored at ``precision``
    (``fp16``, ``int8``: :mod:`changer.quantize`) and loaded back, on a fixed probe input."""
    model = CHANGER.from_pretrained(str(folder)).eval()
    x, c, b = _probe_inputs(model)
    with torch.inference_mode():
        ref = model(x, c, b)["y"]
        model.load_state_dict(quantize.round_trip(model.state_dict(), precision))
        out = model(x, c, b)["y"]
    return float((ref - out).abs().max())


def _training_record(folder: Path) -> dict:
    """A model folder's ``training.json`` (the budget spent), or ``{}`` when it has none."""
    path = folder / "training.json"
    return json.loads(path.read_text()) if path.is_file() else {}


def _require_empty(dst: Path) -> None:
    """Refuse a destination that holds files: loss curves or a card left from another
    model would be described as the new one's."""
    if dst.is_dir() and any(dst.iterdir()):
        raise ValueError(f"{dst} is not empty: give a new folder or empty it first")


TRAINING_LOG = "training_log.csv"
"""The run's ``log.csv`` (losses vs step), copied beside the exported weights."""


DLIB_NOTE = (
    "The Blend pipeline places the head and scores cross-identity blends with dlib's models from the "
    "`face-recognition-models` package (dlib: Boost Software License): the 68-point shape predictor is "
    "trained on iBUG 300-W, whose licence allows **research use only**; the 5-point shape predictor and "
    "the ResNet face descriptor are free to use (CC0)."
)
"""What every model card says of the dlib models (they are not part of the weights)."""


def model_card(folder: Path, metrics_md: str | None = None) -> str:
    """The README.md of a model folder: what it is, its data, budget and measured metrics."""
    config = json.loads((folder / "config.json").read_text())
    training = _training_record(folder)
    cfg = config.get("config", config)
    variant = cfg.get("variant", "full")
    lines = [
        "---", "library_name: changer", "license: apache-2.0",
        "tags: [head-blending, chroma-key, image-to-image, changer]", "---", "",
        f"# CHANGER — `{variant}`", "",
        ("Head blending with chroma keying (WACV 2025, arXiv 2411.00652), an open implementation: "
         "the generator puts a gray source head onto a target body on a key colour and produces "
         "the whole foreground (head colour, neck, hair, shoulders) on the key colour."), "",
        (f"- architecture: `{cfg.get('arch')}`, variant `{variant}` (colorizer: {cfg.get('use_colorizer')}, "
         f"FPAT: {cfg.get('use_fpat')}, chroma setting: {cfg.get('chroma')}, H²: {cfg.get('h2')}, "
         f"pull-push pre-fill: {cfg.get('prefill', False)})"),
        "- inference: " + _inference_line(cfg),
        "- load: `CHANGER.from_pretrained(<folder or repo id>)` (safetensors only)",
        *([("- storage: int8 weights with one scale per output channel (`changer.quantize`), "
            "turned back into floats on load")] if is_model_folder(folder) and quantize.is_int8(folder / WEIGHTS) else []),
        "",
        "## Data",
        "The `train` split of the talking-heads set (real 256x256 talking-head frames with 5-class "
        "pseudo-labels, 16 identities); evaluation identities are disjoint. Research and internal "
        "evaluation only." + (f" {training['data']}" if training.get("data") else ""), "",
        "## Training budget",
        training.get("budget", "not recorded"), "",
        f"Perceptual term: {training.get('perceptual', 'n/a')}."
        + (f" Loss curve (losses every {training.get('train', {}).get('log_every', 25)} steps): `{TRAINING_LOG}`."
           if (folder / TRAINING_LOG).is_file() else "")
        + "".join(f" Stage {i + 1}: `{s['log']}`." for i, s in enumerate(training.get("stages", []))
                  if s.get("log") and s["log"] != TRAINING_LOG and (folder / s["log"]).is_file())
        + "".join(f" Member {i + 1}: {', '.join(f'`{n}`' for n in m.get('logs', []))}."
                  for i, m in enumerate(training.get("members", [])) if m.get("logs")), "",
        "## Measured metrics",
        metrics_md or "Not measured yet: run `changer eval` (see the project README).", "",
        "## Models the Blend pipeline uses beside this one", DLIB_NOTE, "",
    ]
    return "\n".join(lines)


def _inference_line(cfg: dict) -> str:
    """How the model runs, for the card: generators averaged, mirrored passes."""
    n = 1 + len(cfg.get("members") or ())
    parts = [f"the mean of {n} independently trained generators (output ensemble, `members`)"] if n > 1 else []
    if cfg.get("flip_ensemble"):
        parts.append("the mean of the plain and the mirrored pass (`flip_ensemble`)")
    if not parts:
        return "one pass"
    return " and ".join(parts) + f", {n * (2 if cfg.get('flip_ensemble') else 1)} passes in all"


def _member_logs(index: int, src: Path) -> dict[str, Path]:
    """A member's loss-curve files by the name they get beside the ensemble's weights."""
    return {f"member{index}_{p.name}": p for p in sorted(src.glob("*.csv"))}


def ensemble_training(sources: list[Path]) -> dict:
    """``training.json`` of an ensemble: each member's budget, and its loss-curve files
    (copied beside the weights by :func:`export_ensemble`, see :func:`_member_logs`)."""
    members = []
    for i, src in enumerate(sources, 1):
        info = _training_record(src)
        logs = list(_member_logs(i, src))
        members.append({"source": str(src), "budget": info.get("budget", "not recorded"),
                        "perceptual": info.get("perceptual"), "data": info.get("data"), "logs": logs})
    budget = f"An output ensemble of {len(members)} models trained on their own. " + " ".join(
        f"Member {i}: {m['budget'].rstrip('.')}." for i, m in enumerate(members, 1))
    notes = [m["data"] for m in members]
    if len(set(notes)) == 1 and notes[0]:
        data = f"Every member: {notes[0]}"
    else:
        data = " ".join(f"Member {i}: {d}" for i, d in enumerate(notes, 1) if d)
    perceptual = sorted({m["perceptual"] for m in members if m["perceptual"]})
    return {"budget": budget, "perceptual": ", ".join(perceptual) or "n/a", "members": members,
            **({"data": data} if data else {})}


def export_ensemble(sources: list[str | Path], dst: str | Path, metrics_md: str | None = None,
                    precision: str = "auto") -> dict:
    """Combine trained model folders into one output-ensemble folder (``changer.model.combine``),
    with a training record of every member and its loss curves; weights as :func:`export_model`."""
    import tempfile

    from changer.model import combine

    sources, dst = [Path(s) for s in sources], Path(dst)
    _require_empty(dst)
    bad = [str(s) for s in sources if not is_model_folder(s)]
    if bad:
        raise ValueError(f"not model folders (config.json + {WEIGHTS}): {', '.join(bad)}")
    models = [CHANGER.from_pretrained(str(s)) for s in sources]
    with tempfile.TemporaryDirectory() as tmp:
        staged = Path(tmp) / "ensemble"
        combine(models).save_pretrained(staged)
        (staged / "training.json").write_text(json.dumps(ensemble_training(sources), indent=2) + "\n")
        dst.mkdir(parents=True, exist_ok=True)
        for i, src in enumerate(sources, 1):
            for name, log in _member_logs(i, src).items():
                shutil.copy2(log, dst / name)
        return export_model(staged, dst, precision=precision, metrics_md=metrics_md)


def split_ensemble(src: str | Path, dst: str | Path) -> list[Path]:
    """Write each generator of an ensemble folder as its own model folder ``dst/member<i>``
    (fp32 weights, its training record and loss curves, a card): what a member needs to
    be fine-tuned (``init_from``) or combined anew. Returns the folders."""
    from changer.model import split

    src, dst = Path(src), Path(dst)
    _require_empty(dst)
    if not is_model_folder(src):
        raise ValueError(f"not a model folder (config.json + {WEIGHTS}): {src}")
    members = _training_record(src).get("members", [])
    folders = []
    for i, model in enumerate(split(CHANGER.from_pretrained(str(src))), 1):
        folder = dst / f"member{i}"
        model.save_pretrained(folder)
        info = members[i - 1] if i <= len(members) else {}
        (folder / "training.json").write_text(json.dumps(
            {k: v for k, v in info.items() if k in ("budget", "perceptual", "data", "source") and v}, indent=2) + "\n")
        for log in sorted(src.glob(f"member{i}_*.csv")):
            shutil.copy2(log, folder / log.name.removeprefix(f"member{i}_"))
        (folder / "README.md").write_text(model_card(folder))
        folders.append(folder)
    return folders


def export_model(
    src: str | Path,
    dst: str | Path,
    precision: str = "auto",
    metrics_md: str | None = None,
    config_overrides: dict | None = None,
) -> dict:
    """Copy a model folder to ``dst`` (weights at ``precision``) with a fresh model card.

    ``precision``: ``fp32``, ``fp16``, ``int8`` (:mod:`changer.quantize`), or ``auto``: fp16
    when that moves the output by at most :data:`MAX_FP16_ERROR`, else fp32. Returns the
    precision written, its measured largest output change (``max_error``) and the file size.

    ``config_overrides`` change fields of the copied ``config.json`` that do not touch the
    weights, such as the inference option ``flip_ensemble``; the result is validated by
    :class:`~changer.model.ChangerConfig` (an unknown field or bad value fails here).
    """
    from changer.hub_mixin import merge_config
    from changer.model import ChangerConfig

    src, dst = Path(src), Path(dst)
    config = json.loads((src / "config.json").read_text())
    if config_overrides:
        try:
            config = merge_config(ChangerConfig, config, config_overrides, "export").to_dict()
        except TypeError as err:  # an unknown field: a bad argument, not a bad type
            raise ValueError(str(err)) from err
    if precision == "auto":
        error = storage_error(src, "fp16")
        precision, error = ("fp16", error) if error <= MAX_FP16_ERROR else ("fp32", 0.0)
    elif precision in quantize.PRECISIONS:
        error = 0.0 if precision == "fp32" else storage_error(src, precision)
    else:
        raise ValueError(f"unknown precision {precision!r}; expected auto or one of {quantize.PRECISIONS}")
    dst.mkdir(parents=True, exist_ok=True)
    if (src / "training.json").is_file():
        record = _with_earlier_stages(_training_record(src), dst)
        (dst / "training.json").write_text(json.dumps(record, indent=2) + "\n")
    (dst / "config.json").write_text(json.dumps(config, indent=2, sort_keys=True) + "\n")
    if (src.parent / "log.csv").is_file():  # RUN/model -> RUN/log.csv: the loss curve
        shutil.copy2(src.parent / "log.csv", dst / TRAINING_LOG)
    tensors = quantize.stored(quantize.load_float(src / WEIGHTS), precision)
    save_file(tensors, str(dst / WEIGHTS), metadata=quantize.metadata(precision))
    (dst / "README.md").write_text(model_card(dst, metrics_md))
    return {"precision": precision, "max_error": error, "bytes": (dst / WEIGHTS).stat().st_size}


def _with_earlier_stages(record: dict, dst: Path) -> dict:
    """A fine-tune's record with the model it started from (``train.init_from``) as its
    earlier stages, so the card states the whole budget.

    The starting model's own stages (or its single record) come first, each with its loss
    curve copied into ``dst`` as ``training_log_stage<i>.csv``; this run is the last stage
    (log :data:`TRAINING_LOG`). A record without ``init_from``, or whose starting folder is
    gone, or that already lists its stages, is returned unchanged.
    """
    init = record.get("train", {}).get("init_from")
    if not init or "stages" in record or not is_model_folder(Path(init)):
        return record
    parent_dir = Path(init)
    parent = _training_record(parent_dir)
    earlier = parent.get("stages") or [{**parent, "log": TRAINING_LOG}]
    stages = []
    for i, stage in enumerate(earlier, 1):
        stage = {k: v for k, v in stage.items() if k != "stages"}
        log = stage.get("log")
        if log and (parent_dir / log).is_file():
            stage["log"] = f"training_log_stage{i}.csv"
            shutil.copy2(parent_dir / log, dst / stage["log"])
        else:
            stage.pop("log", None)
        stages.append(stage)
    stages.append({k: v for k, v in record.items() if k != "train"} | {"log": TRAINING_LOG})
    budget = f"{len(stages)} stages, each starting from the one before. " + " ".join(
        f"({i}) {stage.get('budget', 'not recorded').rstrip('.')}." for i, stage in enumerate(stages, 1))
    return {**record, "budget": budget, "stages": stages}


def push_model(folder: str | Path, repo_id: str, private: bool = False) -> str:
    """Upload a model folder to the Hugging Face Hub; returns the repo URL."""
    from huggingface_hub import HfApi

    api = HfApi()
    url = api.create_repo(repo_id, private=private, exist_ok=True)
    api.upload_folder(folder_path=str(folder), repo_id=repo_id, commit_message="Upload CHANGER model")
    return str(url)
