"""Real queue consumers for the tests: processes started as ``python -m studio_app worker`` starts them."""

from __future__ import annotations

import os
import subprocess
import time
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path

from studio_app.settings import PROJECT_ROOT
from tests.support.app_env import TEST_HARNESS_VARIABLES
from tests.support.servers import python_command, stop_process

STARTED = "Huey consumer started"


@contextmanager
def running_consumer(log: Path, env: Mapping[str, str], *, workers: int = 1, timeout: float = 60
                     ) -> Iterator[subprocess.Popen]:
    """A consumer with the app's tasks and the tests' (``tests/support/queue_worker.py``) until the block ends."""
    clean = {name: value for name, value in os.environ.items()
             if not name.startswith("STUDIO_") or name in TEST_HARNESS_VARIABLES}
    with log.open("wb") as output:
        process = subprocess.Popen(
            python_command("-m", "tests.support.queue_worker", "--workers", str(workers)), cwd=PROJECT_ROOT,
            env=clean | {"PYTHONUNBUFFERED": "1"} | dict(env), stdout=output, stderr=subprocess.STDOUT,
            start_new_session=True)
        try:
            wait_until(lambda: STARTED in log.read_text(errors="replace") or process.poll() is not None, timeout)
            assert process.poll() is None, log.read_text(errors="replace")
            yield process
        finally:
            stop_process(process)


def wait_until(condition: Callable[[], object], timeout: float = 60, *, every: float = 0.2) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise TimeoutError(f"still waiting after {timeout:.0f} s")
        time.sleep(every)
