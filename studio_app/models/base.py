"""Column helpers shared by every table."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

import sqlalchemy as sa
from sqlmodel import Field


def new_id() -> str:
    """Row ids are made before insert: encrypted columns are bound to their row id."""
    return uuid.uuid4().hex


def is_row_id(value: object) -> bool:
    """Whether a client-sent value can be a row id at all (checked before any query)."""
    return isinstance(value, str) and len(value) == 32 and all(c in "0123456789abcdef" for c in value)


def utcnow() -> datetime:
    return datetime.now(UTC)


class UTCDateTime(sa.TypeDecorator):
    """Timezone-aware UTC in and out, on PostgreSQL and on SQLite (which stores naive values)."""

    impl = sa.DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect):
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime: store timezone-aware UTC values")
        value = value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: datetime | None, dialect):
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def id_field() -> str:
    return Field(default_factory=new_id, primary_key=True, max_length=32)


def time_field(*, nullable: bool = False, index: bool = False, default_now: bool = False):
    column = sa.Column(UTCDateTime(), nullable=nullable, index=index)
    if default_now:
        return Field(default_factory=utcnow, sa_column=column)
    return Field(default=None, sa_column=column)


def secret_field(*, nullable: bool = False):
    """An encrypted value (AES-GCM, see security/crypto.py); never holds plaintext."""
    return Field(default=None, sa_column=sa.Column(sa.LargeBinary(), nullable=nullable))
