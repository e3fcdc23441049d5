"""Notifications as Discord direct messages from the studio's bot, for people who consented and connected Discord.

``notifications.notify`` queues them (``queue_messages``) in its own transaction; ``jobs/discord.py`` sends each one
part by part, recording every part sent so that a retry never sends one twice. Discord's rules
(https://discord.com/developers/docs/resources/message#create-message): 2,000 characters a message (longer texts
are split), mentions neutralised by the client (``allowed_mentions``), 429 with ``retry_after``
(https://discord.com/developers/docs/topics/rate-limits), and error 50007 "Cannot send messages to this user"
(https://discord.com/developers/docs/topics/opcodes-and-status-codes#json) when the person does not accept direct
messages: the preference is turned off and the person told why.
"""

from __future__ import annotations

import dataclasses
import secrets
from datetime import timedelta

import sqlalchemy as sa
from sqlmodel import Session, select

from studio_app.database import after_commit
from studio_app.integrations.providers import ProviderError
from studio_app.models.accounts import ConsentKind
from studio_app.models.base import utcnow
from studio_app.models.connections import ConnectedAccount, DiscordOutbox, OutboxStatus, Provider
from studio_app.security.fields import get_decrypted, set_encrypted
from studio_app.services import privacy
from studio_app.services.keys import data_key_of
from studio_app.settings import current_settings

MAX_ATTEMPTS = 6
BASE_DELAY_SECONDS = 2.0
MAX_DELAY_SECONDS = 15 * 60
DM_REFUSED = "50007"
DM_REFUSED_PROBLEM = ("Discord refuses direct messages from the studio's bot: your Discord privacy settings do not "
                      "allow messages from it. Discord messages are turned off; allow direct messages in Discord, "
                      "then turn them on again here.")
ERROR_MAX = 300


@dataclasses.dataclass(frozen=True)
class Dispatch:
    """One queued message ready to go: the recipient's Discord id and its parts, those already sent skipped."""

    outbox_id: str
    recipient_id: str = dataclasses.field(repr=False)
    parts: tuple[str, ...] = dataclasses.field(repr=False)
    parts_sent: int


def consenting_recipients(session: Session, user_ids: list[str]) -> set[str]:
    """Who among these people gets Discord messages: consent active, Discord connected, not refused by Discord."""
    wanted = sorted(set(user_ids))
    if not wanted:
        return set()
    return set(session.exec(
        select(ConnectedAccount.user_id).where(
            ConnectedAccount.user_id.in_(wanted), ConnectedAccount.provider == Provider.DISCORD,
            ConnectedAccount.dm_problem.is_(None),
            privacy.consent_is_active(ConnectedAccount.user_id, ConsentKind.DISCORD_NOTIFICATIONS),
        ).limit(len(wanted))
    ).all())


def queue_messages(session: Session, items: list[tuple[str, str, str, str]]) -> list[str]:
    """(user id, kind, text, link) each become a sealed outbox row, sent by the queue once this transaction
    commits. The link leads back to the app."""
    public_url = current_settings().public_url
    ids = []
    for user_id, kind, text, link in items:
        row = DiscordOutbox(user_id=user_id, kind=kind, next_attempt_at=utcnow())
        set_encrypted(row, "text_encrypted", f"{text}\n{public_url}{link}", data_key=data_key_of(session, user_id))
        session.add(row)
        ids.append(row.id)
    if ids:
        after_commit(session, lambda: _enqueue(ids))
    return ids


def _enqueue(ids: list[str]) -> None:
    from studio_app.jobs.discord import enqueue_message  # here: the jobs import the services

    for outbox_id in ids:
        enqueue_message(outbox_id)


