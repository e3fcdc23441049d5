"""Signed-in browsers: created by the sign-in route, resolved on every protected call, revocable."""

from __future__ import annotations

import dataclasses
import ipaddress
import logging
import re
from collections.abc import Callable
from datetime import datetime, timedelta

import sqlalchemy as sa
from sqlmodel import Session, select

from studio_app.database import after_commit
from studio_app.errors import NotFound
from studio_app.models.accounts import Role, User, UserSession
from studio_app.models.base import is_row_id, utcnow
from studio_app.security.fields import get_decrypted, set_encrypted
from studio_app.security.policy import Action, Actor, may, require, require_signed_in
from studio_app.services import audit, detection, session_generation
from studio_app.services.keys import data_key_of
from studio_app.services.tokens import hash_secret, new_secret
from studio_app.settings import Settings

# Writing last use on every websocket event would turn reads into writes; a minute is precise enough.
TOUCH_INTERVAL = timedelta(minutes=1)
logger = logging.getLogger(__name__)
# What ``tokens.new_secret`` makes: 32 random bytes, URL-safe base64 without padding.
_SECRET_SHAPE = re.compile(r"[A-Za-z0-9_-]{43}")

# Called with the ids of sessions that just ended (sign-out, revocation, password change), once the transaction
# committed, on the thread that committed: the web layer registers one to reset the tabs of those sessions.
SESSION_END_LISTENERS: list[Callable[[tuple[str, ...]], None]] = []


@dataclasses.dataclass(frozen=True)
class ClientInfo:
    ip_address: str | None
    user_agent: str | None


@dataclasses.dataclass(frozen=True)
class SessionView:
    id: str
    device: str
    approximate_ip: str
    created_at: datetime
    last_used_at: datetime
    is_current: bool


def create_session(session: Session, settings: Settings, user: User, client: ClientInfo) -> str:
    """A new session for ``user``; returns the cookie secret (only its hash is stored)."""
    now = utcnow()
    secret = new_secret()
    row = UserSession(
        user_id=user.id,
        token_hash=hash_secret(secret),
        created_at=now,
        last_used_at=now,
    )
    idle, longest = lifetimes(settings, user.role)
    row.idle_expires_at, row.absolute_expires_at = now + idle, now + longest
    key = data_key_of(session, user.id)
    set_encrypted(row, "ip_address_encrypted", (client.ip_address or "")[:64] or None, data_key=key)
    set_encrypted(row, "user_agent_encrypted", (client.user_agent or "")[:512] or None, data_key=key)
    session.add(row)
    session.flush()
    audit.record_event(session, "session.created", actor_id=user.id, subject_id=row.id)
    return secret


def resolve_session(session: Session, settings: Settings, secret: str | None) -> Actor | None:
    """The actor behind a cookie secret, or None if it is unknown, revoked or expired."""
    if not secret:
        return None
    if not _SECRET_SHAPE.fullmatch(secret):  # not a value we ever set: made up or altered
        detection.report_integrity_failure("session_cookie")
        return None
    found = _live_actor(session, settings, UserSession.token_hash == hash_secret(secret))
    return found[0] if found is not None else None


def resolve_session_id(session: Session, settings: Settings, session_id: str | None) -> Actor | None:
    """The actor of a session known by its id (a tab bound to it when its cookie was checked), or None if it
    ended. The id is no credential: only the server binds a tab to it."""
    found = resolve_session_id_until(session, settings, session_id)
    return found[0] if found is not None else None


def resolve_session_id_until(session: Session, settings: Settings, session_id: str | None
                             ) -> tuple[Actor, datetime] | None:
    """``resolve_session_id`` and until when the session stays valid without being used again (what a cache of
    sign-ins may trust, ``state/session_cache.py``)."""
    if not session_id or not is_row_id(session_id):
        return None
    return _live_actor(session, settings, UserSession.id == session_id)


def lifetimes(settings: Settings, role: str) -> tuple[timedelta, timedelta]:
    """(idle, absolute) lifetime of a session of someone with ``role``: an admin's ends sooner."""
    if role == Role.ADMIN:
        return (timedelta(minutes=settings.admin_session_idle_minutes),
                timedelta(hours=settings.admin_session_max_hours))
    return timedelta(minutes=settings.session_idle_minutes), timedelta(days=settings.session_max_days)


def _live_actor(session: Session, settings: Settings, which) -> tuple[Actor, datetime] | None:
    now = utcnow()
    found = session.exec(
        select(UserSession, User.role)
        .join(User, User.id == UserSession.user_id)
        .where(which, UserSession.revoked_at.is_(None), User.suspended_at.is_(None))
    ).first()
    if found is None:
        return None
    row, role = found
    idle, longest = lifetimes(settings, role)
    # A session opened before its person became an admin gets an admin's lifetime from then on.
    absolute = min(row.absolute_expires_at, row.created_at + longest)
    if now >= row.idle_expires_at or now >= absolute or now - row.last_used_at >= idle:
        return None
    if now - row.last_used_at >= TOUCH_INTERVAL:
        row.last_used_at = now
        row.idle_expires_at = min(now + idle, absolute)
        session.add(row)
    return Actor(user_id=row.user_id, role=Role(role), session_id=row.id), min(row.idle_expires_at, absolute)


