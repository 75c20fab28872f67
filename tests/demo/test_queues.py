"""Fair queues (demo/queues.py): each kind of job waits in its own line (issue 27)."""

from __future__ import annotations

from types import SimpleNamespace

import gradio as gr

from demo.queues import WAITING, client_address, guard_queue, queue_size, refusal


def _event(session: str, host: str = "127.0.0.1"):
    return SimpleNamespace(session_hash=session, request=SimpleNamespace(client=SimpleNamespace(host=host), headers={}))


def test_a_full_evaluate_line_does_not_refuse_blends() -> None:
    lines = {"evaluate": [_event(f"e{i}") for i in range(WAITING["evaluate"])], "blend": []}
    assert refusal("evaluate", "new", None, lines) == "Evaluate is busy: 4 runs are waiting. Try again in a minute."
    assert refusal("blend", "new", None, lines) is None
    lines["blend"] = [_event(f"b{i}") for i in range(WAITING["blend"])]
    assert refusal("blend", "new", None, lines).startswith("Blend is busy: 32 runs")
    assert queue_size() >= sum(WAITING.values())  # Gradio's own bound never refuses first


def test_one_client_waits_with_a_few_jobs_at_most() -> None:
    lines = {"blend": [_event("tab"), _event("tab")], "evaluate": []}
    assert "You already have 2 runs waiting" in refusal("evaluate", "tab", None, lines)
    assert refusal("blend", "other tab", None, lines) is None
    far = {"blend": [_event(f"s{i}", "203.0.113.7") for i in range(8)]}
    assert "Your address already has 8 runs" in refusal("blend", "s99", "203.0.113.7", far)
    assert client_address(_event("x").request) is None  # loopback clients are not counted together
    assert client_address(_event("x", "203.0.113.7").request) == "203.0.113.7"


def test_space_clients_are_told_apart_by_their_forwarded_address(monkeypatch) -> None:
    monkeypatch.setenv("SPACE_ID", "someone/changer")
    request = SimpleNamespace(client=SimpleNamespace(host="10.0.0.2"), headers={"x-forwarded-for": "198.51.100.4, 10.0.0.1"})
    assert client_address(request) == "198.51.100.4"


def test_the_guard_sits_in_front_of_gradios_queue() -> None:
    with gr.Blocks() as demo:
        gr.Button().click(lambda: None, concurrency_id="blend")
    demo.queue(max_size=queue_size())
    stock = demo._queue.push
    assert guard_queue(demo) and demo._queue.push is not stock
    assert not guard_queue(SimpleNamespace())  # an unknown queue: Gradio's max_size alone


def test_blend_has_workers_of_its_own_that_evaluate_runs_cannot_take() -> None:
    from demo.ui import build_demo

    fns = {fn.api_name: fn for fn in build_demo("paste").fns.values() if fn.api_name}
    assert fns["blend"].concurrency_id == "blend" and fns["blend"].concurrency_limit == 4
    for name in ("evaluate", "cross_identity"):
        assert fns[name].concurrency_id == "evaluate" and fns[name].concurrency_limit == 1
