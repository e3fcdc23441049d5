"""Uploads survive a connection killed half-way and a server killed mid-request: the client resumes from the
offset the server reports, sends again about what was missing, and the stored file is byte for byte the same."""

import hashlib
import os
import signal
import time
from contextlib import ExitStack

import httpx
from sqlmodel import select

from studio_app.database import session_scope
from studio_app.models.files import StoredFile
from studio_app.models.uploads import Upload
from studio_app.services.uploads import LEASE_SECONDS
from tests.support.servers import api_server, api_server_process
from tests.support.tus import CHUNK, TusClient, fake_video, patch_then_cut


def resume(tus: TusClient, location: str, data: bytes, *, patience: float = LEASE_SECONDS + 30) -> tuple[int, str]:
    """As tus-js-client does: HEAD, PATCH the rest; wait while another request still holds the upload (423) and
    ask again on a 409. Returns (bytes sent again, file id)."""
    deadline = time.monotonic() + patience
    while True:
        offset = int(tus.head(location).headers["upload-offset"])
        answer = tus.patch(location, offset, data[offset:])
        if answer.status_code == 204:
            return len(data) - offset, answer.headers["studio-file"]
        assert answer.status_code in (409, 423), answer.text
        assert time.monotonic() < deadline, "the upload stayed locked"
        time.sleep(0.5)


def stored_sha256(file_id: str) -> str:
    with session_scope() as session:
        return session.get(StoredFile, file_id).sha256


def test_resume_after_the_connection_is_killed_half_way(studio):
    tus = studio.tus("eli")
    data = fake_video(24 * CHUNK + 333)
    location = tus.create(len(data), project=studio.project_id).headers["location"]
    half = len(data) // 2
    # Give the server a moment to read what the socket buffers hold before the reset, as a real network would.
    patch_then_cut(studio.base, location, 0, data, half, tus.headers, before_cut=lambda: time.sleep(1))
    sent_again, file_id = resume(tus, location, data)
    assert abs(sent_again - (len(data) - half)) <= CHUNK, sent_again
    assert stored_sha256(file_id) == hashlib.sha256(data).hexdigest()
    assert studio.get(f"/api/media/{file_id}", "eli").content == data


def test_resume_after_the_server_is_killed_mid_request(studio_env):
    settings, database_url, tmp_path, (project_id, _other, cookies) = studio_env
    data = fake_video(20 * CHUNK + 4321)
    with ExitStack() as first_run:
        base, server = first_run.enter_context(api_server_process(tmp_path, database_url, settings.data_dir))
        tus = TusClient(httpx.Client(base_url=base, timeout=60), base.replace("127.0.0.1", "localhost"),
                        cookies["eli"])
        location = tus.create(len(data), project=project_id).headers["location"]
        assert tus.patch(location, 0, data[:3 * CHUNK + 10]).status_code == 204  # a tail sealed on its own

        def kill_server() -> None:
            time.sleep(1)
            os.killpg(server.pid, signal.SIGKILL)  # no clean shutdown: a crash
            server.wait()

        patch_then_cut(base, location, 3 * CHUNK + 10, data[3 * CHUNK + 10:], 9 * CHUNK, tus.headers,
                       before_cut=kill_server)
    with api_server(tmp_path, database_url, settings.data_dir) as base:
        tus = TusClient(httpx.Client(base_url=base, timeout=60), base.replace("127.0.0.1", "localhost"),
                        cookies["eli"])
        sent_again, file_id = resume(tus, location, data)
        assert sent_again < len(data) - 3 * CHUNK  # more than the first request's bytes survived the crash
        assert stored_sha256(file_id) == hashlib.sha256(data).hexdigest()
        response = httpx.get(f"{base}/api/media/{file_id}", headers={"cookie": f"studio_session={cookies['zoe']}"})
        assert response.content == data
    with session_scope() as session:
        assert session.exec(select(Upload.state)).all() == ["complete"]
