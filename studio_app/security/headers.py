"""Security headers on every HTTP response (Reflex sets none)."""

from __future__ import annotations

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from studio_app.settings import Settings


def content_security_policy(settings: Settings) -> str:
    websocket_origins = " ".join(
        origin.replace("https://", "wss://").replace("http://", "ws://") for origin in settings.allowed_origins
    )
    directives = {
        "default-src": "'self'",
        # The compiled React Router bundle boots with inline module scripts; no third-party script is allowed.
        "script-src": "'self' 'unsafe-inline'",
        # Radix Themes and emotion inject style elements at run time.
        "style-src": "'self' 'unsafe-inline'",
        "img-src": "'self' data: blob:",
        "font-src": "'self' data:",
        "media-src": "'self' blob:",
        "connect-src": f"'self' {websocket_origins}",
        "object-src": "'none'",
        "base-uri": "'self'",
        "form-action": "'self'",
        "frame-ancestors": "'none'",
    }
    return "; ".join(f"{name} {value}" for name, value in directives.items())


def security_headers(settings: Settings) -> list[tuple[bytes, bytes]]:
    headers = {
        "content-security-policy": content_security_policy(settings),
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

    def __init__(self, app: ASGIApp, settings: Settings):
        self.app = app
        self.headers = security_headers(settings)
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
