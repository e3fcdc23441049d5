"""Reflex's state store, sealed: what every tab's state holds never reaches disk or Redis in clear.

Reflex pickles each tab's state tree to ``.states/`` (disk) or to Redis, router data included, whose
headers carry the request's ``cookie``. These subclasses of Reflex 0.10.1's managers change three things:
- every stored byte is sealed (``security/state_sealing.py``: AES-256-GCM under a key derived from the
  active master key, bound to the state's key, so a blob moved to another tab does not open); a blob that
  does not open is treated as absent, a fresh state;
- the cookie and other credential headers are left out of what is stored (they stay in memory for the
  socket that sent them; the tab's session is bound by ``state/session_guard.py``, not by the cookie);
- on disk: a private folder (0700) and files (0600), written atomically, and purges that look only at what
  expired, in write (or use) order, instead of listing and stat-ing the whole folder and walking every tab
  of the last hour on each round: their cost does not grow with the number of past tabs.
"""

from __future__ import annotations

import asyncio
import collections
import contextlib
import dataclasses
import functools
import logging
import os
import secrets
import threading
import time
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

from reflex.istate.data import HeaderData, _FrozenDictStrStr
from reflex.istate.manager.disk import StateManagerDisk
from reflex.istate.manager.redis import StateManagerRedis
from reflex.istate.manager.token import BaseStateToken, StateToken
from reflex.state import BaseState
from reflex.utils import prerequisites
from reflex.utils.misc import run_in_thread
from reflex_base.config import get_config

from studio_app.security.crypto import DecryptionError
from studio_app.security.keyring import current_keys, load_keyring
from studio_app.security.state_sealing import open_state, seal_state
from studio_app.services import detection
from studio_app.settings import current_settings

logger = logging.getLogger(__name__)

# Under load, the disk store writes the states that fell due at most this often, in one trip to a worker thread.
WRITE_ROUND_SECONDS = 0.5
# Headers that are credentials: never stored (Reflex already keeps them from the frontend).
PRIVATE_HEADERS = frozenset({"cookie", "authorization", "proxy-authorization", "x-csrf-token"})


def _is_private(header: str) -> bool:
    return header.lower() in PRIVATE_HEADERS


def _public_headers(headers: dict[str, Any]) -> dict[str, Any]:
    return {name: value for name, value in headers.items() if not _is_private(name)}


def _strip_router_data(router_data: dict[str, Any]) -> dict[str, Any]:
    headers = router_data.get("headers")
    return {**router_data, "headers": _public_headers(headers)} if isinstance(headers, dict) else router_data


def _strip_header_data(headers: HeaderData) -> HeaderData:
    raw = {name: value for name, value in headers.raw_headers.items() if not _is_private(name)}
    return dataclasses.replace(headers, cookie="", raw_headers=_FrozenDictStrStr(**raw))


_STRIPPED_FIELDS = {"router_data": _strip_router_data, "rx_router_headers": _strip_header_data}


@contextlib.contextmanager
def _without_credentials(state: Any) -> Iterator[None]:
    """Swap the instance's credential-bearing fields for copies without them while it is pickled; the live
    state keeps its own (no await in between, so no other event sees the copies)."""
    fields = vars(state) if isinstance(state, BaseState) else {}
    saved = {name: fields[name] for name in _STRIPPED_FIELDS if fields.get(name)}
    for name, value in saved.items():
        fields[name] = _STRIPPED_FIELDS[name](value)
    try:
        yield
    finally:
        fields.update(saved)


def serialize(token: StateToken, state: Any) -> bytes:
    with _without_credentials(state):
        return token.serialize(state)


def seal(state_key: str, plaintext: bytes) -> bytes:
    return seal_state(current_keys().keyring, state_key, plaintext)


def unseal(state_key: str, sealed: bytes) -> bytes | None:
    """The stored bytes, or None when the blob does not open (altered, moved, or under a key we lack)."""
    keyring = current_keys().keyring
    try:
        return open_state(keyring, state_key, sealed)
    except DecryptionError:
        pass
    try:  # another process may have run ``keys rotate`` since this one loaded the key ring
        return open_state(load_keyring(current_settings()), state_key, sealed)
    except DecryptionError:
        logger.warning("a stored tab state did not open; the tab starts afresh")
        detection.report_integrity_failure("state_store")
        return None