def prepare(session: Session, outbox_id: str) -> Dispatch | None:
    """The message to send now, or None (already sent, given up, or no longer wanted: then cancelled)."""
    from studio_app.integrations.discord import split_message

    row = session.get(DiscordOutbox, outbox_id)
    if row is None or row.status != OutboxStatus.PENDING:
        return None
    if not consenting_recipients(session, [row.user_id]):
        _finish(session, row, OutboxStatus.CANCELLED, "Discord messages were turned off or Discord disconnected.")
        return None
    connection = session.exec(select(ConnectedAccount).where(ConnectedAccount.user_id == row.user_id,
                                                             ConnectedAccount.provider == Provider.DISCORD)).one()
    key = data_key_of(session, row.user_id)
    parts = tuple(split_message(get_decrypted(row, "text_encrypted", data_key=key)))
    return Dispatch(outbox_id=row.id, recipient_id=get_decrypted(connection, "external_id_encrypted", data_key=key),
                    parts=parts, parts_sent=row.parts_sent)


def record_part(session: Session, outbox_id: str, sent: int) -> None:
    """``sent`` parts are out: committed before the next part goes, so a retry starts after them."""
    session.execute(sa.update(DiscordOutbox).where(DiscordOutbox.id == outbox_id)
                    .values(parts_sent=sent, attempts=0))


def record_sent(session: Session, outbox_id: str) -> None:
    row = session.get(DiscordOutbox, outbox_id)
    if row is not None:
        _finish(session, row, OutboxStatus.SENT, None)


def record_failure(session: Session, outbox_id: str, error: ProviderError) -> float | None:
    """Returns how long to wait before trying again, or None when it stops here (for good, reason recorded)."""
    row = session.get(DiscordOutbox, outbox_id)
    if row is None:
        return None
    if error.code == DM_REFUSED:
        _dm_refused(session, row.user_id)
        _finish(session, row, OutboxStatus.FAILED, "Discord refuses direct messages to this person (50007).")
        return None
    row.attempts += 1
    reason = f"Discord answered {error.code}: {error.message}"[:ERROR_MAX]
    if not error.retryable or row.attempts >= MAX_ATTEMPTS:
        _finish(session, row, OutboxStatus.FAILED, reason)
        return None
    delay = retry_delay(row.attempts, error.retry_after)
    row.last_error = reason
    row.next_attempt_at = utcnow() + timedelta(seconds=delay)
    session.add(row)
    return delay


def retry_delay(attempts: int, retry_after: float | None) -> float:
    """Exponential backoff with jitter, never sooner than Discord's ``retry_after``."""
    jitter = secrets.randbelow(1000) / 1000  # spreads retries of many messages apart
    backoff = BASE_DELAY_SECONDS * 2 ** (attempts - 1) * (1 + jitter / 2)
    return min(MAX_DELAY_SECONDS, max(backoff, (retry_after or 0) + jitter / 4))


def lost_messages(session: Session, *, older_than: timedelta, limit: int = 500) -> list[str]:
    """Pending messages whose task should have run by now (a consumer killed outright loses its task)."""
    cutoff = utcnow() - older_than
    return list(session.exec(
        select(DiscordOutbox.id).where(DiscordOutbox.status == OutboxStatus.PENDING,
                                       DiscordOutbox.next_attempt_at < cutoff)
        .order_by(DiscordOutbox.next_attempt_at).limit(limit)
    ).all())


def _dm_refused(session: Session, user_id: str) -> None:
    privacy.end_consent(session, user_id, ConsentKind.DISCORD_NOTIFICATIONS, cause="discord_refused")
    session.execute(sa.update(ConnectedAccount).where(ConnectedAccount.user_id == user_id,
                                                      ConnectedAccount.provider == Provider.DISCORD)
                    .values(dm_problem=DM_REFUSED_PROBLEM))
    session.execute(sa.update(DiscordOutbox).where(DiscordOutbox.user_id == user_id,
                                                   DiscordOutbox.status == OutboxStatus.PENDING)
                    .values(status=OutboxStatus.CANCELLED, last_error="Discord refuses direct messages."))


def _finish(session: Session, row: DiscordOutbox, status: str, error: str | None) -> None:
    row.status = status
    row.last_error = error
    row.next_attempt_at = None
    if status == OutboxStatus.SENT:
        row.sent_at = utcnow()
    session.add(row)
