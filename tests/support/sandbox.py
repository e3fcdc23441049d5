"""The provider sandbox (``python -m studio_app.sandbox``) as a real server for tests, and helpers to drive it.

``sandbox_server`` runs one per test process (session); ``sandbox`` is the same server, reset before each test.
Import both fixtures where needed (tests/conftest.py does for every test).
"""

from __future__ import annotations

import dataclasses
import secrets
from collections.abc import Iterator
from html.parser import HTMLParser
from typing import Any
from urllib.parse import parse_qsl, urljoin, urlsplit

import httpx
import pytest

from studio_app.sandbox.app import SECRET_HEADER
from studio_app.settings import (
    SANDBOX_DISCORD_BOT_TOKEN,
    SANDBOX_DISCORD_CLIENT_ID,
    SANDBOX_DISCORD_CLIENT_SECRET,
    SANDBOX_TIKTOK_CLIENT_KEY,
    SANDBOX_TIKTOK_CLIENT_SECRET,
    DiscordEndpoints,
    TikTokEndpoints,
)
from tests.support.servers import free_port, python_command, running_process

PROVIDER_NAMES = {"discord": "Discord", "tiktok": "TikTok"}


@dataclasses.dataclass(frozen=True)
class AuthorizationRedirect:
    """Where a consent page sent the browser back: the app's redirect_uri with code and state (or error)."""

    url: str
    params: dict[str, str]

    @property
    def code(self) -> str | None:
        return self.params.get("code")

    @property
    def state(self) -> str | None:
        return self.params.get("state")

    @property
    def error(self) -> str | None:
        return self.params.get("error")


@dataclasses.dataclass(frozen=True)
class SandboxServer:
    url: str
    secret: str = dataclasses.field(repr=False)

    def control(self, method: str, path: str, json: dict[str, Any] | None = None) -> Any:
        response = httpx.request(method, f"{self.url}/_sandbox/{path}", json=json,
                                 headers={SECRET_HEADER: self.secret}, timeout=10)
        response.raise_for_status()
        return response.json() if response.content else None

    def reset(self) -> None:
        self.control("POST", "reset")
        self.control("POST", "config", {"audited": False, "publish_seconds": 0.3})

    def inject(self, route: str, kind: str, times: int = 1, **extra: Any) -> dict[str, Any]:
        return self.control("POST", "faults", {"route": route, "kind": kind, "times": times, **extra})

    def clear_faults(self) -> None:
        self.control("DELETE", "faults")

    def state(self) -> dict[str, Any]:
        return self.control("GET", "state")

    def advance_clock(self, seconds: float) -> None:
        self.control("POST", "clock", {"advance_seconds": seconds})

    def configure(self, **config: Any) -> dict[str, Any]:
        """``audited`` (may post other than SELF_ONLY), ``publish_seconds`` (from upload to a final status)."""
        return self.control("POST", "config", config)

    def delete_webhook(self, webhook_id: str) -> None:
        self.control("DELETE", f"discord/webhooks/{webhook_id}")

    def settings_env(self) -> dict[str, str]:
        """The STUDIO_* variables that point an app at this sandbox (and keep it from starting its own)."""
        return {"STUDIO_SANDBOX_URL": self.url, "STUDIO_SANDBOX_SECRET": self.secret}

    @property
    def discord_endpoints(self) -> DiscordEndpoints:
        return DiscordEndpoints(base_url=f"{self.url}/discord", client_id=SANDBOX_DISCORD_CLIENT_ID,
                                client_secret=SANDBOX_DISCORD_CLIENT_SECRET, bot_token=SANDBOX_DISCORD_BOT_TOKEN,
                                is_sandbox=True)

    @property
    def tiktok_endpoints(self) -> TikTokEndpoints:
        return TikTokEndpoints(auth_url=f"{self.url}/tiktok/www", api_url=f"{self.url}/tiktok/open",
                               client_key=SANDBOX_TIKTOK_CLIENT_KEY, client_secret=SANDBOX_TIKTOK_CLIENT_SECRET,
                               is_sandbox=True)

    def authorize(self, provider: str, url: str, persona: str | None = None, *, cancel: bool = False,
                  refuses_dms: bool = False, channel: str | None = None) -> AuthorizationRedirect:
        """Walk a consent page over HTTP as a person would: open ``url``, fill the form, press Authorize (or
        Cancel). ``provider`` ("discord" or "tiktok") only checks the page belongs to it."""
        with httpx.Client(timeout=10) as http:
            page = http.get(url)
            page.raise_for_status()
            form = _Form()
            form.feed(page.text)
            if f"Sandbox {PROVIDER_NAMES[provider]}" not in page.text:
                raise AssertionError(f"{url} is not the {provider} consent page")
            fields = dict(form.fields)
            if persona is not None:
                fields["persona"] = persona
            if refuses_dms:
                fields["refuses_dms"] = "on"
            if channel is not None:
                fields["channel_name"] = channel
            fields["decision"] = "cancel" if cancel else "authorize"
            answer = http.post(urljoin(url, form.action), data=fields)
            if answer.status_code != 302:
                raise AssertionError(f"the consent page answered {answer.status_code}: {answer.text[:200]}")
            location = answer.headers["location"]
            return AuthorizationRedirect(location, dict(parse_qsl(urlsplit(location).query)))


class _Form(HTMLParser):
    """The consent form's action and its fields' current values (hidden inputs, the persona, the first option)."""

    def __init__(self) -> None:
        super().__init__()
        self.action = ""
        self.fields: list[tuple[str, str]] = []
        self._select: str | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = {name: value or "" for name, value in attrs}
        if tag == "form":
            self.action = values.get("action", "")
        elif tag == "input" and values.get("type") not in ("checkbox", "submit") and "name" in values:
            self.fields.append((values["name"], values.get("value", "")))
        elif tag == "select":
            self._select = values.get("name")
        elif tag == "option" and self._select is not None:
            self.fields.append((self._select, values.get("value", "")))
            self._select = None


@pytest.fixture(scope="session")
def sandbox_server(tmp_path_factory) -> Iterator[SandboxServer]:
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    secret = secrets.token_urlsafe(24)
    log = tmp_path_factory.mktemp("sandbox") / "sandbox.log"
    with running_process(python_command("-m", "studio_app.sandbox", "--host", "127.0.0.1", "--port", str(port)),
                         env={"STUDIO_SANDBOX_SECRET": secret, "STUDIO_SANDBOX_PUBLISH_SECONDS": "0.3"},
                         ready_url=f"{url}/_sandbox/health", log=log):
        yield SandboxServer(url, secret)


@pytest.fixture
def sandbox(sandbox_server) -> SandboxServer:
    sandbox_server.reset()
    return sandbox_server
