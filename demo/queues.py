"""Fair queues: each kind of job waits in its own line, of its own length.

Gradio has one queue with one ``max_size`` for every event: 33 cheap Evaluate calls once
filled it, and every Blend was then answered "Queue is full". Gradio already runs each
``concurrency_id`` with its own workers (``blend``: :data:`BLEND_CONCURRENCY` at a time,
``evaluate``: one); :func:`guard_queue` adds, at the moment a job asks to join:

* a waiting line per ``concurrency_id`` (:data:`WAITING`): a job is refused when its own
  line is full, whatever the others hold, so floods of Evaluate or cross-identity runs
  never take Blend's places;
* at most :data:`PER_SESSION` waiting jobs per browser tab or API client (Gradio's session),
  and :data:`PER_ADDRESS` per network address (not for the loopback address, where every
  local client looks the same; on a Space the first ``X-Forwarded-For`` address).

A refused job gets HTTP 503 with the reason in ``detail`` ("Evaluate is busy: 4 runs are
waiting ..."); Gradio's page shows its own "currently busy, please try again" notice and
``gradio_client`` raises ``QueueError``. ``max_size`` stays as a last bound
(:func:`queue_size`).
"""

from __future__ import annotations

import logging
import os
from collections.abc import Mapping
from typing import Any

log = logging.getLogger("changer.app")

BLEND_CONCURRENCY = 4
"""Blends run at once (``concurrency_id="blend"``)."""

WAITING: dict[str, int] = {"blend": 32, "evaluate": 4}
"""Jobs that may wait per ``concurrency_id``; any other id: :data:`OTHER_WAITING`."""
OTHER_WAITING = 8
PER_SESSION = 2
"""Waiting jobs per Gradio session (a browser tab, a ``gradio_client.Client``)."""
PER_ADDRESS = 8
"""Waiting jobs per client address (not counted for loopback clients)."""

LABELS = {"blend": "Blend", "evaluate": "Evaluate"}


def queue_size(waiting: Mapping[str, int] | None = None) -> int:
    """Gradio's global ``max_size``: every line full at once, and room for the small events."""
    return sum((waiting or WAITING).values()) + 2 * OTHER_WAITING


def client_address(request: Any) -> str | None:
    """The address a job came from: on a Space the first ``X-Forwarded-For`` entry (the Space's
    proxy is the direct client), else the connection's; None when unknown or loopback."""
    if request is None:
        return None
    address = None
    if os.environ.get("SPACE_ID"):
        forwarded = (getattr(request, "headers", None) or {}).get("x-forwarded-for", "")
        address = forwarded.split(",")[0].strip() or None
    if address is None:
        client = getattr(request, "client", None)
        address = getattr(client, "host", None)
    if not address or address in ("127.0.0.1", "::1", "localhost", "testclient"):
        return None
    return address


def refusal(concurrency_id: str, session: str | None, address: str | None, lines: Mapping[str, list[Any]],
            waiting: Mapping[str, int] | None = None, per_session: int = PER_SESSION,
            per_address: int = PER_ADDRESS) -> str | None:
    """Why a job of ``concurrency_id`` from ``session``/``address`` may not join, given the
    jobs waiting in each line (``lines``: id -> events with ``session_hash`` and ``request``),
    or None when it may."""
    waiting = WAITING if waiting is None else waiting
    label = LABELS.get(concurrency_id, "This action")
    mine = lines.get(concurrency_id, [])
    limit = waiting.get(concurrency_id, OTHER_WAITING)
    if len(mine) >= limit:
        return f"{label} is busy: {len(mine)} runs are waiting. Try again in a minute."
    everyone = [event for line in lines.values() for event in line]
    if session is not None and sum(getattr(e, "session_hash", None) == session for e in everyone) >= per_session:
        return f"You already have {per_session} runs waiting: wait for them to finish."
    if address is not None and sum(client_address(getattr(e, "request", None)) == address for e in everyone) >= per_address:
        return f"Your address already has {per_address} runs waiting: wait for them to finish."
    return None


def guard_queue(demo: Any, waiting: Mapping[str, int] | None = None, per_session: int = PER_SESSION,
                per_address: int = PER_ADDRESS) -> bool:
    """Put :func:`refusal` in front of ``demo``'s queue (call after ``demo.queue()``). Returns
    False, and leaves Gradio's single ``max_size`` as the only bound, when this Gradio's queue
    is not the one this was written for (``Queue.push``, ``event_queue_per_concurrency_id``)."""
    queue = getattr(demo, "_queue", None)
    stock = getattr(queue, "push", None)
    if stock is None or not hasattr(queue, "event_queue_per_concurrency_id"):
        log.warning("fair queues not installed: this Gradio's queue has no per-event lines")
        return False
    from gradio import route_utils

    async def push(body: Any, request: Any, username: str | None):
        try:
            fn = route_utils.get_fn(queue.blocks, None, body)
        except Exception:  # noqa: BLE001 - a bad fn_index: Gradio's own push answers it
            return await stock(body=body, request=request, username=username)
        lines = {cid: list(line.queue) for cid, line in queue.event_queue_per_concurrency_id.items()}
        reason = refusal(str(fn.concurrency_id), getattr(body, "session_hash", None), client_address(request),
                         lines, waiting, per_session, per_address)
        if reason is not None:
            log.info("queue: refused a %s job: %s", fn.concurrency_id, reason)
            return False, reason, "queue_full"
        return await stock(body=body, request=request, username=username)

    queue.push = push
    return True
