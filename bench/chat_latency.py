"""Post-to-seen latency between two signed-in clients vs a bare Reflex event round trip.

Client A posts through the project page's real event (``ThreadState.send``: validation, sealed insert,
notifications, then the push); the clock stops when client B, which only has the project open,
receives the update carrying the message. The peer is a trivial event's round trip on A's socket
(``LandingState.show_audience``), interleaved with the posts.
"""

from __future__ import annotations

import asyncio
import tempfile
from pathlib import Path

from bench.common import Result, summary_ms
from studio_app.models.base import new_id
from tests.support.accounts import STRONG_PASSWORD
from tests.support.live_clients import LiveClient, handler_name, services_of, session_cookie
from tests.support.liveapp import live_app
from tests.support.projects import add_editor, new_project, person

ROUNDS = 150
TARGET = 4.0  # a post runs one transaction (sealed insert, notifications), then pushes the row it made; a bare
# event touches no database
P99_LIMIT_MS = 100


def prepare(app) -> tuple[str, str, str]:
    with services_of(app.data_dir):
        from studio_app.settings import current_settings

        settings = current_settings()
        suffix = new_id()[:8]
        producer_email, editor_email = f"chat-pro-{suffix}@example.com", f"chat-ed-{suffix}@example.com"
        producer = person(settings, producer_email, name="Chat Producer")
        editor = person(settings, editor_email, role="editor", name="Chat Editor")
        project = new_project(producer, "Latency")
        add_editor(producer, editor, project.id)
    return producer_email, editor_email, project.id


async def measure(app, producer_email: str, editor_email: str, project_id: str):
    from studio_app.state.landing import LandingState
    from studio_app.state.thread import ThreadState

    sender = await LiveClient(app.url, session_cookie(app.url, producer_email, STRONG_PASSWORD)).connect()
    receiver = await LiveClient(app.url, session_cookie(app.url, editor_email, STRONG_PASSWORD)).connect()
    path = f"/projects/{project_id}"
    send, trivial = handler_name(ThreadState, "send"), handler_name(LandingState, "show_audience")
    seen, round_trips = [], []
    try:
        await sender.call(handler_name(ThreadState, "open"), {}, path)
        await receiver.call(handler_name(ThreadState, "open"), {}, path)
        for number in range(ROUNDS + 5):
            text = f"latency probe {number} {new_id()[:6]}"
            waiting = asyncio.create_task(receiver.wait_for(text))
            await asyncio.sleep(0)
            started = asyncio.get_running_loop().time()
            await sender.call(send, {"form": {"body": text}}, path)
            await waiting
            elapsed = asyncio.get_running_loop().time() - started
            round_trip, _ = await sender.call(trivial, {"audience": ("editors", "producers")[number % 2]}, "/")
            if number >= 5:
                seen.append(elapsed)
                round_trips.append(round_trip)
    finally:
        await sender.close()
        await receiver.close()
    return seen, round_trips


def run() -> Result:
    with tempfile.TemporaryDirectory() as work, live_app(Path(work), backend_only=True) as app:  # sockets only
        seen, round_trips = asyncio.run(measure(app, *prepare(app)))
    seen_summary, trip_summary = summary_ms(seen), summary_ms(round_trips)
    return Result(
        name="chat_latency",
        measured=seen_summary["p50_ms"],
        peer=trip_summary["p50_ms"],
        target=TARGET,
        unit="ms (p50)",
        details={"post_to_seen": seen_summary, "bare_event_round_trip": trip_summary},
        conditions={f"post_to_seen_p99_under_{P99_LIMIT_MS}_ms": seen_summary["p99_ms"] < P99_LIMIT_MS},
    )
