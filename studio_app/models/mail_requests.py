"""Privacy requests that arrive by email: each message read from the mailbox, once, and where reading stopped."""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlmodel import Field, SQLModel

from studio_app.models.base import id_field, secret_field, time_field
from studio_app.security.personal_data import Category, personal_data

_PURPOSE = "answering a privacy request you sent by email"


@personal_data(
    sender_encrypted=(Category.REQUESTS, _PURPOSE),
    subject_encrypted=(Category.REQUESTS, _PURPOSE),
    body_encrypted=(Category.REQUESTS, _PURPOSE),
)
class InboundMail(SQLModel, table=True):
    """One message of the privacy mailbox and the request it became.

    Its sender may have no account, so it is sealed under a data key of its own (``wrapped_key``, bound to
    ``mail:<id>``): deleting the row shreds it. ``message_key`` (SHA-256 of the Message-ID, or of the whole message
    without one) is unique, so a message read twice (a crash between the commit and marking it read) makes one
    request. ``user_id`` is the account the sender's address matched; the request is that person's only once the
    link mailed to the account's address is followed.
    """

    __tablename__ = "inbound_mail"

    id: str = id_field()
    message_key: str = Field(max_length=64, unique=True)
    request_id: str = Field(
        sa_column=sa.Column(sa.String(32), sa.ForeignKey("privacy_request.id", ondelete="CASCADE"), nullable=False,
                            unique=True)
    )
    user_id: str | None = Field(
        default=None,
        sa_column=sa.Column(sa.String(32), sa.ForeignKey("user_account.id", ondelete="CASCADE"), nullable=True,
                            index=True),
    )
    # Blind index of the sender's address: how many answers one address got lately (mail loops), no address kept.
    sender_index: str = Field(max_length=64, index=True)
    wrapped_key: bytes = secret_field()
    sender_encrypted: bytes = secret_field()
    subject_encrypted: bytes = secret_field()
    body_encrypted: bytes = secret_field()
    received_at: datetime = time_field(default_now=True)
    confirm_token_hash: str | None = Field(default=None, max_length=64, unique=True)
    confirm_expires_at: datetime | None = time_field(nullable=True)
    confirmed_at: datetime | None = time_field(nullable=True)
    # Set when the acknowledgment is claimed for sending, so two pollers never send it twice.
    acknowledged_at: datetime | None = time_field(nullable=True, index=True)


class MailboxCursor(SQLModel, table=True):
    """The highest IMAP UID taken in from a mailbox, under its UIDVALIDITY (a new one means start again; the unique
    ``message_key`` still keeps every message to one request)."""

    __tablename__ = "mailbox_cursor"

    mailbox: str = Field(primary_key=True, max_length=64)  # SHA-256 of host, user and folder: no address stored
    uid_validity: int = Field(sa_column=sa.Column(sa.BigInteger(), nullable=False))
    last_uid: int = Field(sa_column=sa.Column(sa.BigInteger(), nullable=False))
