"""Connecting Discord and TikTok: the start route (a form post from our pages) and the provider's redirect back.

Start is a same-origin POST carrying the session cookie (as sign-out): another site cannot make a visitor start a
connection. The callback is a GET from the provider's page; what protects it is the one-use ``state`` bound to the
person who started it (services/connections.py).
"""

from __future__ import annotations

from urllib.parse import urlencode

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import PlainTextResponse, RedirectResponse, Response

from studio_app import routes
from studio_app.api.auth import MAX_FORM_BYTES, is_same_origin
from studio_app.database import session_scope
from studio_app.errors import UserError
from studio_app.models.connections import OAuthPurpose
from studio_app.security.cookies import read_session_secret
from studio_app.security.read_only import ReadOnlyMode
from studio_app.services import connections, sessions
from studio_app.settings import current_settings


async def start_connection_route(request: Request) -> Response:
    settings = current_settings()
    if not is_same_origin(request, settings.allowed_origins):
        return PlainTextResponse("Cross-site request refused.", status_code=403)
    if int(request.headers.get("content-length") or 0) > MAX_FORM_BYTES:
        return PlainTextResponse("Form too large.", status_code=413)
    form = await request.form()
    provider = request.path_params["provider"]
    purpose = str(form.get("purpose") or OAuthPurpose.ACCOUNT)
    project_id = str(form.get("project_id") or "") or None
    secret = read_session_secret(settings, request.headers.get("cookie"))

    def run() -> str:
        with session_scope() as session:
            actor = sessions.resolve_session(session, settings, secret)
            return connections.start_connection(session, actor, provider, purpose=purpose, project_id=project_id)

    try:
        url = await run_in_threadpool(run)
    except ReadOnlyMode:
        return _back("read_only", provider, purpose, project_id, signed_out=secret is None)
    except UserError:
        return _back("failed", provider, purpose, project_id, signed_out=secret is None)
    return _no_store(RedirectResponse(url, status_code=303))


async def connection_callback_route(request: Request) -> Response:
    settings = current_settings()
    provider = request.path_params["provider"]
    query = request.query_params
    secret = read_session_secret(settings, request.headers.get("cookie"))

    def run() -> connections.Finished:
        with session_scope() as session:
            actor = sessions.resolve_session(session, settings, secret)
            return connections.finish_connection(session, actor, provider, state=query.get("state"),
                                                 code=query.get("code"), error=query.get("error"))

    try:
        finished = await run_in_threadpool(run)
    except ReadOnlyMode:  # turned on between the start and the provider's answer: nothing was connected
        return _back("read_only", provider, OAuthPurpose.ACCOUNT, None, signed_out=secret is None)
    except UserError:
        return _back("failed", provider, OAuthPurpose.ACCOUNT, None, signed_out=secret is None)
    return _back(finished.outcome, provider, finished.purpose, finished.project_id)


def _back(outcome: str, provider: str, purpose: str, project_id: str | None, *, signed_out: bool = False
          ) -> Response:
    """To the page the connection was started from, with what happened (the page words it)."""
    if signed_out:
        return _no_store(RedirectResponse(f"{routes.SIGN_IN}?{urlencode({'next': routes.CONNECTIONS})}",
                                          status_code=303))
    page = routes.project_page(project_id) if purpose == OAuthPurpose.PROJECT_CHANNEL and project_id \
        else routes.CONNECTIONS
    query = urlencode({"outcome": outcome, "provider": provider})
    return _no_store(RedirectResponse(f"{page}?{query}", status_code=303))


def _no_store(response: Response) -> Response:
    response.headers["cache-control"] = "no-store"
    return response
