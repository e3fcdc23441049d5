"""A 2 GiB tus upload through the running app vs a raw loopback write of the same bytes, and the server's memory.

The app receives one PATCH (as Uppy sends a file), seals it in 1 MiB chunks under the project's key, hashes it
and writes it to the staging folder, then makes it a stored file and a media asset. The peer is the least any
upload costs here: the same bytes through a loopback TCP socket into a file on the same disk, fsynced.
``measured`` and ``peer`` are seconds, so the ratio is the inverse of the throughput ratio (target 2 = at least
half the raw throughput). The condition: the server's resident memory (all its processes) grows by less than
100 MiB above idle while it receives.
"""

from __future__ import annotations

import os
import socket
import tempfile
import threading
import time
from pathlib import Path

import httpx

from bench.common import Result, tree_rss_bytes
from studio_app.models.base import new_id
from tests.support.accounts import STRONG_PASSWORD
from tests.support.live_clients import services_of, session_cookie
from tests.support.liveapp import live_app
from tests.support.projects import new_project, person
from tests.support.tus import TUS, metadata

SIZE = 2 * 1024**3
PIECE = 1024 * 1024
TARGET = 2.0
MEMORY_LIMIT_MIB = 100
_PATTERN = b"\x00\x00\x00\x18ftypisom\x00\x00\x02\x00isomiso2" + os.urandom(64 * PIECE - 24)


def pieces():
    """2 GiB that start like an MP4, from a 64 MiB pattern (no 2 GiB held in memory)."""
    sent = 0
    while sent < SIZE:
        piece = _PATTERN[sent % len(_PATTERN):][:min(PIECE, SIZE - sent)]
        sent += len(piece)
        yield piece


def prepare(app) -> tuple[str, str]:
    with services_of(app.data_dir):
        from studio_app.settings import current_settings

        email = f"upload-{new_id()[:8]}@example.com"
        producer = person(current_settings(), email, name="Upload Producer")
        project = new_project(producer, "Upload bench")
    return session_cookie(app.url, email, STRONG_PASSWORD), project.id


def tus_upload(app, cookie: str, project_id: str) -> float:
    headers = TUS | {"origin": app.url, "cookie": f"studio_session={cookie}"}
    with httpx.Client(base_url=app.url, timeout=600) as client:
        created = client.post("/api/uploads", headers=headers | {
            "upload-length": str(SIZE), "upload-metadata": metadata(project=project_id, filename="bench.mp4",
                                                                     kind="rush")})
        assert created.status_code == 201, created.text
        started = time.perf_counter()
        answer = client.patch(created.headers["location"], content=pieces(), headers=headers | {
            "upload-offset": "0", "content-type": "application/offset+octet-stream", "content-length": str(SIZE)})
        elapsed = time.perf_counter() - started
        assert answer.status_code == 204 and answer.headers["upload-offset"] == str(SIZE), answer.text
    return elapsed


def raw_loopback(folder: Path) -> float:
    listener = socket.create_server(("127.0.0.1", 0))
    target = folder / "raw.bin"

    def receive() -> None:
        connection, _ = listener.accept()
        with connection, open(target, "wb") as sink:
            while chunk := connection.recv(PIECE):
                sink.write(chunk)
            sink.flush()
            os.fsync(sink.fileno())
            connection.sendall(b"ok")

    receiver = threading.Thread(target=receive)
    receiver.start()
    started = time.perf_counter()
    with socket.create_connection(listener.getsockname()) as sender:
        for piece in pieces():
            sender.sendall(piece)
        sender.shutdown(socket.SHUT_WR)
        assert sender.recv(2) == b"ok"
    elapsed = time.perf_counter() - started
    receiver.join()
    listener.close()
    target.unlink()
    return elapsed


class PeakMemory:
    def __init__(self, root_pid: int):
        self.root_pid, self.peak, self._stop = root_pid, 0, threading.Event()
        self._thread = threading.Thread(target=self._sample, daemon=True)

    def _sample(self) -> None:
        while not self._stop.is_set():
            self.peak = max(self.peak, tree_rss_bytes(self.root_pid))
            time.sleep(0.05)

    def __enter__(self) -> PeakMemory:
        self._thread.start()
        return self

    def __exit__(self, *_exc) -> None:
        self._stop.set()
        self._thread.join()


def run() -> Result:
    with tempfile.TemporaryDirectory() as work, live_app(Path(work), backend_only=True) as app:
        cookie, project_id = prepare(app)
        warm = tus_upload_small(app, cookie, project_id)
        time.sleep(1)
        idle = tree_rss_bytes(app.pid)
        with PeakMemory(app.pid) as memory:
            app_seconds = tus_upload(app, cookie, project_id)
        raw_seconds = raw_loopback(Path(work))
    growth_mib = (memory.peak - idle) / 1024**2
    return Result(
        name="upload_stream",
        measured=app_seconds,
        peer=raw_seconds,
        target=TARGET,
        unit="s for 2 GiB",
        details={"app_mib_per_s": round(SIZE / app_seconds / 1024**2, 1),
                 "raw_mib_per_s": round(SIZE / raw_seconds / 1024**2, 1),
                 "throughput_ratio": round(raw_seconds / app_seconds, 3), "warm_up_s": round(warm, 3),
                 "server_idle_rss_mib": round(idle / 1024**2, 1),
                 "server_peak_rss_mib": round(memory.peak / 1024**2, 1),
                 "server_rss_growth_mib": round(growth_mib, 1)},
        conditions={f"server_memory_growth_under_{MEMORY_LIMIT_MIB}_mib": growth_mib < MEMORY_LIMIT_MIB},
    )


def tus_upload_small(app, cookie: str, project_id: str) -> float:
    """One small upload first, so that imports and caches are warm before memory is measured."""
    headers = TUS | {"origin": app.url, "cookie": f"studio_session={cookie}"}
    body = _PATTERN[:3 * PIECE]
    started = time.perf_counter()
    answer = httpx.post(f"{app.url}/api/uploads", content=body, timeout=60, headers=headers | {
        "upload-length": str(len(body)), "content-type": "application/offset+octet-stream",
        "upload-metadata": metadata(project=project_id, filename="warm.mp4", kind="rush")})
    assert answer.status_code == 201 and answer.headers["upload-offset"] == str(len(body)), answer.text
    return time.perf_counter() - started
