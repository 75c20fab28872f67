"""Gradio components of the app that behave differently from the stock ones."""

from __future__ import annotations

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
