"""A bounded load test of the app on this machine (127.0.0.1 only; it stops by itself).

    python scripts/load_test.py                      # start app.py (public mode) and run every scenario
    python scripts/load_test.py --blends 20 --evaluates 40 --only flood
    python scripts/load_test.py --url http://127.0.0.1:7860/ --pid 1234   # an app already running here

Scenarios (each prints answered / refused counts, latency median and max (from the upload to
the answer; each request has a ``gradio_client.Client`` of its own, made before), and the
server's peak RSS during it, from ``/proc/<pid>/status`` after resetting the peak):

* ``hostile``: one request with an 11000² colour label map (a real 0.4 MB PNG), one with a
  13300² PNG photo (0.5 MB), then 4 of each at once: each must be refused within a second;
* ``model_box``: the model box's answer for ``/root/.ssh`` and ``/root/.sshx``;
* ``blends``: N valid blends at once (the bundled examples with their label maps);
* ``flood``: the same N blends while M Evaluate calls are sent at once: no blend may be
  refused as "queue full" (Evaluate's own line refuses the surplus).

Bounds: at most 64 blends and 100 Evaluate calls, ``--timeout`` seconds in all (default 600),
and every request its own timeout; the app it started is stopped with SIGTERM at the end.
"""

from __future__ import annotations

import argparse
import concurrent.futures as futures
import os
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.parse
import urllib.request
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from hostile_files import solid_png  # noqa: E402

MAX_BLENDS, MAX_EVALUATES = 64, 100
LOOPBACK = ("127.0.0.1", "localhost", "::1", "[::1]")


# --------------------------------------------------------------------------- the server


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_app(work: Path, public: bool) -> tuple[subprocess.Popen, str]:
    """``app.py`` on a free loopback port with a tiny synthetic dataset, offline."""
    from changer.data.synthetic import write_synthetic_dataset

    data = write_synthetic_dataset(work / "data", {"train": 1, "test_hdtf": 2}, size=64)
    port = _free_port()
    env = {**os.environ, "GRADIO_SERVER_NAME": "127.0.0.1", "GRADIO_SERVER_PORT": str(port), "CHANGER_DATA": str(data),
           "CHANGER_CACHE": str(work / "cache"), "GRADIO_ANALYTICS_ENABLED": "False", "HF_HUB_OFFLINE": "1",
           "CHANGER_PUBLIC": "1" if public else "0"}
    log = (work / "app.log").open("w")
    proc = subprocess.Popen([sys.executable, "app.py"], cwd=REPO, env=env, stdout=log, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}/"
    deadline = time.monotonic() + 180
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise SystemExit(f"the app exited with code {proc.returncode}; see {work / 'app.log'}")
        try:
            with urllib.request.urlopen(url, timeout=2):
                return proc, url
        except OSError:
            time.sleep(0.5)
    proc.terminate()
    raise SystemExit("the app did not answer within 180 s")


class Memory:
    """The server's resident memory from ``/proc/<pid>/status``; the peak is reset before
    each scenario (``clear_refs`` 5) so each reports its own."""

    def __init__(self, pid: int | None) -> None:
        self.pid = pid

    def _status(self, key: str) -> int | None:
        if self.pid is None:
            return None
        try:
            for line in Path(f"/proc/{self.pid}/status").read_text().splitlines():
                if line.startswith(key + ":"):
                    return int(line.split()[1]) * 1024
        except OSError:
            return None
        return None

    def reset_peak(self) -> None:
        if self.pid is not None:
            try:
                Path(f"/proc/{self.pid}/clear_refs").write_text("5")
            except OSError:
                pass

    def now(self) -> int | None:
        return self._status("VmRSS")

    def peak(self) -> int | None:
        return self._status("VmHWM")


def _gb(n: int | None) -> str:
    return "unknown" if n is None else f"{n / 2**30:.2f} GB"


# --------------------------------------------------------------------------- requests


def _examples() -> dict[str, str]:
    from demo.examples import example_dir

    d = example_dir()
    return {k: str(d / f"{v}.png") for k, v in (("source", "source_short_hair"), ("target", "target_office"),
                                                 ("source_labels", "source_short_hair_labels"),
                                                 ("target_labels", "target_office_labels"))}


