"""What a running app's state store holds: every raw byte (disk or Redis), and a tab's states opened with the
app's keys (to see what the store would reveal to someone who had them)."""

from __future__ import annotations

import functools
from hashlib import md5
from pathlib import Path

import redis
import reflex as rx

from studio_app.security.crypto import DecryptionError
from studio_app.security.keyring import load_keyring
from studio_app.security.state_sealing import open_state
from studio_app.settings import load_settings


def states_dir(data_dir: Path) -> Path:
    return data_dir / "states"


def disk_dump(data_dir: Path) -> bytes:
    """Every byte of every file of the disk store."""
    folder = states_dir(data_dir)
    return b"\n".join(path.read_bytes() for path in sorted(folder.iterdir()) if path.is_file())


def redis_dump(url: str) -> bytes:
    """Every value of every key of the database, whatever its type."""
    client = redis.Redis.from_url(url)
    chunks = []
    try:
        for key in client.scan_iter(count=1000):
            kind = client.type(key)
            if kind == b"string":
                chunks.append(client.get(key) or b"")
            elif kind == b"list":
                chunks += client.lrange(key, 0, -1)
            elif kind == b"set":
                chunks += client.smembers(key)
            elif kind == b"zset":
                chunks += client.zrange(key, 0, -1)
            elif kind == b"hash":
                chunks += [part for pair in client.hgetall(key).items() for part in pair]
            chunks.append(key)
    finally:
        client.close()
    return b"\n".join(chunks)


@functools.cache
def every_state_name() -> tuple[str, ...]:
    import studio_app.studio_app  # noqa: F401  (defines every page's states)

    # Subclasses rather than Reflex's registry, whose context is not set on the threads tests run sockets on.
    found, stack = [], [rx.State]
    while stack:
        state_cls = stack.pop()
        found.append(state_cls.get_full_name())
        stack.extend(state_cls.__subclasses__())
    return tuple(dict.fromkeys(found))


def opened_tab(data_dir: Path, client_token: str, redis_url: str | None = None) -> bytes:
    """The stored states of one tab, opened with the app's keys: the pickles Reflex would load."""
    keyring = load_keyring(load_settings({"STUDIO_DATA_DIR": str(data_dir)}))
    client = redis.Redis.from_url(redis_url) if redis_url else None
    chunks = []
    try:
        for name in every_state_name():
            key = f"{client_token}_{name}"
            if client is not None:
                sealed = client.get(key)
            else:
                # Reflex's disk manager names each file after the MD5 of the state's key (not a security use).
                path = states_dir(data_dir) / f"{md5(key.encode()).hexdigest()}.pkl"  # noqa: S324
                sealed = path.read_bytes() if path.exists() else None
            if sealed:
                try:
                    chunks.append(open_state(keyring, key, sealed))
                except DecryptionError:
                    chunks.append(b"<did not open>")
    finally:
        if client is not None:
            client.close()
    return b"\n".join(chunks)


def opened_redis(data_dir: Path, url: str) -> bytes:
    """Every state key of the Redis database opened with the app's keys (values that are no state stay raw)."""
    keyring = load_keyring(load_settings({"STUDIO_DATA_DIR": str(data_dir)}))
    client = redis.Redis.from_url(url)
    chunks = []
    try:
        for key in client.scan_iter(count=1000):
            if client.type(key) != b"string":
                continue
            value = client.get(key) or b""
            try:
                chunks.append(open_state(keyring, key.decode(), value))
            except (DecryptionError, UnicodeDecodeError):
                chunks.append(value)
    finally:
        client.close()
    return b"\n".join(chunks)
