"""Sign-ins resolved once per worker and trusted until any session ends.

Resolving a cookie costs a transaction, and a tab receiving a thread's pushes would pay it for every
message. An entry is trusted for at most ``CACHE_SECONDS`` (resolving again records the session's last
use), never past the session's own expiry, and only while the generation of ended sessions
(``services/session_generation.py``) is the one read *before* resolving it: a sign-out committed after
that read moves the generation, so the next check anywhere resolves from the database again.
"""

from __future__ import annotations

import asyncio
import time
from datetime import datetime

from studio_app.database import session_scope
from studio_app.models.base import utcnow
from studio_app.security.policy import Actor
from studio_app.services import session_generation
from studio_app.services.sessions import resolve_session_until
from studio_app.services.tokens import hash_secret
from studio_app.settings import Settings

CACHE_SECONDS = 30
_MAX_ENTRIES = 10_000
_entries: dict[str, tuple[Actor, float, int]] = {}  # hash of the secret -> (actor, trusted until, generation)


async def resolve_cached(settings: Settings, secret: str | None) -> Actor | None:
    if not secret or len(secret) > 128:
        return None
    key = hash_secret(secret)  # the secret itself is never kept
    generation = await session_generation.current()
    entry = _entries.get(key)
    if entry is not None and entry[2] == generation and entry[1] > time.monotonic():
        return entry[0]
    found = await asyncio.to_thread(_resolve, settings, secret)
    if found is None:
        _entries.pop(key, None)
        return None
    actor, valid_until = found
    if len(_entries) >= _MAX_ENTRIES:
        _entries.clear()
    lifetime = min(CACHE_SECONDS, (valid_until - utcnow()).total_seconds())
    _entries[key] = (actor, time.monotonic() + lifetime, generation)
    return actor


def _resolve(settings: Settings, secret: str) -> tuple[Actor, datetime] | None:
    with session_scope() as session:
        return resolve_session_until(session, settings, secret)