def restore_credentials(root: BaseState, router_data: dict[str, Any]) -> None:
    """Put the connection's credential headers back into a state tree just loaded from the store, when the
    rest of its headers are those of the same connection, without marking anything changed: otherwise
    Reflex would see new headers on every event and write the tree and send the headers back each time."""
    headers, stored = router_data.get("headers"), vars(root).get("router_data")
    if not isinstance(headers, dict) or not stored or not any(_is_private(name) for name in headers):
        return
    if stored.get("headers") != _public_headers(headers):
        return  # another connection: Reflex rebuilds the router data itself
    stored["headers"] = dict(headers)
    if isinstance(header_data := vars(root).get("rx_router_headers"), HeaderData):
        vars(root)["rx_router_headers"] = dataclasses.replace(
            header_data, cookie=headers.get("cookie", ""),
            raw_headers=_FrozenDictStrStr(**{name: value for name, value in headers.items() if value}))


class _UseOrder(collections.OrderedDict):
    """Reflex's last-use record of tabs in memory, kept in order of use: the oldest come first."""

    def __setitem__(self, key, value):
        super().__setitem__(key, value)
        self.move_to_end(key)


@dataclasses.dataclass
class SealedDiskStateManager(StateManagerDisk):
    # Files this process knows of, oldest write first: the purge stops at the first one still fresh.
    _written: collections.OrderedDict[Path, float] = dataclasses.field(
        default_factory=collections.OrderedDict, init=False)
    _written_lock: threading.Lock = dataclasses.field(default_factory=threading.Lock, init=False)
    _token_last_touched: _UseOrder = dataclasses.field(default_factory=_UseOrder, init=False)

    def __post_init__(self):
        folder = self.states_directory
        folder.mkdir(mode=0o700, parents=True, exist_ok=True)
        folder.chmod(0o700)
        # Once at start-up: files left by an earlier run join the index (their expiry counts from their mtime).
        found = []
        for path in folder.iterdir():
            with contextlib.suppress(OSError):
                found.append((path.stat().st_mtime, path))
        for mtime, path in sorted(found):
            self._written[path] = mtime
        self._purge_expired_states()

    @functools.cached_property
    def states_directory(self) -> Path:
        return (current_settings().data_dir / "states").absolute()

    def _purge_expired_states(self):
        deadline = time.time() - self.token_expiration
        while True:
            with self._written_lock:
                if not self._written:
                    return
                path, written = next(iter(self._written.items()))
                if written > deadline:
                    return
                del self._written[path]
            path.unlink(missing_ok=True)

    def _purge_expired_tokens(self, now: float) -> None:
        """Reflex's in-memory purge, walking only the tabs unused for longer than the expiry (oldest first)."""
        pending, expired = {token.cache_key for token in self._write_queue}, []
        for cache_key, (last_touched, token) in self._token_last_touched.items():
            if now - last_touched <= self.token_expiration:
                break
            if cache_key not in pending and not self._is_locked(token):
                expired.append(token)
        for token in expired:
            self._purge_token(token)

    async def _process_write_queue(self):
        """Reflex's write loop (0.10.1), with the two purges above in place of the full walks, and each round's
        states sealed and written in one trip to a worker thread, at most every ``WRITE_ROUND_SECONDS`` (under load
        states fall due one by one, and a trip per substate cost more than writing it)."""
        while True:
            try:
                now = time.time()
                due = sorted((item for item in self._write_queue.values()
                              if now - item.timestamp >= self._write_debounce_seconds), key=lambda item: item.timestamp)
                blobs = [blob for item in due
                         for blob in self._touched_blobs(item.token, self._write_queue.pop(item.token).state)]
                self._purge_expired_tokens(now)
                await run_in_thread(functools.partial(self._write_round, blobs, purge=True))
                await asyncio.gather(self._process_write_queue_delay(), asyncio.sleep(WRITE_ROUND_SECONDS))
            except asyncio.CancelledError:
                await self._flush_write_queue()
                raise
            except Exception as error:
                logger.error(f"Error processing write queue: {error!r}")
                if error.args == ("cannot schedule new futures after shutdown",):
                    return
                await self._process_write_queue_delay()

    async def load_state(self, token: StateToken) -> Any:
        try:
            sealed = await run_in_thread(self.token_path(token).read_bytes)
        except FileNotFoundError:
            return None
        plaintext = unseal(str(token), sealed)
        if plaintext is None:
            return None
        try:
            return token.deserialize(data=plaintext)
        except Exception:  # a state of an older schema: the tab starts afresh, as with Reflex's manager
            return None

    async def set_state_for_substate(self, token: StateToken, substate: Any):
        await run_in_thread(functools.partial(self._write_round, self._touched_blobs(token, substate), purge=False))

    def _touched_blobs(self, token: StateToken, substate: Any) -> list[tuple[Path, str, bytes]]:
        """(file, state key, pickled bytes) of ``substate`` and its substates changed since they were last written;
        pickled here, on the event loop, where nothing changes them meanwhile."""
        blobs = []
        if token.get_and_reset_touched_state(substate) and (plaintext := serialize(token, substate)):
            substate_token = token.with_cls(type(substate))
            blobs.append((self.token_path(substate_token), str(substate_token), plaintext))
        if isinstance(token, BaseStateToken) and isinstance(substate, BaseState):
            for child in substate.substates.values():
                blobs.extend(self._touched_blobs(token, child))
        return blobs

    def _write_round(self, blobs: list[tuple[Path, str, bytes]], *, purge: bool) -> None:
        for path, state_key, plaintext in blobs:
            self._write(path, seal(state_key, plaintext))
        if purge:
            self._purge_expired_states()

    def _write(self, path: Path, data: bytes) -> None:
        """Atomic, private from the first byte: readers see the old blob or the new one."""
        self.states_directory.mkdir(mode=0o700, parents=True, exist_ok=True)
        temporary = path.with_name(f".{path.name}.{secrets.token_hex(6)}.tmp")
        descriptor = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        try:
            with os.fdopen(descriptor, "wb") as file:
                file.write(data)
            os.replace(temporary, path)
        except BaseException:
            temporary.unlink(missing_ok=True)
            raise
        with self._written_lock:
            self._written[path] = time.time()
            self._written.move_to_end(path)


