"""Cross-identity blends laid out per method (eval.cross_pairs)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from changer.data.dataset import TalkingHeads
from changer.data.synthetic import synthetic_person, write_synthetic_dataset
from eval.cross_pairs import TILE, blend_pairs, choose_pairs, cross_frames, fit, main


@dataclass(frozen=True)
class FakeFrame:
    clip_id: str
    identity: str
    index: str = "0000"
    seed: int = 0

    @property
    def frame_id(self) -> str:
        return f"{self.clip_id}/{self.index}"

    def load_pair(self) -> tuple[np.ndarray, np.ndarray]:
        return synthetic_person(64, np.random.default_rng(self.seed))

    def load_image(self) -> np.ndarray:
        return self.load_pair()[0]


def _clips(identities: list[str], frames: int = 3) -> list[FakeFrame]:
    return [FakeFrame(f"clip{c}", who, f"{3 * i:04d}") for c, who in enumerate(identities) for i in range(frames)]


def test_pairs_are_of_different_people_spread_out_and_repeatable() -> None:
    frames = _clips(["a", "a", "b", "c", "d", "e", "f", "g"])
    pairs = choose_pairs(frames, 5)
    assert len(pairs) == 5 and pairs == choose_pairs(list(reversed(frames)), 5)  # the clips decide, not the order
    assert all(p.source.identity != p.target.identity for p in pairs)
    assert all(p.source.index == p.target.index == "0003" for p in pairs)  # each clip's middle frame
    assert len({p.source.clip_id for p in pairs}) == 5 and len({p.target.clip_id for p in pairs}) == 5
    names = {(p.source.clip_id, p.target.clip_id) for p in choose_pairs(frames, 8)}
    assert not any((t, s) in names for s, t in names)  # the first round never pairs A with B and B with A


def test_asking_for_more_pairs_than_there_are_gives_each_once() -> None:
    frames = _clips(["a", "a", "b", "c"])
    pairs = choose_pairs(frames, 100)
    every = {(s.clip_id, t.clip_id) for s in frames for t in frames if s.identity != t.identity}
    assert len(pairs) == len(every) == 10 and {(p.source.clip_id, p.target.clip_id) for p in pairs} == every


def test_one_person_or_no_pair_wanted_is_refused() -> None:
    with pytest.raises(ValueError, match=r"at least two people; the chosen splits hold 1 \(solo\)"):
        choose_pairs(_clips(["solo", "solo"]), 3)
    with pytest.raises(ValueError, match="at least 1"):
        choose_pairs(_clips(["a", "b"]), 0)


def test_every_method_blends_every_pair_into_one_captioned_sheet(synthetic_data: Path,
                                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    import changer.blenders

    loaded: list[str] = []
    real_load = changer.blenders.load_blender
    monkeypatch.setattr(changer.blenders, "load_blender", lambda name: loaded.append(name) or real_load(name))
    pairs = choose_pairs(cross_frames(synthetic_data, ["test_hdtf"]), 2)
    seen: list[tuple[int, int]] = []
    blends = blend_pairs(pairs, ["paste", "laplacian", "paste"], lambda done, total, what: seen.append((done, total)))
    assert list(blends.images) == ["paste", "laplacian"] and not blends.refused()
    assert seen[0] == (0, 4) and seen[-1] == (4, 4)  # a method named twice is blended once
    assert sorted(loaded) == ["laplacian", "paste"]  # and loaded once
    for i, pair in enumerate(pairs):
        target = pair.target.load_image()
        for images in blends.images.values():
            assert images[i].shape == target.shape
            assert np.abs(images[i].astype(int) - target).mean() > 2  # the head was replaced
    sheet = blends.sheet(tile=96)
    bar = max(96 // 12, 14)  # label_tile's caption bar
    assert sheet.shape == (2 * (96 + bar), 4 * 96, 3)
    assert (sheet[:bar] > 200).mean() > 0.8  # white caption bars


def test_a_refused_pair_is_a_grey_tile_and_a_line_not_a_crash() -> None:
    @dataclass(frozen=True)
    class Headless(FakeFrame):
        def load_pair(self) -> tuple[np.ndarray, np.ndarray]:
            img, _ = super().load_pair()
            return img, np.zeros(img.shape[:2], np.uint8)  # nobody in the labels

    good = [FakeFrame("c0", "a", seed=1), FakeFrame("c1", "b", seed=2)]
    pairs = choose_pairs([*good, Headless("c2", "c", seed=3)], 3)
    blends = blend_pairs(pairs, ["paste"])
    refused = [i for i, img in enumerate(blends.images["paste"]) if img is None]
    assert refused and len(refused) < len(pairs)
    assert all("c2/" in line for line in blends.refused())
    sheet = blends.sheet(tile=64)
    row = refused[0] * (64 + 14)
    assert np.median(sheet[row + 14:row + 78, 2 * 64:3 * 64]) == 200  # the grey tile in the method's column


def test_a_wrong_method_fails_before_any_blend(synthetic_data: Path) -> None:
    pairs = choose_pairs(cross_frames(synthetic_data, ["test_hdtf"]), 1)
    calls: list[str] = []
    with pytest.raises(ValueError, match="unknown model 'nonsense'"):
        blend_pairs(pairs, ["paste", "nonsense"], lambda done, total, what: calls.append(what))
    assert calls == []


def test_fit_keeps_the_shape_of_the_picture() -> None:
    wide = np.zeros((50, 200, 3), np.uint8)
    out = fit(wide, 100)
    assert out.shape == (100, 100, 3)
    assert (out[:30] == 255).all() and (out[40:60] == 0).all()


def test_command_writes_the_sheet_and_refuses_bad_requests(synthetic_data: Path, tmp_path: Path,
                                                         capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "sheet.png"
    assert main(["--data", str(synthetic_data), "--splits", "test_hdtf,train", "--methods", "paste",
                 "--pairs", "3", "--out", str(out)]) == 0
    assert Image.open(out).size == (3 * TILE, 3 * (TILE + TILE // 12))
    assert capsys.readouterr().out.count(" -> ") == 3
    solo = write_synthetic_dataset(tmp_path / "solo", splits={"test_green": 1}, size=64)
    assert main(["--data", str(solo), "--splits", "test_green", "--out", str(out)]) == 2
    assert "at least two people" in capsys.readouterr().err
    assert main(["--data", str(synthetic_data), "--splits", "nope", "--out", str(out)]) == 2
    assert main(["--data", str(synthetic_data), "--methods", " , ", "--splits", "test_hdtf", "--out", str(out)]) == 2
    with pytest.raises(SystemExit):
        main(["--data", str(synthetic_data), "--out", " "])  # a blank name would write into the current folder
    assert len(TalkingHeads(synthetic_data).frames("test_hdtf")) == 6  # the data is only read


def test_an_unreadable_frame_costs_only_its_pairs(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    root = write_synthetic_dataset(tmp_path / "data", {"test_hdtf": 3}, size=64)
    broken = min((root / "frames").glob("*/0003.jpg"))
    broken.write_bytes(b"not a picture")
    out = tmp_path / "sheet.png"
    assert main(["--data", str(root), "--splits", "test_hdtf", "--methods", "paste", "--pairs", "3",
                 "--out", str(out)]) == 0
    printed = capsys.readouterr().out
    refused = [line for line in printed.splitlines() if line.startswith("refused:")]
    assert len(refused) == 2 and all("unreadable image" in line for line in refused)  # 2 of 3 pairs use it
    sheet = np.asarray(Image.open(out))
    assert sheet.shape[0] == 3 * (TILE + TILE // 12)
    assert main(["--data", str(root), "--splits", "test_hdtf", "--methods", "nonsense", "--out", str(out)]) == 2
    assert "unknown model 'nonsense'" in capsys.readouterr().err
