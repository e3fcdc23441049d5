"""Connecting accounts through the sandbox's consent pages, as a person does, for the tests that need them."""

from __future__ import annotations

from urllib.parse import parse_qs, urlsplit

from studio_app.security.policy import Actor
from studio_app.services import connections
from tests.support.projects import call


def sandbox_variables(sandbox) -> dict[str, str]:
    """The sandbox's STUDIO_* variables as ``app_environment`` takes them (without the prefix)."""
    return {name.removeprefix("STUDIO_"): value for name, value in sandbox.settings_env().items()}


def start(actor: Actor, provider: str, **kwargs) -> str:
    return call(connections.start_connection, actor, provider, **kwargs)


def finish(actor: Actor, provider: str, redirect: str) -> connections.Finished:
    """The callback with what the provider's redirect carried (``redirect``: the sandbox's, or an URL or query)."""
    query = parse_qs(urlsplit(getattr(redirect, "url", redirect)).query)
    value = {name: values[0] for name, values in query.items()}
    return call(connections.finish_connection, actor, provider, state=value.get("state"), code=value.get("code"),
                error=value.get("error"))


def connect(sandbox, actor: Actor, provider: str, **persona) -> None:
    url = start(actor, provider)
    outcome = finish(actor, provider, sandbox.authorize(provider, url, **persona)).outcome
    assert outcome == "connected", outcome


def token_count(sandbox, provider: str, what: str) -> int:
    """Tokens of ``provider`` the sandbox has ``what`` ("issued", "refreshed", "revoked"), all personas."""
    return sum(counts[what] for counts in sandbox.state()["tokens"].get(provider, {}).values())
