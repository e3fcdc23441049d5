"""Queue tasks that only the tests declare: each run appends a line to the file its argument names, so a test
counts the runs a real consumer process made."""

from __future__ import annotations

import os
import time
from pathlib import Path

from studio_app.jobs.queue import background_task, periodic_task

# The periodic task writes here when the consumer's environment names a file (other tests' consumers know the task
# too, and leave it alone).
TICKS_VARIABLE = "TEST_QUEUE_TICKS"
TICK_EVERY_MINUTES = 1


def record_run(marker: str) -> int:
    """Append this run and return how many runs the file holds now."""
    with open(marker, "a") as runs:
        runs.write(f"{time.time()} {os.getpid()}\n")
    return len(runs_of(marker))


def runs_of(marker: str | Path) -> list[str]:
    try:
        return Path(marker).read_text().splitlines()
    except FileNotFoundError:
        return []


@background_task(retries=3, base_delay_seconds=1)
def fails_twice(marker: str) -> None:
    if record_run(marker) <= 2:
        raise RuntimeError("the storage at 10.1.2.3 did not answer for zoe@example.com")


def note_final_failure(marker: str, error: BaseException) -> None:
    with open(f"{marker}.final", "a") as notes:
        notes.write(f"{type(error).__name__}\n")


@background_task(retries=1, base_delay_seconds=1, on_final_failure=note_final_failure)
def always_fails(marker: str) -> None:
    record_run(marker)
    raise ValueError("cannot read 'Zoé Martin' (zoe@example.com)")


@periodic_task(every_minutes=TICK_EVERY_MINUTES)
def tick() -> None:
    marker = os.environ.get(TICKS_VARIABLE)
    if marker:
        record_run(marker)
