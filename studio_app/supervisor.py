"""Run the processes of ``serve`` side by side (the web server, the job-queue consumer) and stop them together.

Each child runs in a process group of its own, so the terminal's Ctrl-C reaches this parent only, which stops each
group with the signal that child expects and, after a grace period, kills what is left of the group (a server's own
workers included): nothing outlives ``serve``. Children also get SIGTERM if this parent dies without a chance to
stop them (Linux's parent-death signal). When one child exits on its own, the others are stopped and its exit code
is returned.
"""

from __future__ import annotations

import contextlib
import ctypes
import dataclasses
import os
import signal
import subprocess
import sys
import time
from collections.abc import Sequence

STOP_SIGNALS = (signal.SIGINT, signal.SIGTERM)
GRACE_SECONDS = 15  # under the 20 s a test harness or a service manager waits before SIGKILL
POLL_SECONDS = 0.2
_PR_SET_PDEATHSIG = 1


@dataclasses.dataclass(frozen=True)
class Child:
    name: str
    argv: Sequence[str]
    # What stops it cleanly: Reflex's server shuts down on SIGINT like on Ctrl-C; the huey consumer stops at once
    # on SIGTERM, putting running tasks back on the queue (SIGINT would wait for them, an hour for a long proxy).
    stop_signal: signal.Signals = signal.SIGTERM


def supervise(children: Sequence[Child], *, grace_seconds: float = GRACE_SECONDS) -> int:
    """Start every child, wait for SIGINT/SIGTERM or for one child to exit, then stop them all."""
    received: list[int] = []
    previous = {number: signal.signal(number, lambda signum, _frame: received.append(signum))
                for number in STOP_SIGNALS}
    running: dict[str, subprocess.Popen] = {}
    exit_code = 0
    try:
        for child in children:
            running[child.name] = subprocess.Popen(list(child.argv), start_new_session=True,
                                                   preexec_fn=_die_with_parent)
        while not received:
            ended = next(((name, process) for name, process in running.items() if process.poll() is not None), None)
            if ended is not None:
                name, process = ended
                print(f"{name} exited with code {process.returncode}; stopping the others", file=sys.stderr)
                exit_code = process.returncode
                break
            time.sleep(POLL_SECONDS)
    finally:
        _stop_all(children, running, grace_seconds)
        for number, handler in previous.items():
            signal.signal(number, handler)
    return exit_code


def _stop_all(children: Sequence[Child], running: dict[str, subprocess.Popen], grace_seconds: float) -> None:
    for child in children:
        if child.name in running:
            _signal_group(running[child.name].pid, child.stop_signal)
    deadline = time.monotonic() + grace_seconds
    for process in running.values():
        with contextlib.suppress(subprocess.TimeoutExpired):
            process.wait(timeout=max(0.0, deadline - time.monotonic()))
    for process in running.values():
        _signal_group(process.pid, signal.SIGKILL)  # whatever is left of the group, a server's workers included
        process.wait()


def _signal_group(group: int, number: int) -> None:
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(group, number)


def _die_with_parent() -> None:
    """In the child, before it runs: SIGTERM when the parent dies (Linux; elsewhere nothing)."""
    with contextlib.suppress(OSError, AttributeError):
        ctypes.CDLL(None, use_errno=True).prctl(_PR_SET_PDEATHSIG, signal.SIGTERM)
