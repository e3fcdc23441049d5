"""SQL that reads the same on SQLite and PostgreSQL but is written differently for each."""

from __future__ import annotations

import functools
from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite
from sqlmodel import Session


def upsert(session: Session, model: type, values: dict[str, Any] | Sequence[dict[str, Any]], *,
           key: tuple[str, ...], update: dict[str, Any] | None = None, key_where: sa.ColumnElement | None = None
           ) -> None:
    """Insert ``values`` (one row or several) or, when a row with the same ``key`` columns exists, set ``update``
    on it.

    ``update`` maps column names to values or to functions of the proposed row (``excluded``), so a
    caller can keep the greater of the stored and the new value in the same statement. ``key_where`` names
    a partial unique index by its condition.
    """
    insert = _insert(session, model)
    proposed = _proposed_row(session.get_bind().dialect.name, model.__table__) if update else None
    changes = {name: value(proposed) if callable(value) else value for name, value in (update or {}).items()}
    statement = insert.on_conflict_do_update(index_elements=list(key), index_where=key_where, set_=changes) \
        if changes else insert.on_conflict_do_nothing(index_elements=list(key), index_where=key_where)
    session.execute(statement, _rows(values))


def insert_missing(session: Session, model: type, rows: Sequence[dict[str, Any]], *, key: tuple[str, ...],
                   returning: sa.ColumnElement) -> list[Any]:
    """Insert the rows whose ``key`` is not taken yet; returns ``returning`` of the rows this call inserted.

    A row another writer holds is skipped, not an error (on PostgreSQL the insert waits for that writer first).
    """
    statement = _insert_missing_statement(session.get_bind().dialect.name, model.__table__, key, returning)
    return list(session.execute(statement, _rows(rows)).scalars().all())


@functools.cache
def _insert_missing_statement(dialect: str, table: sa.Table, key: tuple[str, ...], returning: sa.ColumnElement):
    # Made once: SQLAlchemy remembers a statement object's cache key (making it again costs more than the insert).
    return _DIALECT_INSERT[dialect](table).on_conflict_do_nothing(index_elements=list(key)).returning(returning)


def serialize_writers(session: Session, lock_id: int, touched: sa.Column) -> None:
    """Make writers that read-then-insert (a sequence number, a version) wait for each other until commit.

    PostgreSQL takes a transaction-scoped advisory lock; on SQLite an UPDATE that changes nothing (of
    ``touched``'s table) takes the database's write lock now, before the read, instead of failing at the insert.
    """
    if session.get_bind().dialect.name == "postgresql":
        session.execute(sa.text("SELECT pg_advisory_xact_lock(:lock_id)"), {"lock_id": lock_id})
    else:
        session.execute(sa.update(touched.table).where(sa.false()).values({touched: touched}))


_DIALECT_INSERT = {"sqlite": sqlite.insert, "postgresql": postgresql.insert}


def _insert(session: Session, model: type):
    """On the model's table (Core, not the ORM's bulk path): rows go as parameters, not in the statement, so the
    statement is compiled once and cached (rows written into it with ``values()`` are compiled on every call)."""
    return _DIALECT_INSERT[session.get_bind().dialect.name](model.__table__)


@functools.cache
def _proposed_row(dialect: str, table: sa.Table):
    """The row an upsert proposes (``excluded``): the same alias for every insert into ``table``, made once (making
    it costs more than the rest of a small upsert)."""
    return _DIALECT_INSERT[dialect](table).excluded


def _rows(values: dict[str, Any] | Sequence[dict[str, Any]]) -> list[dict[str, Any]]:
    return list(values) if isinstance(values, Sequence) else [values]


def greatest(column: sa.ColumnElement, proposed: sa.ColumnElement) -> sa.ColumnElement:
    """The later of two values, portable (SQLite's max() and PostgreSQL's GREATEST() differ in name)."""
    return sa.case((column < proposed, proposed), else_=column)
