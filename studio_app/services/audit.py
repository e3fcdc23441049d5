"""Recording and verifying the audit log.

Each event stores the SHA-256 of its own content and of the previous event's hash, so an edited,
inserted or deleted row breaks the chain from that point: :func:`verify_chain` finds where.
Append-only on purpose: there is no function to update or delete an event.
"""

from __future__ import annotations

import dataclasses
import hashlib
import ipaddress
import json
import re
from collections.abc import Iterator
from typing import Any

import sqlalchemy as sa
from sqlmodel import Session, select

from studio_app.models.audit import AuditEvent
from studio_app.services.sql import serialize_writers

GENESIS_HASH = "0" * 64
# Any constant works as long as nothing else in the database uses it: "AuditLog" in ASCII.
CHAIN_LOCK_ID = 0x41756469744C6F67
VERIFY_BATCH_SIZE = 1000

_EMAIL = re.compile(r"[^\s@]+@[^\s@]+\.[^\s@]+")
_KIND = re.compile(r"[a-z][a-z0-9_]*(\.[a-z][a-z0-9_]*)+")


@dataclasses.dataclass(frozen=True)
class ChainReport:
    ok: bool
    checked: int
    first_broken_sequence: int | None = None
    problem: str | None = None


def record_event(
    session: Session,
    kind: str,
    *,
    actor_id: str | None = None,
    subject_id: str | None = None,
    details: dict[str, Any] | None = None,
) -> AuditEvent:
    """Append an event to the chain in the caller's transaction; the caller commits."""
    details = dict(details or {})
    _check_event(kind, details)
    # Writers wait for each other between reading the last event and inserting the next one.
    serialize_writers(session, CHAIN_LOCK_ID, AuditEvent.sequence)
    try:
        event = _append(session, kind, actor_id, subject_id, details)
    except sa.exc.IntegrityError as error:
        # Only reachable if another writer slipped past the lock (an unusual isolation level).
        if "sequence" not in str(error.orig):
            raise
        event = _append(session, kind, actor_id, subject_id, details)
    # Detection rules watch some durable events (admin role changes); imported here, as detection records events too.
    from studio_app.services import detection

    detection.audit_event_recorded(session, event)
    return event


def verify_chain(session: Session) -> ChainReport:
    expected_sequence, previous_hash, checked = 1, GENESIS_HASH, 0
    for event in _events_in_order(session):
        if event.sequence != expected_sequence:
            return _broken(checked, expected_sequence, f"sequence {expected_sequence} is missing")
        if event.previous_hash != previous_hash:
            return _broken(checked, event.sequence, "does not follow the previous event")
        if event.hash != event_hash(event):
            return _broken(checked, event.sequence, "content does not match its hash")
        expected_sequence, previous_hash, checked = expected_sequence + 1, event.hash, checked + 1
    return ChainReport(ok=True, checked=checked)


def event_hash(event: AuditEvent) -> str:
    canonical = json.dumps(
        [
            event.sequence,
            event.created_at.isoformat(),
            event.kind,
            event.actor_id,
            event.subject_id,
            event.details,
            event.previous_hash,
        ],
        sort_keys=True,
        separators=(",", ":"),
        ensure_ascii=False,
    )
    return hashlib.sha256(canonical.encode()).hexdigest()


def check_no_personal_data(details: dict[str, Any]) -> None:
    """Raise ValueError if any key or string value looks like an email or an IP address."""
    for text in _strings_in(details):
        if _EMAIL.search(text):
            raise ValueError("audit details must not contain email addresses; use an account id")
        if _is_ip_address(text):
            raise ValueError("audit details must not contain IP addresses")


def _check_event(kind: str, details: dict[str, Any]) -> None:
    if not _KIND.fullmatch(kind):
        raise ValueError(f"audit kind {kind!r} is not like 'signin.failure'")
    check_no_personal_data(details)
    try:
        json.dumps(details, allow_nan=False)
    except (TypeError, ValueError) as error:
        raise ValueError(f"audit details must be plain JSON ({error})") from None


def _append(
    session: Session, kind: str, actor_id: str | None, subject_id: str | None, details: dict[str, Any]
) -> AuditEvent:
    with session.begin_nested():
        last = session.exec(select(AuditEvent).order_by(AuditEvent.sequence.desc()).limit(1)).first()
        event = AuditEvent(
            sequence=last.sequence + 1 if last else 1,
            kind=kind,
            actor_id=actor_id,
            subject_id=subject_id,
            details=details,
            previous_hash=last.hash if last else GENESIS_HASH,
            hash="",
        )
        event.hash = event_hash(event)
        session.add(event)
    return event


def _events_in_order(session: Session) -> Iterator[AuditEvent]:
    after = 0
    while True:
        batch = session.exec(
            select(AuditEvent)
            .where(AuditEvent.sequence > after)
            .order_by(AuditEvent.sequence)
            .limit(VERIFY_BATCH_SIZE)
        ).all()
        yield from batch
        if len(batch) < VERIFY_BATCH_SIZE:
            return
        after = batch[-1].sequence


def _broken(checked: int, sequence: int, problem: str) -> ChainReport:
    problem = f"event {sequence}: {problem}"
    return ChainReport(ok=False, checked=checked, first_broken_sequence=sequence, problem=problem)


def _strings_in(value: Any) -> Iterator[str]:
    if isinstance(value, str):
        yield value
    elif isinstance(value, dict):
        for key, item in value.items():
            yield from _strings_in(key)
            yield from _strings_in(item)
    elif isinstance(value, list | tuple):
        for item in value:
            yield from _strings_in(item)


def _is_ip_address(text: str) -> bool:
    try:
        ipaddress.ip_address(text.strip().strip("[]"))
    except ValueError:
        return False
    return True
