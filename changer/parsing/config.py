"""Configuration of the head parser, saved as ``config.json`` beside ``model.safetensors``."""

from __future__ import annotations

from dataclasses import asdict, dataclass, fields
from typing import Any

from changer.labels import NUM_CLASSES


@dataclass
class ParserConfig:
    """A small encoder-decoder segmentation network (see :mod:`changer.parsing.network`).

    Attributes:
        num_classes: output classes (5: background, face, hair, neck, body).
        widths: encoder widths at strides 2, 4, 8, 16, 32.
        depths: depthwise-separable blocks per encoder stage (the first of each stage,
            except the stem, downsamples).
        expand: expansion ratio of the inverted-residual blocks.
        decoder_widths: decoder widths at strides 16, 8, 4, 2.
        input_size: :class:`~changer.parsing.parser.HeadParser` resizes a picture so that
            its longer side is this many pixels before predicting (the network itself runs
            at any size; sides are padded to a multiple of 32 internally).
        train_crop: the square crop side the weights were trained at (informative).
    """

    num_classes: int = NUM_CLASSES
    widths: tuple[int, ...] = (16, 32, 48, 80, 128)
    depths: tuple[int, ...] = (1, 2, 3, 3, 2)
    expand: int = 3
    decoder_widths: tuple[int, ...] = (80, 48, 32, 24)
    input_size: int = 256
    train_crop: int = 160

    def __post_init__(self) -> None:
        self.widths = tuple(int(v) for v in self.widths)
        self.depths = tuple(int(v) for v in self.depths)
        self.decoder_widths = tuple(int(v) for v in self.decoder_widths)
        if len(self.widths) != 5 or len(self.depths) != 5 or len(self.decoder_widths) != 4:
            raise ValueError("ParserConfig needs 5 widths, 5 depths and 4 decoder widths")
        if min(self.depths) < 1 or self.num_classes < 2 or self.input_size < 32:
            raise ValueError("ParserConfig: depths >= 1, num_classes >= 2, input_size >= 32")

    @property
    def stride(self) -> int:
        """The network pads its input sides to multiples of this."""
        return 32

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> ParserConfig:
        """From a dict (e.g. ``config.json``); unknown keys are an error."""
        names = {f.name for f in fields(cls)}
        unknown = sorted(set(data) - names)
        if unknown:
            raise TypeError(f"ParserConfig got unknown fields {unknown}")
        return cls(**data)
