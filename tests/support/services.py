"""Access to the real PostgreSQL and Redis the tests talk to.

A service named by STUDIO_TEST_POSTGRES_URL / STUDIO_TEST_REDIS_URL but unreachable, or not named while
STUDIO_REQUIRE_SERVICES=1 (as in CI), fails the test instead of skipping it.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from contextlib import contextmanager

import pytest
import sqlalchemy as sa

from studio_app.database import create_db_engine
from tests.support import template_db


def services_required() -> bool:
    return os.environ.get("STUDIO_REQUIRE_SERVICES") == "1"


def unavailable(reason: str):
    if services_required():
        pytest.fail(f"{reason} (STUDIO_REQUIRE_SERVICES=1 forbids skipping)")
    pytest.skip(reason)


@contextmanager
def scratch_postgres_database(*, migrated: bool = False) -> Iterator[str]:
    """A new database on the test server, dropped afterwards; yields its URL. Empty, or ``migrated`` (a copy of
    a template at head, much faster than running the migrations)."""
    server_url = os.environ.get("STUDIO_TEST_POSTGRES_URL")
    if not server_url:
        unavailable("STUDIO_TEST_POSTGRES_URL is not set")
    admin = create_db_engine(server_url).execution_options(isolation_level="AUTOCOMMIT")
    name = f"studio_test_{uuid.uuid4().hex[:12]}"
    try:
        if migrated:
            template_db.create_postgres_from_template(admin, name, server_url)
        else:
            with admin.connect() as connection:
                connection.execute(sa.text(f'CREATE DATABASE "{name}"'))
    except sa.exc.OperationalError as error:
        admin.dispose()
        unavailable(f"PostgreSQL at STUDIO_TEST_POSTGRES_URL is unreachable: {error.orig}")
    try:
        yield server_url.rsplit("/", 1)[0] + f"/{name}"
    finally:
        with admin.connect() as connection:
            connection.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def reachable_redis_url() -> str:
    import redis

    url = os.environ.get("STUDIO_TEST_REDIS_URL")
    if not url:
        unavailable("STUDIO_TEST_REDIS_URL is not set")
    client = redis.Redis.from_url(url, socket_connect_timeout=3)
    try:
        client.ping()
    except redis.RedisError as error:
        unavailable(f"Redis at STUDIO_TEST_REDIS_URL is unreachable: {error}")
    finally:
        client.close()
    return url
