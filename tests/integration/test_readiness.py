"""``GET /api/ready`` over real HTTP: ready when the database, Redis, storage and a queue consumer all work, 503
naming the part that fails when one does not, and nothing of the configuration in the answer."""

import os
import shutil
import subprocess
import time

import httpx
import pytest

from studio_app.database import upgrade_to_head
from tests.support.servers import api_server, free_port, python_command, stop_process

PASSWORD = "hunter2-redis-secret"


def consumer(data_dir, database_url, log, extra_env=None) -> subprocess.Popen:
    env = {**os.environ, "STUDIO_DATA_DIR": str(data_dir), "STUDIO_DATABASE_URL": database_url,
           "STUDIO_METRICS_ADDRESS": "off", **(extra_env or {})}
    return subprocess.Popen(python_command("-m", "studio_app", "worker", "--workers", "1"), env=env,
                            stdout=log.open("wb"), stderr=subprocess.STDOUT, start_new_session=True)


def ready(base: str, *, want: int, timeout: float = 30) -> dict:
    deadline = time.monotonic() + timeout
    while True:
        response = httpx.get(f"{base}/api/ready", timeout=15)
        if response.status_code == want or time.monotonic() > deadline:
            assert response.status_code == want, response.text
            assert response.headers["cache-control"] == "no-store"
            return response.json()
        time.sleep(0.5)


@pytest.fixture
def migrated(tmp_path):
    database_url = f"sqlite:///{tmp_path / 'data' / 'studio.db'}"
    (tmp_path / "data").mkdir()
    upgrade_to_head(database_url)
    return database_url


def test_ready_with_a_consumer_then_not_when_it_stops(tmp_path, migrated):
    data = tmp_path / "data"
    with api_server(tmp_path, migrated, data) as base:
        body = ready(base, want=503)  # no consumer yet
        assert body["parts"]["queue"]["state"] == "failing"
        assert "consumer" in body["parts"]["queue"]["problem"]
        assert body["parts"]["database"] == {"state": "ok"} and body["parts"]["storage"] == {"state": "ok"}
        assert body["parts"]["redis"] == {"state": "not used"}
        worker = consumer(data, migrated, tmp_path / "worker.log")
        try:
            body = ready(base, want=200, timeout=60)
            assert body["status"] == "ready"
        finally:
            stop_process(worker)
        # A consumer stopped cleanly takes its heartbeat with it.
        assert ready(base, want=503)["parts"]["queue"]["state"] == "failing"


def test_an_unreachable_database_is_named(tmp_path):
    with api_server(tmp_path, f"postgresql://postgres:{PASSWORD}@127.0.0.1:{free_port()}/gone") as base:
        response = httpx.get(f"{base}/api/ready", timeout=15)
    assert response.status_code == 503
    body = response.json()
    assert body["status"] == "unavailable"
    assert body["parts"]["database"] == {"state": "failing", "problem": "The database cannot be reached."}
    assert PASSWORD not in response.text and "127.0.0.1" not in response.text


def test_unwritable_storage_is_named(tmp_path, migrated):
    data = tmp_path / "data"
    with api_server(tmp_path, migrated, data) as base:
        media = data / "media"
        shutil.rmtree(media, ignore_errors=True)
        media.write_bytes(b"")  # a file where the folder should be: nothing can be written in it (even as root)
        body = ready(base, want=503)
    assert body["parts"]["storage"] == {"state": "failing", "problem": "The media folder cannot be written to."}
    assert str(data) not in str(body)


def test_redis_going_down_is_named(tmp_path, migrated):
    """A Redis of this test's own, with a password, stopped while the app runs: Redis and the queue (which lives
    there) fail, and the password is nowhere in the answer."""
    port = free_port()
    server = subprocess.Popen(["redis-server", "--port", str(port), "--bind", "127.0.0.1", "--save", "",
                               "--appendonly", "no", "--requirepass", PASSWORD], stdout=subprocess.DEVNULL,
                              start_new_session=True)
    redis_url = f"redis://:{PASSWORD}@127.0.0.1:{port}/0"
    data = tmp_path / "data"
    worker = None
    try:
        import redis

        deadline = time.monotonic() + 10
        while True:
            try:
                redis.Redis.from_url(redis_url).ping()
                break
            except redis.ConnectionError:
                assert time.monotonic() < deadline, "redis-server did not start"
                time.sleep(0.1)
        with api_server(tmp_path, migrated, data, {"STUDIO_REDIS_URL": redis_url}) as base:
            worker = consumer(data, migrated, tmp_path / "worker.log", {"STUDIO_REDIS_URL": redis_url})
            assert ready(base, want=200, timeout=60)["parts"]["redis"] == {"state": "ok"}
            stop_process(server)
            response = httpx.get(f"{base}/api/ready", timeout=30)
    finally:
        if worker is not None:
            stop_process(worker)
        stop_process(server)
    assert response.status_code == 503
    body = response.json()
    assert body["parts"]["redis"] == {"state": "failing", "problem": "Redis cannot be reached."}
    assert body["parts"]["queue"] == {"state": "failing", "problem": "The job queue cannot be reached."}
    assert body["parts"]["database"] == {"state": "ok"}
    assert PASSWORD not in response.text and "127.0.0.1" not in response.text
