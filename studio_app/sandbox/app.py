"""The sandbox's one ASGI app: Discord under ``/discord``, TikTok under ``/tiktok``, the control API under
``/_sandbox`` (guarded by the shared secret in ``X-Sandbox-Secret``: the sandbox may be reachable by others)."""

from __future__ import annotations

import hashlib
import secrets
from typing import Any

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from studio_app.sandbox import discord, tiktok
from studio_app.sandbox.core import FAULT_KINDS, ROUTES, Sandbox

SECRET_HEADER = "X-Sandbox-Secret"
MAX_TIMES = 1000


def create_app(sandbox: Sandbox | None = None) -> Starlette:
    sandbox = sandbox or Sandbox()
    discord_api, tiktok_api = discord.Api(sandbox), tiktok.Api(sandbox)
    control = Control(sandbox, tiktok_api)
    control_routes = [
        Route("/_sandbox/health", control.health, methods=["GET"]),
        Route("/_sandbox/faults", control.faults, methods=["GET", "POST", "DELETE"]),
        Route("/_sandbox/reset", control.reset, methods=["POST"]),
        Route("/_sandbox/clock", control.clock, methods=["POST"]),
        Route("/_sandbox/config", control.config, methods=["POST"]),
        Route("/_sandbox/state", control.state, methods=["GET"]),
        Route("/_sandbox/discord/webhooks/{webhook_id}", control.delete_webhook, methods=["DELETE"]),
        Route("/_sandbox/sink", control.sink, methods=["PUT"]),
    ]
    app = Starlette(routes=[*discord.routes(discord_api), *tiktok.routes(tiktok_api), *control_routes])
    app.state.sandbox = sandbox
    return app


def _problem(message: str, status: int = 400) -> JSONResponse:
    return JSONResponse({"error": message}, status_code=status)


class Control:
    def __init__(self, sandbox: Sandbox, tiktok_api: tiktok.Api):
        self.sb = sandbox
        self.tiktok = tiktok_api

    def _allowed(self, request: Request) -> bool:
        given = request.headers.get(SECRET_HEADER, "")
        return bool(self.sb.secret) and secrets.compare_digest(given, self.sb.secret)

    async def _body(self, request: Request) -> dict[str, Any] | None:
        try:
            body = await request.json()
        except ValueError:
            return None
        return body if isinstance(body, dict) else None

    async def health(self, _request: Request) -> Response:
        return JSONResponse({"ok": True})

    async def faults(self, request: Request) -> Response:
        if not self._allowed(request):
            return _problem("the sandbox control API needs the shared secret", 403)
        if request.method == "DELETE":
            self.sb.faults.clear()
        elif request.method == "POST":
            body = await self._body(request)
            if body is None:
                return _problem("a JSON object is expected")
            added = self._add_fault(body)
            if isinstance(added, str):
                return _problem(added)
            return JSONResponse(added, status_code=201)
        return JSONResponse({"faults": [fault.public() for fault in self.sb.faults], "routes": list(ROUTES),
                             "kinds": list(FAULT_KINDS)})

    def _add_fault(self, body: dict[str, Any]) -> dict[str, Any] | str:
        route, kind = body.pop("route", None), body.pop("kind", None)
        provider = body.pop("provider", None)
        if route not in ROUTES:
            return f"route must be one of {', '.join(ROUTES)}"
        if provider is not None and provider != route.split(".", 1)[0]:
            return "provider does not match the route"
        if kind not in FAULT_KINDS:
            return f"kind must be one of {', '.join(FAULT_KINDS)}"
        if (kind == "publish_failed") != (route == "tiktok.publish"):
            return "publish_failed goes with the route tiktok.publish (and only it)"
        times, retry_after = body.pop("times", 1), body.pop("retry_after", 1.0)
        if not isinstance(times, int) or not 0 < times <= MAX_TIMES:
            return f"times must be a whole number from 1 to {MAX_TIMES}"
        if not isinstance(retry_after, int | float) or retry_after < 0:
            return "retry_after must be a number of seconds"
        return self.sb.add_fault(route, kind, times, float(retry_after), body).public()

    async def reset(self, request: Request) -> Response:
        if not self._allowed(request):
            return _problem("the sandbox control API needs the shared secret", 403)
        self.sb.reset()
        return JSONResponse({"ok": True})

    async def clock(self, request: Request) -> Response:
        if not self._allowed(request):
            return _problem("the sandbox control API needs the shared secret", 403)
        body = await self._body(request) or {}
        seconds = body.get("advance_seconds")
        if not isinstance(seconds, int | float) or seconds < 0:
            return _problem("advance_seconds must be a number of seconds (not negative)")
        self.sb.advance(float(seconds))
        return JSONResponse({"offset": self.sb.offset, "now": self.sb.now()})

    async def config(self, request: Request) -> Response:
        if not self._allowed(request):
            return _problem("the sandbox control API needs the shared secret", 403)
        body = await self._body(request) or {}
        if "audited" in body:
            self.sb.audited = bool(body["audited"])
        if "publish_seconds" in body:
            seconds = body["publish_seconds"]
            if not isinstance(seconds, int | float) or seconds < 0:
                return _problem("publish_seconds must be a number of seconds (not negative)")
            self.sb.publish_seconds = float(seconds)
        return JSONResponse({"audited": self.sb.audited, "publish_seconds": self.sb.publish_seconds})

    async def state(self, request: Request) -> Response:
        if not self._allowed(request):
            return _problem("the sandbox control API needs the shared secret", 403)
        state = self.sb.state()
        state["tiktok"]["published"] = self.tiktok.published()
        return JSONResponse(state)

    async def sink(self, request: Request) -> Response:
        """Reads and hashes a body like the TikTok upload host does, with no rule: the baseline the upload
        benchmark compares publishing with (a raw PUT of the same bytes)."""
        if not self._allowed(request):
            return _problem("the sandbox control API needs the shared secret", 403)
        hasher, received = hashlib.sha256(), 0
        async for piece in request.stream():
            received += len(piece)
            hasher.update(piece)
        return JSONResponse({"bytes": received, "sha256": hasher.hexdigest()})

    async def delete_webhook(self, request: Request) -> Response:
        """Someone deleted the webhook in Discord: later executions answer 404 / 10015."""
        if not self._allowed(request):
            return _problem("the sandbox control API needs the shared secret", 403)
        removed = self.sb.discord["webhooks"].pop(request.path_params["webhook_id"], None)
        return Response(status_code=204 if removed else 404)


app = create_app()
