"""``GET /api/admin/disclosures/{id}/export``: the ZIP of exactly what a register entry disclosed.

Admins only, within a few minutes of re-entering their password (services/disclosures.py decides). The archive is
written to a temporary file that spills to disk past a few MiB, then streamed; it is deleted once sent.
"""

from __future__ import annotations

import tempfile

from starlette.background import BackgroundTask
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import Response, StreamingResponse

from studio_app import routes
from studio_app.api.exports import _NO_STORE, _page
from studio_app.database import session_scope
from studio_app.errors import UserError
from studio_app.security.cookies import read_session_secret
from studio_app.services import disclosures, sessions
from studio_app.services.accounts import AccountError
from studio_app.settings import current_settings

SPOOL_BYTES = 8 * 1024 * 1024
CHUNK = 256 * 1024


async def disclosure_export_route(request: Request) -> Response:
    settings = current_settings()
    secret = read_session_secret(settings, request.headers.get("cookie"))
    disclosure_id = request.path_params["disclosure_id"]
    spool = tempfile.SpooledTemporaryFile(max_size=SPOOL_BYTES)  # noqa: SIM115 (closed after the response is sent)

    def build() -> str | None:
        with session_scope() as session:
            actor = sessions.resolve_session(session, settings, secret)
            if actor is None:
                return None
            return disclosures.write_disclosure_export(session, actor, disclosure_id, spool,
                                                       public_url=settings.public_url)

    back = routes.ADMIN_DISCLOSURES
    try:
        name = await run_in_threadpool(build)
    except AccountError:
        spool.close()
        return _page(403, "Confirm your password first", "Exporting disclosed data needs your password entered in "
                     "the last 10 minutes. Enter it on the disclosures page, then export again.", back,
                     "Go to the disclosure register")
    except UserError as error:
        spool.close()
        return _page(404, "Export not available", error.message, back, "Go to the disclosure register")
    if name is None:
        spool.close()
        return _page(403, "Sign in first", "Only admins can export disclosed data.",
                     f"{routes.SIGN_IN}?next={back}", "Sign in")
    spool.seek(0)

    def body():
        while chunk := spool.read(CHUNK):
            yield chunk

    headers = {"content-disposition": f'attachment; filename="{name}"', **_NO_STORE}
    return StreamingResponse(body(), media_type="application/zip", headers=headers,
                             background=BackgroundTask(spool.close))
