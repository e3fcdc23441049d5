"""Mailings to many people (policy notices, product news): who to write to, in batches, never twice."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Iterable

import sqlalchemy as sa
from sqlmodel import Session, SQLModel, select

from studio_app.integrations.mail import MailError, send_mail
from studio_app.models.accounts import User, UserDataKey
from studio_app.security.fields import get_decrypted
from studio_app.services.keys import unwrap_user_key
from studio_app.services.sql import insert_missing
from studio_app.settings import Settings

BATCH_SIZE = 50


@dataclasses.dataclass(frozen=True)
class Recipient:
    user_id: str
    name: str
    email: str


@dataclasses.dataclass(frozen=True)
class BatchResult:
    """One batch of a mailing: how many were sent, who could not be reached (retried next round), and
    whether anyone was left to write to when the batch started."""

    sent: int
    failed: tuple[str, ...]
    had_candidates: bool


def recipients(session: Session, user_ids: Iterable[str]) -> list[Recipient]:
    """Name and address of each user whose account is not erased, decrypted under their own key; one query."""
    wanted = sorted(set(user_ids))
    if not wanted:
        return []
    rows = session.exec(
        select(User, UserDataKey.wrapped_key).join(UserDataKey, UserDataKey.user_id == User.id)
        .where(User.id.in_(wanted)).order_by(User.id).limit(len(wanted))
    ).all()
    found = []
    for user, wrapped in rows:
        key = unwrap_user_key(user.id, wrapped)
        found.append(Recipient(user_id=user.id, name=get_decrypted(user, "display_name_encrypted", data_key=key),
                               email=get_decrypted(user, "email_encrypted", data_key=key)))
    return found


def has_data_key() -> sa.ColumnElement[bool]:
    """A condition on ``User``: the account is not crypto-shredded (there is an address to decrypt)."""
    return sa.exists(select(UserDataKey.user_id).where(UserDataKey.user_id == User.id))


def claim(session: Session, model: type[SQLModel], user_ids: Iterable[str], **fixed: object) -> set[str]:
    """Insert the "mailed" rows of ``model`` before mailing and return the users this call claimed.

    A row another writer holds (a concurrent round, a person acknowledging at that moment) is skipped, not an
    error. Nobody is mailed twice.
    """
    rows = [{"user_id": user_id, **fixed} for user_id in user_ids]
    if not rows:
        return set()
    table = model.__table__
    key = tuple(column.name for column in table.primary_key.columns)
    return set(insert_missing(session, model, rows, key=key, returning=table.c.user_id))


def send_each(session: Session, settings: Settings, user_ids: Iterable[str],
              compose: Callable[[Recipient], tuple[str, str]]) -> tuple[int, list[str]]:
    """Mail ``compose(person) -> (subject, text)`` to each user still there; returns how many were sent and
    who could not be reached (the caller lets the next round try them again)."""
    sent, failed = 0, []
    for person in recipients(session, user_ids):
        subject, text = compose(person)
        try:
            send_mail(settings, person.email, subject, text)
        except MailError:
            failed.append(person.user_id)
            continue
        sent += 1
    return sent, failed
