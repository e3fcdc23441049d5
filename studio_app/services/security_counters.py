"""The fast counter store of detection: how many times (or how many distinct things) a key saw in a moving window.

High-volume failures (wrong passwords, downloads) are counted here rather than in the audit log: in Redis when one
is configured (a sorted set per key, scored by time, so every worker and consumer shares the counts), else in the
database (``security_signal`` rows, in the caller's transaction). Keys and members are pseudonyms or ids, never an
email or an address.
"""

from __future__ import annotations

import functools
import time
import uuid
from datetime import timedelta

import sqlalchemy as sa
from sqlmodel import Session, select

from studio_app.models.base import utcnow
from studio_app.models.security import SecuritySignal
from studio_app.settings import Settings

LISTED_MEMBERS = 100


def unique_member() -> str:
    """A member for plain counts: every occurrence counts once."""
    return uuid.uuid4().hex


def add(session: Session, settings: Settings, key: str, member: str, window_seconds: int) -> int:
    """Record ``member`` under ``key`` now; returns how many distinct members the key has in the window."""
    if settings.redis_url:
        return _redis_add(settings, key, member, window_seconds)
    key, member = key[:128], member[:64]
    # Like a sorted set: a member seen again moves to now (a player's range requests make no new rows).
    moved = session.execute(sa.update(SecuritySignal).where(SecuritySignal.key == key, SecuritySignal.member == member)
                            .values(at=utcnow())).rowcount
    if not moved:
        session.add(SecuritySignal(key=key, member=member))
        session.flush()
    since = utcnow() - timedelta(seconds=window_seconds)
    return session.exec(select(sa.func.count(sa.distinct(SecuritySignal.member)))
                        .where(SecuritySignal.key == key, SecuritySignal.at >= since)).one()


def members(session: Session, settings: Settings, key: str, window_seconds: int) -> list[str]:
    """The newest distinct members of ``key`` in the window (at most ``LISTED_MEMBERS``)."""
    if settings.redis_url:
        listed = _redis(settings.redis_url).zrevrangebyscore(
            _redis_key(settings, key), "+inf", time.time() - window_seconds, start=0, num=LISTED_MEMBERS)
        return [member.decode() for member in listed]
    since = utcnow() - timedelta(seconds=window_seconds)
    newest = sa.func.max(SecuritySignal.at)
    return list(session.exec(select(SecuritySignal.member).where(SecuritySignal.key == key[:128],
                                                                 SecuritySignal.at >= since)
                             .group_by(SecuritySignal.member).order_by(newest.desc()).limit(LISTED_MEMBERS)).all())


def sweep(session: Session, older_than_seconds: int) -> int:
    """Delete database counts older than every window (Redis keys expire on their own)."""
    cutoff = utcnow() - timedelta(seconds=older_than_seconds)
    return session.execute(sa.delete(SecuritySignal).where(SecuritySignal.at < cutoff)).rowcount or 0


def _redis_add(settings: Settings, key: str, member: str, window_seconds: int) -> int:
    now, name = time.time(), _redis_key(settings, key)
    pipe = _redis(settings.redis_url).pipeline()
    pipe.zadd(name, {member: now})
    pipe.zremrangebyscore(name, "-inf", now - window_seconds)
    pipe.zcard(name)
    pipe.expire(name, window_seconds + 60)
    return int(pipe.execute()[2])


def _redis_key(settings: Settings, key: str) -> str:
    return f"{settings.queue_name}:detect:{key}"


@functools.cache
def _redis(url: str):
    import redis

    return redis.Redis.from_url(url)
