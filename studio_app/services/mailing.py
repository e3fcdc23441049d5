"""Mailings to many people (policy notices, product news): who to write to, in batches, never twice."""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite
from sqlmodel import Session, SQLModel, select

from studio_app.models.accounts import User, UserDataKey
from studio_app.security.fields import get_decrypted
from studio_app.services.keys import unwrap_user_key

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
    error: on PostgreSQL the insert waits for that writer and then yields. Nobody is mailed twice.
    """
    rows = [{"user_id": user_id, **fixed} for user_id in user_ids]
    if not rows:
        return set()
    dialect = postgresql if session.get_bind().dialect.name == "postgresql" else sqlite
    table = model.__table__
    statement = (dialect.insert(table).values(rows).on_conflict_do_nothing(
        index_elements=[column.name for column in table.primary_key.columns]).returning(table.c.user_id))
    return set(session.execute(statement).scalars().all())


def upsert_keep_first(session: Session, model: type[SQLModel], row: dict[str, object], columns: Iterable[str]
                      ) -> None:
    """Insert ``row``, or, where a row with its primary key exists, fill in those of ``columns`` it lacks
    (a value already there stays: the first acknowledgement is the one recorded)."""
    dialect = postgresql if session.get_bind().dialect.name == "postgresql" else sqlite
    table = model.__table__
    statement = dialect.insert(table).values(row)
    statement = statement.on_conflict_do_update(
        index_elements=[column.name for column in table.primary_key.columns],
        set_={name: sa.func.coalesce(table.c[name], statement.excluded[name]) for name in columns},
    )
    session.execute(statement)
