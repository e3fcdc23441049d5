"""Connected accounts against the sandbox providers over real HTTP: connect (consent pages walked), callback
errors, the live token and its refresh (one at a time), needs-reconnect, disconnect and erasure revoking."""

from __future__ import annotations

import threading
from datetime import timedelta
from urllib.parse import parse_qs, urlsplit

import pytest
import sqlalchemy as sa
from sqlmodel import select

from studio_app.database import session_scope
from studio_app.models.base import utcnow
from studio_app.models.connections import ConnectedAccount, OAuthAttempt
from studio_app.models.projects import Notification
from studio_app.services import connections, erasure, provider_clients
from studio_app.services.connections import ReconnectNeeded
from tests.support.accounts import STRONG_PASSWORD
from tests.support.app_env import app_environment, new_session
from tests.support.connections import connect, finish, sandbox_variables, start, token_count
from tests.support.projects import call, person


@pytest.fixture
def settings(monkeypatch, tmp_path, database_url, sandbox):
    sandbox.reset()
    with app_environment(monkeypatch, tmp_path / "data", database_url, **sandbox_variables(sandbox)) as settings:
        yield settings


@pytest.fixture
def zoe(settings):
    return person(settings, "zoe@example.com")


def row_of(user_id, provider):
    with session_scope() as session:
        return session.exec(select(ConnectedAccount).where(ConnectedAccount.user_id == user_id,
                                                           ConnectedAccount.provider == provider)).first()


def reconnect_notices(user_id):
    with session_scope() as session:
        return session.exec(select(Notification).where(Notification.user_id == user_id,
                                                       Notification.kind == "reconnect_needed")).all()


@pytest.mark.parametrize("provider, scopes", [("discord", ["identify"]),
                                              ("tiktok", ["user.info.basic", "video.publish"])])
def test_connecting_walks_the_consent_page_and_keeps_sealed_tokens(sandbox, zoe, provider, scopes):
    url = start(zoe, provider)
    query = parse_qs(urlsplit(url).query)
    assert query["scope"][0].replace(",", " ").split() == scopes  # nothing more is asked for
    if provider == "tiktok":
        assert query["code_challenge_method"] == ["S256"]
    assert finish(zoe, provider, sandbox.authorize(provider, url)).outcome == "connected"
    page = call(connections.connections_page, zoe)
    view = next(v for v in page.connections if v.provider == provider)
    assert view.connected and view.sandbox and view.status == "active" and view.handle
    assert [scope.name for scope in view.scopes] == sorted(scopes)
    token = call(connections.access_token, zoe.user_id, provider)
    assert token.sandbox and token.access_token not in repr(token)
    with session_scope() as session:
        raw = session.execute(sa.text("SELECT * FROM connected_account")).fetchall()
    assert token.access_token.encode() not in repr(raw).encode()
    assert call(lambda session: session.exec(select(OAuthAttempt)).all()) == []  # used up


def test_callback_refuses_bad_reused_foreign_and_expired_states_and_saves_nothing(settings, sandbox, zoe):
    other = person(settings, "ann@example.com")
    assert finish(zoe, "discord", "?state=made-up-state-0123456789&code=abc").outcome == "expired"
    url = start(zoe, "discord")
    redirect = sandbox.authorize("discord", url)
    assert finish(other, "discord", redirect).outcome == "expired"  # another person's attempt
    assert finish(zoe, "discord", redirect).outcome == "expired"  # one use, even after a wrong user tried it
    url = start(zoe, "discord")
    redirect = sandbox.authorize("discord", url)
    with session_scope() as session:
        session.execute(sa.update(OAuthAttempt).values(created_at=utcnow() - timedelta(minutes=11)))
    assert finish(zoe, "discord", redirect).outcome == "expired"
    state = parse_qs(urlsplit(start(zoe, "tiktok")).query)["state"][0]
    assert finish(zoe, "tiktok", f"?state={state}&error=access_denied").outcome == "denied"
    assert row_of(zoe.user_id, "discord") is None and row_of(zoe.user_id, "tiktok") is None


def test_a_provider_error_at_the_exchange_saves_nothing(sandbox, zoe):
    url = start(zoe, "tiktok")
    redirect = sandbox.authorize("tiktok", url)
    sandbox.inject("tiktok.token", "server_error")
    assert finish(zoe, "tiktok", redirect).outcome == "failed"
    assert row_of(zoe.user_id, "tiktok") is None


def test_a_token_about_to_expire_is_refreshed_first_and_the_rotated_refresh_token_saved(sandbox, zoe):
    connect(sandbox, zoe, "tiktok")
    before = row_of(zoe.user_id, "tiktok")
    first = call(connections.access_token, zoe.user_id, "tiktok")
    assert row_of(zoe.user_id, "tiktok").refreshed_at is None  # two hours left: no refresh
    sandbox.advance_clock(2 * 3600 - 60)
    with session_scope() as session:
        session.execute(sa.update(ConnectedAccount).values(access_expires_at=utcnow() + timedelta(minutes=4)))
    second = call(connections.access_token, zoe.user_id, "tiktok")
    after = row_of(zoe.user_id, "tiktok")
    assert second.access_token != first.access_token and after.refreshed_at is not None
    assert after.refresh_token_encrypted != before.refresh_token_encrypted
    assert after.access_expires_at > utcnow() + timedelta(minutes=100)  # from the answer's expires_in
    provider_clients.client("tiktok").user_info(second.access_token)  # it works at the provider


