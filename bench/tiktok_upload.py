"""Publishing a 1 GiB sealed video to the TikTok sandbox vs a raw HTTP PUT of the same plaintext bytes to it.

The measured side is the job's upload (``jobs/publications.upload``): read the sealed original, decrypt it chunk by
chunk, regroup it into TikTok's chunk plan and PUT each chunk with its Content-Range, recording each chunk's step.
The peer PUTs the same plaintext (already in the clear, no decryption, no database) to a fresh upload URL, in the
same chunks (TikTok's chunk rules refuse a single 1 GiB PUT). ``measured`` and ``peer`` are seconds; the target
ratio 1/0.7 is "at least 0.7x the peer's throughput".
The condition: this process's resident memory grows by less than two chunks while it publishes.
"""

from __future__ import annotations

import os
import secrets
import tempfile
import threading
import time
from pathlib import Path

import httpx

from bench.common import Result, temporary_app
from studio_app.integrations import tiktok

SIZE = 1024**3
PIECE = 1024 * 1024
_PATTERN = os.urandom(64 * PIECE)


def pieces():
    sent = 0
    while sent < SIZE:
        start = sent % len(_PATTERN)  # a slice of the pattern, not a 64 MiB copy per piece
        piece = _PATTERN[start:start + min(PIECE, SIZE - sent)]
        sent += len(piece)
        yield piece


def _rss() -> int:
    return int(Path("/proc/self/statm").read_text().split()[1]) * os.sysconf("SC_PAGE_SIZE")


class _PeakMemory:
    def __init__(self) -> None:
        self.base, self.peak, self._stop = _rss(), _rss(), threading.Event()
        self._thread = threading.Thread(target=self._sample, daemon=True)

    def _sample(self) -> None:
        while not self._stop.wait(0.02):
            self.peak = max(self.peak, _rss())

    def __enter__(self):
        self._thread.start()
        return self

    def __exit__(self, *_):
        self._stop.set()
        self._thread.join()


def run() -> Result:
    from tests.support.sandbox import SandboxServer
    from tests.support.servers import free_port, python_command, running_process

    port, secret = free_port(), secrets.token_urlsafe(24)
    url = f"http://127.0.0.1:{port}"
    with tempfile.TemporaryDirectory() as logs, running_process(
            python_command("-m", "studio_app.sandbox", "--host", "127.0.0.1", "--port", str(port)),
            env={"STUDIO_SANDBOX_SECRET": secret, "STUDIO_SANDBOX_PUBLISH_SECONDS": "0.3"},
            ready_url=f"{url}/_sandbox/health", log=Path(logs) / "sandbox.log"):
        sandbox = SandboxServer(url, secret)
        sandbox.reset()
        with temporary_app():  # it clears the STUDIO_* variables: point the app at this sandbox inside it
            from tests.support.app_env import clear_process_caches

            os.environ.update(sandbox.settings_env())
            clear_process_caches()
            return _measure(sandbox)


def _measure(sandbox) -> Result:
    from studio_app.database import session_scope
    from studio_app.jobs import publications as jobs
    from studio_app.services import files, publications, publishing
    from studio_app.settings import current_settings
    from tests.support.projects import call, new_project, person
    from tests.support.publications import connect

    producer = person(current_settings(), "bench@example.com", name="Bench Producer")
    project = new_project(producer, "Publish bench")
    connect(sandbox, producer, "tiktok", persona="Bench on TikTok")
    with session_scope() as session:
        stored = files.store_system_file(session, project_id=project.id, name="bench.mp4", content_type="video/mp4",
                                         chunks=pieces())
    from tests.support.publications import approved_version_of_file

    asset_id = approved_version_of_file(producer, project.id, stored.id, size=SIZE)
    view = call(publications.schedule, producer, project.id, asset_id, destinations=["tiktok"], caption="bench",
                when="", time_zone="UTC", tiktok=publications.TikTokSettings(privacy_level="SELF_ONLY"),
                consent=True)
    with session_scope() as session:
        run = publishing.claim(session, view.id)
    plan = run.destinations[0]
    client = jobs.provider_clients.client("tiktok")
    chunk_plan = tiktok.chunk_plan(SIZE)
    token = jobs._token(run)
    post_info = jobs._post_info(run, plan)

    def init():
        return client.init_upload(token, post_info=post_info, video_size=SIZE, chunk_size=chunk_plan.chunk_size,
                                  total_chunk_count=chunk_plan.total_chunk_count)

    first = init()
    started = time.perf_counter()
    with _PeakMemory() as memory:
        jobs.upload(run, plan, client, first.publish_id, first.upload_url, chunk_plan)
    measured = time.perf_counter() - started
    second = init()
    started = time.perf_counter()
    with httpx.Client(timeout=600) as http:  # the same chunk plan (TikTok refuses one 1 GiB PUT), plaintext
        stream = pieces()
        for first_byte, last_byte in chunk_plan.ranges():
            body, have = [], 0
            while have < last_byte - first_byte + 1:
                body.append(next(stream))
                have += len(body[-1])
            answer = http.put(second.upload_url, content=body, headers={
                "Content-Type": "video/mp4", "Content-Range": f"bytes {first_byte}-{last_byte}/{SIZE}",
                "Content-Length": str(have)})
    peer = time.perf_counter() - started
    growth = memory.peak - memory.base
    limit = 2 * chunk_plan.chunk_size
    return Result(
        name="tiktok_upload", measured=measured, peer=peer, target=round(1 / 0.7, 3), unit="s",
        details={"bytes": SIZE, "measured_mb_s": round(SIZE / measured / 1e6, 1),
                 "peer_mb_s": round(SIZE / peer / 1e6, 1),
                 "chunk_size": chunk_plan.chunk_size, "chunks": chunk_plan.total_chunk_count,
                 "peak_memory_growth_mib": round(growth / 2**20, 1), "memory_limit_mib": round(limit / 2**20, 1),
                 "peer_status": answer.status_code},
        conditions={"memory_under_two_chunks": growth < limit,
                    "peer_upload_accepted": answer.status_code in (201, 206)})


