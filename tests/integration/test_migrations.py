"""The migrations describe exactly the models: autogenerate at head finds nothing, on SQLite and PostgreSQL."""

import pytest
import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlmodel import SQLModel

import studio_app.models  # noqa: F401  (registers every table)
from studio_app.database import create_db_engine, schema_status, upgrade_to_head


def schema_drift(database_url: str, metadata: sa.MetaData) -> list:
    engine = create_db_engine(database_url)
    try:
        with engine.connect() as connection:
            context = MigrationContext.configure(connection, opts={"compare_type": True})
            return compare_metadata(context, metadata)
    finally:
        engine.dispose()


def migrated(database_url: str) -> str:
    upgrade_to_head(database_url)
    engine = create_db_engine(database_url)
    try:
        assert schema_status(engine).up_to_date
    finally:
        engine.dispose()
    return database_url


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def database_at_head(request, tmp_path):
    if request.param == "sqlite":
        return migrated(f"sqlite:///{tmp_path / 'studio.db'}")
    return migrated(request.getfixturevalue("postgres_url"))


def test_no_drift_between_models_and_migrations(database_at_head):
    assert schema_drift(database_at_head, SQLModel.metadata) == []


def test_the_drift_check_sees_a_table_without_migration(database_at_head):
    """Guards the guard: a model added without its revision must be reported."""
    metadata = sa.MetaData()
    for table in SQLModel.metadata.tables.values():
        table.to_metadata(metadata)
    sa.Table("unmigrated_thing", metadata, sa.Column("id", sa.Integer, primary_key=True))
    drift = schema_drift(database_at_head, metadata)
    assert [(op, table.name) for op, table, *_ in drift] == [("add_table", "unmigrated_thing")]


def test_upgrading_twice_changes_nothing(database_at_head):
    upgrade_to_head(database_at_head)
    assert schema_drift(database_at_head, SQLModel.metadata) == []


def test_unread_message_notifications_become_one_per_thread(tmp_path):
    """0008: the unread message notifications written one per message merge into the newest, counting them."""
    import sqlite3

    from alembic import command

    from studio_app.database import alembic_config

    url = f"sqlite:///{tmp_path / 'studio.db'}"
    command.upgrade(alembic_config(url), "0007_form_submissions")
    rows = [("n1", "alice", "message", "p1", "2026-11-01 10:00:00", None),
            ("n2", "alice", "message", "p1", "2026-11-01 11:00:00", None),
            ("n3", "alice", "message", "p1", "2026-11-01 09:00:00", "2026-11-01 09:30:00"),  # read: stays
            ("n4", "alice", "message", "p2", "2026-11-01 10:00:00", None),
            ("n5", "alice", "stage_change", "p1", "2026-11-01 10:00:00", None),
            ("n6", "bob", "message", "p1", "2026-11-01 10:00:00", None)]
    with sqlite3.connect(tmp_path / "studio.db") as connection:  # foreign keys off: no accounts needed
        connection.executemany("INSERT INTO notification (id, user_id, kind, project_id, created_at, read_at) "
                               "VALUES (?, ?, ?, ?, ?, ?)", rows)
    upgrade_to_head(url)
    with sqlite3.connect(tmp_path / "studio.db") as connection:
        left = connection.execute("SELECT id, count FROM notification ORDER BY id").fetchall()
    assert left == [("n2", 2), ("n3", 1), ("n4", 1), ("n5", 1), ("n6", 1)]
