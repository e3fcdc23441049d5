"""Detection: alerts opened by the rules of ``services/detection.py``, and what those rules count.

Nothing personal is stored here: subjects are user ids or keyed pseudonyms of a network (never an address),
device fingerprints are keyed hashes, and summaries are plain words written by the rules themselves.
"""

from __future__ import annotations

import enum
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlmodel import Field, SQLModel

from studio_app.models.base import id_field, time_field


class AlertStatus(enum.StrEnum):
    OPEN = "open"
    ACKNOWLEDGED = "acknowledged"  # someone looks at it; repeats still count on it
    CLOSED = "closed"


class AlertSeverity(enum.StrEnum):
    LOW = "low"
    MEDIUM = "medium"
    HIGH = "high"


class SecurityAlert(SQLModel, table=True):
    __tablename__ = "security_alert"

    id: str = id_field()
    rule: str = Field(max_length=64, index=True)
    severity: str = Field(max_length=16)
    status: str = Field(default=AlertStatus.OPEN, max_length=16, index=True)
    opened_at: datetime = time_field(default_now=True, index=True)
    last_seen_at: datetime = time_field(default_now=True)
    summary: str = Field(max_length=300)
    details: dict[str, Any] = Field(default_factory=dict, sa_column=sa.Column(sa.JSON, nullable=False))
    # What the rule counts by: a user id, a network pseudonym, "all" or a component name.
    subject_id: str = Field(max_length=64)
    # The accounts concerned (user ids, at most a hundred), for an incident's assessment.
    user_ids: list[str] = Field(default_factory=list, sa_column=sa.Column(sa.JSON, nullable=False))
    count: int = Field(default=1)
    # "rule subject" while the alert is not closed: one alert per rule and subject, repeats count on it.
    open_key: str | None = Field(default=None, max_length=140, unique=True)
    mailed: bool = Field(default=False)
    acknowledged_at: datetime | None = time_field(nullable=True)
    acknowledged_by: str | None = Field(default=None, max_length=32)
    closed_at: datetime | None = time_field(nullable=True)


class SecuritySignal(SQLModel, table=True):
    """The counter store of high-volume failures when no Redis is configured: one row per occurrence, counted over
    a moving window and swept once older than the longest window."""

    __tablename__ = "security_signal"
    __table_args__ = (sa.Index("ix_security_signal_key_at", "key", "at"),)

    id: str = id_field()
    key: str = Field(max_length=128)
    member: str = Field(max_length=64)  # what distinct counts count (an account pseudonym, a file id)
    at: datetime = time_field(default_now=True, index=True)


class KnownDevice(SQLModel, table=True):
    """Devices an admin has signed in from: a keyed hash of the browser and its network, never either in clear."""

    __tablename__ = "known_device"
    __table_args__ = (sa.UniqueConstraint("user_id", "fingerprint"),)

    id: str = id_field()
    user_id: str = Field(
        sa_column=sa.Column(sa.String(32), sa.ForeignKey("user_account.id", ondelete="CASCADE"), nullable=False,
                            index=True))
    fingerprint: str = Field(max_length=64)
    first_seen_at: datetime = time_field(default_now=True)
    last_seen_at: datetime = time_field(default_now=True)
