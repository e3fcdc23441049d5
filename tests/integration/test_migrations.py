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
