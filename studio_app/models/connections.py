"""Connected provider accounts (Discord, TikTok), pending OAuth authorizations, a project's Discord channel,
and the Discord direct messages waiting to be sent.

Tokens and provider ids are sealed: a person's under their own data key (erasure shreds them), a project's
webhook under the project's key.
"""

from __future__ import annotations

import enum
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlmodel import Field, SQLModel

from studio_app.models.base import id_field, secret_field, time_field
from studio_app.security.personal_data import Category, personal_data


class Provider(enum.StrEnum):
    DISCORD = "discord"
    TIKTOK = "tiktok"


class ConnectionStatus(enum.StrEnum):
    ACTIVE = "active"
    NEEDS_RECONNECT = "needs_reconnect"


class OAuthPurpose(enum.StrEnum):
    ACCOUNT = "account"
    PROJECT_CHANNEL = "project_channel"


class ChannelStatus(enum.StrEnum):
    ACTIVE = "active"
    DEAD = "dead"


class OutboxStatus(enum.StrEnum):
    PENDING = "pending"
    SENT = "sent"
    FAILED = "failed"  # for good: Discord refused it, or the retries ran out
    CANCELLED = "cancelled"  # the consent was withdrawn or the connection removed before it left


def _reference(table: str, *, nullable: bool = False, index: bool = True, ondelete: str = "CASCADE") -> Any:
    return Field(
        default=None,
        sa_column=sa.Column(sa.String(32), sa.ForeignKey(f"{table}.id", ondelete=ondelete), nullable=nullable,
                            index=index),
    )


@personal_data(
    external_id_encrypted=(Category.THIRD_PARTY_IDS, "linking your Discord or TikTok account to your studio account"),
    handle_encrypted=(Category.THIRD_PARTY_IDS, "showing which Discord or TikTok account you connected"),
    access_token_encrypted=(Category.CREDENTIALS, "acting on your connected account within the scopes you granted"),
    refresh_token_encrypted=(Category.CREDENTIALS, "acting on your connected account within the scopes you granted"),
)
class ConnectedAccount(SQLModel, table=True):
    __tablename__ = "connected_account"
    __table_args__ = (sa.UniqueConstraint("user_id", "provider", name="uq_connected_account_user_provider"),)

    id: str = id_field()
    user_id: str = _reference("user_account", index=False)  # the unique constraint leads with it
    provider: str = Field(max_length=16)
    sandbox: bool = Field(default=False)
    status: str = Field(default=ConnectionStatus.ACTIVE, max_length=16)
    scopes: str = Field(default="", sa_column=sa.Column(sa.Text(), nullable=False))  # granted, space-separated
    external_id_encrypted: bytes = secret_field()
    handle_encrypted: bytes | None = secret_field(nullable=True)
    access_token_encrypted: bytes = secret_field()
    refresh_token_encrypted: bytes | None = secret_field(nullable=True)
    access_expires_at: datetime | None = time_field(nullable=True)
    refresh_expires_at: datetime | None = time_field(nullable=True)
    connected_at: datetime = time_field(default_now=True)
    refreshed_at: datetime | None = time_field(nullable=True)
    problem: str | None = Field(default=None, max_length=300)  # why it needs reconnecting, in plain words
    reconnect_notified_at: datetime | None = time_field(nullable=True)
    dm_problem: str | None = Field(default=None, max_length=300)  # why Discord messages stopped
    share_handle: bool = Field(default=False)


class OAuthAttempt(SQLModel, table=True):
    """An authorization started and not yet finished: its ``state`` (stored hashed), who started it and why.
    Used once, and only within ``ATTEMPT_MINUTES`` (services/connections.py)."""

    __tablename__ = "oauth_attempt"

    id: str = id_field()
    state_hash: str = Field(max_length=64, unique=True)
    user_id: str = _reference("user_account")
    provider: str = Field(max_length=16)
    purpose: str = Field(max_length=16)
    project_id: str | None = _reference("project", nullable=True, index=False)
    verifier_encrypted: bytes | None = secret_field(nullable=True)  # PKCE, sealed under the user's key
    created_at: datetime = time_field(default_now=True, index=True)


class ProjectChannel(SQLModel, table=True):
    """The Discord channel where a project's announcements go: an incoming webhook (a secret, sealed under the
    project's key). One per project."""

    __tablename__ = "project_channel"

    id: str = id_field()
    project_id: str = Field(
        sa_column=sa.Column(sa.String(32), sa.ForeignKey("project.id", ondelete="CASCADE"), nullable=False,
                            unique=True)
    )
    webhook_id_encrypted: bytes = secret_field()
    webhook_token_encrypted: bytes = secret_field()
    channel_name_encrypted: bytes | None = secret_field(nullable=True)
    connected_by: str | None = _reference("user_account", nullable=True, ondelete="SET NULL")
    sandbox: bool = Field(default=False)
    status: str = Field(default=ChannelStatus.ACTIVE, max_length=16)
    dead_reason: str | None = Field(default=None, max_length=300)
    connected_at: datetime = time_field(default_now=True)


@personal_data(text_encrypted=(Category.CONTENT, "sending you your notifications as Discord messages"))
class DiscordOutbox(SQLModel, table=True):
    """A Discord direct message to send, written with what caused it; the queue sends it part by part and
    records each part sent, so a retry never sends a part twice."""

    __tablename__ = "discord_outbox"
    __table_args__ = (sa.Index("ix_discord_outbox_status_next", "status", "next_attempt_at"),)

    id: str = id_field()
    user_id: str = _reference("user_account")
    kind: str = Field(max_length=32)
    text_encrypted: bytes = secret_field()
    status: str = Field(default=OutboxStatus.PENDING, max_length=16)
    parts_sent: int = Field(default=0)
    attempts: int = Field(default=0)
    last_error: str | None = Field(default=None, max_length=300)
    created_at: datetime = time_field(default_now=True)
    next_attempt_at: datetime | None = time_field(nullable=True)
    sent_at: datetime | None = time_field(nullable=True)
