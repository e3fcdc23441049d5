"""Security headers on every HTTP response (Reflex sets none)."""

from __future__ import annotations

import base64
import hashlib
import os
import re
from collections.abc import Iterable
from pathlib import Path
from urllib.parse import urlsplit

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from studio_app.settings import PROJECT_ROOT, Settings


def frontend_build() -> Path:
    """Where `reflex run --env prod` writes the pages it serves: `.web` in the project folder, or the folder
    Reflex's own REFLEX_WEB_WORKDIR names (a second app built apart, as the Redis e2e tests do)."""
    return PROJECT_ROOT / os.environ.get("REFLEX_WEB_WORKDIR", ".web") / "build" / "client"


_SCRIPT = re.compile(r"<script\b([^>]*)>(.*?)</script\s*>", re.IGNORECASE | re.DOTALL)
_SRC = re.compile(r"\bsrc\s*=", re.IGNORECASE)


def inline_script_hashes(build_dir: Path) -> list[str]:
    """CSP sources ('sha256-...') of every inline script in the built pages, sorted; none without a build.

    The prerendered pages boot React Router with inline scripts that only change when the frontend is built
    again, and a build is never changed under a running server: hashing them at start-up lets exactly those run.
    """
    hashes = {
        "'sha256-" + base64.b64encode(hashlib.sha256(body.encode()).digest()).decode() + "'"
        for page in build_dir.rglob("*.html")
        for attributes, body in _SCRIPT.findall(page.read_text(encoding="utf-8"))
        if not _SRC.search(attributes)
    }
    return sorted(hashes)


def consent_origins(settings: Settings) -> list[str]:
    """Where the providers' consent pages are (the sandbox's, or discord.com and www.tiktok.com)."""
    origins = []
    for url in (settings.discord.base_url, settings.tiktok.auth_url):
        parts = urlsplit(url)
        origin = f"{parts.scheme}://{parts.netloc}"
        if origin not in origins:
            origins.append(origin)
    return origins


def content_security_policy(settings: Settings, script_hashes: Iterable[str] = ()) -> str:
    websocket_origins = " ".join(
        origin.replace("https://", "wss://").replace("http://", "ws://") for origin in settings.allowed_origins
    )
    directives = {
        "default-src": "'self'",
        # Our bundle, and the inline scripts of the built pages by hash: an injected inline script does not run.
        # No 'unsafe-eval' (see README, Content Security Policy).
        "script-src": " ".join(["'self'", *script_hashes]),
        # Radix Themes and emotion inject style elements at run time.
        "style-src": "'self' 'unsafe-inline'",
        "img-src": "'self' data: blob:",
        "font-src": "'self' data:",
        "media-src": "'self' blob:",
        "connect-src": f"'self' {websocket_origins}",
        "object-src": "'none'",
        "base-uri": "'self'",
        # The connect buttons post to our start route, which redirects to the provider's consent page: browsers
        # check form-action on that redirect too (api/oauth.py).
        "form-action": " ".join(["'self'", *consent_origins(settings)]),
        "frame-ancestors": "'none'",
    }
    return "; ".join(f"{name} {value}" for name, value in directives.items())


def security_headers(settings: Settings, script_hashes: Iterable[str] = ()) -> list[tuple[bytes, bytes]]:
    headers = {
        "content-security-policy": content_security_policy(settings, script_hashes),
        "x-content-type-options": "nosniff",
        "referrer-policy": "strict-origin-when-cross-origin",
        "x-frame-options": "DENY",
        "permissions-policy": "camera=(), microphone=(), geolocation=(), payment=()",
        "cross-origin-opener-policy": "same-origin",
    }
    if settings.is_https:
        headers["strict-transport-security"] = "max-age=31536000; includeSubDomains"
    return [(name.encode(), value.encode()) for name, value in headers.items()]


class SecurityHeadersMiddleware:
    """Pure ASGI: adds the headers to every HTTP response, replacing any the app set."""

    def __init__(self, app: ASGIApp, settings: Settings, built_pages: Path | None = None):
        self.app = app
        self.headers = security_headers(settings, inline_script_hashes(built_pages or frontend_build()))
        self.names = {name for name, _ in self.headers}

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                kept = [(k, v) for k, v in message.get("headers", []) if k.lower() not in self.names]
                message = {**message, "headers": kept + self.headers}
            await send(message)

        await self.app(scope, receive, send_with_headers)
