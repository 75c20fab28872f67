"""The model configuration, saved as ``config.json`` beside ``model.safetensors``.

One flat dataclass holds the architecture (widths, depths), the ablation switches that
change the network (``use_colorizer``, ``use_fpat``) and the data switches that the
trainer and pipeline read from the same file (``chroma``, ``h2``, ``key_color``,
``train_size``), so a folder of weights says how it must be fed.
"""

from __future__ import annotations

import warnings
from dataclasses import asdict, dataclass, fields, replace
from typing import Any

ARCHS = ("changer", "h2sb")
UPSAMPLE_MODES = ("pixelshuffle", "bilinear")
VARIANTS = ("full", "no_h2", "no_fpat", "no_chroma", "no_colorizer", "h2sb")

MEMBER_FIELDS = ("channels", "dim", "heads", "mlp_ratio", "colorizer_depth", "blender_depth",
                 "color_ref_pool", "sa_pool", "upsample")
"""The architecture fields an ensemble member (:attr:`ChangerConfig.members`) may set;
everything that says how the model is fed (variant switches, key colour, pre-fill) is shared."""

BOUNDS: dict[str, tuple[float, float]] = {
    "channels": (1, 512), "dim": (1, 1024), "heads": (1, 32), "mlp_ratio": (0.0625, 8),
    "colorizer_depth": (0, 16), "blender_depth": (0, 16), "color_ref_pool": (1, 64), "sa_pool": (1, 64),
    "train_size": (8, 4096), "disc_channels": (1, 512), "disc_layers": (1, 8), "disc_scales": (1, 6),
}
"""Inclusive bounds of the numeric fields (``channels``: of each level's width), at least twice
any trained model's (widest: channels up to 256, dim 256); :meth:`ChangerConfig.check_bounds` enforces them, with :data:`MAX_LEVELS` and
:data:`MAX_MEMBERS`, before a network is built (``changer.limits``)."""
MAX_LEVELS = 6
MAX_MEMBERS = 8

# What each named variant changes with respect to the defaults (DESIGN.md section 1).
_VARIANT_OVERRIDES: dict[str, dict[str, Any]] = {
    "full": {},
    "no_h2": {"h2": False},
    "no_fpat": {"use_fpat": False},
    "no_chroma": {"chroma": False},
    "no_colorizer": {"use_colorizer": False},
    "h2sb": {"arch": "h2sb", "use_colorizer": False, "use_fpat": False},
}