def blend(url: str, source: str, target: str, source_labels: str | None, target_labels: str | None,
          model: str = "", timeout: float = 300) -> tuple[str, float, str]:
    """One /blend call in a session of its own: ``(outcome, seconds, message)``, outcome
    ``ok``, ``refused`` (a message from the app), ``queue_full`` or ``error``."""
    from gradio_client import Client, handle_file

    try:
        client = Client(url, verbose=False, httpx_kwargs={"timeout": timeout})
    except Exception as err:  # noqa: BLE001
        return "error", float("nan"), f"no connection: {type(err).__name__}: {err}"[:300]
    start = time.perf_counter()  # from the upload to the answer
    try:
        out = client.predict(
            handle_file(source), handle_file(target), None,
            handle_file(source_labels) if source_labels else None, handle_file(target_labels) if target_labels else None,
            "green", "target", 1.0, 0.0, 0.0, "original", model, "built-in", api_name="/blend")
        return "ok", time.perf_counter() - start, str(out[-1])[:120]
    except Exception as err:  # noqa: BLE001 - every answer is counted
        return _classify(err), time.perf_counter() - start, f"{type(err).__name__}: {err}"[:300]


def evaluate(url: str, timeout: float = 300) -> tuple[str, float, str]:
    """One cheap /evaluate call (one split, the paste baseline, one frame)."""
    from gradio_client import Client

    try:
        client = Client(url, verbose=False, httpx_kwargs={"timeout": timeout})
    except Exception as err:  # noqa: BLE001
        return "error", float("nan"), f"no connection: {err}"[:300]
    start = time.perf_counter()
    try:
        out = client.predict("", ["test_hdtf"], ["paste"], 1, "", api_name="/evaluate")
        return "ok", time.perf_counter() - start, str(out[-1])[:120]
    except Exception as err:  # noqa: BLE001
        return _classify(err), time.perf_counter() - start, f"{type(err).__name__}: {err}"[:300]


def _classify(err: Exception) -> str:
    """``queue_full`` (HTTP 503: gradio_client's QueueError), ``refused`` (a message from the
    app: AppError), else ``error`` (a broken connection, a timeout)."""
    name = type(err).__name__
    if name == "QueueError" or "Queue is full" in str(err):
        return "queue_full"
    return "refused" if name == "AppError" else "error"


def run_at_once(calls: list, deadline: float) -> list[tuple[str, str, float, str]]:
    """Run ``(kind, fn, args)`` calls all at once; ``(kind, outcome, seconds, message)`` each."""
    results = []
    with futures.ThreadPoolExecutor(max_workers=max(1, len(calls))) as pool:
        jobs = {pool.submit(fn, *args): kind for kind, fn, args in calls}
        try:
            for job in futures.as_completed(jobs, timeout=max(1.0, deadline - time.monotonic())):
                results.append((jobs[job], *job.result()))
        except futures.TimeoutError:
            results += [(kind, "timeout", float("nan"), "") for job, kind in jobs.items() if not job.done()]
            for job in jobs:
                job.cancel()
    return results


def report(name: str, results: list[tuple[str, str, float, str]], memory: Memory, base: int | None) -> None:
    peak = memory.peak()
    print(f"\n== {name}: server peak RSS {_gb(peak)} (at the start {_gb(base)})")
    for kind in dict.fromkeys(k for k, *_ in results):
        mine = [r for r in results if r[0] == kind]
        counts: dict[str, int] = {}
        for _, outcome, *_ in mine:
            counts[outcome] = counts.get(outcome, 0) + 1
        seconds = [s for _, o, s, _ in mine if s == s]
        line = ", ".join(f"{n} {o}" for o, n in sorted(counts.items()))
        timing = f"latency median {statistics.median(seconds):.2f} s, max {max(seconds):.2f} s" if seconds else ""
        print(f"  {kind}: {len(mine)} sent: {line}; {timing}")
        for outcome, message in dict.fromkeys((o, m) for _, o, _, m in mine if o != "ok"):
            print(f"    {outcome}: {message[:200]}")


# --------------------------------------------------------------------------- scenarios


