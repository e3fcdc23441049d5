"""The audit log: append-only security events, each hash-chained to the one before it.

Rows hold pseudonymous ids only (never emails or IP addresses): ``services.audit`` refuses them.
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Any

import sqlalchemy as sa
from sqlmodel import Field, SQLModel


def _new_id() -> str:
    return uuid.uuid4().hex


def _now() -> datetime:
    return datetime.now(UTC)


class AuditEvent(SQLModel, table=True):
    __tablename__ = "audit_event"

    id: str = Field(default_factory=_new_id, primary_key=True, max_length=32)
    sequence: int = Field(unique=True, index=True)
    created_at: datetime = Field(default_factory=_now, sa_type=sa.DateTime(timezone=True))
    kind: str = Field(index=True, max_length=64)
    actor_id: str | None = Field(default=None, index=True, max_length=64)
    subject_id: str | None = Field(default=None, max_length=64)
    details: dict[str, Any] = Field(default_factory=dict, sa_column=sa.Column(sa.JSON, nullable=False))
    previous_hash: str = Field(max_length=64)
    hash: str = Field(max_length=64)
