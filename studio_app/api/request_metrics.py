"""ASGI middleware: how long each HTTP request took, by route template (``/api/media/{file_id}``, never the path
with its ids), method and status, for the metrics (``metrics.py``)."""

from __future__ import annotations

import time
from collections.abc import Sequence

from starlette.routing import BaseRoute, Match, Route

from studio_app import metrics

_METHODS = {"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"}


class RequestMetrics:
    def __init__(self, app, routes: Sequence[BaseRoute]):
        self.app = app
        # Reflex's own app is mounted last at "" and takes every other path: its pages and files count as one.
        self.routes = [route for route in routes if isinstance(route, Route)]

    def route_of(self, scope) -> str:
        for route in self.routes:
            match, _ = route.matches(scope)
            if match != Match.NONE:  # PARTIAL: the path matched, not the method (405)
                return route.path
        return "reflex"

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        started, status = time.perf_counter(), 500

        async def send_and_note(message):
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            await send(message)

        try:
            await self.app(scope, receive, send_and_note)
        finally:
            method = scope["method"] if scope["method"] in _METHODS else "other"
            metrics.observe_http(self.route_of(scope), method, status, time.perf_counter() - started)


