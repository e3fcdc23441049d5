"""Where a tab goes once its account is deleted: the dead session cookie is cleared, then the landing page."""

from __future__ import annotations

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from studio_app import routes
from studio_app.api.auth import clear_session_cookie
from studio_app.database import session_scope
from studio_app.security.cookies import read_session_secret
from studio_app.services import sessions
from studio_app.settings import current_settings


async def account_deleted_route(request: Request) -> Response:
    """A GET any page may link to: it clears only a cookie whose session no longer exists, so it cannot sign
    anybody out (no CSRF to fear), and it says nothing about any account."""
    settings = current_settings()
    secret = read_session_secret(settings, request.headers.get("cookie"))

    def alive() -> bool:
        with session_scope() as session:
            return sessions.resolve_session(session, settings, secret) is not None

    response = RedirectResponse(f"{routes.HOME}?account=deleted", status_code=303)
    if secret is not None and not await run_in_threadpool(alive):
        clear_session_cookie(response, settings)
    response.headers["cache-control"] = "no-store"
    return response
