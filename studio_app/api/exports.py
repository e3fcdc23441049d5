"""``GET /api/privacy/exports/{id}/download``: the person's data archive, decrypted as it streams.

Only the requester, only while the archive is ready and unexpired, and only within a few minutes of
re-entering their password; otherwise a short page says what to do. Memory stays flat: the sealed blob is
read and opened chunk by chunk.
"""

from __future__ import annotations

import html

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import HTMLResponse, Response, StreamingResponse

from studio_app import routes
from studio_app.database import session_scope
from studio_app.security.cookies import read_session_secret
from studio_app.security.crypto import DecryptionError
from studio_app.security.policy import NotAllowed
from studio_app.services import detection, exports, sessions
from studio_app.services.accounts import AccountError
from studio_app.settings import current_settings

_NO_STORE = {"cache-control": "no-store"}


def _page(status: int, title: str, text: str, link: str, link_text: str) -> HTMLResponse:
    body = (
        "<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\">"
        "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">"
        f"<title>{html.escape(title)} · Azekia Studio</title></head>"
        "<body style=\"font-family: system-ui, sans-serif; max-width: 36rem; margin: 3rem auto; padding: 0 1rem\">"
        f"<h1>{html.escape(title)}</h1><p>{html.escape(text)}</p>"
        f"<p><a href=\"{html.escape(link)}\">{html.escape(link_text)}</a></p></body></html>"
    )
    return HTMLResponse(body, status_code=status, headers=_NO_STORE)


async def download_export_route(request: Request) -> Response:
    settings = current_settings()
    secret = read_session_secret(settings, request.headers.get("cookie"))
    export_id = request.path_params["export_id"]

    def open_archive():
        with session_scope() as session:
            actor = sessions.resolve_session(session, settings, secret)
            if actor is None:
                return None
            _view, name, chunks = exports.open_export(session, actor, export_id)
        # Read (and authenticate) the first chunk before answering 200: a missing or altered blob is an error page.
        first = next(chunks, b"")
        return name, first, chunks

    try:
        opened = await run_in_threadpool(open_archive)
    except NotAllowed as error:
        return _page(404, "Archive not available", str(error), routes.PRIVACY_CENTER, "Go to your privacy center")
    except (DecryptionError, OSError) as error:
        if isinstance(error, DecryptionError):
            detection.report_integrity_failure("export")
        return _page(500, "Archive unreadable", "We could not read this archive back. Ask for a new one in your "
                     "privacy center.", routes.PRIVACY_CENTER, "Go to your privacy center")
    except AccountError:
        return _page(403, "Confirm your password first",
                     "For your security, downloading your data needs your password entered in the last 10 minutes. "
                     "Enter it in your privacy center, then use the download link there.",
                     routes.PRIVACY_CENTER, "Go to your privacy center")
    if opened is None:
        return _page(403, "Sign in to download your data", "Only the person who asked for this archive can "
                     "download it. Sign in, then open your privacy center.",
                     f"{routes.SIGN_IN}?next={routes.PRIVACY_CENTER}", "Sign in")
    name, first, chunks = opened

    def body():
        yield first
        yield from chunks

    headers = {"content-disposition": f'attachment; filename="{name}"', **_NO_STORE}
    return StreamingResponse(body(), media_type="application/zip", headers=headers)
