"""The target's person layer: its colours and matte, by keying on a key screen (spill removed,
:func:`unmix`) or from the labels (:func:`person_layer`), and the target with that layer cut
to the working window (:func:`crop_layers`)."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from changer import chroma
from changer import labels as L
from changer.data.sample import on_key
from changer.inputs import RGB
from changer.window import Window, crop_square, resize


@dataclass
class Layer:
    """The target's person layer at full resolution."""

    fg: np.ndarray
    alpha: np.ndarray
    keyed: chroma.KeyDetection | None


def unmix(img: np.ndarray, alpha: np.ndarray, key: RGB) -> np.ndarray:
    """The foreground colour ``F`` of pixels ``I = a * F + (1 - a) * K``, spill removed.

    Compositing the observed colour ``I`` itself (``I * a + B * (1 - a)``) would darken soft
    edges twice (dark halos around hair); solving for ``F`` first keeps edges true.
    Pixels with almost no alpha keep their colour (it is never seen).
    """
    a = alpha.astype(np.float32)[..., None]
    solid = a > 0.05
    f = (img.astype(np.float32) - (1.0 - a) * np.asarray(key, np.float32)) / np.maximum(a, 0.05)
    f = np.where(solid, f, img.astype(np.float32))
    f = np.clip(np.rint(f), 0, 255).astype(np.uint8)
    return chroma.suppress_spill(f, key, alpha)


def person_layer(img: np.ndarray, labels: np.ndarray) -> Layer:
    """The target's person (colour, alpha): by keying on a key screen, else from the labels."""
    keyed = chroma.detect_key_color(img)
    if keyed is not None:
        alpha = chroma.alpha_matte(img, keyed.color)
        return Layer(fg=unmix(img, alpha, keyed.color), alpha=alpha, keyed=keyed)
    alpha = L.foreground_mask(labels).astype(np.float32)
    return Layer(fg=img, alpha=alpha, keyed=None)


@dataclass
class Crop:
    """The target in the working window."""

    rgb: np.ndarray
    labels: np.ndarray
    person: np.ndarray
    """The person's colours (spill removed on a key screen)."""
    on_key: np.ndarray
    """The target in the chroma-key setting (``T_green``)."""
    alpha: np.ndarray | None = None
    """The target person's matte (keyed on a key screen, else the labels' foreground)."""

    def loose(self) -> np.ndarray:
        """What the matte calls person but the labels call neither neck nor body: the old
        head, with what a parser missed of it on a key screen (dark hair it called background)."""
        person = L.foreground_mask(self.labels) if self.alpha is None else self.alpha > 0.5
        return person & ~L.neck_body_mask(self.labels)


def crop_layers(tgt: np.ndarray, lab: np.ndarray, layer: Layer, window: Window, res: int, key: RGB) -> Crop:
    """Crop and resize the target, its labels and its person layer to the window."""
    rgb = resize(crop_square(tgt, window), res, "image")
    labels = resize(crop_square(lab, window), res, "labels")
    if layer.keyed is None:
        return Crop(rgb=rgb, labels=labels, person=rgb, on_key=on_key(rgb, L.foreground_mask(labels), key))
    person = resize(crop_square(layer.fg, window), res, "image")
    alpha = np.clip(resize(crop_square(layer.alpha, window), res, "float"), 0.0, 1.0)
    return Crop(rgb=rgb, labels=labels, person=person, on_key=chroma.composite(person, alpha, key), alpha=alpha)
