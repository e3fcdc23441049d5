"""A counter that every ended session moves on, so a worker that cached a sign-in checks it again at once.

Workers keep the sessions they resolved (``state/session_cache.py``) instead of a transaction per event;
an entry is trusted only while this generation is still the one read before resolving it. Ending a session
(sign-out, revocation, password change, erasure) bumps it after the commit: in Redis with several workers,
in this process otherwise (the embedded default serves everything from one process).
"""

from __future__ import annotations

import asyncio
from functools import cache

from studio_app.settings import current_settings

KEY = "studio:session-generation"
_local = [0]


def bump() -> None:
    url = current_settings().redis_url
    if url:
        _sync_client(url).incr(KEY)
    else:
        _local[0] += 1


async def current() -> int:
    url = current_settings().redis_url
    if not url:
        return _local[0]
    return int(await _async_client(url, asyncio.get_running_loop()).get(KEY) or 0)


@cache
def _sync_client(url: str):
    import redis

    return redis.Redis.from_url(url)


@cache
def _async_client(url: str, _loop: asyncio.AbstractEventLoop):
    # One client per event loop: a redis.asyncio connection belongs to the loop that opened it.
    import redis.asyncio

    return redis.asyncio.Redis.from_url(url)
