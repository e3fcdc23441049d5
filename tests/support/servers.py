"""Start real servers on free ports for tests and benchmarks, and stop them cleanly."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager, suppress
from pathlib import Path

import httpx

from studio_app.settings import PROJECT_ROOT


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def wait_for_http(url: str, process: subprocess.Popen, timeout: float, log: Path) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"server exited with {process.returncode} before answering; log:\n{_tail(log)}")
        try:
            if httpx.get(url, timeout=2).status_code < 500:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.5)
    raise TimeoutError(f"{url} did not answer within {timeout:.0f} s; log:\n{_tail(log)}")


def wait_for_port(name: str, port: int, process: subprocess.Popen, output: Callable[[], str],
                  timeout: float = 15) -> None:
    """Until a daemon accepts TCP connections on ``port``; ``output`` says what it wrote, for the error."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"{name} exited with {process.returncode}: {output()}")
        with suppress(OSError), socket.create_connection(("127.0.0.1", port), timeout=1):
            return
        time.sleep(0.1)
    raise RuntimeError(f"{name} did not listen on {port}: {output()}")


@contextmanager
def running_process(
    args: list[str], *, env: Mapping[str, str], ready_url: str, log: Path, timeout: float = 60,
    cwd: Path = PROJECT_ROOT,
) -> Iterator[subprocess.Popen]:
    """Run a server in its own process group until the block ends; its output goes to ``log``."""
    log.parent.mkdir(parents=True, exist_ok=True)
    with log.open("wb") as output:
        process = subprocess.Popen(
            args, cwd=cwd, env={**os.environ, **env}, stdout=output, stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        try:
            wait_for_http(ready_url, process, timeout, log)
            yield process
        finally:
            stop_process(process)


def stop_process(process: subprocess.Popen) -> None:
    """SIGTERM to the process's group (it was started in a session of its own), SIGKILL after 20 s."""
    if process.poll() is not None:
        return
    os.killpg(process.pid, signal.SIGTERM)
    try:
        process.wait(timeout=20)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait()


def _tail(log: Path, lines: int = 40) -> str:
    return "\n".join(log.read_text(errors="replace").splitlines()[-lines:]) if log.exists() else "(no log)"


def python_command(*args: str) -> list[str]:
    return [sys.executable, *args]


@contextmanager
def api_server(tmp_path: Path, database_url: str, data_dir: Path | None = None,
               extra_env: Mapping[str, str] | None = None) -> Iterator[str]:
    """Our HTTP routes (tests/support/api_only.py) served by granian on a free port; yields the base URL."""
    with api_server_process(tmp_path, database_url, data_dir, extra_env) as (base, _process):
        yield base


@contextmanager
def api_server_process(tmp_path: Path, database_url: str, data_dir: Path | None = None,
                       extra_env: Mapping[str, str] | None = None) -> Iterator[tuple[str, subprocess.Popen]]:
    """``api_server`` and its process (leader of its own group), for tests that crash it on purpose."""
    port = free_port()
    env = {"STUDIO_DATA_DIR": str(data_dir or tmp_path / "data"), "STUDIO_DATABASE_URL": database_url,
           "STUDIO_PUBLIC_URL": f"http://localhost:{port}", "STUDIO_ALLOWED_ORIGINS": "", **(extra_env or {})}
    args = python_command("-m", "granian", "--interface", "asgi", "--port", str(port), "tests.support.api_only:app")
    base = f"http://127.0.0.1:{port}"
    with running_process(args, env=env, ready_url=f"{base}/nothing-here", log=tmp_path / "granian.log") as process:
        yield base, process
