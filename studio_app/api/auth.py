"""The two HTTP steps of signing in and out that a websocket cannot do: set and clear the HttpOnly cookie.

Credentials are checked over the (origin-checked) event socket, which hands the browser a 60-second,
single-use ticket; this route exchanges it for the session cookie. It accepts only same-origin
navigations, so another site cannot sign a visitor into an account of its choosing.
"""

from __future__ import annotations

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import RedirectResponse

from studio_app.database import session_scope
from studio_app.security.cookies import read_session_secret, session_cookie_name
from studio_app.security.urls import local_path
from studio_app.services.accounts import AccountError, start_session
from studio_app.services.sessions import ClientInfo
from studio_app.settings import current_settings

DEFAULT_AFTER_SIGN_IN = "/account"


def is_same_origin_navigation(request: Request, origins: tuple[str, ...]) -> bool:
    fetch_site = request.headers.get("sec-fetch-site")
    if fetch_site is not None:
        return fetch_site == "same-origin"
    referer = request.headers.get("referer", "")
    return any(referer == origin or referer.startswith(origin + "/") for origin in origins)


async def exchange_ticket(request: Request) -> RedirectResponse:
    settings = current_settings()
    if not is_same_origin_navigation(request, settings.allowed_origins):
        return RedirectResponse("/signin?error=cross-site", status_code=303)
    client = ClientInfo(ip_address=request.client.host if request.client else None,
                        user_agent=request.headers.get("user-agent"))
    previous = read_session_secret(settings, request.headers.get("cookie"))

    def exchange() -> str:
        with session_scope() as session:
            return start_session(session, settings, request.query_params.get("ticket", ""), client, previous)

    try:
        secret = await run_in_threadpool(exchange)
    except AccountError:
        return RedirectResponse("/signin?error=expired", status_code=303)
    response = RedirectResponse(local_path(request.query_params.get("next"), DEFAULT_AFTER_SIGN_IN), status_code=303)
    response.set_cookie(
        session_cookie_name(settings), secret, max_age=settings.session_max_days * 86400, path="/",
        secure=settings.is_https, httponly=True, samesite="lax",
    )
    response.headers["cache-control"] = "no-store"
    return response


async def clear_session_cookie(request: Request) -> RedirectResponse:
    """The session itself was already ended by the service; this only removes the dead cookie."""
    settings = current_settings()
    response = RedirectResponse(local_path(request.query_params.get("next"), "/"), status_code=303)
    response.delete_cookie(session_cookie_name(settings), path="/", secure=settings.is_https, httponly=True,
                           samesite="lax")
    return response
