"""Plain-words names for what the app shows: methods, metrics and test sets.

The library and the API keep their short internal names (``default``, ``laplacian``,
``psnr_region``, ``test_hdtf``); the page shows these instead. Gradio choices are
``(label, value)`` pairs (:func:`method_choices`), so what reaches the library is unchanged.
A name not listed here (a model folder, a Hub id) is shown as it is.
"""

from __future__ import annotations

from collections.abc import Iterable

METHODS: dict[str, tuple[str, str]] = {
    # bundled models: changer/weights/<name> (docs/results.md says how each was trained)
    "default": ("CHANGER (default)",
                "The bundled model: three CHANGER networks averaged, trained on a GPU at 256 px."),
    "default_cpu": ("CHANGER, CPU-trained",
                    "An earlier default: the same network trained on a 2-core CPU alone (128 px crops, 108 minutes)."),
    "full": ("CHANGER, short training",
             "The paper's full model, trained with the ablations' short budget (1,000 steps)."),
    "prefill": ("CHANGER, pull-push pre-fill",
                "The full model at the short budget, its hole first filled by pull-push interpolation."),
    "no_h2": ("CHANGER, no H² augmentation",
              "Ablation: trained without random head shapes and other people's long hair."),
    "no_fpat": ("CHANGER, no FPAT",
                "Ablation: without the body blender that looks at the foreground type (face, hair, body)."),
    "no_chroma": ("CHANGER, no chroma keying",
                  "Ablation: trained and run on the real background instead of a green screen."),
    "no_colorizer": ("CHANGER, no Head Colorizer",
                     "Ablation: without the part that colours the gray head from the colour reference."),
    "h2sb": ("HeSer-style UNet",
             "A plain learned UNet baseline (no colorizer, no FPAT), at the short budget."),
    "h2sb_cpu": ("HeSer-style UNet, CPU-trained",
                 "The UNet baseline trained with exactly the CPU-trained CHANGER's recipe and budget."),
    # non-learned baselines: eval/baselines.py
    "paste": ("Paste (no blending)",
              "The recoloured head pasted onto the target; the rest of the hole stays green."),
    "poisson": ("Poisson cloning",
                "The recoloured head cloned into an inpainted target (OpenCV seamlessClone)."),
    "inpaint": ("OpenCV inpainting",
                "The hole filled from its surroundings (OpenCV Telea inpainting), then the head pasted."),
    "laplacian": ("Laplacian pyramid blend",
                  "The recoloured head blended into an inpainted target band by band, with a soft mask."),
}
"""Internal method name -> (short display name, one-line description)."""

NETWORK_SUFFIX = ":network"
"""A cross-identity method ``NAME:network``: the network draws the head (the paper's output)."""

METRICS: dict[str, tuple[str, str]] = {
    # self-reconstruction (eval.stats.METRICS)
    "psnr": ("PSNR dB ↑", "peak signal-to-noise ratio against the true frame, whole picture"),
    "ssim": ("SSIM ↑", "structural similarity to the true frame (1 = identical), whole picture"),
    "lpips": ("LPIPS ↓", "learned perceptual distance to the true frame (0 = identical), whole picture"),
    "psnr_region": ("PSNR blend area dB ↑", "PSNR over the area the method had to fill"),
    "ssim_region": ("SSIM blend area ↑", "SSIM over the area the method had to fill"),
    "lpips_region": ("LPIPS blend area ↓", "LPIPS over the area the method had to fill"),
    # cross-identity (eval.cross_identity.METRICS)
    "seconds": ("time (s)", "seconds per blend"),
    "id_src": ("id_src ↓", "still the source person? face descriptor distance, under 0.6 = same person"),
    "id_tgt": ("id_tgt ↑", "distance to the target's old face: low means the old identity survives"),
    "eye_ab": ("eye_ab ↓", "eye colour change from the source (a*b* distance)"),
    "lip_ab": ("lip_ab ↓", "lip colour change from the source (a*b* distance)"),
    "skin_de": ("skin_de ΔE ↓", "skin tone difference from the target's face (ΔE)"),
    "kept": ("kept ↑", "share of the target's pixels left alone where nothing had to change (1 = all)"),
    "seam": ("seam ↓", "line at the jaw: edge strength on the outline over its surroundings (1 = none)"),
    "ghost": ("ghost ↓", "old hair left on a green-screen target (share of the old head's pixels)"),
    "pose_roll": ("pose_roll °", "head tilt difference between source and target (explains failures)"),
    "pose_yaw": ("pose_yaw °", "head turn difference between source and target (explains failures)"),
    "sharp": ("sharp ↑", "sharpness of the new face relative to the source photo (1 = as sharp)"),
}
"""Metric column -> (header with unit and which way is better, one-line meaning)."""

