"""Which session each open tab belongs to, so that no stored tab state outlives the session it was shown to.

Reflex stores every tab's state (disk or Redis, ``state/store.py``) under the tab's client token, which is
no credential: anyone who learns it can connect with it. So:
- a tab is bound to a session by its id (``TabSession``), never by its secret. ``SessionGuard`` checks the
  binding on the first event of every socket (the hydration included): the cookie that socket brought is
  resolved, and when it is gone or belongs to another session, the tab's personal states are reset before
  anything is sent. ``SessionMixin._actor`` then resolves the bound session (pushes from other tabs
  included, which carry no cookie);
- every tab is recorded per session and per person (in the presence registry of ``state/live.py``: memory,
  or Redis with expiry). When a session ends (sign-out, "sign out everywhere", revocation, password change
  or reset, expiry) or an account is erased, the stored states of its tabs are reset, connected or not.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Iterable

import reflex as rx
from reflex.istate.proxy import StateProxy
from reflex.middleware.middleware import Middleware
from reflex.state import StateUpdate
from reflex_base.event import Event
from reflex_base.registry import RegistrationContext

from studio_app import routes
from studio_app.database import session_scope
from studio_app.security.cookies import read_session_secret
from studio_app.security.policy import Actor
from studio_app.services import sessions
from studio_app.settings import current_settings
from studio_app.state import session_cache
from studio_app.state.live import PRESENCE_TTL_SECONDS, presence, run_later

# Recording again this often keeps the registry entry alive without a Redis call on every event.
REFRESH_SECONDS = 300
# Expired sessions are found by this sweep (an ended session is announced at once, an expired one is not).
SWEEP_SECONDS = 60
_MEMO_MAX = 10_000
logger = logging.getLogger(__name__)
_recorded: dict[str, tuple[str, float]] = {}
# Set by the lifespan task: session ends are announced on other threads (the HTTP routes' too).
_loop: asyncio.AbstractEventLoop | None = None
_app: rx.App | None = None


class TabSession(rx.State):
    """The session this tab's personal states were loaded for: its id (no secret) and the socket that proved it."""

    _session_id: str = ""
    _user_id: str = ""
    _socket: str = ""

    def _unbind(self) -> None:
        self._session_id, self._user_id, self._socket = "", "", ""


def signed_in_channel(user_id: str) -> str:
    return f"signed-in:{user_id}"


def session_channel(session_id: str) -> str:
    return f"session:{session_id}"


async def remember_tab(client_token: str | None, actor: Actor) -> None:
    if not client_token:
        return
    now, key = time.monotonic(), f"{actor.user_id} {actor.session_id}"
    seen = _recorded.get(client_token)
    if seen is not None and seen[0] == key and seen[1] > now:
        return
    if len(_recorded) >= _MEMO_MAX:
        _recorded.clear()
    _recorded[client_token] = (key, now + min(REFRESH_SECONDS, PRESENCE_TTL_SECONDS / 2))
    await presence().join(signed_in_channel(actor.user_id), client_token, actor.user_id)
    await presence().join(session_channel(actor.session_id), client_token, actor.user_id)


async def tabs_of(user_id: str) -> list[str]:
    return list(await presence().tabs(signed_in_channel(user_id)))


def personal_states() -> list[type[rx.State]]:
    """Every state that holds what a signed-in person sees: the known list plus any state resolving a session."""
    from studio_app.state.session import SessionMixin
    from studio_app.state.signed_out import PERSONAL_STATES

    found, stack = dict.fromkeys(PERSONAL_STATES), [rx.State]
    while stack:
        for substate in stack.pop().get_substates():
            if issubclass(substate, SessionMixin):
                found.setdefault(substate)
            stack.append(substate)
    return list(found)


async def reset_personal_states(root: rx.State) -> None:
    for state_cls in personal_states():
        (await root.get_state(state_cls)).reset()


class SessionGuard(Middleware):
    """Before any event of a socket that has not proved its session yet, the hydration included."""

    async def preprocess(self, app, state, event):
        tab = await state.get_state(TabSession)
        socket = state.router_data.get("sid", "")
        if socket and tab._socket != socket:
            await _bind(state, tab, socket)
        return None


async def _bind(root: rx.State, tab: TabSession, socket: str) -> None:
    settings = current_settings()
    secret = read_session_secret(settings, root.router_data.get("headers", {}).get("cookie"))

    def resolve() -> Actor | None:
        with session_scope() as db:
            return sessions.resolve_session(db, settings, secret)

    actor = await asyncio.to_thread(resolve) if secret else None
    if (actor.session_id if actor else "") != tab._session_id:
        # Gone, or someone else's: nothing the tab showed before may reach this socket.
        await reset_personal_states(root)
        tab._unbind()
        if actor is not None:
            tab._session_id, tab._user_id = actor.session_id, actor.user_id
    tab._socket = socket
    if actor is not None:
        await remember_tab(root.router.session.client_token, actor)


