"""The registry of signed-in tabs (per person and per session) that erasure and session ends empty, in memory
and in real Redis."""

import uuid

import pytest
import reflex as rx

from studio_app.models.accounts import Role
from studio_app.security.policy import Actor
from studio_app.state import tabs
from studio_app.state.live import MemoryPresence, RedisPresence
from studio_app.state.privacy_erasure import PrivacyErasureState
from studio_app.state.session import SessionMixin
from studio_app.state.signed_out import PERSONAL_STATES
from tests.support.live_clients import run_in_own_loop


@pytest.fixture(params=["memory", pytest.param("redis", marks=pytest.mark.redis)])
def registry(request, monkeypatch):
    chosen = MemoryPresence() if request.param == "memory" else RedisPresence(request.getfixturevalue("redis_url"))
    monkeypatch.setattr(tabs, "presence", lambda: chosen)
    monkeypatch.setattr(tabs, "_recorded", {})
    return chosen


def actor(user_id: str) -> Actor:
    return Actor(user_id=user_id, role=Role.PRODUCER, session_id=uuid.uuid4().hex)


def test_a_signed_in_tab_is_recorded_once_per_refresh_period(registry, monkeypatch):
    user, tab = actor(uuid.uuid4().hex), f"tab-{uuid.uuid4().hex}"
    joins = []
    original = registry.join

    async def counting_join(channel, client_token, user_id):
        joins.append(channel)
        await original(channel, client_token, user_id)

    monkeypatch.setattr(registry, "join", counting_join)

    async def scenario():
        await tabs.remember_tab(tab, user)
        await tabs.remember_tab(tab, user)  # the next events of the same tab cost no registry write
        await tabs.remember_tab("", user)  # no client token: nothing to record
        return await tabs.tabs_of(user.user_id), await registry.tabs(tabs.session_channel(user.session_id))

    assert run_in_own_loop(scenario()) == ([tab], {tab: user.user_id})
    assert joins == [tabs.signed_in_channel(user.user_id), tabs.session_channel(user.session_id)]


def test_the_same_tab_signed_in_as_someone_else_is_recorded_for_them(registry):
    first, second, tab = actor(uuid.uuid4().hex), actor(uuid.uuid4().hex), f"tab-{uuid.uuid4().hex}"

    async def scenario():
        await tabs.remember_tab(tab, first)
        await tabs.remember_tab(tab, second)
        return await tabs.tabs_of(first.user_id), await tabs.tabs_of(second.user_id)

    assert run_in_own_loop(scenario()) == ([tab], [tab])  # erasing the first re-checks the tab's own binding


def test_the_channels_of_sessions_are_listed_for_the_sweep(registry):
    one, other = actor(uuid.uuid4().hex), actor(uuid.uuid4().hex)

    async def scenario():
        await tabs.remember_tab(f"tab-{uuid.uuid4().hex}", one)
        await tabs.remember_tab(f"tab-{uuid.uuid4().hex}", other)
        return set(await registry.channels(tabs.session_channel("")))

    assert {tabs.session_channel(one.session_id), tabs.session_channel(other.session_id)} <= run_in_own_loop(scenario())


def test_every_state_that_resolves_a_session_is_reset_on_erasure():
    import studio_app.studio_app  # noqa: F401  (registers every page's states)

    found = set(tabs.personal_states())
    assert set(PERSONAL_STATES) <= found and PrivacyErasureState in found

    def substates(cls):
        for sub in cls.get_substates():
            yield sub
            yield from substates(sub)

    assert {cls for cls in substates(rx.State) if issubclass(cls, SessionMixin)} <= found
