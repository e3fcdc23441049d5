"""The button of the page a request's confirmation link opens (a request sent to the privacy address by email)."""

from __future__ import annotations

from urllib.parse import urlencode

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import PlainTextResponse, RedirectResponse, Response

from studio_app import routes
from studio_app.api.auth import MAX_FORM_BYTES, is_same_origin
from studio_app.database import session_scope
from studio_app.services import mail_requests
from studio_app.services.validation import InvalidInput
from studio_app.settings import current_settings


async def confirm_mail_request_route(request: Request) -> Response:
    """A POST from the page, not the link's GET: a mail scanner opening links must not confirm anything for the
    person. Same-origin only; the outcome goes back to the page in the same words whether an account exists."""
    settings = current_settings()
    if not is_same_origin(request, settings.allowed_origins):
        return PlainTextResponse("Cross-site request refused.", status_code=403)
    if int(request.headers.get("content-length") or 0) > MAX_FORM_BYTES:
        return PlainTextResponse("Form too large.", status_code=413)
    token = str((await request.form()).get("token") or "")

    def run() -> str:
        try:
            with session_scope() as session:
                mail_requests.confirm(session, settings, token)
        except InvalidInput:
            return "invalid"
        return "confirmed"

    outcome = await run_in_threadpool(run)
    response = RedirectResponse(f"{routes.MAIL_REQUEST_CONFIRM}?{urlencode({'outcome': outcome})}", status_code=303)
    response.headers["cache-control"] = "no-store"
    return response
