"""Breach response: incidents, their append-only timeline, the people they affect, and the app-wide flags
(read-only mode) that containment sets.

Incident texts are written by admins about what happened, never about one person: people are referenced by id
in ``incident_person`` only, so an incident names nobody once their account is erased.
"""

from __future__ import annotations

import enum
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlmodel import Field, SQLModel

from studio_app.models.base import id_field, time_field


class IncidentStatus(enum.StrEnum):
    OPEN = "open"
    CLOSED = "closed"


class RiskLevel(enum.StrEnum):
    LOW = "low"
    MEDIUM = "medium"
    HIGH = "high"


def _text(*, nullable: bool = True) -> Any:
    return Field(default=None if nullable else "", sa_column=sa.Column(sa.Text(), nullable=nullable))


class Incident(SQLModel, table=True):
    __tablename__ = "incident"

    id: str = id_field()
    title: str = Field(max_length=200)
    nature: str = _text(nullable=False)  # what happened, as known so far
    status: str = Field(default=IncidentStatus.OPEN, max_length=16, index=True)
    alert_id: str | None = Field(default=None, max_length=32)  # the detection alert it was opened from
    opened_by: str = Field(max_length=32)
    opened_at: datetime = time_field(default_now=True)
    # The 72-hour clock to the authority runs from here (GDPR art. 33(1)), not from the opening.
    aware_at: datetime = time_field()
    # Assessment
    affected_rule: dict[str, Any] = Field(default_factory=dict, sa_column=sa.Column(sa.JSON, nullable=False))
    affected_count: int = Field(default=0)
    records_estimate: int = Field(default=0)
    categories: list[str] = Field(default_factory=list, sa_column=sa.Column(sa.JSON, nullable=False))
    data_encrypted: bool | None = Field(default=None)
    keys_safe: bool | None = Field(default=None)
    risk_level: str | None = Field(default=None, max_length=16)
    risk_reasoning: str | None = _text()
    likely_consequences: str | None = _text()
    measures_proposed: str | None = _text()
    assessed_at: datetime | None = time_field(nullable=True)
    # The authority report
    reported_at: datetime | None = time_field(nullable=True)
    late_reason: str | None = _text()
    # The notice to the affected people, written once (art. 34(2))
    notice_nature: str | None = _text()
    notice_consequences: str | None = _text()
    notice_measures: str | None = _text()
    notice_advice: str | None = _text()
    notified_at: datetime | None = time_field(nullable=True)
    # The post-incident review, required to close
    review_cause: str | None = _text()
    review_fixes: str | None = _text()
    review_follow_ups: str | None = _text()
    closed_at: datetime | None = time_field(nullable=True)
    closed_by: str | None = Field(default=None, max_length=32)


class IncidentEvent(SQLModel, table=True):
    """One line of an incident's timeline: what was done, by whom, when. Rows are only ever inserted."""

    __tablename__ = "incident_event"

    id: str = id_field()
    incident_id: str = Field(sa_column=sa.Column(sa.String(32), sa.ForeignKey("incident.id", ondelete="RESTRICT"),
                                                 nullable=False, index=True))
    at: datetime = time_field(default_now=True)
    actor_id: str | None = Field(default=None, max_length=32)
    kind: str = Field(max_length=32)
    text: str = _text(nullable=False)


class IncidentPerson(SQLModel, table=True):
    """A person the incident affects, and how the notice reached them (``email_status``: pending, sent,
    failed, no_address)."""

    __tablename__ = "incident_person"

    incident_id: str = Field(sa_column=sa.Column(sa.String(32), sa.ForeignKey("incident.id", ondelete="CASCADE"),
                                                 primary_key=True))
    user_id: str = Field(sa_column=sa.Column(sa.String(32), sa.ForeignKey("user_account.id", ondelete="CASCADE"),
                                             primary_key=True, index=True))
    email_status: str | None = Field(default=None, max_length=16)
    in_app_at: datetime | None = time_field(nullable=True)
    emailed_at: datetime | None = time_field(nullable=True)


class AppFlag(SQLModel, table=True):
    """A switch that holds for every process (read-only mode): present means on."""

    __tablename__ = "app_flag"

    name: str = Field(primary_key=True, max_length=32)
    reason: str = _text(nullable=False)
    set_by: str | None = Field(default=None, max_length=32)
    set_at: datetime = time_field(default_now=True)
    incident_id: str | None = Field(default=None, max_length=32)
