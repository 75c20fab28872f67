"""Upper bounds on what a model load may cost, checked before anything large is read or built.

A model folder or Hub repo is only a ``config.json`` and a ``model.safetensors``: a 400-byte
config asking for huge widths once made ``from_pretrained`` allocate 4.9 GB before the
weights were refused. :mod:`changer.hub_mixin` now checks, in this order and before any
weight tensor exists: the files' sizes (on the Hub from the repo's file list, before a
download), the config's fields (:meth:`changer.model.ChangerConfig.check_bounds`), the
network's size when built on PyTorch's ``meta`` device (no memory), and the safetensors
header (names and shapes) against that network.

The bundled models are far below these bounds: the largest, ``default``, is an ensemble of
15.8 M parameters in a 16 MB file (int8).
"""

from __future__ import annotations

MAX_CONFIG_BYTES = 256 * 1024
"""Largest ``config.json`` read (the bundled ones are under 2 KB)."""

MAX_WEIGHT_BYTES = 512 * 1024 * 1024
"""Largest ``model.safetensors`` read or downloaded (128 M fp32 numbers)."""

MAX_PARAMETERS = 100_000_000
"""Most numbers (parameters and buffers) a network may hold: 400 MB in fp32."""
