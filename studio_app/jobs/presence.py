"""Who has a tab of the app connected, as the web processes last saw it, for the digest round on the queue.

Only the web processes know which sockets are open (Reflex's token manager). One of them publishes a sample
every few seconds (``state/live.py: presence_publish_loop``): the set of user ids with a connected tab, in Redis
when configured (shared by every web worker and machine), else in a private file of the data folder (the embedded
default has one web process). The consumer's digest round reads the union of the samples of the last
``WINDOW_SECONDS``: a tab reloading while one sample was taken (its socket closed for a moment) still counts,
and a closed tab stops counting once the window has passed. User ids are pseudonymous; no name or address here.
"""

from __future__ import annotations

import json
import os
import tempfile
import time
import uuid
from collections.abc import Collection

from studio_app.settings import Settings, current_settings

SAMPLE_SECONDS = 5
# A reload closes the socket and opens another within a second or two: several samples fall in this window.
WINDOW_SECONDS = 30
# Without a sample this recent, no web process is publishing (stopped, starting): presence is unknown.
STALE_SECONDS = 90
REDIS_KEY = "studio:presence-samples"
FILE_NAME = "presence.json"


def publish_sample(user_ids: Collection[str], *, now: float | None = None) -> None:
    """Record who has a tab connected now (called by a web process, on a thread: this is blocking I/O)."""
    now = time.time() if now is None else now
    settings = current_settings()
    if settings.redis_url:
        _publish_to_redis(settings, sorted(user_ids), now)
    else:
        _publish_to_file(settings, sorted(user_ids), now)


def recent_online_users(settings: Settings | None = None, *, now: float | None = None) -> set[str] | None:
    """Everyone seen connected in the last ``WINDOW_SECONDS``; None when no web process published lately."""
    now = time.time() if now is None else now
    settings = settings or current_settings()
    samples = _redis_samples(settings) if settings.redis_url else _file_samples(settings)
    if not samples or max(at for at, _ in samples) < now - STALE_SECONDS:
        return None
    return {user for at, users in samples if at >= now - WINDOW_SECONDS for user in users}


def _redis(settings: Settings):
    import redis

    return redis.Redis.from_url(settings.redis_url, decode_responses=True)


def _publish_to_redis(settings: Settings, users: list[str], now: float) -> None:
    client = _redis(settings)
    try:
        pipe = client.pipeline()
        pipe.zadd(REDIS_KEY, {json.dumps({"n": uuid.uuid4().hex, "users": users}): now})
        pipe.zremrangebyscore(REDIS_KEY, "-inf", now - STALE_SECONDS)
        pipe.expire(REDIS_KEY, STALE_SECONDS * 2)
        pipe.execute()
    finally:
        client.close()


def _redis_samples(settings: Settings) -> list[tuple[float, list[str]]]:
    client = _redis(settings)
    try:
        found = client.zrangebyscore(REDIS_KEY, time.time() - STALE_SECONDS, "+inf", withscores=True)
    finally:
        client.close()
    return [(at, json.loads(member)["users"]) for member, at in found]


def _file_samples(settings: Settings) -> list[tuple[float, list[str]]]:
    try:
        return [(at, users) for at, users in json.loads((settings.data_dir / FILE_NAME).read_text())]
    except (FileNotFoundError, ValueError, TypeError):
        return []


def _publish_to_file(settings: Settings, users: list[str], now: float) -> None:
    """Kept samples of the last ``STALE_SECONDS``, replaced atomically in a 0600 file."""
    samples = [(at, known) for at, known in _file_samples(settings) if at >= now - STALE_SECONDS] + [(now, users)]
    descriptor, temporary = tempfile.mkstemp(dir=settings.data_dir, prefix=".presence-")  # mkstemp makes it 0600
    try:
        with os.fdopen(descriptor, "w") as target:
            json.dump(samples, target)
        os.replace(temporary, settings.data_dir / FILE_NAME)
    except BaseException:
        os.unlink(temporary)
        raise
