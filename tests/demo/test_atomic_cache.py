"""Gradio's picture cache written atomically (demo/atomic_cache.py)."""

from __future__ import annotations

import threading
from pathlib import Path

import numpy as np
from PIL import Image

from demo.atomic_cache import install, save_pil_to_cache


def test_the_same_picture_is_written_once_and_never_rewritten_in_place(tmp_path: Path) -> None:
    img = Image.fromarray(np.random.default_rng(0).integers(0, 256, (64, 64, 3), dtype=np.uint8))
    first = Path(save_pil_to_cache(img, str(tmp_path), format="png"))
    inode = first.stat().st_ino
    paths = []
    threads = [threading.Thread(target=lambda: paths.append(save_pil_to_cache(img, str(tmp_path), format="png")))
               for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert set(paths) == {str(first)} and first.stat().st_ino == inode  # the file served is never touched
    assert [p.name for p in first.parent.iterdir()] == ["image.png"]  # no staging file left
    assert np.array_equal(np.asarray(Image.open(first)), np.asarray(img))


def test_install_replaces_gradios_writer() -> None:
    from gradio import processing_utils

    stock = processing_utils.save_pil_to_cache
    try:
        assert install() and processing_utils.save_pil_to_cache is save_pil_to_cache
    finally:
        processing_utils.save_pil_to_cache = stock
