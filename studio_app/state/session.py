"""Who is signed in, resolved again on every protected call, and the one way a handler runs a service:
``@user_action`` around the handler, ``self._call(service, ...)`` inside it.

The HttpOnly cookie reaches the socket's headers when it connects; ``state/tabs.py`` checks it on the socket's
first event and binds the tab to that session's id. Handlers (and pushes from other tabs, which carry no
cookie) resolve the bound session, so a revoked or expired one stops at once; nothing secret is stored in state.
"""

from __future__ import annotations

import asyncio
import functools
import inspect
import logging
import secrets
from collections.abc import Callable
from typing import Any, TypeVar

import reflex as rx

from studio_app import error_reports, routes
from studio_app.database import session_scope
from studio_app.errors import UserError
from studio_app.security.crypto import DecryptionError
from studio_app.security.log_redaction import describe_exception
from studio_app.security.policy import Actor
from studio_app.services import detection
from studio_app.services.sessions import ClientInfo, resolve_session_id_until
from studio_app.settings import current_settings
from studio_app.state import session_cache
from studio_app.state.tabs import bound_actor, bound_session_id, remember_tab

Result = TypeVar("Result")
logger = logging.getLogger(__name__)

PLAIN_PROBLEM = "Something went wrong on our side and nothing was changed. Please try again in a moment."


async def in_transaction(work: Callable[..., Result], *args: Any, **kwargs: Any) -> Result:
    """Run ``work(db_session, *args, **kwargs)`` in one transaction on a worker thread (never blocking the socket
    loop)."""

    def run() -> Result:
        with session_scope() as session:
            return work(session, *args, **kwargs)

    return await asyncio.to_thread(run)


class SignedOut(Exception):
    """No live session behind this tab; ``@user_action`` turns it into the sign-in page."""


class ProblemState(rx.State):
    """The plain message every page's frame shows when a handler failed unexpectedly (the details are logged).

    Reflex's own error report is a toast the Content-Security-Policy blocks, so without this nobody would see it.
    """

    message: str = ""

    @rx.event
    def dismiss(self):
        self.message = ""

    @rx.event
    def show_reference(self, reference: str):
        """Sent back by the backend's exception handler (``state/errors.py``) with the reference it logged."""
        self._show(reference)

    def _show(self, reference: str) -> None:
        self.message = f"{PLAIN_PROBLEM} (reference {str(reference)[:8]})"


def log_failure(where: str, error: BaseException) -> str:
    """Log an unexpected failure as one line without personal data (the handler, the exception's type and where it
    was raised, never its message); returns the short reference the person is shown."""
    reference = secrets.token_hex(4)
    logger.error("event failed in %s: %s [ref %s]", where, describe_exception(error), reference)
    error_reports.capture(error)  # with its frames, when error monitoring is on
    if isinstance(error, DecryptionError):  # a sealed value that does not open: altered data or a wrong key
        detection.report_integrity_failure("field")
    return reference


class SessionMixin(rx.State, mixin=True):
    def _client(self) -> ClientInfo:
        return ClientInfo(ip_address=self.router.session.client_ip or None, user_agent=self.router.headers.user_agent)

    async def _call(self, work: Callable[..., Result], *args: Any, **kwargs: Any) -> Result:
        """``work(db_session, actor, *args, **kwargs)`` for the person signed in on this tab, in one transaction
        with resolving their session; raises ``SignedOut`` when there is none (``@user_action`` handles it)."""
        settings, session_id = current_settings(), await bound_session_id(self)
        # Cached per worker until any session ends (state/session_cache.py); resolved in the same transaction
        # as the work otherwise.
        cached, generation = await session_cache.lookup(session_id)

        def as_actor(session):
            if cached is not None:
                return cached, work(session, cached, *args, **kwargs)
            found = resolve_session_id_until(session, settings, session_id)
            session_cache.remember(session_id, found, generation)
            return (None, None) if found is None else (found[0], work(session, found[0], *args, **kwargs))

        actor, result = await in_transaction(as_actor)
        if actor is None:
            raise SignedOut
        await self._remember(actor)
        return result

    async def _actor(self) -> Actor | None:
        """The signed-in person or None, for code that only needs to know who it is (tab bookkeeping, pushes)."""
        actor = await bound_actor(self)
        if actor is not None:
            await self._remember(actor)
        return actor

    async def _remember(self, actor: Actor) -> None:
        # Which tabs hold this session's data: they are reset when it ends (state/tabs.py).
        await remember_tab(self.router.session.client_token, actor)

    def _to_sign_in(self):
        return rx.redirect(f"{routes.SIGN_IN}?next={self.router.url.path or routes.ACCOUNT}")


