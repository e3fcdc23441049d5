"""``GET /api/admin/incidents/{id}/report.json`` and ``.pdf``: the report to the data protection authority, as a
download, for admins only (the service decides; anyone else gets a 404, so incident ids are no oracle)."""

from __future__ import annotations

import json

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response

from studio_app.database import session_scope
from studio_app.errors import NotFound, UserError
from studio_app.security.cookies import read_session_secret
from studio_app.security.policy import NotAllowed
from studio_app.services import incidents, sessions
from studio_app.services.incident_report import report_lines
from studio_app.services.pdf import text_pdf
from studio_app.settings import current_settings

_HEADERS = {"cache-control": "no-store"}


async def incident_report_route(request: Request) -> Response:
    settings = current_settings()
    secret = read_session_secret(settings, request.headers.get("cookie"))
    incident_id, fmt = request.path_params["incident_id"], request.path_params["format"]
    if fmt not in ("json", "pdf"):
        return PlainTextResponse("Not found.", status_code=404, headers=_HEADERS)

    def produce() -> dict:
        with session_scope() as session:
            actor = sessions.resolve_session(session, settings, secret)
            return incidents.report_downloaded(session, actor, incident_id, fmt)

    try:
        report = await run_in_threadpool(produce)
    except (NotAllowed, NotFound):
        return PlainTextResponse("Not found.", status_code=404, headers=_HEADERS)
    except UserError as error:  # not assessed yet, or late without its reasons: the console says what to do
        return PlainTextResponse(error.message, status_code=409, headers=_HEADERS)
    name = f"incident-{report['incident']['id']}-authority-report.{fmt}"
    headers = {"content-disposition": f'attachment; filename="{name}"', **_HEADERS}
    if fmt == "json":
        return Response(json.dumps(report, indent=2, ensure_ascii=False), media_type="application/json",
                        headers=headers)
    pdf = text_pdf("Personal data breach: report to the supervisory authority", report_lines(report))
    return Response(pdf, media_type="application/pdf", headers=headers)
