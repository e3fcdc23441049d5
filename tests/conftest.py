import logging

import pytest
from argon2 import PasswordHasher, Type

from studio_app import logs
from studio_app.security import log_redaction, passwords
from tests.support.services import reachable_redis_url, scratch_postgres_database

CHEAP_HASHER = PasswordHasher(time_cost=1, memory_cost=8, parallelism=1, type=Type.ID)


@pytest.fixture
def postgres_url():
    with scratch_postgres_database() as url:
        yield url


@pytest.fixture
def migrated_postgres_url():
    """A scratch database already at the migrations' head."""
    with scratch_postgres_database(migrated=True) as url:
        yield url


@pytest.fixture(autouse=True)
def cheap_password_hashing(request, monkeypatch):
    """argon2 at 64 MiB and 3 passes costs a tenth of a second per hash: tests that are not about hashing use
    the smallest parameters. Mark a test ``real_password_hashing`` to keep the real ones."""
    if request.node.get_closest_marker("real_password_hashing") is None:
        monkeypatch.setattr(passwords, "DEFAULT_HASHER", CHEAP_HASHER)


@pytest.fixture(autouse=True)
def process_logging_restored():
    """The CLI's entry point sets up the process's logging (``logs.setup``): a test that runs it must not leave the
    tests after it a console handler bound to its own captured output (closed by then), nor its record factory."""
    root = logging.getLogger()
    handlers, level, configured = root.handlers[:], root.level, logs._configured
    factory, redacting = logging.getLogRecordFactory(), log_redaction._installed
    yield
    root.handlers[:] = handlers
    root.setLevel(level)
    logs._configured = configured
    logging.setLogRecordFactory(factory)
    log_redaction._installed = redacting


@pytest.fixture
def redis_url():
    return reachable_redis_url()


# The provider sandbox, for any test that talks to Discord or TikTok (tests/support/sandbox.py).
from tests.support.sandbox import sandbox, sandbox_server  # noqa: E402, F401
