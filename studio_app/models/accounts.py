"""Accounts, their data keys, sessions, one-time tokens and consents."""

from __future__ import annotations

import enum
from datetime import datetime

import sqlalchemy as sa
from sqlmodel import Field, SQLModel

from studio_app.models.base import id_field, secret_field, time_field
from studio_app.security.personal_data import Category, personal_data


class Role(enum.StrEnum):
    PRODUCER = "producer"
    EDITOR = "editor"
    ADMIN = "admin"


class TokenPurpose(enum.StrEnum):
    VERIFY_EMAIL = "verify_email"
    RESET_PASSWORD = "reset_password"
    CHANGE_EMAIL = "change_email"
    SIGN_IN = "sign_in"  # mailed when an account reaches its ceiling of failed sign-ins


class ConsentKind(enum.StrEnum):
    MARKETING_EMAIL = "marketing_email"
    DISCORD_NOTIFICATIONS = "discord_notifications"
    TIKTOK_PUBLICATION = "tiktok_publication"


@personal_data(
    email_encrypted=(Category.CONTACT, "signing in and account notices"),
    display_name_encrypted=(Category.IDENTITY, "shown to the people you work with"),
)
class User(SQLModel, table=True):
    __tablename__ = "user_account"

    id: str = id_field()
    # HMAC of the normalized email (security/blind_index.py): look-up and uniqueness without plaintext.
    email_index: str = Field(max_length=64, unique=True, index=True)
    email_encrypted: bytes = secret_field()
    display_name_encrypted: bytes = secret_field()
    role: str = Field(max_length=16)
    password_hash: str = Field(max_length=255)
    email_verified_at: datetime | None = time_field(nullable=True)
    privacy_policy_version: str = Field(max_length=32)
    privacy_policy_accepted_at: datetime = time_field(default_now=True)
    created_at: datetime = time_field(default_now=True)
    password_changed_at: datetime = time_field(default_now=True)
    # Set while an admin suspends the account (models/admin.AccountSuspension says why): no sign-in, no session.
    suspended_at: datetime | None = time_field(nullable=True)


class UserDataKey(SQLModel, table=True):
    """The user's data key, wrapped by the master key. Deleting this row crypto-shreds the user."""

    __tablename__ = "user_data_key"

    user_id: str = Field(
        sa_column=sa.Column(sa.String(32), sa.ForeignKey("user_account.id", ondelete="CASCADE"), primary_key=True)
    )
    wrapped_key: bytes = secret_field()
    created_at: datetime = time_field(default_now=True)


def _user_reference() -> str:
    return Field(
        sa_column=sa.Column(sa.String(32), sa.ForeignKey("user_account.id", ondelete="CASCADE"), nullable=False,
                            index=True)
    )


@personal_data(
    ip_address_encrypted=(Category.TECHNICAL, "showing your active sessions and detecting account abuse"),
    user_agent_encrypted=(Category.TECHNICAL, "showing your active sessions and detecting account abuse"),
)
class UserSession(SQLModel, table=True):
    """A signed-in browser. Only the SHA-256 of its cookie token is stored."""

    __tablename__ = "user_session"

    id: str = id_field()
    user_id: str = _user_reference()
    token_hash: str = Field(max_length=64, unique=True, index=True)
    ip_address_encrypted: bytes | None = secret_field(nullable=True)
    user_agent_encrypted: bytes | None = secret_field(nullable=True)
    created_at: datetime = time_field(default_now=True)
    last_used_at: datetime = time_field(default_now=True)
    idle_expires_at: datetime = time_field()
    absolute_expires_at: datetime = time_field()
    revoked_at: datetime | None = time_field(nullable=True)
    # Sensitive actions (downloading an export, deleting the account) need a password entered recently.
    reauthenticated_at: datetime | None = time_field(nullable=True)


@personal_data(new_email_encrypted=(Category.CONTACT, "confirming a change of email address"))
class OneTimeToken(SQLModel, table=True):
    """Single-use, expiring secrets sent by mail: verify an address, reset a password, change the email, sign in."""

    __tablename__ = "one_time_token"

    id: str = id_field()
    user_id: str = _user_reference()
    purpose: str = Field(max_length=24)
    token_hash: str = Field(max_length=64, unique=True, index=True)
    new_email_encrypted: bytes | None = secret_field(nullable=True)
    new_email_index: str | None = Field(default=None, max_length=64)
    created_at: datetime = time_field(default_now=True)
    expires_at: datetime = time_field()
    used_at: datetime | None = time_field(nullable=True)


class Consent(SQLModel, table=True):
    """One row per consent given; withdrawing sets ``withdrawn_at``, so the history stays as proof."""

    __tablename__ = "consent"

    id: str = id_field()
    user_id: str = _user_reference()
    kind: str = Field(max_length=32)
    given_at: datetime = time_field(default_now=True)
    withdrawn_at: datetime | None = time_field(nullable=True)


class FormSubmission(SQLModel, table=True):
    """A create form already sent: its key, made when the form appeared, and the id of what it created, so a
    double click or a replayed event creates nothing more (``services/forms.py``)."""

    __tablename__ = "form_submission"

    user_id: str = Field(
        sa_column=sa.Column(sa.String(32), sa.ForeignKey("user_account.id", ondelete="CASCADE"), primary_key=True)
    )
    form_key: str = Field(primary_key=True, max_length=32)
    result_id: str = Field(max_length=32)
    created_at: datetime = time_field(default_now=True, index=True)
