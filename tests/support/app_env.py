"""Point the process-wide settings, keys and engine at a test's own folder and database."""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from sqlmodel import Session

from studio_app import database, settings
from studio_app.integrations import storage
from studio_app.security import keyring, rate_limits
from studio_app.services import background
from tests.support import template_db

TEST_HARNESS_VARIABLES = {"STUDIO_TEST_POSTGRES_URL", "STUDIO_TEST_REDIS_URL", "STUDIO_REQUIRE_SERVICES"}


def clear_process_caches() -> None:
    settings.current_settings.cache_clear()
    keyring.current_keys.cache_clear()
    rate_limits.current_rate_limiter.cache_clear()
    database.get_engine.cache_clear()
    storage.current_storage.cache_clear()
    storage.current_staging.cache_clear()


@contextmanager
def app_environment(monkeypatch: pytest.MonkeyPatch, data_dir: Path, database_url: str, **variables: str
                    ) -> Iterator[settings.Settings]:
    for name in [name for name in os.environ if name.startswith("STUDIO_") and name not in TEST_HARNESS_VARIABLES]:
        monkeypatch.delenv(name)
    monkeypatch.setenv("STUDIO_DATA_DIR", str(data_dir))
    monkeypatch.setenv("STUDIO_DATABASE_URL", database_url)
    for name, value in variables.items():
        monkeypatch.setenv(f"STUDIO_{name}", value)
    clear_process_caches()
    template_db.migrate(database_url)
    try:
        yield settings.current_settings()
    finally:
        background.wait_until_idle()  # work after a response belongs to this test's database, not the next one's
        database.get_engine().dispose()
        clear_process_caches()


def new_session() -> Session:
    return Session(database.get_engine(), expire_on_commit=False)