def scenario_hostile(url: str, memory: Memory, work: Path, deadline: float) -> None:
    ex = _examples()
    t = time.perf_counter()
    from changer import labels as L

    body = tuple(int(v) for v in L.PALETTE[L.BODY])  # a colour label map: the palette must be matched
    huge_labels = solid_png(work / "labels_11000.png", 11_000, 11_000, value=body)
    huge_photo = solid_png(work / "photo_13300.png", 13_300, 13_300, value=128)
    print(f"\nhostile files: {huge_labels.name} {huge_labels.stat().st_size / 1e3:.0f} kB, "
          f"{huge_photo.name} {huge_photo.stat().st_size / 1e3:.0f} kB (made in {time.perf_counter() - t:.1f} s)")
    label_call = ("11000² label map", blend, (url, ex["source"], ex["target"], ex["source_labels"], str(huge_labels)))
    photo_call = ("13300² PNG photo", blend, (url, ex["source"], str(huge_photo), ex["source_labels"], None))
    for name, calls in (("one 11000² label map", [label_call]), ("one 13300² PNG photo", [photo_call]),
                        ("4 label maps of 11000² at once", [label_call] * 4),
                        ("4 PNG photos of 13300² at once", [photo_call] * 4)):
        base = memory.now()
        memory.reset_peak()
        report(name, run_at_once(calls, deadline), memory, base)


def scenario_model_box(url: str, memory: Memory, deadline: float) -> None:
    ex = _examples()
    base = memory.now()
    memory.reset_peak()
    results = []
    for model in ("/root/.ssh", "/root/.sshx"):
        kind, seconds, message = blend(url, ex["source"], ex["target"], ex["source_labels"], ex["target_labels"], model)
        results.append((f"model box {model!r}", kind, seconds, message))
    report("model box", results, memory, base)
    same = results[0][1:2] + results[0][3:] == results[1][1:2] + results[1][3:]
    print(f"  the two answers are {'identical' if same else 'DIFFERENT'}")


def scenario_blends(url: str, memory: Memory, n: int, deadline: float, evaluates: int = 0) -> None:
    ex = _examples()
    calls = [("blend", blend, (url, ex["source"], ex["target"], ex["source_labels"], ex["target_labels"]))] * n
    calls += [("evaluate", evaluate, (url,))] * evaluates
    base = memory.now()
    memory.reset_peak()
    results = run_at_once(calls, deadline)
    name = f"{n} blends at once" + (f" while {evaluates} Evaluate calls are sent" if evaluates else "")
    report(name, results, memory, base)
    if evaluates:
        full = sum(1 for kind, outcome, *_ in results if kind == "blend" and outcome == "queue_full")
        print(f"  blends refused as 'queue full': {full}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--url", help="an app already running on 127.0.0.1 (default: start app.py)")
    parser.add_argument("--pid", type=int, help="its process id, for its memory (with --url)")
    parser.add_argument("--private", action="store_true", help="start the app in private mode (default: public)")
    parser.add_argument("--blends", type=int, default=20)
    parser.add_argument("--evaluates", type=int, default=40)
    parser.add_argument("--only", choices=["hostile", "model_box", "blends", "flood"], action="append")
    parser.add_argument("--timeout", type=float, default=600.0, help="seconds for the whole test")
    parser.add_argument("--keep-log", action="store_true", help="print the end of the app's log at the end")
    args = parser.parse_args(argv)
    blends, evaluates = min(max(args.blends, 1), MAX_BLENDS), min(max(args.evaluates, 0), MAX_EVALUATES)
    deadline = time.monotonic() + min(args.timeout, 1800.0)
    work = Path(tempfile.mkdtemp(prefix="changer-load-"))
    proc = None
    if args.url:
        host = urllib.parse.urlparse(args.url).hostname or ""
        if host not in LOOPBACK:
            parser.error("--url must be on 127.0.0.1 (this test only loads this machine)")
        url, pid = args.url, args.pid
    else:
        proc, url = start_app(work, public=not args.private)
        pid = proc.pid
    memory = Memory(pid)
    mode = "" if args.url else f", {'private' if args.private else 'public'} mode"
    print(f"app at {url} (pid {pid}), resident {_gb(memory.now())}{mode}")
    try:
        chosen = args.only or ["hostile", "model_box", "blends", "flood"]
        if "hostile" in chosen:
            scenario_hostile(url, memory, work, deadline)
        if "model_box" in chosen:
            scenario_model_box(url, memory, deadline)
        if "blends" in chosen:
            scenario_blends(url, memory, blends, deadline)
        if "flood" in chosen:
            scenario_blends(url, memory, blends, deadline, evaluates)
    finally:
        if proc is not None:
            proc.send_signal(signal.SIGTERM)
            try:
                proc.wait(30)
            except subprocess.TimeoutExpired:
                proc.kill()
        import shutil

        if proc is not None and args.keep_log:
            print(f"\napp log:\n{(work / 'app.log').read_text()[-4000:]}")
        shutil.rmtree(work, ignore_errors=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
