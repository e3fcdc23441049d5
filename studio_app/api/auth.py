"""Sign in and sign out: the HTTP routes that set and clear the HttpOnly session cookie.

The forms post here directly (no JavaScript involved). Both routes accept only requests whose
Origin is one of ours, so another site cannot sign a visitor in or out (CSRF); the cookie is
SameSite=Lax as a second line.
"""

from __future__ import annotations

import logging
from urllib.parse import parse_qs, urlencode, urlsplit

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import PlainTextResponse, RedirectResponse, Response

from studio_app import metrics, routes
from studio_app.database import session_scope
from studio_app.security.cookies import read_session_secret, session_cookie_name
from studio_app.security.urls import local_path
from studio_app.services import sessions
from studio_app.services.accounts import (
    AccountError,
    RateLimited,
    SignInLinkOffered,
    sign_in,
    sign_in_with_link,
)
from studio_app.services.sessions import ClientInfo
from studio_app.settings import Settings, current_settings

MAX_FORM_BYTES = 16_384
# The sign-in page's words for each refusal (state/auth.py SIGN_IN_PROBLEMS); anything else reads as wrong credentials.
REFUSAL_REASONS = {"unverified": "unverified", "link": "link-invalid", "suspended": "suspended"}
logger = logging.getLogger(__name__)


def is_same_origin(request: Request, origins: tuple[str, ...]) -> bool:
    origin = request.headers.get("origin")
    if origin is not None:
        return origin in origins
    # Browsers send Origin on every cross-site POST; without one, fall back to Referer.
    referer = request.headers.get("referer", "")
    return any(referer == origin or referer.startswith(origin + "/") for origin in origins)


def _client(request: Request) -> ClientInfo:
    return ClientInfo(ip_address=request.client.host if request.client else None,
                      user_agent=request.headers.get("user-agent"))


def _next_of_sign_in_page(request: Request) -> str:
    """The ``next`` of the sign-in page the form was sent from: its hidden field is filled by the page's state,
    which a person who signs in quickly (or a browser's autofill) can beat."""
    referer = urlsplit(request.headers.get("referer", ""))
    if referer.path.rstrip("/") != routes.SIGN_IN:
        return ""
    return parse_qs(referer.query).get("next", [""])[0]


def _back_to_sign_in(reason: str, after: str, **extra: str | int) -> RedirectResponse:
    query = urlencode({"error": reason, **extra, "next": after})
    return RedirectResponse(f"{routes.SIGN_IN}?{query}", status_code=303)


async def sign_in_route(request: Request) -> Response:
    """The sign-in form: email and password."""
    return await _signing_in(request, lambda session, settings, form, client, previous: sign_in(
        session, settings, str(form.get("email") or ""), str(form.get("password") or ""), client, previous))


async def sign_in_link_route(request: Request) -> Response:
    """The button of the page a mailed one-time sign-in link opens. A POST, not the link's GET: a mail scanner that
    opens links would use it up, and another site could sign a visitor into an account of its choosing."""
    return await _signing_in(request, lambda session, settings, form, client, previous: sign_in_with_link(
        session, settings, str(form.get("token") or ""), client, previous))


async def _signing_in(request: Request, service) -> Response:
    """Same-origin form posts only; on success a new session cookie and a redirect to a local page (never an open
    redirect), else back to the sign-in page with the reason."""
    settings = current_settings()
    if not is_same_origin(request, settings.allowed_origins):
        return PlainTextResponse("Cross-site request refused.", status_code=403)
    if int(request.headers.get("content-length") or 0) > MAX_FORM_BYTES:
        return PlainTextResponse("Form too large.", status_code=413)
    form = await request.form()
    after = local_path(str(form.get("next") or "") or _next_of_sign_in_page(request), routes.DASHBOARD)
    previous = read_session_secret(settings, request.headers.get("cookie"))

    def run() -> str:
        with session_scope() as session:
            return service(session, settings, form, _client(request), previous)

    try:
        secret = await run_in_threadpool(run)
    except RateLimited as limited:
        return _refused("limited", after, wait=limited.retry_after_seconds)
    except SignInLinkOffered:
        metrics.count_signin_failure("ceiling")
        return _back_to_sign_in("link-sent", after)
    except AccountError as error:
        return _refused(REFUSAL_REASONS.get(error.field, "credentials"), after)
    # Security events for the log (and its collector): the request's id, never who or from where.
    logger.info("signed in", extra={"event": "signed in"})
    response = RedirectResponse(after, status_code=303)
    _set_session_cookie(response, settings, secret)
    return response


def _refused(reason: str, after: str, **details) -> Response:
    logger.warning("sign-in refused: %s", reason, extra={"event": "sign-in refused"})
    metrics.count_signin_failure(reason)
    return _back_to_sign_in(reason, after, **details)


async def sign_out_route(request: Request) -> Response:
    """Ends this browser's session (or, with ``everywhere``, all of the account's) and clears the cookie."""
    settings = current_settings()
    if not is_same_origin(request, settings.allowed_origins):
        return PlainTextResponse("Cross-site request refused.", status_code=403)
    secret = read_session_secret(settings, request.headers.get("cookie"))
    everywhere = request.query_params.get("everywhere") == "1"

    def run() -> None:
        with session_scope() as session:
            actor = sessions.resolve_session(session, settings, secret)
            if everywhere and actor is not None:
                sessions.revoke_all_sessions(session, actor.user_id, actor_id=actor.user_id)
            else:
                sessions.end_session(session, secret)

    await run_in_threadpool(run)
    response = RedirectResponse(routes.HOME, status_code=303)
    clear_session_cookie(response, settings)
    return response


def clear_session_cookie(response: Response, settings: Settings) -> None:
    response.delete_cookie(session_cookie_name(settings), path="/", secure=settings.is_https, httponly=True,
                           samesite="lax")


def _set_session_cookie(response: Response, settings: Settings, secret: str) -> None:
    response.set_cookie(
        session_cookie_name(settings), secret, max_age=settings.session_max_days * 86400, path="/",
        secure=settings.is_https, httponly=True, samesite="lax",
    )
    response.headers["cache-control"] = "no-store"