@dataclass
class ChangerConfig:
    """Configuration of a :class:`~changer.model.CHANGER` generator (and its discriminator).

    Attributes:
        arch: ``"changer"`` (encoder, Head Colorizer, FPAT body blender, decoder) or
            ``"h2sb"`` (the HeSer-style Head2Scene UNet baseline).
        variant: the name of the variant this config was made for (informative only).
        channels: conv widths per level; level ``i`` is at ``1/2**i`` resolution, so
            ``len(channels) = 4`` gives the 1/8 token grid (:attr:`stride`).
        dim: token width of the transformer parts.
        heads: attention heads.
        mlp_ratio: hidden width of the transformer MLPs, relative to ``dim``.
        colorizer_depth: transformer blocks of the Head Colorizer.
        blender_depth: FPAT blocks of the Body Blender.
        color_ref_pool: the colour-reference tokens ``phi_c(C)`` are average-pooled by this
            factor (1/16 grid by default): ``C`` is not aligned with ``X`` and only supplies
            colours, so fewer keys cost little and make the cross-attention cheaper.
        sa_pool: keys/values of every self-attention are average-pooled by this factor
            (PVT-style spatial reduction; queries stay on the token grid).
        use_colorizer: ``False`` is the ``no_colorizer`` ablation: ``x`` carries the colour
            head, there is no colour reference, no cross-attention to it and no ToRGB.
        use_fpat: ``False`` is the ``no_fpat`` ablation: unmasked attention to the body
            reference and no foreground prediction head.
        chroma: data: the target is in the chroma-key setting (``False`` = ``no_chroma``).
        h2: data: H² augmentation during training (``False`` = ``no_h2``).
        key_color: the default key colour (RGB, 0..255) when ``forward`` gets no ``key``.
        train_size: data: the square training resolution.
        residual: the decoder predicts a change of ``X``'s RGB rather than the RGB itself
            (see :meth:`~changer.model.CHANGER.forward`).
        prefill: the key-coloured fill region of ``X`` is first filled by pull-push
            interpolation from the pixels around it (:mod:`changer.model.prefill`); the
            network sees and corrects that guess instead of flat key colour.
        upsample: how the decoder upsamples (:class:`~changer.model.blocks.Up`):
            ``"pixelshuffle"`` (what weights trained before this flag use) or
            ``"bilinear"`` (smooth fills from the first step).
        flip_ensemble: inference only (the module in eval mode): the output is the mean of
            the network's output on the inputs and, mirrored back, on their mirror image.
            The network is not mirror-equivariant, so the two fills are two guesses of
            the hidden neck and clothes; their mean has a lower expected error than
            either (at twice the cost). Training never uses it.
        members: inference only: an output ensemble. Each entry holds the architecture
            fields (:data:`MEMBER_FIELDS`; the rest is this config's) of one more generator
            trained on its own; the output is the mean of this generator's and the
            members' outputs. Independently trained networks guess the hidden clothes and
            neck differently, and their mean has a lower expected error than each (at the
            sum of their costs). Built by ``changer ensemble``; never trained as one.
        disc_channels: first width of each PatchGAN discriminator.
        disc_layers: strided layers per PatchGAN.
        disc_scales: number of PatchGANs (each on a 2x smaller image).
    """

    arch: str = "changer"
    variant: str = "full"
    channels: tuple[int, ...] = (16, 32, 64, 128)
    dim: int = 128
    heads: int = 4
    mlp_ratio: float = 2.0
    colorizer_depth: int = 2
    blender_depth: int = 2
    color_ref_pool: int = 2
    sa_pool: int = 2
    use_colorizer: bool = True
    use_fpat: bool = True
    chroma: bool = True
    h2: bool = True
    key_color: tuple[int, int, int] = (0, 177, 64)
    train_size: int = 128
    residual: bool = True
    prefill: bool = False
    upsample: str = "pixelshuffle"
    flip_ensemble: bool = False
    members: tuple[dict[str, Any], ...] = ()
    disc_channels: int = 32
    disc_layers: int = 3
    disc_scales: int = 2

    def __post_init__(self) -> None:
        # JSON gives lists; keep tuples so configs compare equal after a round trip.
        self.channels = tuple(int(c) for c in self.channels)
        self.key_color = tuple(int(v) for v in self.key_color)  # type: ignore[assignment]
        self.check_bounds()
        if self.arch not in ARCHS:
            raise ValueError(f"arch must be one of {ARCHS}, got {self.arch!r}")
        if len(self.channels) < 2:
            raise ValueError("channels needs at least two levels")
        if self.dim % self.heads:
            raise ValueError(f"dim ({self.dim}) must be divisible by heads ({self.heads})")
        if self.upsample not in UPSAMPLE_MODES:
            raise ValueError(f"upsample must be one of {UPSAMPLE_MODES}, got {self.upsample!r}")
        if len(self.key_color) != 3:
            raise ValueError("key_color must be an RGB triple")
        self.members = tuple(self._check_member(m) for m in self.members)

    def check_bounds(self) -> None:
        """Refuse sizes no trained model has (:data:`BOUNDS`): a config asking for huge widths
        is a ``ValueError`` here, before any layer is built."""
        if not 2 <= len(self.channels) <= MAX_LEVELS:
            raise ValueError(f"channels needs 2 to {MAX_LEVELS} levels, got {len(self.channels)}")
        if len(self.members) > MAX_MEMBERS:
            raise ValueError(f"at most {MAX_MEMBERS} ensemble members, got {len(self.members)}")
        for name, (low, high) in BOUNDS.items():
            values = self.channels if name == "channels" else (getattr(self, name),)
            for value in values:
                if isinstance(value, bool) or not isinstance(value, (int, float)) or not low <= value <= high:
                    raise ValueError(f"{name} must be between {low:g} and {high:g}, got {value!r}")

    def _check_member(self, entry: dict[str, Any]) -> dict[str, Any]:
        """One :attr:`members` entry, validated and normalised (tuples, only set fields)."""
        if self.arch != "changer":
            raise ValueError("only arch 'changer' models can have ensemble members")
        extra = sorted(set(entry) - set(MEMBER_FIELDS))
        if extra:
            raise ValueError(f"an ensemble member may only set {MEMBER_FIELDS}, not {extra}")
        member = replace(self, members=(), **entry)
        if member.stride != self.stride:
            raise ValueError(f"ensemble members need stride {self.stride}, got {member.stride} ({entry})")
        return {k: getattr(member, k) for k in MEMBER_FIELDS if k in entry}

    def member_configs(self) -> list[ChangerConfig]:
        """The full config of each :attr:`members` entry."""
        return [replace(self, members=(), **entry) for entry in self.members]

    @property
    def stride(self) -> int:
        """Token-grid stride: input sides must be multiples of it."""
        return 2 ** (len(self.channels) - 1)

    @property
    def colour_head(self) -> bool:
        """Whether ``x`` must carry the colour head (``to_model_tensors(colour_head=...)``)."""
        return self.arch == "changer" and not self.use_colorizer

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready dict (tuples become lists in JSON, :meth:`from_dict` restores them)."""
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> ChangerConfig:
        """Build from a dict; unknown keys (e.g. from a newer version) are ignored with a warning."""
        names = {f.name for f in fields(cls)}
        unknown = sorted(set(data) - names)
        if unknown:
            warnings.warn(f"ChangerConfig ignores unknown keys {unknown}", stacklevel=2)
        return cls(**{k: v for k, v in data.items() if k in names})

    @classmethod
    def variant_config(cls, name: str, **overrides: Any) -> ChangerConfig:
        """The config of a named variant (``full``, ``no_h2``, ``no_fpat``, ``no_chroma``,
        ``no_colorizer``, ``h2sb``), with optional field overrides (e.g. smaller widths)."""
        if name not in _VARIANT_OVERRIDES:
            raise ValueError(f"unknown variant {name!r}; choose from {VARIANTS}")
        return replace(cls(variant=name, **_VARIANT_OVERRIDES[name]), **overrides)