COLUMNS: dict[str, str] = {"method": "method", "split": "test set", "minus": "compared with",
                           "pair": "pair", "status": "status", "message": "message", "failed": "failed"}
"""Other table columns."""

SPLITS: dict[str, str] = {
    "test_hdtf": "studio speech (HDTF)",
    "test_vox": "in the wild (VoxCeleb)",
    "test_green": "green screen (MEAD)",
    "val": "validation",
    "train": "training",
}
"""Dataset split -> display name (other splits are shown as they are)."""


def method_label(name: str) -> str:
    """The display name of a method; ``NAME:network`` says the network draws the head."""
    name = str(name)
    if name.endswith(NETWORK_SUFFIX):
        return f"{method_label(name[:-len(NETWORK_SUFFIX)])}, network draws the head"
    return METHODS[name][0] if name in METHODS else name


def method_description(name: str) -> str:
    """One line on what a method is (empty for a name not listed)."""
    name = str(name)
    if name.endswith(NETWORK_SUFFIX):
        base = method_description(name[:-len(NETWORK_SUFFIX)])
        return f"{base} The network draws the whole head (the paper's output)." if base else ""
    return METHODS[name][1] if name in METHODS else ""


def method_choices(names: Iterable[str]) -> list[tuple[str, str]]:
    """Gradio ``choices``: ``(display name, internal name)``."""
    return [(method_label(n), n) for n in names]


def split_label(name: str) -> str:
    return SPLITS.get(str(name), str(name))


def split_choices(names: Iterable[str]) -> list[tuple[str, str]]:
    return [(split_label(n), n) for n in names]


def metric_label(name: str) -> str:
    """A metric's column header (unit, ↑ higher is better, ↓ lower is better)."""
    return METRICS[name][0] if name in METRICS else COLUMNS.get(name, name)


def methods_markdown(names: Iterable[str]) -> str:
    """A Markdown list of the methods: display name, one line, and the name the CLI and the
    CSV files use."""
    lines = []
    for name in names:
        description = method_description(name)
        lines.append(f"- **{method_label(name)}** (`{name}`)" + (f": {description}" if description else ""))
    return "\n".join(lines)


def metrics_markdown(names: Iterable[str]) -> str:
    """One line per metric: its header and what it means."""
    return "\n".join(f"- **{METRICS[n][0]}**: {METRICS[n][1]}" for n in names if n in METRICS)


def readable_table(table, columns: Iterable[str] = ("method", "minus")):
    """A copy of a results table (``pandas.DataFrame``) with display names: method columns
    and the split column's values, and every header."""
    table = table.copy()
    for column in columns:
        if column in table.columns:
            table[column] = table[column].map(method_label)
    if "split" in table.columns:
        table["split"] = table["split"].map(split_label)
    return table.rename(columns={c: metric_label(c) for c in table.columns})


def ordered_methods(names: Iterable[str]) -> list[str]:
    """``names`` in the order of :data:`METHODS` (CHANGER models, UNets, baselines), any
    others after them in their own order."""
    names = list(dict.fromkeys(names))
    order = {name: i for i, name in enumerate(METHODS)}
    return sorted(names, key=lambda n: order.get(n, len(order)))


def picture_label(name: str) -> str:
    """:func:`method_label` in the characters a caption drawn into a picture can show
    (OpenCV's font has no ², no accents)."""
    text = method_label(name).replace("²", "2")
    return text.encode("ascii", "replace").decode("ascii")
