"""The registry of open tabs per project, in memory and in real Redis."""

import uuid

import pytest

from studio_app.state import live
from studio_app.state.live import MemoryPresence, RedisPresence
from tests.support.live_clients import run_in_own_loop


@pytest.fixture(params=["memory", pytest.param("redis", marks=pytest.mark.redis)])
def registry(request):
    if request.param == "memory":
        return MemoryPresence()
    return RedisPresence(request.getfixturevalue("redis_url"))


def run(coroutine):
    return run_in_own_loop(coroutine)


def test_tabs_join_and_leave_a_channel(registry):
    channel = f"project:{uuid.uuid4().hex}"

    async def scenario():
        await registry.join(channel, "tab-a", "zoe")
        await registry.join(channel, "tab-b", "sam")
        await registry.join(channel, "tab-a", "zoe")  # a reload does not duplicate the tab
        both = await registry.tabs(channel)
        await registry.leave(channel, "tab-a")
        return both, await registry.tabs(channel), await registry.tabs("project:other")

    both, after_leave, other = run(scenario())
    assert both == {"tab-a": "zoe", "tab-b": "sam"}
    assert after_leave == {"tab-b": "sam"}
    assert other == {}


def test_entries_expire(registry, monkeypatch):
    channel = f"project:{uuid.uuid4().hex}"
    monkeypatch.setattr(live, "PRESENCE_TTL_SECONDS", -1)

    async def scenario():
        await registry.join(channel, "tab-a", "zoe")
        return await registry.tabs(channel)

    assert run(scenario()) == {}


def test_online_users_and_one_claim_per_period(registry):
    suffix = uuid.uuid4().hex

    async def scenario():
        await registry.join(f"user:zoe-{suffix}", "tab-a", f"zoe-{suffix}")
        await registry.join(f"project:{suffix}", "tab-b", f"sam-{suffix}")  # a project tab is not a presence
        online = await registry.online_users()
        return online, await registry.claim(f"test-{suffix}", 30), await registry.claim(f"test-{suffix}", 30)

    online, first, second = run(scenario())
    assert f"zoe-{suffix}" in online and f"sam-{suffix}" not in online
    assert first is True
    assert second is (isinstance(registry, MemoryPresence))  # Redis lets only one worker have it
