"""Who is signed in, resolved again on every protected call.

The HttpOnly cookie reaches the socket's headers when it connects; ``state/tabs.py`` checks it on the socket's
first event and binds the tab to that session's id. Handlers (and pushes from other tabs, which carry no
cookie) resolve the bound session, so a revoked or expired one stops at once; nothing secret is stored in state.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any, TypeVar

import reflex as rx

from studio_app import routes
from studio_app.database import session_scope
from studio_app.security.policy import Actor
from studio_app.services.sessions import ClientInfo
from studio_app.state.tabs import bound_actor, remember_tab

Result = TypeVar("Result")


async def in_transaction(work: Callable[..., Result], *args: Any, **kwargs: Any) -> Result:
    """Run ``work(db_session, *args, **kwargs)`` in one transaction on a worker thread (never blocking the socket
    loop)."""

    def run() -> Result:
        with session_scope() as session:
            return work(session, *args, **kwargs)

    return await asyncio.to_thread(run)


class SessionMixin(rx.State, mixin=True):
    def _client(self) -> ClientInfo:
        return ClientInfo(ip_address=self.router.session.client_ip or None, user_agent=self.router.headers.user_agent)

    async def _actor(self) -> Actor | None:
        actor = await bound_actor(self)
        if actor is not None:
            # Which tabs hold this session's data: they are reset when it ends (state/tabs.py).
            await remember_tab(self.router.session.client_token, actor)
        return actor

    def _to_sign_in(self):
        return rx.redirect(f"{routes.SIGN_IN}?next={self.router.url.path or routes.ACCOUNT}")
