"""The benchmark runner (eval.runner), its cache (eval.cache) and ``changer eval``."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import changer.blenders
import eval.baselines
from changer.data.blend_dataset import BlendDataset
from changer.data.dataset import TalkingHeads
from changer.data.synthetic import write_synthetic_dataset
from changer.inputs import BlendInputs
from eval.runner import FRAME_COLUMNS, EvalRequest, evenly_spaced, resolve_method, run_evaluation

REPO = Path(__file__).resolve().parents[2]
RES = 64
"""Small evaluation size for speed (the CLI offers 256/512; the runner takes any multiple of 16)."""


@pytest.fixture(scope="module")
def data(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Two test splits: test_hdtf (2 identities x 3 frames), test_vox (1 x 3)."""
    return write_synthetic_dataset(
        tmp_path_factory.mktemp("eval-data"), splits={"test_hdtf": 2, "test_vox": 1}, frames_per_clip=3, size=64
    )


class Spy:
    """A baseline that fills the hole with one colour and records every call."""

    def __init__(self, fill: int) -> None:
        self.fill = fill
        self.seen: list[BlendInputs] = []

    @property
    def calls(self) -> int:
        return len(self.seen)

    def __call__(self, inputs: BlendInputs) -> np.ndarray:
        self.seen.append(inputs)
        out = inputs.target.copy()
        out[inputs.hole] = self.fill
        return out


@pytest.fixture
def spies(monkeypatch: pytest.MonkeyPatch) -> dict[str, Spy]:
    """Two spy baselines registered as ``spy_a`` and ``spy_b``."""
    made = {"spy_a": Spy(100), "spy_b": Spy(200)}
    for name, spy in made.items():
        monkeypatch.setitem(eval.baselines.BASELINES, name, spy)
    return made


def _request(data: Path, tmp_path: Path, methods: list[str], **kw: object) -> EvalRequest:
    opts: dict[str, object] = dict(splits=["test_hdtf", "test_vox"], resolution=RES, cache_dir=tmp_path / "cache")
    opts.update(kw)
    return EvalRequest(data_root=data, methods=methods, **opts)  # type: ignore[arg-type]


def test_evenly_spaced_is_deterministic_and_distinct() -> None:
    assert evenly_spaced(10, None) == list(range(10))
    assert evenly_spaced(10, 3) == [0, 5, 9]  # 4.5 rounds half up
    assert evenly_spaced(5, 1) == [0]
    for n in range(1, 40):
        for k in range(1, n + 1):
            picks = evenly_spaced(n, k)
            assert len(picks) == k and picks == sorted(set(picks)) and picks[0] == 0
            assert k == 1 or picks[-1] == n - 1


def test_every_method_sees_identical_protocol_inputs(data: Path, tmp_path: Path, spies: dict[str, Spy]) -> None:
    result = run_evaluation(_request(data, tmp_path, ["spy_a", "spy_b"], use_cache=False), progress=False)
    a, b = spies["spy_a"], spies["spy_b"]
    assert a.calls == b.calls == 9
    assert all(x is y for x, y in zip(a.seen, b.seen))  # one sample per frame, reused
    assert list(result.per_frame.columns) == list(FRAME_COLUMNS)
    assert len(result.per_frame) == 18 and set(result.per_frame.method) == {"spy_a", "spy_b"}

    # The inputs are the seeded protocol's: rebuilding a frame's sample gives the same arrays.
    frames = TalkingHeads(data).frames("test_hdtf")
    again = BlendDataset(frames, size=RES, train=False).sample(4).inputs
    np.testing.assert_array_equal(a.seen[4].hole, again.hole)
    np.testing.assert_array_equal(a.seen[4].target, again.target)
    np.testing.assert_array_equal(a.seen[4].color_ref, again.color_ref)

    # A frame's inputs do not depend on how many frames are evaluated.
    last_hole = a.seen[5].hole
    a.seen = []
    sub = run_evaluation(_request(data, tmp_path, ["spy_a"], use_cache=False, max_frames=2), progress=False)
    assert list(sub.per_frame.frame_id[sub.per_frame.split == "test_hdtf"]) == [frames[0].frame_id, frames[-1].frame_id]
    np.testing.assert_array_equal(a.seen[1].hole, last_hole)