def announce_ended_sessions(session: Session) -> None:
    """Sessions end with their account (erasure: the database deletes them, and the erasure resets that person's
    tabs itself): once this transaction commits, every worker checks its cached sign-ins again."""
    _announce_end(session, ())


def ended_among(session: Session, session_ids: list[str]) -> list[str]:
    """Those of ``session_ids`` that ended: revoked, expired, or gone with their account."""
    ids = [session_id for session_id in session_ids if is_row_id(session_id)]
    now = utcnow()
    live = set(session.exec(select(UserSession.id).where(
        UserSession.id.in_(ids), UserSession.revoked_at.is_(None), UserSession.idle_expires_at > now,
        UserSession.absolute_expires_at > now)).all()) if ids else set()
    return [session_id for session_id in session_ids if session_id not in live]


def end_session(session: Session, secret: str | None) -> None:
    """Sign out this browser; unknown or already revoked secrets are ignored."""
    if not secret or len(secret) > 128:
        return
    row = session.exec(select(UserSession).where(UserSession.token_hash == hash_secret(secret))).first()
    if row is not None and row.revoked_at is None:
        _revoke(session, row, actor_id=row.user_id)


def list_sessions(session: Session, actor: Actor | None) -> list[SessionView]:
    actor = require(actor, Action.LIST_SESSIONS)
    now = utcnow()
    rows = session.exec(
        select(UserSession)
        .where(
            UserSession.user_id == actor.user_id,
            UserSession.revoked_at.is_(None),
            UserSession.idle_expires_at > now,
            UserSession.absolute_expires_at > now,
        )
        .order_by(UserSession.last_used_at.desc())
        .limit(100)
    ).all()
    key = data_key_of(session, actor.user_id)
    return [
        SessionView(
            id=row.id,
            device=describe_user_agent(get_decrypted(row, "user_agent_encrypted", data_key=key)),
            approximate_ip=approximate_ip(get_decrypted(row, "ip_address_encrypted", data_key=key)),
            created_at=row.created_at,
            last_used_at=row.last_used_at,
            is_current=row.id == actor.session_id,
        )
        for row in rows
    ]


def revoke_session(session: Session, actor: Actor | None, session_id: str) -> None:
    actor = require_signed_in(actor)
    row = session.get(UserSession, session_id) if is_row_id(session_id) else None
    # Someone else's session answers like a missing one: ids are not an oracle.
    if row is None or not may(actor, Action.REVOKE_SESSION, owner_id=row.user_id):
        raise NotFound("This session does not exist or has already ended.")
    if row.revoked_at is None:
        _revoke(session, row, actor_id=actor.user_id)


def revoke_all_sessions(session: Session, user_id: str, *, actor_id: str) -> int:
    """Sign out everywhere (also used after a password change or reset)."""
    now = utcnow()
    ended = tuple(session.exec(select(UserSession.id).where(
        UserSession.user_id == user_id, UserSession.revoked_at.is_(None))).all())
    result = session.execute(
        sa.update(UserSession)
        .where(UserSession.user_id == user_id, UserSession.revoked_at.is_(None))
        .values(revoked_at=now)
    )
    audit.record_event(session, "session.revoked_all", actor_id=actor_id, subject_id=user_id,
                       details={"count": result.rowcount})
    _announce_end(session, ended)
    return result.rowcount


def _revoke(session: Session, row: UserSession, *, actor_id: str) -> None:
    row.revoked_at = utcnow()
    session.add(row)
    audit.record_event(session, "session.revoked", actor_id=actor_id, subject_id=row.id)
    _announce_end(session, (row.id,))


def _announce_end(session: Session, session_ids: tuple[str, ...]) -> None:
    """After the commit: every worker's cached sign-ins are checked again (``session_generation.py``), then the
    listeners reset the tabs of ``session_ids``."""

    def announce() -> None:
        try:
            session_generation.bump()
        except Exception:  # cached entries still expire within CACHE_SECONDS
            logger.exception("could not move the session generation on")
        for listener in list(SESSION_END_LISTENERS) if session_ids else ():
            try:
                listener(session_ids)
            except Exception:  # the periodic sweep of ended sessions catches up
                logger.exception("a session-end listener failed")

    after_commit(session, announce)


def approximate_ip(ip: str | None) -> str:
    """Enough to recognise a place, not to identify a line: the network part only."""
    try:
        address = ipaddress.ip_address(ip or "")
    except ValueError:
        return "unknown"
    if address.version == 4:
        return ".".join(str(address).split(".")[:3]) + ".x"
    return str(ipaddress.ip_network(f"{address}/48", strict=False).network_address) + "/48"


_BROWSERS = (("Edg/", "Edge"), ("OPR/", "Opera"), ("Firefox/", "Firefox"), ("Chrome/", "Chrome"),
             ("Chromium/", "Chromium"), ("Safari/", "Safari"))
_SYSTEMS = (("Android", "Android"), ("iPhone", "iOS"), ("iPad", "iPadOS"), ("Windows", "Windows"),
            ("Mac OS X", "macOS"), ("CrOS", "ChromeOS"), ("Linux", "Linux"))


def describe_user_agent(user_agent: str | None) -> str:
    if not user_agent:
        return "Unknown device"
    browser = next((name for marker, name in _BROWSERS if marker in user_agent), "Unknown browser")
    system = next((name for marker, name in _SYSTEMS if marker in user_agent), "unknown system")
    return f"{browser} on {system}"
