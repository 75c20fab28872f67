"""The parser's passes as one batch (HeadParser.logits_all) and its kept logits."""

from __future__ import annotations

import numpy as np
import torch

from changer.parsing import HeadParser, ParserConfig, ParserNet

TINY = {"widths": (4, 8, 8, 16, 16), "depths": (1, 1, 1, 1, 1), "expand": 1, "decoder_widths": (8, 8, 8, 8),
        "input_size": 64}


def _parser() -> HeadParser:
    torch.manual_seed(0)
    return HeadParser(ParserNet(ParserConfig(**TINY)).eval(), device="cpu")


def _pictures() -> list[np.ndarray]:
    rng = np.random.default_rng(0)
    return [rng.integers(0, 256, shape, dtype=np.uint8) for shape in ((64, 64, 3), (80, 60, 3), (64, 64, 3), (60, 80, 3))]


def test_a_batch_gives_each_pictures_own_logits() -> None:
    pictures = _pictures()
    alone = [_parser().logits(p) for p in pictures]  # a fresh parser each: nothing kept
    together = _parser().logits_all(pictures)
    for a, b in zip(alone, together):
        assert a.shape == b.shape
        np.testing.assert_allclose(a, b, atol=1e-4)
    raw = _parser().raw_labels_all(pictures)
    assert [r.shape for r in raw] == [p.shape[:2] for p in pictures]


def test_logits_are_kept_until_the_weights_change() -> None:
    parser = _parser()
    picture = _pictures()[1]
    calls = []
    parser.net.register_forward_hook(lambda module, args, out: calls.append(args[0].shape[0]))
    first = parser.logits(picture)
    again = parser.logits(picture)
    assert calls == [1] and again is first and not first.flags.writeable
    with torch.no_grad():
        for p in parser.net.parameters():
            p.mul_(0.5)
    changed = parser.logits(picture)
    assert calls == [1, 1] and not np.allclose(changed, first)
    parser.forget()
    parser.logits(picture)
    assert calls == [1, 1, 1]


def test_the_flip_pass_runs_with_the_plain_one() -> None:
    parser = _parser()
    calls = []
    parser.net.register_forward_hook(lambda module, args, out: calls.append(args[0].shape[0]))
    plain, mean = parser._logits(_pictures()[1])
    assert calls == [2] and mean is not None and plain.shape == mean.shape