def test_second_run_hits_the_cache_and_new_methods_only_compute_themselves(
    data: Path, tmp_path: Path, spies: dict[str, Spy]
) -> None:
    first = run_evaluation(_request(data, tmp_path, ["spy_a"]), progress=False)
    assert spies["spy_a"].calls == 9 and first.cached == []
    second = run_evaluation(_request(data, tmp_path, ["spy_a"]), progress=False)
    assert spies["spy_a"].calls == 9  # nothing recomputed
    assert second.computed == [] and len(second.cached) == 2
    pd.testing.assert_frame_equal(first.per_frame, second.per_frame)
    pd.testing.assert_frame_equal(first.summary, second.summary)

    both = run_evaluation(_request(data, tmp_path, ["spy_a", "spy_b"]), progress=False)
    assert spies["spy_a"].calls == 9 and spies["spy_b"].calls == 9
    assert both.computed == [("spy_b", "test_hdtf"), ("spy_b", "test_vox")]
    assert list(dict.fromkeys(both.per_frame.method)) == ["spy_a", "spy_b"]

    # Other options are other entries.
    run_evaluation(_request(data, tmp_path, ["spy_a"], key_color="blue"), progress=False)
    assert spies["spy_a"].calls == 18


def _fake_model(folder: Path, chroma: bool, payload: bytes) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "config.json").write_text(json.dumps({"variant": "fake", "chroma": chroma}))
    (folder / "model.safetensors").write_bytes(payload)
    return folder


