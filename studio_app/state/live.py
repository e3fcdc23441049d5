"""Real time: which open tabs show which project, and pushing what changed to them.

A tab registers its client token when it opens a project; after a change, the other tabs showing
that project receive it through ``app.modify_state``. With Redis (several workers) the registry
lives in Redis and Reflex relays each update to the worker that holds the tab's socket.
A push reaches only the tabs of the people it is for (a project's current members), and each tab
checks its own session first (cached, state/session_cache.py): a tab whose session ended receives nothing.
Presence ends with the socket: a registered tab counts only while Reflex's token manager knows it connected.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections import defaultdict
from collections.abc import Awaitable, Callable, Collection, Coroutine
from functools import cache
from typing import Any

import reflex as rx
from reflex_base.registry import RegistrationContext
from sqlmodel import Session

from studio_app.database import session_scope
from studio_app.jobs.presence import SAMPLE_SECONDS, publish_sample
from studio_app.settings import current_settings

PRESENCE_TTL_SECONDS = 3 * 3600
Connected = Callable[[str], Awaitable[bool]]  # whether a client token has a connected socket on any worker
logger = logging.getLogger(__name__)
_pending_tasks: set[asyncio.Task] = set()  # run_later keeps its tasks alive until they finish
_last_in_order: dict[str, asyncio.Task] = {}  # run_in_order: the last task started per key


class MemoryPresence:
    """One worker: a dict is the registry."""

    def __init__(self) -> None:
        self._tabs: dict[str, dict[str, tuple[str, float]]] = defaultdict(dict)

    async def join(self, channel: str, client_token: str, user_id: str) -> None:
        self._tabs[channel][client_token] = (user_id, time.monotonic() + PRESENCE_TTL_SECONDS)

    async def leave(self, channel: str, client_token: str) -> None:
        self._tabs[channel].pop(client_token, None)

    async def tabs(self, channel: str) -> dict[str, str]:
        now = time.monotonic()
        live = {token: user for token, (user, until) in self._tabs[channel].items() if until > now}
        self._tabs[channel] = {token: self._tabs[channel][token] for token in live}
        return live

    async def online_users(self, connected: Connected) -> set[str]:
        return {user for channel in list(self._tabs) if channel.startswith("user:")
                for token, user in (await self.tabs(channel)).items() if await connected(token)}

    async def channels(self, prefix: str) -> list[str]:
        return [channel for channel, tabs in list(self._tabs.items()) if channel.startswith(prefix) and tabs]

    async def claim(self, job: str, seconds: int) -> bool:
        return True  # one worker: nobody to share the job with


class RedisPresence:
    """Several workers: per channel, a sorted set of "token user_id" members scored by their expiry."""

    def __init__(self, url: str) -> None:
        import redis.asyncio as redis

        self._redis = redis.Redis.from_url(url, decode_responses=True)

    async def join(self, channel: str, client_token: str, user_id: str) -> None:
        await self.leave(channel, client_token)
        await self._redis.zadd(self._key(channel), {f"{client_token} {user_id}": time.time() + PRESENCE_TTL_SECONDS})

    async def leave(self, channel: str, client_token: str) -> None:
        members = [member for member in await self._redis.zrange(self._key(channel), 0, -1)
                   if member.split(" ", 1)[0] == client_token]
        if members:
            await self._redis.zrem(self._key(channel), *members)

    async def tabs(self, channel: str) -> dict[str, str]:
        key = self._key(channel)
        await self._redis.zremrangebyscore(key, "-inf", time.time())
        return dict(member.split(" ", 1) for member in await self._redis.zrange(key, 0, -1))

    async def online_users(self, connected: Connected) -> set[str]:
        users = set()
        async for key in self._redis.scan_iter(match=self._key("user:*"), count=500):
            channel = key.removeprefix(self._key(""))
            users.update([user for token, user in (await self.tabs(channel)).items() if await connected(token)])
        return users

    async def channels(self, prefix: str) -> list[str]:
        return [key.removeprefix(self._key("")) async for key in self._redis.scan_iter(match=self._key(f"{prefix}*"),
                                                                                        count=500)]

    async def claim(self, job: str, seconds: int) -> bool:
        """Only one worker of the deployment runs ``job`` in each period."""
        return bool(await self._redis.set(f"studio:job:{job}", "1", nx=True, ex=seconds))

    @staticmethod
    def _key(channel: str) -> str:
        return f"studio:presence:{channel}"


@cache
def presence() -> MemoryPresence | RedisPresence:
    url = current_settings().redis_url
    return RedisPresence(url) if url else MemoryPresence()


# Every open editor directory: refreshed when an editor's account is erased.
DIRECTORY_CHANNEL = "directory"


def project_channel(project_id: str) -> str:
    return f"project:{project_id}"


def user_channel(user_id: str) -> str:
    return f"user:{user_id}"


def push_later(channel: str, state_cls: type[rx.State], refresh: Callable[[rx.State], Awaitable[object]],
               *, skip_token: str | None = None) -> None:
    """Refresh ``state_cls`` in every other tab of ``channel``, after the current handler returns.

    It runs as a task: modifying another tab's state while this handler holds its own state's lock
    could deadlock with that tab doing the same to us.
    """
    run_later(push(channel, state_cls, refresh, skip_token=skip_token))


def run_later(work: Coroutine[Any, Any, Any]) -> asyncio.Task:
    """Run ``work`` as a task after the current handler returns, keeping a reference until it is done."""
    task = asyncio.create_task(work)
    _pending_tasks.add(task)
    task.add_done_callback(_pending_tasks.discard)
    return task


def run_in_order(key: str, work: Callable[[], Coroutine[Any, Any, Any]]) -> None:
    """Like ``run_later``, but after the work started earlier under the same ``key`` (a project's pushes reach
    each tab in the order the messages were posted)."""
    previous = _last_in_order.get(key)

    async def after_previous():
        if previous is not None:
            await asyncio.wait([previous])
        await work()

    task = _last_in_order[key] = run_later(after_previous())
    task.add_done_callback(lambda done: _last_in_order.pop(key) if _last_in_order.get(key) is done else None)


class WriteBehind:
    """Writes that may wait a moment (what open tabs just showed), gathered from every handler of this worker: each
    transaction writes all that arrived in the ``gather_seconds`` before it, so their number stays small however
    busy the app is, and no handler waits for them. What is still queued when the process dies is not written (the
    caller chooses writes whose loss is harmless)."""

    def __init__(self, write: Callable[[Session, list], object], gather_seconds: float) -> None:
        self._write, self._gather_seconds, self._queued, self._writer = write, gather_seconds, [], None

    def add(self, *items: object) -> None:
        self._queued.extend(items)
        if self._writer is None:
            self._writer = run_later(self._write_queued())

    async def _write_queued(self) -> None:
        try:
            while self._queued:
                await asyncio.sleep(self._gather_seconds)
                items, self._queued = self._queued, []
                try:
                    await asyncio.to_thread(self._write_in_transaction, items)
                except Exception:  # these items are lost (see above); the next ones are written
                    logger.exception("a write-behind transaction failed")
        finally:
            self._writer = None

    def _write_in_transaction(self, items: list) -> None:
        with session_scope() as session:
            self._write(session, items)


async def push(channel: str, state_cls: type[rx.State], refresh: Callable[[rx.State], Awaitable[object]], *,
               skip_token: str | None = None, users: Collection[str] | None = None, local_only: bool = False,
               app: rx.App | None = None) -> set[str]:
    """Call ``refresh`` on ``state_cls`` of every other connected tab of ``channel``, all at once; returns the
    users whose tab's ``refresh`` returned True. Tabs of people not in ``users`` (no longer members) leave the
    channel and get nothing. ``local_only``: only the tabs whose socket this worker holds (each worker pushes to
    its own, as the media watcher does). ``app``: for lifespan tasks, which may run outside Reflex's context."""
    app = app or RegistrationContext.get().app
    token_manager = app.event_namespace._token_manager
    registry = presence()
    tabs = await registry.tabs(channel)
    if local_only:
        tabs = {token: user for token, user in tabs.items() if token in token_manager.token_to_sid}

    async def one(client_token: str, user_id: str) -> str | None:
        try:
            if (users is not None and user_id not in users) or not await token_manager.is_token_connected(
                    client_token):
                await registry.leave(channel, client_token)
                return None
            async with app.modify_state(rx.BaseStateToken(ident=client_token, cls=state_cls)) as root:
                return user_id if await refresh(await root.get_state(state_cls)) is True else None
        except Exception:  # one broken tab must not stop the others
            logger.exception("live update failed for one tab")
            return None

    reached = await asyncio.gather(*(one(token, user) for token, user in tabs.items() if token != skip_token))
    return {user for user in reached if user is not None}


async def publish_presence(connected: Connected) -> None:
    """Publish who has a tab connected now, for the digest round that runs on the queue (``jobs/presence.py``)."""
    users = await presence().online_users(connected)
    await asyncio.to_thread(publish_sample, users)


async def presence_publish_loop(app: rx.App):
    """Lifespan task: every few seconds, one web worker publishes who has a tab connected (the consumers cannot
    see the sockets)."""
    connected = app.event_namespace._token_manager.is_token_connected
    while True:
        try:
            if await presence().claim("presence-sample", SAMPLE_SECONDS - 1):
                await publish_presence(connected)
        except Exception:  # the next sample tries again; the digest round waits when samples are missing
            logger.exception("publishing presence failed")
        await asyncio.sleep(SAMPLE_SECONDS)
