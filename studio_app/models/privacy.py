"""Privacy: data exports, privacy requests, versioned policy documents and product-news mailings."""

from __future__ import annotations

import enum
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlmodel import Field, SQLModel

from studio_app.models.base import id_field, secret_field, time_field
from studio_app.security.personal_data import Category, personal_data


class ExportStatus(enum.StrEnum):
    QUEUED = "queued"
    RUNNING = "running"
    READY = "ready"
    FAILED = "failed"
    EXPIRED = "expired"


class RequestKind(enum.StrEnum):
    ACCESS = "access"
    CORRECTION = "correction"
    ERASURE = "erasure"
    PORTABILITY = "portability"
    RESTRICTION = "restriction"
    OBJECTION = "objection"
    CONSENT = "consent"
    QUESTION = "question"


class RequestStatus(enum.StrEnum):
    OPEN = "open"
    DONE = "done"
    REFUSED = "refused"


class PolicyKind(enum.StrEnum):
    PRIVACY = "privacy"


def _user_reference(*, nullable: bool = False, ondelete: str = "CASCADE", index: bool = True) -> Any:
    return Field(
        default=None,
        sa_column=sa.Column(sa.String(32), sa.ForeignKey("user_account.id", ondelete=ondelete), nullable=nullable,
                            index=index),
    )


class DataExport(SQLModel, table=True):
    """A ZIP of everything we hold about one user, built in the background, downloadable until it expires."""

    __tablename__ = "data_export"

    id: str = id_field()
    user_id: str = _user_reference()
    status: str = Field(max_length=16, index=True)
    progress: int = Field(default=0)  # percent
    created_at: datetime = time_field(default_now=True)
    started_at: datetime | None = time_field(nullable=True)
    heartbeat_at: datetime | None = time_field(nullable=True)
    finished_at: datetime | None = time_field(nullable=True)
    expires_at: datetime | None = time_field(nullable=True)
    downloaded_at: datetime | None = time_field(nullable=True)
    storage_key: str | None = Field(default=None, max_length=64)
    size_bytes: int | None = Field(default=None, sa_column=sa.Column(sa.BigInteger(), nullable=True))
    error: str | None = Field(default=None, max_length=200)


@personal_data(
    details_encrypted=(Category.REQUESTS, "answering your privacy request"),
    answer_encrypted=(Category.REQUESTS, "answering your privacy request"),
)
class PrivacyRequest(SQLModel, table=True):
    """Every privacy request, self-served or not, with its one-month deadline.

    On erasure the row stays (proof that the request was honoured) with ``user_id`` emptied and the
    free-text columns erased.
    """

    __tablename__ = "privacy_request"

    id: str = id_field()
    user_id: str | None = _user_reference(nullable=True, ondelete="SET NULL")
    kind: str = Field(max_length=24)
    self_served: bool = Field(default=False)
    status: str = Field(max_length=16, index=True)
    details_encrypted: bytes | None = secret_field(nullable=True)
    answer_encrypted: bytes | None = secret_field(nullable=True)
    created_at: datetime = time_field(default_now=True)
    due_at: datetime = time_field(index=True)
    closed_at: datetime | None = time_field(nullable=True)
    handled_by: str | None = _user_reference(nullable=True, ondelete="SET NULL", index=False)


class PolicyDocument(SQLModel, table=True):
    """One published version of a policy; versions are never edited, a change is a new version."""

    __tablename__ = "policy_document"
    __table_args__ = (sa.UniqueConstraint("kind", "version", name="uq_policy_document_kind_version"),)

    id: str = id_field()
    kind: str = Field(max_length=24)
    version: int
    body_markdown: str = Field(sa_column=sa.Column(sa.Text(), nullable=False))
    change_summary: str = Field(default="", sa_column=sa.Column(sa.Text(), nullable=False))
    significant: bool = Field(default=False)
    published_at: datetime = time_field(default_now=True)
    effective_at: datetime = time_field()
    published_by: str | None = _user_reference(nullable=True, ondelete="SET NULL", index=False)


class PolicyNotice(SQLModel, table=True):
    """A user told about a significant policy version (email sent) and whether they acknowledged it."""

    __tablename__ = "policy_notice"

    document_id: str = Field(
        sa_column=sa.Column(sa.String(32), sa.ForeignKey("policy_document.id", ondelete="CASCADE"),
                            primary_key=True)
    )
    user_id: str = Field(
        sa_column=sa.Column(sa.String(32), sa.ForeignKey("user_account.id", ondelete="CASCADE"), primary_key=True)
    )
    emailed_at: datetime | None = time_field(nullable=True)
    acknowledged_at: datetime | None = time_field(nullable=True)


class Announcement(SQLModel, table=True):
    """Product news written by an admin, mailed only to people whose marketing consent is active when sent."""

    __tablename__ = "announcement"

    id: str = id_field()
    subject: str = Field(max_length=200)
    body_markdown: str = Field(sa_column=sa.Column(sa.Text(), nullable=False))
    created_by: str | None = _user_reference(nullable=True, ondelete="SET NULL", index=False)
    created_at: datetime = time_field(default_now=True)
    sent_at: datetime | None = time_field(nullable=True)


class AnnouncementDelivery(SQLModel, table=True):
    """Who received an announcement: a mailing round never sends one twice."""

    __tablename__ = "announcement_delivery"

    announcement_id: str = Field(
        sa_column=sa.Column(sa.String(32), sa.ForeignKey("announcement.id", ondelete="CASCADE"), primary_key=True)
    )
    user_id: str = Field(
        sa_column=sa.Column(sa.String(32), sa.ForeignKey("user_account.id", ondelete="CASCADE"), primary_key=True)
    )
    sent_at: datetime = time_field(default_now=True)
