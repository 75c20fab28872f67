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


def choice_radio(choices: list[Any], value: Any, label: str, **kwargs: Any) -> gr.Radio:
    """A radio whose value an API caller may leave out (``None``: the starting value) or get
    wrong: the stock check answers "Value: 'x' ... is not in the list of choices" with a
    traceback in the server log; this one names the option and its choices, and logs one line."""
    radio = gr.Radio(choices, value=value, label=label, **kwargs)
    stock = radio.preprocess
    allowed = [c[1] if isinstance(c, tuple) else c for c in choices]

    def preprocess(payload: Any) -> Any:
        if payload is None:
            payload = value
        if payload not in allowed:
            raise user_error(f"{label}: must be one of {', '.join(map(str, allowed))}; got {payload!r}")
        return stock(payload)

    radio.preprocess = preprocess  # type: ignore[method-assign]
    return radio


def checkbox_group(choices: list[Any], label: str, **kwargs: Any) -> gr.CheckboxGroup:
    """A checkbox group whose choices are checked by the handler, not against the list the
    page started with: an API caller (or the page, after the list changed with the dataset
    folder) may name a split or method that list does not hold, and the handler knows what
    the chosen dataset offers. ``null`` is no choice (the stock ``preprocess`` fails with a
    ``TypeError``: a bare "Error"); a single name counts as a list of one."""
    group = gr.CheckboxGroup(choices, label=label, **kwargs)

    def preprocess(payload: Any) -> list[str]:
        if payload is None:
            return []
        items = [payload] if isinstance(payload, str) else payload
        if not isinstance(items, list) or not all(isinstance(item, str) for item in items):
            raise user_error(f"{label}: must be a list of names, got {payload!r}")
        return items

    group.preprocess = preprocess  # type: ignore[method-assign]
    return group