def user_action(handler: Callable | None = None, *, scope: str | Callable[..., str] = "form",
                busy: str | tuple[str, str] | None = None, qualified: bool = False, fields: bool = True):
    """Wrap a handler (under ``@rx.event``) of a state: the one place that turns what a service raises into what
    the person sees.

    - ``SignedOut`` (from ``self._call``): the state forgets what it showed and the browser goes to sign-in;
    - ``UserError``: its message goes to ``self.errors[field]``, or ``self.errors[scope]`` when it names no field
      (``qualified``: always ``"{scope}:{field or 'form'}"``, for pages with several forms using the same field
      names; ``fields=False``: always ``scope``, for a page with one message place); a state without ``errors``
      shows it in the frame's message;
    - anything else: logged without its message or values (they can hold personal data) and a plain message.
    ``scope`` may be a function of the handler's arguments. ``busy`` names a bool var that is true while the
    handler runs (its button shows it and is disabled), or is ``(str var, value)`` for a page with several forms;
    the update is sent before the service is called.
    ``self.errors`` is emptied when the handler starts. Coroutines stay coroutines (pushes await them);
    async generators and ``busy`` handlers become async generators. The signature Reflex reads (argument names
    and annotations, for payloads and event triggers) is the handler's own, through ``functools.wraps``.
    """

    def decorate(fn: Callable) -> Callable:
        if not (inspect.iscoroutinefunction(fn) or inspect.isasyncgenfunction(fn)):
            raise TypeError(f"@user_action needs an async handler: {fn.__qualname__}")

        busy_var, busy_value, idle_value = (busy, True, False) if isinstance(busy, str) else (*(busy or ("", "")), "")

        def start(state) -> None:
            if "errors" in state.base_vars and state.errors:
                state.errors = {}
            if busy:
                setattr(state, busy_var, busy_value)

        async def fail(state, error: Exception, args, kwargs):
            if isinstance(error, SignedOut):
                state.reset()
                return state._to_sign_in()
            if isinstance(error, UserError):
                if "errors" in state.base_vars:
                    key = str(scope(*args, **kwargs)) if callable(scope) else scope
                    field = f"{key}:{error.field or 'form'}" if qualified else (error.field if fields else None) or key
                    state.errors = {field: error.message}
                else:
                    (await state.get_state(ProblemState)).message = error.message
                return None
            (await state.get_state(ProblemState))._show(log_failure(fn.__qualname__, error))
            return None

        if inspect.isasyncgenfunction(fn) or busy:

            @functools.wraps(fn)
            async def generator(self, *args, **kwargs):
                start(self)
                try:
                    if busy:
                        yield
                    if inspect.isasyncgenfunction(fn):
                        async for event in fn(self, *args, **kwargs):
                            yield event
                    else:
                        event = await fn(self, *args, **kwargs)
                        if event is not None:
                            yield event
                except Exception as error:  # sorted in fail: nothing escapes unreported
                    event = await fail(self, error, args, kwargs)
                    if event is not None:
                        yield event
                finally:
                    if busy:
                        setattr(self, busy_var, idle_value)

            return generator

        @functools.wraps(fn)
        async def coroutine(self, *args, **kwargs):
            start(self)
            try:
                return await fn(self, *args, **kwargs)
            except Exception as error:  # sorted in fail: nothing escapes unreported
                return await fail(self, error, args, kwargs)

        return coroutine

    return decorate(handler) if handler is not None else decorate