def test_two_consumers_racing_a_refresh_make_one_refresh_and_both_get_a_working_token(sandbox, zoe):
    connect(sandbox, zoe, "tiktok")
    with session_scope() as session:
        session.execute(sa.update(ConnectedAccount).values(access_expires_at=utcnow() - timedelta(seconds=1)))
    refreshed_before = token_count(sandbox, "tiktok", "refreshed")
    barrier, tokens, errors = threading.Barrier(2), [], []

    def consumer():
        try:
            with new_session() as session:
                barrier.wait()
                tokens.append(connections.access_token(session, zoe.user_id, "tiktok"))
        except Exception as error:
            errors.append(error)

    threads = [threading.Thread(target=consumer) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    assert errors == []
    assert token_count(sandbox, "tiktok", "refreshed") == refreshed_before + 1
    assert tokens[0].access_token == tokens[1].access_token
    provider_clients.client("tiktok").user_info(tokens[0].access_token)
    assert row_of(zoe.user_id, "tiktok").status == "active"


def test_a_revoked_grant_asks_to_reconnect_once_and_reconnecting_clears_it(sandbox, zoe):
    connect(sandbox, zoe, "tiktok")
    with session_scope() as session:
        session.execute(sa.update(ConnectedAccount).values(access_expires_at=utcnow()))
    sandbox.inject("tiktok.token", "revoked_token")
    with pytest.raises(ReconnectNeeded, match="Reconnect your TikTok account"):
        call(connections.access_token, zoe.user_id, "tiktok")
    with pytest.raises(ReconnectNeeded):
        call(connections.access_token, zoe.user_id, "tiktok")
    row = row_of(zoe.user_id, "tiktok")
    assert row.status == "needs_reconnect" and "revoked" in row.problem
    assert len(reconnect_notices(zoe.user_id)) == 1  # told once
    connect(sandbox, zoe, "tiktok")
    assert row_of(zoe.user_id, "tiktok").status == "active"
    assert call(connections.access_token, zoe.user_id, "tiktok").access_token


def test_report_grant_problem_marks_the_connection(sandbox, zoe):
    from studio_app.integrations.providers import ProviderError

    connect(sandbox, zoe, "discord")
    call(connections.report_grant_problem, zoe.user_id, "discord",
         ProviderError("discord", "http_503", "down", retryable=True))
    assert row_of(zoe.user_id, "discord").status == "active"
    call(connections.report_grant_problem, zoe.user_id, "discord",
         ProviderError("discord", "0", "401: Unauthorized", status=401, needs_reconnect=True))
    assert row_of(zoe.user_id, "discord").status == "needs_reconnect"
    with pytest.raises(ReconnectNeeded, match="Reconnect your Discord account"):
        call(connections.access_token, zoe.user_id, "discord")


def test_no_connection_means_reconnect(zoe):
    with pytest.raises(ReconnectNeeded, match="not connected"):
        call(connections.access_token, zoe.user_id, "tiktok")


@pytest.mark.parametrize("provider", ["discord", "tiktok"])
def test_disconnect_revokes_at_the_provider_and_deletes_our_tokens(sandbox, zoe, provider):
    connect(sandbox, zoe, provider)
    token = call(connections.access_token, zoe.user_id, provider)
    revoked_before = token_count(sandbox, provider, "revoked")
    assert "revoked" in call(connections.disconnect, zoe, provider)
    assert token_count(sandbox, provider, "revoked") == revoked_before + 1
    assert row_of(zoe.user_id, provider) is None
    with pytest.raises(Exception):  # noqa: B017 (the provider's own refusal)
        if provider == "tiktok":
            provider_clients.client("tiktok").user_info(token.access_token)
        else:
            provider_clients.discord().current_user(token.access_token)


def test_disconnect_with_the_provider_down_still_deletes_our_tokens_and_says_so(sandbox, zoe):
    connect(sandbox, zoe, "discord")
    sandbox.inject("discord.revoke", "server_error")
    message = call(connections.disconnect, zoe, "discord")
    assert "could not be reached" in message
    assert row_of(zoe.user_id, "discord") is None


def test_erasure_revokes_every_connection_at_the_provider(settings, sandbox, zoe):
    connect(sandbox, zoe, "discord")
    connect(sandbox, zoe, "tiktok")
    with session_scope() as session:
        erasure.delete_account(session, settings, zoe, STRONG_PASSWORD, "DELETE")
    assert token_count(sandbox, "discord", "revoked") == 1 and token_count(sandbox, "tiktok", "revoked") == 1
    assert call(lambda session: session.exec(select(ConnectedAccount)).all()) == []


def test_only_known_providers_and_the_owner_act(settings, zoe):
    from studio_app.services.validation import InvalidInput

    with pytest.raises(InvalidInput):
        start(zoe, "myspace")
    with pytest.raises(Exception, match="sign in"):
        call(connections.start_connection, None, "discord")
    with pytest.raises(Exception, match="sign in"):
        call(connections.disconnect, None, "discord")
