"""Spaces / local entry point: serve the CHANGER app.

Port from ``GRADIO_SERVER_PORT`` (default 7860), model from ``CHANGER_MODEL`` (default: the
bundled model), dataset for the Evaluate tab from ``CHANGER_DATA``.
"""

import logging
import os

from demo.ui import build_demo

demo = build_demo()

if __name__ == "__main__":
    logging.basicConfig(format="%(asctime)s %(name)s: %(message)s")
    logging.getLogger("changer").setLevel(logging.INFO)  # one line per refused input (demo/errors.py)
    demo.queue(default_concurrency_limit=2, max_size=32).launch(
        server_name=os.environ.get("GRADIO_SERVER_NAME", "127.0.0.1"),
        server_port=int(os.environ.get("GRADIO_SERVER_PORT", "7860")),
        max_file_size="40mb",
    )
