"""Messages for the user: a refused input is shown in the page, not dumped as a traceback."""

from __future__ import annotations

import logging

import gradio as gr

log = logging.getLogger("changer.app")


def user_error(message: str) -> gr.Error:
    """A ``gr.Error`` for the page with ``message``, logged as one line (``changer.app``, INFO;
    ``app.py`` shows it).

    Gradio prints the whole traceback of every ``gr.Error`` by default: a server log of
    a public demo then fills with tracebacks of pictures without a face. Bad input is
    not a fault of the app; real faults still raise their own exceptions and tracebacks.
    A Gradio without ``print_exception`` (before 5.9) gets a plain ``gr.Error``.
    """
    from demo.public import scrub

    message = scrub(message)  # public mode: no server paths in what the page shows
    log.info("refused: %s", message)
    try:
        return gr.Error(message, print_exception=False)
    except TypeError:
        return gr.Error(message)
