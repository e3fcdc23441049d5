"""Sessions (by the id a tab is bound to) resolved once per worker and trusted until any session ends: in this
process (one worker) and through Redis (several workers)."""

import pytest

from studio_app.database import session_scope
from studio_app.services import erasure, sessions
from studio_app.state import session_cache
from tests.support.accounts import STRONG_PASSWORD, signed_in, verified_account
from tests.support.app_env import app_environment
from tests.support.live_clients import run_in_own_loop


@pytest.fixture(params=["memory", pytest.param("redis", marks=pytest.mark.redis)])
def settings(request, monkeypatch, tmp_path):
    redis = {"REDIS_URL": request.getfixturevalue("redis_url")} if request.param == "redis" else {}
    monkeypatch.setattr(session_cache, "_entries", {})
    with app_environment(monkeypatch, tmp_path / "data", f"sqlite:///{tmp_path / 'studio.db'}", **redis) as chosen:
        yield chosen


def test_a_cached_sign_in_ends_with_the_session(settings):
    verified_account(settings, "zoe@example.com")
    secret, actor = signed_in(settings, "zoe@example.com")
    _, other = signed_in(settings, "zoe@example.com")

    async def resolve(session_id):
        return await session_cache.resolve_cached(settings, session_id)

    assert run_in_own_loop(resolve(actor.session_id)) == actor
    assert session_cache._entries  # cached: the next events of the tab cost no transaction
    with session_scope() as session:
        sessions.end_session(session, secret)  # signing out, here or on another worker
    assert run_in_own_loop(resolve(actor.session_id)) is None  # at once, not when the entry would have expired
    assert run_in_own_loop(resolve(other.session_id)) == other  # the other browser stays signed in
    with session_scope() as session:
        sessions.revoke_all_sessions(session, actor.user_id, actor_id=actor.user_id)
    assert run_in_own_loop(resolve(other.session_id)) is None
    assert run_in_own_loop(resolve(None)) is None


def test_a_cached_sign_in_ends_with_its_erased_account(settings):
    verified_account(settings, "yann@example.com")
    _, actor = signed_in(settings, "yann@example.com")

    async def resolve(session_id):
        return await session_cache.resolve_cached(settings, session_id)

    assert run_in_own_loop(resolve(actor.session_id)) == actor
    with session_scope() as session:
        erasure.delete_account(session, settings, actor, STRONG_PASSWORD, "DELETE")
    assert run_in_own_loop(resolve(actor.session_id)) is None
