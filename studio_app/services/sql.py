"""SQL that reads the same on SQLite and PostgreSQL but is written differently for each."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite
from sqlmodel import Session


def upsert(session: Session, model: type, values: dict[str, Any], *, key: tuple[str, ...],
           update: dict[str, Any] | None = None) -> None:
    """Insert ``values`` or, when a row with the same ``key`` columns exists, set ``update`` on it.

    ``update`` maps column names to values or to functions of the proposed row (``excluded``), so a
    caller can keep the greater of the stored and the new value in the same statement.
    """
    dialect = session.get_bind().dialect.name
    insert = {"sqlite": sqlite.insert, "postgresql": postgresql.insert}[dialect](model).values(**values)
    changes = {name: value(insert.excluded) if callable(value) else value for name, value in (update or {}).items()}
    statement = insert.on_conflict_do_update(index_elements=list(key), set_=changes) if changes else (
        insert.on_conflict_do_nothing(index_elements=list(key)))
    session.execute(statement)


def greatest(column: sa.ColumnElement, proposed: sa.ColumnElement) -> sa.ColumnElement:
    """The later of two values, portable (SQLite's max() and PostgreSQL's GREATEST() differ in name)."""
    return sa.case((column < proposed, proposed), else_=column)
