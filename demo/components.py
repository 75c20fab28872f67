"""Gradio components of the app that behave differently from the stock ones."""

from __future__ import annotations

import math
from typing import Any

import gradio as gr

from demo.errors import user_error


def photo_input(label: str, **kwargs: Any) -> gr.Image:
    """An image upload that hands the handler the uploaded file itself (its path).

    A stock ``gr.Image`` decodes uploads with its own PIL calls: an unreadable file then
    fails before the handler runs and the page shows only "Error", and 16-bit, float,
    animated or transparent images arrive as wrong pixels. This one passes the file's path
    on, so :func:`changer.imageio.read_image` decodes it with its checks and messages (EXIF
    rotation, bit depth, alpha, size limits). Pasted or webcam pictures (data URLs) go
    through Gradio's decoder, and a failure there becomes a message too.

    The stock component with its ``preprocess`` replaced on the instance: a subclass would
    make Gradio write a type stub beside this file at every import.
    """
    image = gr.Image(label=label, type="filepath", image_mode=None, **kwargs)
    stock = image.preprocess

    def preprocess(payload: Any) -> str | None:
        if payload is None:
            return None
        url = getattr(payload, "url", None) or ""
        path = getattr(payload, "path", None)
        if path and not url.startswith("data:"):
            return str(path)
        try:
            return stock(payload)
        except gr.Error:
            raise
        except Exception as err:  # noqa: BLE001 - any decoder failure is about the user's file
            raise user_error(f"{label}: this file cannot be read as an image ({err}).") from None

    image.preprocess = preprocess  # type: ignore[method-assign]
    return image


def number_slider(minimum: float, maximum: float, value: float, label: str, **kwargs: Any) -> gr.Slider:
    """A slider whose value an API caller may leave out or get wrong.

    The stock ``preprocess`` fails on ``None`` or text with a ``TypeError`` (a bare "Error"
    for the caller) and names no slider when a value is out of range. Here ``None`` takes
    the slider's starting value (as a caller of an older API version expects), numbers sent
    as text are read, anything else is a message naming the slider.
    """
    slider = gr.Slider(minimum, maximum, value=value, label=label, **kwargs)
    stock = slider.preprocess

    def preprocess(payload: Any) -> float:
        if payload is None:
            payload = value
        try:
            number = float(payload)
        except (TypeError, ValueError):
            raise user_error(f"{label}: must be a number, got {payload!r}") from None
        if not math.isfinite(number):
            raise user_error(f"{label}: must be a finite number, got {payload!r}")
        try:
            return stock(number)
        except gr.Error as err:  # out of range
            raise user_error(f"{label}: {err.message}") from None

    slider.preprocess = preprocess  # type: ignore[method-assign]
    return slider


def checkbox_group(choices: list[Any], **kwargs: Any) -> gr.CheckboxGroup:
    """A checkbox group an API caller may send ``null`` to: that is no choice (the handler
    says what to pick), where the stock ``preprocess`` fails with a ``TypeError`` (a bare
    "Error")."""
    group = gr.CheckboxGroup(choices, **kwargs)
    stock = group.preprocess

    def preprocess(payload: Any) -> Any:
        return stock([] if payload is None else payload)

    group.preprocess = preprocess  # type: ignore[method-assign]
    return group