class _SealedReads:
    """The Redis client as the Redis manager reads states through it: the two calls that read state keys
    (``mget`` of state keys, ``get`` of a str key; lock keys are bytes) open what they return."""

    def __init__(self, redis):
        self._redis = redis

    def __getattr__(self, name: str):
        return getattr(self._redis, name)

    async def mget(self, keys, *args):
        values = await self._redis.mget(keys, *args)
        return [None if value is None else unseal(key, value) for key, value in zip(keys, values, strict=True)]

    async def get(self, key):
        value = await self._redis.get(key)
        if value is None or not isinstance(key, str):
            return value
        return unseal(key, value)


@dataclasses.dataclass
class SealedRedisStateManager(StateManagerRedis):
    def __post_init__(self):
        self.redis = _SealedReads(self.redis)
        super().__post_init__()

    def _collect_state_writes(self, token: BaseStateToken, base_state: BaseState) -> list[tuple[str, bytes]]:
        writes, stack = [], [base_state]
        while stack:
            state = stack.pop()
            if state._was_touched and (plaintext := serialize(token, state)):
                key = token._state_key(type(state))
                writes.append((key, seal(key, plaintext)))
            stack.extend(state.substates.values())
        return writes

    async def set_state(self, token: StateToken, state: Any, *, lock_id: bytes | None = None, **context):
        token = self._coerce_token(token)
        if not isinstance(token, BaseStateToken):
            raise TypeError("the sealed state store keeps Reflex states only")  # nothing of ours stores others
        await super().set_state(token, state, lock_id=lock_id, **context)

    @contextlib.asynccontextmanager
    async def modify_state(self, token: StateToken, **context) -> AsyncIterator[Any]:
        async with super().modify_state(token, **context) as root:
            if (event := context.get("event")) is not None and isinstance(root, BaseState):
                restore_credentials(root, event.router_data)
            yield root


def sealed_state_manager() -> SealedDiskStateManager | SealedRedisStateManager:
    """Ours, in place of the one Reflex builds from rxconfig (``studio_app.py`` installs it)."""
    if current_settings().redis_url:
        config = get_config()
        return SealedRedisStateManager(
            redis=prerequisites.get_redis(), token_expiration=config.redis_token_expiration,
            lock_expiration=config.redis_lock_expiration, lock_warning_threshold=config.redis_lock_warning_threshold)
    return SealedDiskStateManager()
