"""A trivial event of our app vs Reflex's transport ping, on the same server and socket, interleaved.

Both go client -> server -> client over the event websocket; the event also goes through the state
manager and sends a delta back (it flips a var, so an update is always sent). p50 is the ratio.
"""

from __future__ import annotations

import asyncio
import tempfile
import time
import uuid
from pathlib import Path

import socketio

from bench.common import Result, summary_ms
from tests.support.liveapp import live_app

ROUNDS = 2000
WARMUP = 100
TARGET = 1.6  # the blank-app baseline measured here is 1.3-1.4x
NAMESPACE = "/_event"


def landing_event_name() -> str:
    from studio_app.state.landing import LandingState

    return f"{LandingState.get_full_name()}.show_audience"


async def measure(url: str) -> tuple[list[float], list[float]]:
    client = socketio.AsyncClient(reconnection=False)
    replies: asyncio.Queue[str] = asyncio.Queue()
    client.on("event", lambda update: replies.put_nowait("event") if update.get("final", True) else None,
              namespace=NAMESPACE)
    client.on("ping", lambda _message: replies.put_nowait("pong"), namespace=NAMESPACE)
    await client.connect(
        f"{url}?token={uuid.uuid4()}", socketio_path="_event", transports=["websocket"], headers={"Origin": url},
        namespaces=[NAMESPACE],
    )
    name = landing_event_name()
    router_data = {"pathname": "/", "asPath": "/"}
    events, pings = [], []
    try:
        for round_number in range(WARMUP + ROUNDS):
            audience = ("editors", "producers")[round_number % 2]
            started = time.perf_counter()
            event = {"name": name, "payload": {"audience": audience}, "router_data": router_data}
            await client.emit("event", event, namespace=NAMESPACE)
            assert await asyncio.wait_for(replies.get(), 10) == "event"
            event_time = time.perf_counter() - started
            started = time.perf_counter()
            await client.emit("ping", namespace=NAMESPACE)
            assert await asyncio.wait_for(replies.get(), 10) == "pong"
            ping_time = time.perf_counter() - started
            if round_number >= WARMUP:
                events.append(event_time)
                pings.append(ping_time)
    finally:
        await client.disconnect()
    return events, pings


def run() -> Result:
    with tempfile.TemporaryDirectory() as work, live_app(Path(work)) as app:
        events, pings = asyncio.run(measure(app.url))
    event_summary, ping_summary = summary_ms(events), summary_ms(pings)
    return Result(
        name="event_roundtrip",
        measured=event_summary["p50_ms"],
        peer=ping_summary["p50_ms"],
        target=TARGET,
        unit="ms (p50)",
        details={
            "event": event_summary,
            "ping": ping_summary,
            "p99_ratio": round(event_summary["p99_ms"] / ping_summary["p99_ms"], 3),
        },
    )
