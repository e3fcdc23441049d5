"""The HTTP routes a websocket cannot serve, mounted in front of Reflex's ASGI app."""

from __future__ import annotations

from starlette.applications import Starlette
from starlette.routing import Mount, Route
from starlette.types import ASGIApp

from studio_app import routes
from studio_app.api.auth import sign_in_link_route, sign_in_route, sign_out_route
from studio_app.api.disclosures import disclosure_export_route
from studio_app.api.erasure import account_deleted_route
from studio_app.api.exports import download_export_route
from studio_app.api.health import health, ready
from studio_app.api.incidents import incident_report_route
from studio_app.api.mail_requests import confirm_mail_request_route
from studio_app.api.media import original_route, proxy_route
from studio_app.api.media_review import derush_edit_list_route, sprite_route, thumbnails_route
from studio_app.api.oauth import connection_callback_route, start_connection_route
from studio_app.api.request_metrics import RequestMetrics
from studio_app.api.uploads import create_route, delete_route, head_route, options_route, patch_route
from studio_app.logs import RequestContext
from studio_app.security.headers import SecurityHeadersMiddleware
from studio_app.settings import load_settings


def with_studio_routes(reflex_asgi: ASGIApp) -> ASGIApp:
    """Given to ``rx.App(api_transformer=...)``: our routes first, then Reflex, all with security headers, each
    request with an id for its log lines."""
    app = Starlette(
        routes=[
            Route("/api/health", health, methods=["GET"]),
            Route(routes.READY, ready, methods=["GET"]),
            Route(routes.SIGN_IN_POST, sign_in_route, methods=["POST"]),
            Route(routes.SIGN_OUT_POST, sign_out_route, methods=["POST"]),
            Route(routes.SIGN_IN_LINK_POST, sign_in_link_route, methods=["POST"]),
            Route(routes.MAIL_REQUEST_CONFIRM_POST, confirm_mail_request_route, methods=["POST"]),
            Route(routes.EXPORT_DOWNLOAD, download_export_route, methods=["GET"]),
            Route(routes.ACCOUNT_DELETED, account_deleted_route, methods=["GET"]),
            Route(routes.DISCLOSURE_EXPORT, disclosure_export_route, methods=["GET"]),
            Route(routes.UPLOADS, options_route, methods=["OPTIONS"]),
            Route(routes.UPLOADS, create_route, methods=["POST"]),
            Route(routes.UPLOAD, head_route, methods=["HEAD"]),
            Route(routes.UPLOAD, patch_route, methods=["PATCH"]),
            Route(routes.UPLOAD, delete_route, methods=["DELETE"]),
            Route(routes.UPLOAD, options_route, methods=["OPTIONS"]),
            Route(routes.MEDIA_ORIGINAL, original_route, methods=["GET", "HEAD"]),
            Route(routes.MEDIA_PROXY, proxy_route, methods=["GET", "HEAD"]),
            Route(routes.DERUSH_EDIT_LIST, derush_edit_list_route, methods=["GET"]),
            Route(routes.THUMBNAILS_VTT, thumbnails_route, methods=["GET"]),
            Route(routes.THUMBNAILS_SPRITE, sprite_route, methods=["GET"]),
            Route(routes.CONNECTION_START, start_connection_route, methods=["POST"]),
            Route(routes.CONNECTION_CALLBACK, connection_callback_route, methods=["GET"]),
            Route(routes.INCIDENT_REPORT, incident_report_route, methods=["GET"]),
            Mount("", app=reflex_asgi),
        ]
    )
    return RequestContext(RequestMetrics(SecurityHeadersMiddleware(app, load_settings()), app.routes))
