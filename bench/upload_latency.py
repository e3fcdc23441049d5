"""Another client's event round trip while a 2 GiB tus upload streams into the app, vs the same round trip idle.

The upload's disk and crypto work runs on worker threads: the event loop that serves the sockets must stay
responsive. The client sends a trivial event that changes a var (``LandingState.show_audience``) in a loop, first
with the app idle, then during the upload of ``bench/upload_stream.py``; the ratio is p99 during / p99 idle.
"""

from __future__ import annotations

import asyncio
import multiprocessing
import tempfile
import time
from pathlib import Path
from types import SimpleNamespace

from bench.common import Result, summary_ms
from bench.upload_stream import prepare, tus_upload
from tests.support.live_clients import LiveClient, handler_name
from tests.support.liveapp import live_app

IDLE_ROUNDS = 600
TARGET = 4.0


async def round_trips(app, *, rounds: int | None = None, until=None) -> list[float]:
    from studio_app.state.landing import LandingState

    client = await LiveClient(app.url).connect()
    name = handler_name(LandingState, "show_audience")
    samples: list[float] = []
    try:
        number = 0
        while (rounds is not None and number < rounds + 20) or (until is not None and until.is_alive()):
            elapsed, _ = await client.call(name, {"audience": ("editors", "producers")[number % 2]}, "/")
            if number >= 20:
                samples.append(elapsed)
            number += 1
            await asyncio.sleep(0.005)
    finally:
        await client.close()
    return samples


def run() -> Result:
    with tempfile.TemporaryDirectory() as work, live_app(Path(work), backend_only=True) as app:
        cookie, project_id = prepare(app)
        idle = asyncio.run(round_trips(app, rounds=IDLE_ROUNDS))
        # The uploading client is another process, so that it does not share this client's interpreter lock.
        context = multiprocessing.get_context("spawn")
        seconds = context.Queue()
        uploader = context.Process(target=upload_in_process, args=(app.url, cookie, project_id, seconds))
        uploader.start()
        time.sleep(3)  # the upload is streaming
        during = asyncio.run(round_trips(app, until=uploader))
        uploader.join()
        outcome = {"seconds": seconds.get(timeout=10)}
    idle_summary, busy_summary = summary_ms(idle), summary_ms(during)
    return Result(
        name="upload_latency",
        measured=busy_summary["p99_ms"],
        peer=idle_summary["p99_ms"],
        target=TARGET,
        unit="ms (p99)",
        details={"during_upload": busy_summary, "idle": idle_summary,
                 "upload_seconds": round(outcome.get("seconds", 0), 1)},
    )


def upload_in_process(url: str, cookie: str, project_id: str, seconds) -> None:
    seconds.put(tus_upload(SimpleNamespace(url=url), cookie, project_id))
