"""Connecting accounts through the sandbox's consent pages, as a person does, for the tests that need them."""

from __future__ import annotations

from datetime import timedelta
from urllib.parse import parse_qs, urlsplit

from studio_app.database import session_scope
from studio_app.models.base import utcnow
from studio_app.models.connections import ConnectedAccount, ProjectChannel
from studio_app.security.fields import set_encrypted
from studio_app.security.policy import Actor
from studio_app.services import connections
from studio_app.services.keys import data_key_of, project_key_of
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


def raw_connection(actor: Actor, provider: str, *, external_id: str, handle: str, access: str, refresh: str) -> None:
    """A connection written straight to the table, as the callback writes it, for tests about other things."""
    with session_scope() as session:
        row = ConnectedAccount(user_id=actor.user_id, provider=provider, sandbox=True,
                               scopes=" ".join(connections.ACCOUNT_SCOPES[provider]),
                               access_expires_at=utcnow() + timedelta(hours=2))
        key = data_key_of(session, actor.user_id)
        for column, value in (("external_id_encrypted", external_id), ("handle_encrypted", handle),
                              ("access_token_encrypted", access), ("refresh_token_encrypted", refresh)):
            set_encrypted(row, column, value, data_key=key)
        session.add(row)


def raw_channel(producer: Actor, project_id: str, name: str) -> None:
    with session_scope() as session:
        row = ProjectChannel(project_id=project_id, connected_by=producer.user_id, sandbox=True)
        key = project_key_of(session, project_id)
        for column, value in (("webhook_id_encrypted", "1234"), ("webhook_token_encrypted", "secret-token"),
                              ("channel_name_encrypted", name)):
            set_encrypted(row, column, value, data_key=key)
        session.add(row)
