"""The event round trip with logging shipped to a live collector vs logging off, two backend-only apps served side
by side and measured interleaved.

- shipping: JSON lines on stdout at info level and every record shipped to Debian's rsyslogd (RFC 5424 over TCP,
  the collector of tests/support/rsyslog.py) by the shipping thread;
- off: ``STUDIO_LOG_LEVEL=error`` and no sink (nothing below an error is formatted or written).

A trivial event logs nothing by itself, so both apps also receive the same stream of refused sign-ins (each one
a "sign-in refused" warning record in the shipping app, nothing in the other) while the events are measured: the
records are formatted, written and shipped while the events run. p50 is the ratio; details say how many
records the collector received.
"""

from __future__ import annotations

import asyncio
import tempfile
import threading
import time
from pathlib import Path

import httpx

from bench.common import Result, summary_ms
from bench.event_roundtrip import measure
from tests.support.liveapp import live_app
from tests.support.rsyslog import rsyslog

TARGET = 1.1
BACKGROUND_PER_SECOND = 20  # refused sign-ins a second, to each app


def _refused_sign_ins(urls: list[str], stop: threading.Event) -> None:
    with httpx.Client(timeout=10) as client:
        while not stop.is_set():
            for url in urls:
                client.post(f"{url}/api/auth/signin", data={"email": "nobody@example.com", "password": "wrong"},
                            headers={"origin": url})
            stop.wait(1 / BACKGROUND_PER_SECOND)


async def _interleaved(shipping_url: str, off_url: str) -> tuple[list[float], list[float]]:
    """Alternate blocks of rounds between the two apps, so both see the same machine over the run."""
    shipping, off = [], []
    for _ in range(4):
        events, _pings = await measure(shipping_url)
        shipping += events
        events, _pings = await measure(off_url)
        off += events
    return shipping, off


def run() -> Result:
    with tempfile.TemporaryDirectory() as work:
        work = Path(work)
        with (rsyslog(work / "collector") as collector,
              live_app(work / "shipping", {"STUDIO_LOG_SINK": f"syslog+tcp://{collector.url}",
                                           "STUDIO_LOG_LEVEL": "info"}, backend_only=True) as shipping_app,
              live_app(work / "off", {"STUDIO_LOG_LEVEL": "error"}, backend_only=True) as off_app):
            before = len(collector.messages())
            stop = threading.Event()
            background = threading.Thread(target=_refused_sign_ins, args=([shipping_app.url, off_app.url], stop))
            background.start()
            started = time.monotonic()
            try:
                shipping, off = asyncio.run(_interleaved(shipping_app.url, off_app.url))
            finally:
                stop.set()
                background.join()
            seconds = time.monotonic() - started
            time.sleep(1)
            shipped = len(collector.messages()) - before
    shipping_summary, off_summary = summary_ms(shipping), summary_ms(off)
    return Result(
        name="log_overhead",
        measured=shipping_summary["p50_ms"],
        peer=off_summary["p50_ms"],
        target=TARGET,
        unit="ms (p50)",
        details={
            "shipping": shipping_summary,
            "off": off_summary,
            "p99_ratio": round(shipping_summary["p99_ms"] / off_summary["p99_ms"], 3),
            "records_shipped_during_run": shipped,
            "run_seconds": round(seconds, 1),
        },
        conditions={"records reached the collector": shipped > 0},
    )