def test_changed_model_file_is_recomputed_and_no_chroma_gets_real_background(
    data: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    seen: dict[str, list[BlendInputs]] = {}

    def fake_load_blender(model_id: str, device: str | None = None) -> Spy:
        spy = Spy(50)
        spy.seen = seen.setdefault(Path(model_id).name, [])
        return spy

    monkeypatch.setattr(changer.blenders, "load_blender", fake_load_blender)
    full = _fake_model(tmp_path / "models" / "full", True, b"weights-1")
    no_chroma = _fake_model(tmp_path / "models" / "no_chroma", False, b"weights-1")
    methods = [str(full), str(no_chroma)]
    first = run_evaluation(_request(data, tmp_path, methods), progress=False)
    assert list(dict.fromkeys(first.per_frame.method)) == ["full", "no_chroma"]
    assert len(seen["full"]) == len(seen["no_chroma"]) == 9
    assert all(x.chroma for x in seen["full"]) and not any(x.chroma for x in seen["no_chroma"])
    for x, y in zip(seen["full"], seen["no_chroma"]):  # same frame, same hole, other background
        np.testing.assert_array_equal(x.hole, y.hole)
    assert first.methods["no_chroma"]["chroma"] is False

    run_evaluation(_request(data, tmp_path, methods), progress=False)
    assert len(seen["full"]) == 9  # cache hit

    (full / "model.safetensors").write_bytes(b"weights-2")
    third = run_evaluation(_request(data, tmp_path, methods), progress=False)
    assert len(seen["full"]) == 18 and len(seen["no_chroma"]) == 9
    assert third.computed == [("full", "test_hdtf"), ("full", "test_vox")]


def test_resolve_method_prefers_baselines_paths_then_bundled(tmp_path: Path) -> None:
    assert resolve_method("poisson") == "poisson"
    assert resolve_method(str(tmp_path)) == str(tmp_path)
    assert resolve_method("no-such-model-xyz") == "no-such-model-xyz"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def test_sharded_run_matches_single_process(data: Path, tmp_path: Path) -> None:
    """Two processes under ``accelerate launch`` (gloo on the CPU) give the single-process table.

    ``--multi_gpu`` is accelerate's torch.distributed launcher; on a machine without GPUs
    (or with ``--cpu`` given to our script) the processes run on the CPU with gloo.
    accelerate's own ``--cpu`` flag would start several processes only through MPI.
    """
    out = tmp_path / "sharded"
    cmd = [
        sys.executable, "-m", "accelerate.commands.launch", "--num_processes", "2", "--num_machines", "1",
        "--multi_gpu", "--mixed_precision", "no", "--dynamo_backend", "no", "--main_process_port", str(_free_port()),
        "-m", "eval.launch_sharded", "--data", str(data), "--splits", "test_hdtf,test_vox",
        "--methods", "paste,inpaint", "--out", str(out), "--batch-size", "2", "--no-cache",
        "--grid", "0", "--no-figures", "--quiet", "--cpu",
    ]
    env = {**os.environ, "OMP_NUM_THREADS": "1", "PYTHONPATH": str(REPO)}
    proc = subprocess.run(cmd, cwd=REPO, env=env, capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr[-3000:]
    sharded = pd.read_csv(out / "per_frame.csv", dtype={"frame_id": str})
    assert json.loads((out / "summary.json").read_text())["processes"] == 2

    single = run_evaluation(
        EvalRequest(data_root=data, splits=["test_hdtf", "test_vox"], methods=["paste", "inpaint"],
                    resolution=256, batch_size=2, use_cache=False),
        progress=False,
    ).per_frame
    pd.testing.assert_frame_equal(sharded, single, check_exact=True)


def test_changer_eval_cli_writes_tables_and_figures(data: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    from changer.cli import main

    out = tmp_path / "out"
    code = main([
        "eval", "--data", str(data), "--splits", "test_hdtf,test_vox", "--methods", "paste,poisson",
        "--out", str(out), "--max-frames", "2", "--cache-dir", str(tmp_path / "cache"), "--quiet", "--grid", "2",
    ])
    assert code == 0
    printed = capsys.readouterr().out
    assert "| method | split | psnr ↑" in printed and "| poisson | test_vox |" in printed
    per_frame = pd.read_csv(out / "per_frame.csv")
    assert len(per_frame) == 2 * 2 * 2 and per_frame.lpips.isna().all()  # LPIPS unavailable here
    summary = pd.read_csv(out / "summary.csv")
    assert set(summary.method) == {"paste", "poisson"} and set(summary.split) == {"test_hdtf", "test_vox"}
    info = json.loads((out / "summary.json").read_text())
    assert info["lpips"]["available"] is False and info["lpips"]["reason"]
    assert info["request"]["methods"] == ["paste", "poisson"] and info["versions"]["protocol"] >= 1
    html = (out / "figures.html").read_text()
    assert 'src="https://cdn' not in html and len(html) > 1_000_000  # plotly.js embedded: opens offline
    assert "LPIPS unavailable" in html
    assert (out / "grid.png").is_file() and (out / "summary.md").is_file()

    assert main(["eval", "--data", str(data), "--methods", "paste", "--out", str(out / "summary.md")]) == 2
    assert "is a file, not a folder" in capsys.readouterr().err


def test_available_methods_lists_bundled_blenders_not_the_parser():
    from changer.blenders import DEFAULT_MODEL_DIR
    from eval.runner import available_methods

    methods = available_methods()
    assert methods[-4:] == ["paste", "poisson", "inpaint", "laplacian"]
    assert "parser" not in methods
    if (DEFAULT_MODEL_DIR / "model.safetensors").is_file():
        assert methods[0] == "default"


def test_request_checks_max_frames(data: Path) -> None:
    for bad in (0, -3, 2.5, True):
        with pytest.raises(ValueError, match="max_frames must be a whole number"):
            EvalRequest(data_root=data, splits=["test_hdtf"], methods=["paste"], max_frames=bad)  # type: ignore[arg-type]
    assert EvalRequest(data_root=data, splits=["test_hdtf"], methods=["paste"], max_frames=3.0).max_frames == 3  # type: ignore[arg-type]


def test_model_configs_that_are_not_objects_are_value_errors(tmp_path: Path) -> None:
    from eval.runner import model_chroma

    folder = _fake_model(tmp_path / "m", True, b"x")
    (folder / "config.json").write_text("[1]")
    with pytest.raises(ValueError, match="config.json: expected a JSON object"):
        model_chroma(str(folder))
    (folder / "config.json").write_text('{"chroma": "no"}')
    with pytest.raises(ValueError, match="chroma must be true or false"):
        model_chroma(str(folder))


def test_a_damaged_cache_entry_is_a_miss_and_an_unwritable_cache_costs_no_results(
    data: Path, tmp_path: Path, spies: dict[str, Spy]
) -> None:
    first = run_evaluation(_request(data, tmp_path, ["spy_a"]), progress=False)
    entries = sorted((tmp_path / "cache").rglob("*.csv"))
    entries[0].write_text(entries[0].read_text()[:-40])  # cut short
    again = run_evaluation(_request(data, tmp_path, ["spy_a"]), progress=False)
    assert len(again.computed) == 1 and len(again.cached) == len(entries) - 1
    pd.testing.assert_frame_equal(again.per_frame, first.per_frame)

    blocked = tmp_path / "a-file"
    blocked.write_text("")
    with pytest.warns(UserWarning, match="evaluation cache not written"):
        result = run_evaluation(_request(data, tmp_path, ["spy_a"], cache_dir=blocked), progress=False)
    pd.testing.assert_frame_equal(result.per_frame, first.per_frame)


def test_a_model_that_cannot_load_stops_the_run_before_any_frame(
    data: Path, tmp_path: Path, spies: dict[str, Spy]
) -> None:
    broken = _fake_model(tmp_path / "broken", True, b"not safetensors")
    with pytest.raises(Exception):  # noqa: B017 - whatever the loader raises
        run_evaluation(_request(data, tmp_path, ["spy_a", str(broken)], use_cache=False), progress=False)
    assert spies["spy_a"].calls == 0


def test_grid_tiles_are_cached_so_a_second_grid_runs_no_method(
    data: Path, tmp_path: Path, spies: dict[str, Spy]
) -> None:
    from eval.grid import render_grid

    request = _request(data, tmp_path, ["spy_a", "spy_b"])
    first = render_grid(request, rows=2)
    assert spies["spy_a"].calls == spies["spy_b"].calls == 2
    np.testing.assert_array_equal(render_grid(request, rows=2), first)
    assert spies["spy_a"].calls == spies["spy_b"].calls == 2  # both read back

    # Other frames, another split or no cache: the method runs again.
    render_grid(request, rows=3)
    render_grid(request, rows=2, split="test_vox")
    render_grid(_request(data, tmp_path, ["spy_a"], use_cache=False), rows=2)
    assert spies["spy_a"].calls == 2 + 3 + 2 + 2

    # Damaged entries are misses, recomputed to the same picture; an unwritable cache warns.
    for tiles in (tmp_path / "cache").rglob("*.png"):
        tiles.write_bytes(tiles.read_bytes()[:-10])
    np.testing.assert_array_equal(render_grid(request, rows=2), first)
    assert spies["spy_a"].calls == 9 + 2 and spies["spy_b"].calls == 7 + 2  # each recomputed once
    blocked = tmp_path / "a-file"
    blocked.write_text("")
    with pytest.warns(UserWarning, match="grid tiles not cached"):
        np.testing.assert_array_equal(render_grid(_request(data, tmp_path, ["spy_a", "spy_b"], cache_dir=blocked), rows=2), first)


def test_cache_images_round_trip_and_refuse_mixed_sizes(tmp_path: Path) -> None:
    from eval.cache import ResultCache

    cache = ResultCache(tmp_path)
    rng = np.random.default_rng(0)
    images = [rng.integers(0, 256, (8, 6, 3), dtype=np.uint8) for _ in range(3)]
    assert cache.get_images("ab" * 32) is None
    cache.put_images("ab" * 32, images, {"what": "test"})
    back = cache.get_images("ab" * 32)
    assert back is not None and len(back) == 3
    for a, b in zip(images, back):
        np.testing.assert_array_equal(a, b)
    with pytest.raises(ValueError, match="one size"):
        cache.put_images("cd" * 32, [images[0], images[0][:4]])
    with pytest.raises(ValueError, match="one size"):
        cache.put_images("cd" * 32, [])


def test_a_split_without_label_maps_says_so(tmp_path: Path) -> None:
    import shutil

    from eval.runner import load_split

    root = write_synthetic_dataset(tmp_path / "data", splits={"test_hdtf": 1, "test_vox": 1}, frames_per_clip=2, size=64)
    for clip in (root / "parsing").iterdir():  # the label maps of every clip gone, the folder kept
        shutil.rmtree(clip)
    request = EvalRequest(data_root=root, splits=["test_hdtf"], methods=["paste"])
    with pytest.raises(ValueError, match="'test_hdtf' has no frames with label maps: no parsing/<clip>/<frame>.png"):
        load_split(request, "test_hdtf")
