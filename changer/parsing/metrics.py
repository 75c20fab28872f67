"""Per-class IoU of label maps, pooled over images (as the talking-heads README defines it).

Pooled IoU of class ``c`` over a group of images = (sum of the per-image intersections) /
(sum of the per-image unions). A class that never occurs in either the predictions or the
references of the group has an undefined IoU (NaN); the mean is taken over defined classes.
"""

from __future__ import annotations

from collections.abc import Iterable

import numpy as np

from changer.labels import CLASS_NAMES, NUM_CLASSES


def confusion(pred: np.ndarray, ref: np.ndarray, num_classes: int = NUM_CLASSES) -> np.ndarray:
    """``num_classes x num_classes`` pixel counts, rows = reference class, columns = predicted."""
    pred, ref = np.asarray(pred), np.asarray(ref)
    if pred.shape != ref.shape:
        raise ValueError(f"prediction {pred.shape} and reference {ref.shape} differ in shape")
    idx = ref.astype(np.int64).ravel() * num_classes + pred.astype(np.int64).ravel()
    return np.bincount(idx, minlength=num_classes * num_classes).reshape(num_classes, num_classes)


class IoUAccumulator:
    """Sums intersections and unions over images; :meth:`iou` gives the pooled per-class IoU."""

    def __init__(self, num_classes: int = NUM_CLASSES) -> None:
        self.num_classes = num_classes
        self.matrix = np.zeros((num_classes, num_classes), np.int64)
        self.images = 0

    def add(self, pred: np.ndarray, ref: np.ndarray) -> None:
        self.matrix += confusion(pred, ref, self.num_classes)
        self.images += 1

    @property
    def intersection(self) -> np.ndarray:
        return np.diag(self.matrix)

    @property
    def union(self) -> np.ndarray:
        return self.matrix.sum(0) + self.matrix.sum(1) - np.diag(self.matrix)

    def iou(self) -> np.ndarray:
        """Per-class pooled IoU (NaN for classes absent from predictions and references)."""
        union = self.union
        with np.errstate(invalid="ignore", divide="ignore"):
            return np.where(union > 0, self.intersection / np.maximum(union, 1), np.nan)

    def mean_iou(self) -> float:
        values = self.iou()
        return float(np.nanmean(values)) if np.isfinite(values).any() else float("nan")

    def pixel_accuracy(self) -> float:
        total = self.matrix.sum()
        return float(np.trace(self.matrix) / total) if total else float("nan")


def pooled_iou(pairs: Iterable[tuple[np.ndarray, np.ndarray]], num_classes: int = NUM_CLASSES) -> np.ndarray:
    """Per-class IoU pooled over ``(prediction, reference)`` pairs."""
    acc = IoUAccumulator(num_classes)
    for pred, ref in pairs:
        acc.add(pred, ref)
    return acc.iou()


def iou_table(rows: dict[str, np.ndarray], names: tuple[str, ...] = CLASS_NAMES) -> str:
    """A Markdown table: one row per group (e.g. split), one column per class, plus the mean."""
    head = "| split | " + " | ".join(names) + " | mean |"
    lines = [head, "|" + "---|" * (len(names) + 2)]
    for group, values in rows.items():
        cells = ["n/a" if not np.isfinite(v) else f"{v:.3f}" for v in values]
        mean = float(np.nanmean(values)) if np.isfinite(values).any() else float("nan")
        lines.append(f"| {group} | " + " | ".join(cells) + f" | {mean:.3f} |")
    return "\n".join(lines)
