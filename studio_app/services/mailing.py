"""Sending mail: always after the transaction that decided it commits (a rollback sends nothing, and no
transaction stays open while an SMTP server answers); and mailings to many people (policy notices, product
news, digests): who to write to, in batches, never twice."""

from __future__ import annotations

import dataclasses
import logging
from collections.abc import Callable, Iterable

import sqlalchemy as sa
from sqlmodel import Session, SQLModel, select

from studio_app.database import after_commit, session_scope
from studio_app.integrations.mail import MailError, send_mail
from studio_app.models.accounts import User, UserDataKey
from studio_app.security.fields import get_decrypted
from studio_app.services.keys import unwrap_user_key
from studio_app.services.mail_templates import Mail
from studio_app.services.sql import insert_missing
from studio_app.settings import Settings

logger = logging.getLogger(__name__)

BATCH_SIZE = 50


@dataclasses.dataclass(frozen=True)
class Recipient:
    user_id: str
    name: str
    email: str


@dataclasses.dataclass
class Sending:
    """Mails that go out when the transaction commits: ``sent`` and ``failed`` (user ids) are known after it."""

    sent: int = 0
    failed: list[str] = dataclasses.field(default_factory=list)


@dataclasses.dataclass(frozen=True)
class BatchResult:
    """One batch of a mailing: its sending (how many were sent, who could not be reached and is retried next
    round, once committed), and whether anyone was left to write to when the batch started."""

    sending: Sending
    had_candidates: bool

    @property
    def sent(self) -> int:
        return self.sending.sent

    @property
    def failed(self) -> tuple[str, ...]:
        return tuple(self.sending.failed)

    @classmethod
    def nobody(cls, *, had_candidates: bool = False) -> BatchResult:
        return cls(Sending(), had_candidates)


def mail_after_commit(session: Session, settings: Settings, to: str, mail: Mail, *,
                      if_failed: Callable[[], None] | None = None) -> None:
    """Send ``mail`` once the transaction commits. A failure is logged (never the address); ``if_failed`` may
    then raise an error the person sees (the data is committed: they can ask again)."""

    def send() -> None:
        try:
            send_mail(settings, to, mail.subject, mail.text)
        except MailError:
            logger.warning("a mail could not be sent: %s", mail.subject)
            if if_failed is not None:
                if_failed()

    after_commit(session, send)


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


@dataclasses.dataclass(frozen=True)
class Outgoing:
    user_id: str
    email: str
    mail: Mail


def send_each(session: Session, settings: Settings, user_ids: Iterable[str], compose: Callable[[Recipient], Mail],
              *, release: Callable[[Session, list[str]], None]) -> Sending:
    """Mail ``compose(person)`` to each user still there, once the transaction commits (see :func:`send_all`)."""
    outgoing = [Outgoing(person.user_id, person.email, compose(person)) for person in recipients(session, user_ids)]
    return send_all(session, settings, outgoing, release=release)


def send_all(session: Session, settings: Settings, outgoing: list[Outgoing], *,
             release: Callable[[Session, list[str]], None]) -> Sending:
    """Send every mail once the transaction commits. Who could not be reached is handed to
    ``release(session, user_ids)`` in a transaction of its own, which undoes what the batch recorded for them
    so that the next round tries again; the others are still sent."""
    sending = Sending()

    def send() -> None:
        for item in outgoing:
            try:
                send_mail(settings, item.email, item.mail.subject, item.mail.text)
            except MailError:
                sending.failed.append(item.user_id)
                continue
            sending.sent += 1
        if sending.failed:
            with session_scope() as session:
                release(session, sending.failed)

    if outgoing:
        after_commit(session, send)
    return sending
