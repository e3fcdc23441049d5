"""Sign-ins resolved once per worker and trusted until any session ends.

Resolving a tab's bound session (``state/tabs.py``) costs a transaction, and a tab receiving a thread's pushes
would pay it for every message. Entries are keyed by the session id the tab is bound to (no secret is kept).
An entry is trusted for at most ``CACHE_SECONDS`` (resolving again records the session's last use), never past
the session's own expiry, and only while the generation of ended sessions (``services/session_generation.py``,
moved on by ``sessions._announce_end`` after the commit) is the one read *before* resolving it: a sign-out
committed after that read moves the generation, so the next check anywhere resolves from the database again.
"""

from __future__ import annotations

import asyncio
import random
import time
from datetime import datetime

from studio_app.database import session_scope
from studio_app.models.base import utcnow
from studio_app.security.policy import Actor
from studio_app.services import session_generation
from studio_app.services.sessions import resolve_session_id_until
from studio_app.settings import Settings

CACHE_SECONDS = 30
# Tabs opened together would all resolve again at the same moment (a burst of transactions that stalls their
# pushes): each entry's lifetime is shortened by up to this share, at random.
CACHE_SPREAD = 0.5
_MAX_ENTRIES = 10_000
_entries: dict[str, tuple[Actor, float, int]] = {}  # session id -> (actor, trusted until, generation)


async def lookup(session_id: str) -> tuple[Actor | None, int]:
    """The cached actor of this session (None when it must be resolved again), and the generation read now:
    what ``remember`` needs after resolving it."""
    generation = await session_generation.current()
    entry = _entries.get(session_id) if session_id else None
    if entry is not None and entry[2] == generation and entry[1] > time.monotonic():
        return entry[0], generation
    return None, generation


def remember(session_id: str, found: tuple[Actor, datetime] | None, generation: int) -> None:
    """What resolving ``session_id`` from the database gave, read after ``generation``."""
    if found is None:
        _entries.pop(session_id, None)
        return
    actor, valid_until = found
    if len(_entries) >= _MAX_ENTRIES:
        _entries.clear()
    spread = CACHE_SPREAD * random.random()  # noqa: S311  (a lifetime, not a secret)
    lifetime = min(CACHE_SECONDS * (1 - spread), (valid_until - utcnow()).total_seconds())
    _entries[session_id] = (actor, time.monotonic() + lifetime, generation)


async def resolve_cached(settings: Settings, session_id: str | None) -> Actor | None:
    """The live session ``session_id`` (a tab's binding), from the cache or its own transaction."""
    if not session_id:
        return None
    actor, generation = await lookup(session_id)
    if actor is not None:
        return actor

    def resolve() -> tuple[Actor, datetime] | None:
        with session_scope() as db:
            return resolve_session_id_until(db, settings, session_id)

    found = await asyncio.to_thread(resolve)
    remember(session_id, found, generation)
    return found[0] if found is not None else None
