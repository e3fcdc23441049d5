"""Hiring and projects: editor profiles, projects and their members, invitations, timeline, milestones,
thread messages, read markers and notifications.

Project content (title, brief, milestones, messages) is sealed under the project's own data key, so
it stays readable for the other members when one of them erases their account.
"""

from __future__ import annotations

import enum
from datetime import date, datetime
from typing import Any

import sqlalchemy as sa
from sqlmodel import Field, SQLModel

from studio_app.models.base import id_field, secret_field, time_field
from studio_app.security.personal_data import Category, personal_data


class Stage(enum.StrEnum):
    BRIEF = "brief"
    DERUSH = "derush"
    EDITING = "editing"
    REVIEW = "review"
    APPROVED = "approved"
    SCHEDULED = "scheduled"
    PUBLISHED = "published"
    CANCELLED = "cancelled"
    ARCHIVED = "archived"


class MemberRole(enum.StrEnum):
    PRODUCER = "producer"
    EDITOR = "editor"


class InvitationStatus(enum.StrEnum):
    PENDING = "pending"
    ACCEPTED = "accepted"
    DECLINED = "declined"
    REVOKED = "revoked"


class Availability(enum.StrEnum):
    AVAILABLE = "available"
    LIMITED = "limited"
    UNAVAILABLE = "unavailable"


def _reference(table: str, *, nullable: bool = False, index: bool = True, ondelete: str = "CASCADE") -> Any:
    return Field(
        default=None,
        sa_column=sa.Column(sa.String(32), sa.ForeignKey(f"{table}.id", ondelete=ondelete), nullable=nullable,
                            index=index),
    )


def _json_list() -> Any:
    return Field(default_factory=list, sa_column=sa.Column(sa.JSON, nullable=False))


@personal_data(
    headline_encrypted=(Category.IDENTITY, "the editor's public profile in the directory"),
    portfolio_links_encrypted=(Category.IDENTITY, "the editor's public profile in the directory"),
)
class EditorProfile(SQLModel, table=True):
    """Skills, languages, software, rate and availability stay in clear: the directory filters on them
    in SQL. They describe a trade the editor chose to publish; headline and links are sealed."""

    __tablename__ = "editor_profile"

    user_id: str = Field(
        sa_column=sa.Column(sa.String(32), sa.ForeignKey("user_account.id", ondelete="CASCADE"), primary_key=True)
    )
    headline_encrypted: bytes | None = secret_field(nullable=True)
    portfolio_links_encrypted: bytes | None = secret_field(nullable=True)
    skills: list[str] = _json_list()
    languages: list[str] = _json_list()
    software: list[str] = _json_list()
    day_rate_cents: int | None = Field(default=None, index=True)
    currency: str = Field(default="EUR", max_length=3)
    availability: str = Field(default=Availability.AVAILABLE, max_length=16, index=True)
    listed: bool = Field(default=True, index=True)
    updated_at: datetime = time_field(default_now=True)


@personal_data(
    title_encrypted=(Category.CONTENT, "running the project with its members"),
    brief_encrypted=(Category.CONTENT, "running the project with its members"),
)
class Project(SQLModel, table=True):
    __tablename__ = "project"
    # The producer's dashboard reads by producer: counts per stage and the earliest deadlines, from the index.
    __table_args__ = (
        sa.Index("ix_project_producer_deadline", "producer_id", "deadline"),
        sa.Index("ix_project_producer_stage", "producer_id", "stage"),
    )

    id: str = id_field()
    producer_id: str | None = _reference("user_account", nullable=True, index=False, ondelete="SET NULL")
    title_encrypted: bytes = secret_field()
    brief_encrypted: bytes | None = secret_field(nullable=True)
    platforms: list[str] = _json_list()
    video_format: str = Field(default="vertical_9_16", max_length=32)
    deadline: date | None = Field(default=None)
    stage: str = Field(default=Stage.BRIEF, max_length=16, index=True)
    created_at: datetime = time_field(default_now=True)
    updated_at: datetime = time_field(default_now=True)


class ProjectDataKey(SQLModel, table=True):
    __tablename__ = "project_data_key"

    project_id: str = Field(
        sa_column=sa.Column(sa.String(32), sa.ForeignKey("project.id", ondelete="CASCADE"), primary_key=True)
    )
    wrapped_key: bytes = secret_field()


class ProjectMember(SQLModel, table=True):
    __tablename__ = "project_member"
    __table_args__ = (sa.UniqueConstraint("project_id", "user_id", name="uq_project_member"),)

    id: str = id_field()
    project_id: str = _reference("project")
    user_id: str = _reference("user_account")
    role: str = Field(max_length=16)
    joined_at: datetime = time_field(default_now=True)
    removed_at: datetime | None = time_field(nullable=True)


