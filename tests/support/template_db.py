"""One migrated database per test process, copied for each test instead of running every migration again.

SQLite: the template file is copied to the test's path. PostgreSQL: each test database is created with
``CREATE DATABASE ... TEMPLATE``. Tests that are about migrations start from an empty database instead.
"""

from __future__ import annotations

import atexit
import shutil
import sqlite3
import tempfile
import uuid
from functools import cache
from pathlib import Path

import sqlalchemy as sa

from studio_app import database

_migrated_urls: set[str] = set()


def migrate(database_url: str) -> None:
    """Bring a test's database to head: a copy of the template for a new SQLite file, migrations otherwise."""
    if database_url in _migrated_urls:
        return
    path = _sqlite_path(database_url)
    if path is not None and not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(_sqlite_template(), path)
    else:
        database.upgrade_to_head(database_url)
    _migrated_urls.add(database_url)


def create_postgres_from_template(admin: sa.Engine, name: str, server_url: str) -> None:
    """Create database ``name`` already at head (from this process's migrated template)."""
    template = _postgres_template(server_url)
    with admin.connect() as connection:
        connection.execute(sa.text(f'CREATE DATABASE "{name}" TEMPLATE "{template}"'))
    _migrated_urls.add(_database_url(server_url, name))


def _database_url(server_url: str, name: str) -> str:
    return server_url.rsplit("/", 1)[0] + f"/{name}"


def _sqlite_path(database_url: str) -> Path | None:
    prefix = "sqlite:///"
    return Path(database_url.removeprefix(prefix)) if database_url.startswith(prefix) else None


@cache
def _sqlite_template() -> Path:
    folder = Path(tempfile.mkdtemp(prefix="studio-template-"))
    atexit.register(shutil.rmtree, folder, ignore_errors=True)
    path = folder / "template.db"
    database.upgrade_to_head(f"sqlite:///{path}")
    # Everything in the main file, so that copying it alone copies the whole database.
    connection = sqlite3.connect(path)
    try:
        connection.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        connection.execute("PRAGMA journal_mode=DELETE")
    finally:
        connection.close()
    return path


@cache
def _postgres_template(server_url: str) -> str:
    name = f"studio_template_{uuid.uuid4().hex[:12]}"
    admin = database.create_db_engine(server_url).execution_options(isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(sa.text(f'CREATE DATABASE "{name}"'))
    database.upgrade_to_head(_database_url(server_url, name))
    atexit.register(_drop, server_url, name)
    admin.dispose()
    return name


def _drop(server_url: str, name: str) -> None:
    admin = database.create_db_engine(server_url).execution_options(isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as connection:
            connection.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    finally:
        admin.dispose()
