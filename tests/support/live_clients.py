"""Signed-in clients of a running app, over the same HTTP routes and event socket a browser uses
(for tests and benchmarks)."""

from __future__ import annotations

import asyncio
import concurrent.futures
import contextlib
import json
import os
import time
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path

import aiohttp
import httpx
import socketio

from tests.support.app_env import clear_process_caches

NAMESPACE = "/_event"


@contextlib.contextmanager
def services_of(data_dir: Path) -> Iterator[None]:
    """Point this process's services at a running app's data folder (its database and key files)."""
    saved = {name: value for name, value in os.environ.items() if name.startswith("STUDIO_")}
    for name in saved:
        del os.environ[name]
    os.environ["STUDIO_DATA_DIR"] = str(data_dir)
    clear_process_caches()
    try:
        yield
    finally:
        for name in [name for name in os.environ if name.startswith("STUDIO_")]:
            del os.environ[name]
        os.environ.update(saved)
        clear_process_caches()


def session_cookie(app_url: str, email: str, password: str, *, origin: str | None = None) -> str:
    response = httpx.post(f"{app_url}/api/auth/signin", data={"email": email, "password": password, "next": "/"},
                          headers={"origin": origin or app_url}, follow_redirects=False)
    cookie = response.cookies.get("studio_session")
    if not cookie:
        raise RuntimeError(f"sign-in failed: {response.status_code} {response.headers.get('location')}")
    return cookie


class LiveClient:
    """One browser tab: a socket with the session cookie; ``call`` sends an event and waits for its final update."""

    def __init__(self, app_url: str, cookie: str | None = None, *, origin: str | None = None,
                 local_address: str | None = None, token: str | None = None, headers: dict[str, str] | None = None):
        """``local_address``: connect from this address of the machine (any 127.x.y.z), so that the app sees a
        client of its own network address; ``app_url`` must then name the server by its IPv4 address.
        ``token``: the tab's client token (a new one by default); ``headers``: extra handshake headers."""
        self.app_url, self.cookie, self.origin = app_url, cookie, origin or app_url
        # The tab's client token, as a browser keeps it in sessionStorage.
        self.token, self.extra_headers = token or str(uuid.uuid4()), headers or {}
        bound = (lambda: aiohttp.ClientSession(connector=aiohttp.TCPConnector(local_addr=(local_address, 0)))
                 ) if local_address else None
        self.client = socketio.AsyncClient(reconnection=False, http_session=bound)
        self.updates: asyncio.Queue[dict] = asyncio.Queue()
        self.transcript: list[str] = []  # every update received, as JSON text
        self.client.on("event", self._received, namespace=NAMESPACE)

    def _received(self, update: dict) -> None:
        self.transcript.append(json.dumps(update, default=str))
        self.updates.put_nowait(update)

    async def connect(self) -> LiveClient:
        headers = {"Origin": self.origin} | ({"Cookie": f"studio_session={self.cookie}"} if self.cookie else {})
        await self.client.connect(f"{self.app_url}?token={self.token}", socketio_path="_event",
                                  transports=["websocket"], headers=headers | self.extra_headers,
                                  namespaces=[NAMESPACE])
        return self

    async def call(self, handler: str, payload: dict, path: str,
                   until: Callable[[dict], bool] | None = None) -> tuple[float, int]:
        """(seconds until the final update, bytes of all updates received for this event).

        Reflex 0.10 no longer marks an event's last update (``final``): for a handler that yields (a busy flag first,
        the answer later), pass ``until``, which tells the update that ends it.
        """
        while not self.updates.empty():
            self.updates.get_nowait()
        started, received = time.perf_counter(), 0
        pathname, _, query = path.partition("?")
        router_data = {"pathname": pathname, "asPath": path,
                       "query": dict(part.split("=", 1) for part in query.split("&") if "=" in part)}
        event = {"name": handler, "payload": payload, "router_data": router_data}
        await self.client.emit("event", event, namespace=NAMESPACE)
        while True:
            update = await asyncio.wait_for(self.updates.get(), 30)
            received += len(json.dumps(update, default=str))
            if until(update) if until is not None else update.get("final", True):
                return time.perf_counter() - started, received

    async def wait_for(self, text: str, timeout: float = 10) -> float:
        """Seconds until an update containing ``text`` arrives (pushed by the server, no request of ours)."""
        started = time.perf_counter()
        while True:
            update = await asyncio.wait_for(self.updates.get(), timeout)
            if text in json.dumps(update, default=str):
                return time.perf_counter() - started

    async def close(self) -> None:
        await self.client.disconnect()


def handler_name(state_cls, method: str) -> str:
    return f"{state_cls.get_full_name()}.{method}"


def run_in_own_loop(coroutine):
    """``asyncio.run`` on a thread of its own: Playwright's sync API keeps a loop running in the main thread."""
    with concurrent.futures.ThreadPoolExecutor(max_workers=1) as pool:
        return pool.submit(asyncio.run, coroutine).result()