@personal_data(invitee_email_encrypted=(Category.CONTACT, "inviting someone who has no account yet"))
class Invitation(SQLModel, table=True):
    __tablename__ = "invitation"

    id: str = id_field()
    project_id: str = _reference("project")
    inviter_id: str | None = _reference("user_account", nullable=True, ondelete="SET NULL")
    invitee_id: str | None = _reference("user_account", nullable=True)
    invitee_email_index: str | None = Field(default=None, max_length=64, index=True)
    invitee_email_encrypted: bytes | None = secret_field(nullable=True)
    token_hash: str | None = Field(default=None, max_length=64, unique=True)
    status: str = Field(default=InvitationStatus.PENDING, max_length=16, index=True)
    created_at: datetime = time_field(default_now=True)
    expires_at: datetime = time_field()
    responded_at: datetime | None = time_field(nullable=True)


class ProjectEvent(SQLModel, table=True):
    """The project's activity timeline (who did what, when). Details hold ids and enum values only."""

    __tablename__ = "project_event"
    __table_args__ = (sa.Index("ix_project_event_project_time", "project_id", "created_at"),)

    id: str = id_field()
    project_id: str = _reference("project", index=False)
    actor_id: str | None = _reference("user_account", nullable=True, index=False, ondelete="SET NULL")
    kind: str = Field(max_length=32)
    details: dict[str, Any] = Field(default_factory=dict, sa_column=sa.Column(sa.JSON, nullable=False))
    created_at: datetime = time_field(default_now=True)


@personal_data(title_encrypted=(Category.CONTENT, "running the project with its members"))
class Milestone(SQLModel, table=True):
    __tablename__ = "milestone"
    __table_args__ = (sa.Index("ix_milestone_open_due", "done_at", "due_on"),)

    id: str = id_field()
    project_id: str = _reference("project")
    title_encrypted: bytes = secret_field()
    due_on: date = Field(index=True)
    owner_id: str | None = _reference("user_account", nullable=True, index=False, ondelete="SET NULL")
    done_at: datetime | None = time_field(nullable=True)
    created_at: datetime = time_field(default_now=True)


@personal_data(body_encrypted=(Category.CONTENT, "the project's conversation"))
class Message(SQLModel, table=True):
    __tablename__ = "message"
    __table_args__ = (
        sa.Index("ix_message_project_time", "project_id", "created_at", "id"),
        sa.UniqueConstraint("author_id", "idempotency_key", name="uq_message_idempotency"),
    )

    id: str = id_field()
    project_id: str = _reference("project", index=False)
    author_id: str | None = _reference("user_account", nullable=True, index=False, ondelete="SET NULL")
    body_encrypted: bytes | None = secret_field(nullable=True)
    reply_to_id: str | None = _reference("message", nullable=True, index=False, ondelete="SET NULL")
    mentions: list[str] = _json_list()
    idempotency_key: str = Field(max_length=64)
    created_at: datetime = time_field(default_now=True)
    edited_at: datetime | None = time_field(nullable=True)
    deleted_at: datetime | None = time_field(nullable=True)


class ThreadReadMarker(SQLModel, table=True):
    __tablename__ = "thread_read_marker"

    project_id: str = Field(
        sa_column=sa.Column(sa.String(32), sa.ForeignKey("project.id", ondelete="CASCADE"), primary_key=True)
    )
    user_id: str = Field(
        sa_column=sa.Column(sa.String(32), sa.ForeignKey("user_account.id", ondelete="CASCADE"), primary_key=True)
    )
    last_read_at: datetime = time_field(default_now=True)


# A thread's new messages make one unread notification per person, counted, until it is read.
UNREAD_THREAD_NOTIFICATION = sa.text("kind = 'message' AND read_at IS NULL")


class Notification(SQLModel, table=True):
    """What happened, by reference (kind, project, actor, subject id); the text is rendered when shown."""

    __tablename__ = "notification"
    __table_args__ = (
        sa.Index("ix_notification_user_unread", "user_id", "read_at", "created_at"),
        sa.Index("uq_notification_unread_thread", "user_id", "project_id", unique=True,
                 sqlite_where=UNREAD_THREAD_NOTIFICATION, postgresql_where=UNREAD_THREAD_NOTIFICATION),
    )

    id: str = id_field()
    user_id: str = _reference("user_account", index=False)
    kind: str = Field(max_length=32)
    project_id: str | None = _reference("project", nullable=True, index=False)
    actor_id: str | None = _reference("user_account", nullable=True, index=False, ondelete="SET NULL")
    subject_id: str | None = Field(default=None, max_length=32)
    # How many events this notification stands for: the unread messages of a thread, for instance.
    count: int = Field(default=1, sa_column=sa.Column(sa.Integer, nullable=False, server_default="1"))
    created_at: datetime = time_field(default_now=True)
    read_at: datetime | None = time_field(nullable=True)
    emailed_at: datetime | None = time_field(nullable=True)


class NotificationPreference(SQLModel, table=True):
    __tablename__ = "notification_preference"

    user_id: str = Field(
        sa_column=sa.Column(sa.String(32), sa.ForeignKey("user_account.id", ondelete="CASCADE"), primary_key=True)
    )
    kind: str = Field(sa_column=sa.Column(sa.String(32), primary_key=True))
    channel: str = Field(max_length=16)  # "in_app", "email" (in-app and email) or "none"
