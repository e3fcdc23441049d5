"""Opening a 10,000-message thread vs a 100-message one: time and bytes sent to the browser.

Both threads are opened through the project page's real event (``ThreadState.open``) by a signed-in
socket client of the running app, interleaved. Only one window of messages is loaded, so the two
should cost about the same.
"""

from __future__ import annotations

import asyncio
import statistics
import tempfile
from pathlib import Path

from bench.common import Result, percentile
from studio_app.models.base import new_id
from tests.support.accounts import STRONG_PASSWORD
from tests.support.live_clients import LiveClient, handler_name, services_of, session_cookie
from tests.support.liveapp import live_app
from tests.support.projects import add_editor, new_project, person
from tests.support.threads import bulk_messages

ROUNDS = 40
TARGET = 1.3


def prepare(app) -> tuple[str, str, str]:
    with services_of(app.data_dir):
        from studio_app.settings import current_settings

        settings = current_settings()
        suffix = new_id()[:8]
        producer = person(settings, f"bench-pro-{suffix}@example.com", name="Bench Producer")
        editor = person(settings, f"bench-ed-{suffix}@example.com", role="editor", name="Bench Editor")
        small, large = new_project(producer, "Small thread"), new_project(producer, "Large thread")
        for project, count in ((small, 100), (large, 10_000)):
            add_editor(producer, editor, project.id)
            bulk_messages(project.id, [producer.user_id, editor.user_id], count)
    return f"bench-pro-{suffix}@example.com", small.id, large.id


async def measure(app, email: str, small_id: str, large_id: str):
    from studio_app.state.thread import ThreadState

    client = await LiveClient(app.url, session_cookie(app.url, email, STRONG_PASSWORD)).connect()
    opened = handler_name(ThreadState, "open")
    samples = {"small": [], "large": []}
    try:
        for round_number in range(ROUNDS + 3):
            for size, project_id in (("small", small_id), ("large", large_id)):
                elapsed, sent = await client.call(opened, {}, f"/projects/{project_id}")
                if round_number >= 3:
                    samples[size].append((elapsed, sent))
    finally:
        await client.close()
    return samples


def run() -> Result:
    with tempfile.TemporaryDirectory() as work, live_app(Path(work)) as app:
        email, small_id, large_id = prepare(app)
        samples = asyncio.run(measure(app, email, small_id, large_id))
    small_ms = percentile([elapsed for elapsed, _ in samples["small"]], 0.5) * 1000
    large_ms = percentile([elapsed for elapsed, _ in samples["large"]], 0.5) * 1000
    small_bytes = statistics.median(sent for _, sent in samples["small"])
    large_bytes = statistics.median(sent for _, sent in samples["large"])
    return Result(
        name="thread_open",
        measured=large_ms,
        peer=small_ms,
        target=TARGET,
        unit="ms (p50)",
        details={"messages": {"large": 10_000, "small": 100}, "bytes_large": large_bytes, "bytes_small": small_bytes,
                 "bytes_ratio": round(large_bytes / small_bytes, 3), "rounds": ROUNDS},
    )
