"""Spaces / local entry point: serve the CHANGER app.

Port from ``GRADIO_SERVER_PORT`` (default 7860), model from ``CHANGER_MODEL`` (default: the
bundled model), dataset for the Evaluate tab from ``CHANGER_DATA``. Public mode (a Space, or
``CHANGER_PUBLIC=1``) limits what visitors may choose: see ``demo/public.py`` and
``docs/deploy.md``.
"""

import logging
import os
import tempfile

from demo.scratch import remove_stale

# Temporary folders: those of app processes that are gone are removed, and Gradio's uploads go
# to a folder of this process (removed on exit and on SIGTERM, bounded while running).
remove_stale()
if not os.environ.get("GRADIO_TEMP_DIR"):
    os.environ["GRADIO_TEMP_DIR"] = tempfile.mkdtemp(prefix=f"changer-gradio-{os.getpid()}-")

from demo.atomic_cache import install as atomic_picture_cache  # noqa: E402 - after GRADIO_TEMP_DIR is set
from demo.ui import build_demo  # noqa: E402

atomic_picture_cache()  # identical results served at once no longer break a download
demo = build_demo()


def serve() -> None:
    """Queue with fair lines (``demo/queues.py``), clean up on exit and signals, launch."""
    import shutil

    from demo.queues import guard_queue, queue_size
    from demo.retention import start_sweeper
    from demo.scratch import clean_up_on_signals

    logging.basicConfig(format="%(asctime)s %(name)s: %(message)s")
    logging.getLogger("changer").setLevel(logging.INFO)  # one line per refused input (demo/errors.py)
    uploads = os.environ["GRADIO_TEMP_DIR"]
    ours = os.path.basename(uploads).startswith(f"changer-gradio-{os.getpid()}-")
    clean_up_on_signals(*([lambda: shutil.rmtree(uploads, ignore_errors=True)] if ours else []))
    start_sweeper(uploads, keep=lambda: {f for block in demo.blocks.values() for f in getattr(block, "keep_in_cache", ())})
    demo.queue(default_concurrency_limit=2, max_size=queue_size())
    guard_queue(demo)
    demo.launch(
        server_name=os.environ.get("GRADIO_SERVER_NAME", "127.0.0.1"),
        server_port=int(os.environ.get("GRADIO_SERVER_PORT", "7860")),
        max_file_size="40mb",
        show_error=True,  # Gradio's own refusals carry their message (was a bare {"error": null})
    )


if __name__ == "__main__":
    serve()