async def bound_session_id(state: rx.State) -> str:
    if isinstance(state, StateProxy) and not state._is_mutable():
        async with state:  # a background task reads the binding under the tab's lock, as it is now
            return (await state.get_state(TabSession))._session_id
    return (await state.get_state(TabSession))._session_id


async def bound_actor(state: rx.State) -> Actor | None:
    """The live session this tab is bound to, or None (ended, or never proved by a cookie); cached per worker
    until any session ends (``state/session_cache.py``): a tab receiving pushes checks it per message."""
    return await session_cache.resolve_cached(current_settings(), await bound_session_id(state))


async def _reset_tabs(client_tokens: Iterable[str], still_bound, leave_to=None) -> int:
    """Connected or not, each tab whose binding ``still_bound(tab)`` is rewritten without personal data; an open
    one is then sent to the page ``leave_to(the page it showed)``."""
    app, reset = _app or RegistrationContext.get().app, 0
    token_manager = app.event_namespace._token_manager
    for client_token in client_tokens:
        try:
            async with app.modify_state(rx.BaseStateToken(ident=client_token, cls=TabSession)) as root:
                tab = await root.get_state(TabSession)
                if not still_bound(tab):  # the tab may belong to someone else by now
                    continue
                await reset_personal_states(root)
                tab._unbind()
                page = root.router.url.path or routes.HOME
            reset += 1
            if leave_to and await token_manager.is_token_connected(client_token):
                leave = Event.from_event_type(rx.redirect(leave_to(page)))
                await app.event_namespace.emit_update(StateUpdate(events=leave), client_token)
        except Exception:  # one broken tab must not keep the others' data
            logger.exception("could not reset the state of a tab")
        _recorded.pop(client_token, None)
    return reset


def forget_tabs_later(user_id: str, *, skip_token: str | None = None) -> None:
    """Reset the personal states of every other tab of ``user_id``, after the current handler returns
    (changing another tab while holding our own state's lock could deadlock, as in ``push_later``)."""
    run_later(forget_tabs(user_id, skip_token=skip_token))


async def forget_tabs(user_id: str, *, skip_token: str | None = None) -> int:
    """Every tab of an erased account."""
    channel = signed_in_channel(user_id)
    tabs = [token for token in await tabs_of(user_id) if token != skip_token]
    reset = await _reset_tabs(tabs, lambda tab: tab._user_id in ("", user_id),
                              leave_to=lambda page: f"{routes.HOME}?account=deleted")
    for client_token in tabs:
        await presence().leave(channel, client_token)
    return reset


async def forget_sessions(session_ids: Iterable[str]) -> int:
    """Every tab of sessions that ended."""
    reset = 0
    for session_id in session_ids:
        channel = session_channel(session_id)
        tabs = list(await presence().tabs(channel))
        reset += await _reset_tabs(tabs, lambda tab, session_id=session_id: tab._session_id == session_id,
                                   leave_to=lambda page: f"{routes.SIGN_IN}?error=signed-out&next={page}")
        for client_token in tabs:
            await presence().leave(channel, client_token)
    return reset


async def reset_disconnected(channels: Iterable[str], *, skip_token: str | None = None) -> int:
    """Tabs of these channels that are closed now keep nothing personal (an open one is refreshed by a push;
    a closed one reloads its page when it comes back)."""
    token_manager = (_app or RegistrationContext.get().app).event_namespace._token_manager
    closed = set()
    for channel in channels:
        for client_token in await presence().tabs(channel):
            if client_token != skip_token and not await token_manager.is_token_connected(client_token):
                closed.add(client_token)
                await presence().leave(channel, client_token)
    return await _reset_tabs(sorted(closed), lambda tab: True)


def _sessions_ended(session_ids: tuple[str, ...]) -> None:
    """A session-end listener (``services/sessions.py``): called on the thread that committed."""
    if _loop is None or _app is None or _loop.is_closed():
        return  # not serving (a command-line tool): no tab to reset

    def start() -> None:
        with _app.set_contexts():
            run_later(forget_sessions(session_ids))

    _loop.call_soon_threadsafe(start)


sessions.SESSION_END_LISTENERS.append(_sessions_ended)


async def session_end_loop(app: rx.App):
    """Lifespan task: ended sessions are announced by the services; expired ones are swept here, by one worker.

    Unlike the other periodic rounds it is not on the job queue: resetting a tab's state goes through
    ``app.modify_state`` and Reflex's state manager, which only the web process holds."""
    global _loop, _app
    _loop, _app = asyncio.get_running_loop(), app
    while True:
        await asyncio.sleep(SWEEP_SECONDS)
        try:
            if await presence().claim("session-sweep", SWEEP_SECONDS - 5):
                await forget_sessions(await _ended_sessions())
        except Exception:  # the next round tries again
            logger.exception("the sweep of ended sessions failed")


async def _ended_sessions() -> list[str]:
    prefix = session_channel("")
    known = [channel.removeprefix(prefix) for channel in await presence().channels(prefix)]

    def ended() -> list[str]:
        with session_scope() as db:
            return sessions.ended_among(db, known)

    return await asyncio.to_thread(ended) if known else []
