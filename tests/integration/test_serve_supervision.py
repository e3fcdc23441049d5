"""``serve`` owns its processes: the app and a job-queue consumer start together, and one SIGINT to ``serve``
(what Ctrl-C sends) stops both, their own children included. Backend-only instances start no consumer unless
asked. Real processes, looked up in /proc."""

from __future__ import annotations

import os
import signal
import subprocess
from contextlib import contextmanager
from pathlib import Path

from studio_app.settings import PROJECT_ROOT
from tests.support.queue import STARTED, wait_until
from tests.support.servers import free_port, python_command, wait_for_http

START_TIMEOUT = 300


def descendants(root: int) -> dict[int, str]:
    """Every living process under ``root``, with its command line."""
    parents, commands = {}, {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                stat = (entry / "stat").read_text()
                commands[int(entry.name)] = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode()
            except OSError:
                continue
            parents[int(entry.name)] = int(stat.rsplit(")", 1)[1].split()[1])
    found, frontier = {}, [root]
    while frontier:
        parent = frontier.pop()
        for pid, ppid in parents.items():
            if ppid == parent and pid not in found:
                found[pid] = commands[pid]
                frontier.append(pid)
    return found


def alive(pid: int) -> bool:
    try:
        return (Path("/proc") / str(pid) / "stat").read_text().rsplit(")", 1)[1].split()[0] != "Z"
    except OSError:
        return False


@contextmanager
def serving(tmp_path: Path, *options: str):
    port = free_port()
    env = {name: value for name, value in os.environ.items() if not name.startswith("STUDIO_")} | {
        "STUDIO_DATA_DIR": str(tmp_path / "data"), "STUDIO_PORT": str(port),
        "STUDIO_PUBLIC_URL": f"http://localhost:{port}", "PYTHONUNBUFFERED": "1"}
    log = tmp_path / f"serve-{port}.log"
    with log.open("wb") as output:
        process = subprocess.Popen(python_command("-m", "studio_app", "serve", "--backend-only", *options),
                                   cwd=PROJECT_ROOT, env=env, stdout=output, stderr=subprocess.STDOUT,
                                   start_new_session=True)
        family: dict[int, str] = {}
        try:
            wait_for_http(f"http://localhost:{port}/api/health", process, START_TIMEOUT, log)
            yield process, log
        finally:
            family = descendants(process.pid)
            if process.poll() is None:
                os.killpg(process.pid, signal.SIGKILL)
            for pid in family:
                if alive(pid):
                    os.kill(pid, signal.SIGKILL)
            process.wait()


def test_serve_starts_the_app_and_a_consumer_and_one_sigint_stops_both(tmp_path):
    with serving(tmp_path, "--with-worker") as (serve, log):
        wait_until(lambda: STARTED in log.read_text(errors="replace"), timeout=60)
        family = descendants(serve.pid)
        assert any("studio_app worker" in command for command in family.values()), family
        assert any("reflex run" in command for command in family.values()), family
        os.kill(serve.pid, signal.SIGINT)  # to serve only, as a terminal's Ctrl-C now reaches only serve's group
        assert serve.wait(timeout=60) == 0
        wait_until(lambda: not any(alive(pid) for pid in family), timeout=10)
    assert "Traceback" not in log.read_text(errors="replace")


def test_a_backend_only_instance_starts_no_consumer_unless_asked(tmp_path):
    with serving(tmp_path) as (serve, _log):
        assert not any("studio_app worker" in command for command in descendants(serve.pid).values())
