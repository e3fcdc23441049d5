"""What the Discord and TikTok clients share: one error type, the HTTP client they use by default, and how a
transport failure becomes a :class:`ProviderError`.

Clients never retry: the job queue decides, from ``retryable`` and ``retry_after``. No token, webhook URL or
upload URL ever goes into an error's text (httpx's own messages can quote the URL, so they are dropped).
"""

from __future__ import annotations

import contextlib

import httpx

from studio_app.settings import DiscordEndpoints, TikTokEndpoints

__all__ = ["DiscordEndpoints", "ProviderError", "TikTokEndpoints", "default_http", "json_object", "parse_retry_after",
           "send"]

TIMEOUT = httpx.Timeout(30.0, connect=10.0)


class ProviderError(Exception):
    """A provider call that failed. ``code`` is the provider's own (Discord's numeric JSON code as text, TikTok's
    ``error.code``, an OAuth ``error``), or ``http_<status>``, ``timeout``, ``connection``."""

    def __init__(self, provider: str, code: str, message: str, *, status: int | None = None,
                 retry_after: float | None = None, retryable: bool = False, needs_reconnect: bool = False):
        super().__init__(f"{provider} {code}: {message}")
        self.provider = provider
        self.code = code
        self.message = message
        self.status = status
        self.retry_after = retry_after
        self.retryable = retryable
        self.needs_reconnect = needs_reconnect


def default_http() -> httpx.Client:
    return httpx.Client(timeout=TIMEOUT, follow_redirects=False)


def send(http: httpx.Client, provider: str, method: str, url: str, **kwargs) -> httpx.Response:
    """One request; a time-out or a dropped connection becomes a retryable ProviderError."""
    try:
        return http.request(method, url, **kwargs)
    except httpx.TimeoutException:
        raise ProviderError(provider, "timeout", "the provider did not answer in time", retryable=True) from None
    except httpx.TransportError as error:
        raise ProviderError(provider, "connection", f"the connection failed ({type(error).__name__})",
                            retryable=True) from None


def parse_retry_after(response: httpx.Response, body_value: object = None) -> float | None:
    for value in (body_value, response.headers.get("retry-after")):
        with contextlib.suppress(TypeError, ValueError):
            if value is not None:
                return max(0.0, float(value))
    return None


def json_object(response: httpx.Response) -> dict:
    try:
        body = response.json()
    except ValueError:
        return {}
    return body if isinstance(body, dict) else {}
