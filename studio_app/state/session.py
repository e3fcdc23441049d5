"""Who is signed in, resolved again from the HttpOnly cookie on every protected call.

The cookie reaches the socket's headers when it connects; nothing secret is stored in state.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any, TypeVar

import reflex as rx

from studio_app import routes
from studio_app.database import session_scope
from studio_app.security.cookies import read_session_secret
from studio_app.security.policy import Actor
from studio_app.services.sessions import ClientInfo
from studio_app.settings import current_settings
from studio_app.state.session_cache import resolve_cached
from studio_app.state.tabs import remember_tab

Result = TypeVar("Result")


async def in_transaction(work: Callable[..., Result], *args: Any, **kwargs: Any) -> Result:
    """Run ``work(db_session, *args, **kwargs)`` in one transaction on a worker thread (never blocking the socket
    loop)."""

    def run() -> Result:
        with session_scope() as session:
            return work(session, *args, **kwargs)

    return await asyncio.to_thread(run)


class SessionMixin(rx.State, mixin=True):
    def _session_secret(self) -> str | None:
        return read_session_secret(current_settings(), self.router.headers.cookie)

    def _client(self) -> ClientInfo:
        return ClientInfo(ip_address=self.router.session.client_ip or None, user_agent=self.router.headers.user_agent)

    async def _actor(self) -> Actor | None:
        # Cached per worker until any session ends (state/session_cache.py): pushed tabs check it per message.
        actor = await resolve_cached(current_settings(), self._session_secret())
        if actor is not None:
            # Which tabs hold this person's data: an erased account's tabs are reset (state/tabs.py).
            await remember_tab(self.router.session.client_token, actor.user_id)
        return actor

    def _to_sign_in(self):
        return rx.redirect(f"{routes.SIGN_IN}?next={self.router.url.path or routes.ACCOUNT}")
