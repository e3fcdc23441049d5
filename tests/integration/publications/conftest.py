import uuid

import pytest

from tests.support.app_env import app_environment


@pytest.fixture(params=["sqlite", pytest.param("services", marks=[pytest.mark.postgres, pytest.mark.redis])])
def app(request, monkeypatch, tmp_path, sandbox):
    """The app's settings pointed at the sandbox: on a SQLite database and queue of the test's own, or on
    PostgreSQL and a Redis queue (row locks, the lease and the consumer's queue as in production)."""
    variables = {name.removeprefix("STUDIO_"): value for name, value in sandbox.settings_env().items()}
    database_url = f"sqlite:///{tmp_path / 'studio.db'}"
    if request.param == "services":
        database_url = request.getfixturevalue("migrated_postgres_url")
        variables |= {"REDIS_URL": request.getfixturevalue("redis_url"), "QUEUE_NAME": f"test-{uuid.uuid4().hex[:12]}"}
    with app_environment(monkeypatch, tmp_path / "data", database_url, **variables) as settings:
        yield settings
