"""What the Discord and TikTok clients share: one error type, the HTTP client they use by default, the authlib
OAuth 2 client for their token endpoints, and how a transport failure becomes a :class:`ProviderError`.

Clients never retry: the job queue decides, from ``retryable`` and ``retry_after``. No token, webhook URL or
upload URL ever goes into an error's text (httpx's own messages can quote the URL, so they are dropped).
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterator

import httpx
from authlib.integrations.httpx_client import OAuth2Client

from studio_app import metrics
from studio_app.settings import DiscordEndpoints, TikTokEndpoints

__all__ = ["DiscordEndpoints", "ProviderError", "TikTokEndpoints", "default_http", "json_object", "oauth_client",
           "parse_retry_after", "send", "transport_errors"]

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
        metrics.count_provider_error(provider, code)  # made to be raised: counted once, where it is made


def default_http() -> httpx.Client:
    return httpx.Client(timeout=TIMEOUT, follow_redirects=False)


def oauth_client(provider: str, *, client_id: str, client_secret: str, auth_method: str | tuple,
                 error: Callable[[httpx.Response], ProviderError]) -> OAuth2Client:
    """authlib's OAuth 2 client for a provider's token and revocation endpoints. A token answer that is not a
    token (an HTTP error, a rate limit, an OAuth ``error`` body) becomes ``error(response)`` before authlib parses
    it, so callers see the provider's code, retry-after and whether a new consent is needed."""
    method_name = auth_method if isinstance(auth_method, str) else auth_method[0]
    client = OAuth2Client(client_id=client_id, client_secret=client_secret, token_endpoint_auth_method=method_name,
                          revocation_endpoint_auth_method=method_name, timeout=TIMEOUT, follow_redirects=False)
    if not isinstance(auth_method, str):
        client.register_client_auth_method(auth_method)

    def only_tokens(response: httpx.Response) -> httpx.Response:
        if response.status_code != 200 or "access_token" not in json_object(response):
            raise error(response)
        return response

    client.register_compliance_hook("access_token_response", only_tokens)
    client.register_compliance_hook("refresh_token_response", only_tokens)
    return client


@contextlib.contextmanager
def transport_errors(provider: str) -> Iterator[None]:
    """A time-out or a dropped connection becomes a retryable ProviderError (httpx's text, which can quote the
    URL and so a token, is left out)."""
    try:
        yield
    except httpx.TimeoutException:
        raise ProviderError(provider, "timeout", "the provider did not answer in time", retryable=True) from None
    except httpx.TransportError as error:
        raise ProviderError(provider, "connection", f"the connection failed ({type(error).__name__})",
                            retryable=True) from None


def send(http: httpx.Client, provider: str, method: str, url: str, **kwargs) -> httpx.Response:
    with transport_errors(provider):
        return http.request(method, url, **kwargs)


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
