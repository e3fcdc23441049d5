"""The audit log: append-only security events, each hash-chained to the one before it.

Rows hold pseudonymous ids only (never emails or IP addresses): ``services.audit`` refuses them.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlmodel import Field, SQLModel

from studio_app.models.base import id_field, time_field


class AuditEvent(SQLModel, table=True):
    __tablename__ = "audit_event"

    id: str = id_field()
    sequence: int = Field(unique=True, index=True)
    created_at: datetime = time_field(default_now=True)
    kind: str = Field(index=True, max_length=64)
    actor_id: str | None = Field(default=None, index=True, max_length=64)
    subject_id: str | None = Field(default=None, max_length=64)
    details: dict[str, Any] = Field(default_factory=dict, sa_column=sa.Column(sa.JSON, nullable=False))
    previous_hash: str = Field(max_length=64)
    hash: str = Field(max_length=64)
