"""What a blend is asked for and what it gives back: :class:`BlendOptions` (checked by
:func:`check_options`), the working resolution and key colour they lead to, and
:class:`BlendResult` (turned back by :func:`turn_result` when the target was blended upright)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from typing import Any, Literal

import numpy as np

from changer import chroma
from changer.imageio import InputError
from changer.inputs import DEFAULT_KEY_COLOR, RGB, BlendInputs
from changer.orientation import turn, turn_box
from changer.window import Window


@dataclass
class BlendOptions:
    """How to blend.

    Attributes:
        key_color: RGB key colour of the result's ``foreground`` (and of ``image`` with the
            ``"key"`` background); None = the working key. The network always works on
            its own key (a model is trained for one: any other gives a wrong picture),
            and only key-agnostic blenders (the baselines) work on this one; without
            either, the work is on the target's detected key, else green.
        color_reference: ``"target"`` (default): the new head takes the target's skin
            tone, its colour (``C`` = the target's own head) and its lightness (the gray
            face is given the target face's median luma, :mod:`changer.tone`);
            ``"source"``: keep the source's colours and lightness (``C`` = the source head).
        align_scale: multiplier on the automatic head scale.
        align_offset: ``(dx, dy)`` shift of the head in fractions of the target head size.
        align_rotate: also rotate the head by the difference of the heads' axes.
        output_background: ``"original"`` (the target's own background), ``"key"`` (the key
            colour) or ``"image"`` (the ``background`` argument); None = ``"image"`` when a
            background is given, else ``"original"``.
        resolution: working resolution (None = the blender's).
        context: minimum window side as a multiple of the target head size.
        feather: width of the paste-back feather, as a fraction of the window side.
        edge_softness: σ (pixels at the working resolution) of the blur that anti-aliases
            the keyed outline of the new person (:func:`changer.chroma.soften_edges`); 0
            keeps the keyed matte as it is. The network draws the outline as hard as the
            pasted head's mask, stair-steps included, where photos have soft edges: on
            self-blends of held-out frames 0.8 raised the PSNR of a 3 px band either side
            of the head's outline by 1.4 to 2.1 dB (chosen on the validation identities;
            ``docs/experiments/blending.md``).
        mend_seam: with ``head="network"``, repaint the pixel ring around the pasted head
            inside the person (:func:`changer.seam.mend_head_seam`), where the network draws
            a line (a real head is laid over that ring).
        seam_line_level: with ``mend_seam``, also repaint the head's own outer pixels that
            stand out from their neighbourhood by more than this many gray levels (the
            light jaw line of cross-identity blends); None = not. On self-blends of test
            frames neutral (seam band −0.05 ± 0.20 dB HDTF, +0.15 ± 0.30 Vox), on
            cross-identity pairs the line is gone by eye (``docs/experiments/blending.md``).
        background_margin: with the target's own background, how far beyond the old
            person's parsed outline the background is rebuilt (inpainted) where the new
            person is further than that away, as a fraction of the window side (elsewhere
            1%): a photo's soft hair edge reaches a few pixels past the parser's label and
            would otherwise stay as a ghost outline of the old hair. Only where the
            background beyond is smooth (:data:`changer.background.BUSY_BACKGROUND`).
        neck_tint: with ``head="network"``, how far the generated neck's colour is moved
            toward the new face's
            (:func:`changer.neck.tint_neck`; 0 = as the network drew it, 1 = the face's
            median chroma inside the neck): the network draws necks washed out, gray or
            bluish under a new chin. Chroma-key models only (a ``no_chroma`` model's output
            is pasted as it is). With the real head the fill is colour-matched to the real
            skin and clothes around it instead (:mod:`changer.fill_color`).
        upright: turn a photo whose person lies on their side or upside down upright
            before blending (:func:`changer.orientation.upright_turns`); a turned target's
            result is turned back, so it has the target's shape and orientation.
        head: ``"real"`` (default): the source head's own pixels at full resolution on top
            (:mod:`changer.head_layer`), the target's neck and clothes kept, the network
            filling only the ring between them and the old head the new one does not cover
            (its colours matched to the real pixels around it, :mod:`changer.fill_color`);
            ``"network"``: the paper's output, the network redraws the head from its gray
            copy and the target's neck.
        force_enlargement: blend even when the source face would be enlarged more than
            :data:`changer.placement.MAX_ENLARGEMENT` times (refused by default: the head
            would be mush).
    """

    key_color: RGB | None = None
    color_reference: Literal["target", "source"] = "target"
    align_scale: float = 1.0
    align_offset: tuple[float, float] = (0.0, 0.0)
    align_rotate: bool = False
    output_background: Literal["original", "key", "image"] | None = None
    resolution: int | None = None
    context: float = 1.5
    feather: float = 0.02
    edge_softness: float = 0.8
    mend_seam: bool = True
    seam_line_level: float | None = 16.0
    background_margin: float = 0.03
    neck_tint: float = 1.0
    upright: bool = True
    head: Literal["real", "network"] = "real"
    force_enlargement: bool = False


@dataclass
class BlendResult:
    """What one blend produced.

    Attributes:
        image: ``HxWx3 uint8`` final picture, the target's (loaded) size.
        foreground: ``HxWx3 uint8`` the new person on the key colour, full resolution
            (the layer that was composited onto the background).
        alpha: ``HxW float32`` matte of that person, full resolution.
        masks: full-resolution boolean masks: ``source_head`` (aligned), ``new_head`` (what
            was laid on top from the source photo: its head and the top of its neck with the
            real head, else the aligned head), ``target_head``, ``target_neck``,
            ``target_body``, ``hole`` (the regenerated region), ``blend_region`` (where the
            result may differ from the target: the hole plus its feather).
        inputs: the :class:`BlendInputs` the blender got (working window; like ``raw``, as
            the blender saw it: upright when the target was turned upright, see
            :attr:`BlendOptions.upright`).
        method: the blender's name.
        notes: remarks for the user (fallbacks, downscaling, keying).
        raw: the blender's output in the working window (foreground on the key colour).
        window: ``(x0, y0, side)`` of the working window in target pixels.
        key_color: the key colour of ``foreground`` (``raw`` and ``inputs`` are on the
            working key, the blender's own when it has one)
        paste_weight: ``HxW float32`` weight of the paste-back (1 on the hole, feathered
            to 0, and ramped to 0 at window borders that lie inside the image); with the
            ``"original"`` background, pixels where it is 0 are the target's exactly.
        original: ``HxWx3 uint8`` the target as loaded (the size of ``image``), for
            before/after views.
    """

    image: np.ndarray
    foreground: np.ndarray
    alpha: np.ndarray
    masks: dict[str, np.ndarray]
    inputs: BlendInputs
    method: str
    notes: list[str] = field(default_factory=list)
    raw: np.ndarray | None = None
    window: Window = (0, 0, 0)
    key_color: RGB = DEFAULT_KEY_COLOR
    paste_weight: np.ndarray | None = None
    original: np.ndarray | None = None


MAX_BACKGROUND_MARGIN = 0.2
"""A fifth of the window around the old person is as far as rebuilding its background makes sense."""

MAX_EDGE_SOFTNESS = 4.0
"""Beyond a few pixels the blur would smear the outline rather than anti-alias it."""


def check_options(opts: BlendOptions, background: Any) -> BlendOptions:
    """Validate options; resolve ``output_background=None``."""
    if opts.color_reference not in ("target", "source"):
        raise InputError(f"color_reference must be 'target' or 'source', got {opts.color_reference!r}")
    out = opts.output_background or ("image" if background is not None else "original")
    if out not in ("original", "key", "image"):
        raise InputError(f"output_background must be 'original', 'key' or 'image', got {out!r}")
    if out == "image" and background is None:
        raise InputError("output_background='image' needs a background image")
    if opts.key_color is not None:
        values = np.asarray(opts.key_color)
        if values.shape != (3,) or not np.all((values >= 0) & (values <= 255)):
            raise InputError(f"key_color must be three values in 0..255, got {opts.key_color!r}")
    if not opts.context > 0 or not 0 <= opts.feather < 0.5:
        raise InputError("context must be positive and feather in [0, 0.5)")
    if opts.seam_line_level is not None and not opts.seam_line_level >= 0:
        raise InputError(f"seam_line_level must be None or at least 0 gray levels, got {opts.seam_line_level!r}")
    if not 0 <= opts.background_margin <= MAX_BACKGROUND_MARGIN:
        raise InputError(f"background_margin must be in [0, {MAX_BACKGROUND_MARGIN}], got {opts.background_margin!r}")
    if not 0 <= opts.neck_tint <= 1:
        raise InputError(f"neck_tint must be in [0, 1], got {opts.neck_tint!r}")
    if not 0 <= opts.edge_softness <= MAX_EDGE_SOFTNESS:
        raise InputError(f"edge_softness must be in [0, {MAX_EDGE_SOFTNESS}] pixels, got {opts.edge_softness!r}")
    return BlendOptions(**{**opts.__dict__, "output_background": out})


def working_resolution(res: int) -> int:
    """Working resolution: a multiple of 8 in 64..2048."""
    if not 64 <= int(res) <= 2048:
        raise InputError(f"resolution must be between 64 and 2048, got {res}")
    return int(round(int(res) / 8) * 8)


def as_rgb(color: Sequence[int]) -> RGB:
    """An RGB triple of Python ints."""
    return tuple(int(v) for v in color)  # type: ignore[return-value]


def choose_key(blender: RGB | None, user: RGB | None, keyed: chroma.KeyDetection | None) -> RGB:
    """The working key: the blender's own, else the user's, else the target's, else chroma green."""
    for key in (blender, user, keyed.color if keyed else None):
        if key is not None:
            return as_rgb(key)
    return DEFAULT_KEY_COLOR


def turn_result(result: BlendResult, turns: int) -> BlendResult:
    """``result`` with its full-picture arrays (image, foreground, alpha, masks, paste
    weight, original) and its window turned by ``turns`` (:func:`turn`); the blender's
    ``inputs`` and ``raw`` output stay as the blender saw them (upright)."""
    def t(arr: np.ndarray | None) -> np.ndarray | None:
        return None if arr is None else turn(arr, turns)

    return replace(
        result, image=t(result.image), foreground=t(result.foreground), alpha=t(result.alpha),
        masks={k: turn(m, turns) for k, m in result.masks.items()}, paste_weight=t(result.paste_weight),
        original=t(result.original), window=turn_box(result.window, result.image.shape, turns),
    )
