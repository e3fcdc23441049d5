"""The registry of open tabs per project, in memory and in real Redis."""

import asyncio
import time
import uuid

import pytest
from reflex.utils.token_manager import LocalTokenManager

from studio_app.jobs import presence
from studio_app.state import live
from studio_app.state.live import MemoryPresence, RedisPresence
from tests.support.live_clients import run_in_own_loop


@pytest.fixture(params=["memory", pytest.param("redis", marks=pytest.mark.redis)])
def registry(request):
    if request.param == "memory":
        return MemoryPresence()
    registry = RedisPresence(request.getfixturevalue("redis_url"))
    registry.url = request.getfixturevalue("redis_url")
    return registry


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


def test_online_users_are_those_with_a_connected_tab_and_one_claim_per_period(registry):
    suffix = uuid.uuid4().hex
    manager = LocalTokenManager()  # Reflex's own record of the sockets of a worker

    async def scenario():
        await registry.join(f"user:zoe-{suffix}", "tab-a", f"zoe-{suffix}")
        await registry.join(f"user:kim-{suffix}", "tab-c", f"kim-{suffix}")
        await registry.join(f"project:{suffix}", "tab-b", f"sam-{suffix}")  # a project tab is not a presence
        for token, sid in (("tab-a", "sid-a"), ("tab-b", "sid-b"), ("tab-c", "sid-c")):
            await manager.link_token_to_sid(token, sid)
        await manager.disconnect_token("tab-c", "sid-c")  # Kim closed the tab
        online = await registry.online_users(manager.is_token_connected)
        return online, await registry.claim(f"test-{suffix}", 30), await registry.claim(f"test-{suffix}", 30)

    online, first, second = run(scenario())
    assert f"zoe-{suffix}" in online and f"sam-{suffix}" not in online
    assert f"kim-{suffix}" not in online  # presence ends with the socket, not hours later
    assert first is True
    assert second is (isinstance(registry, MemoryPresence))  # Redis lets only one worker have it


def test_published_samples_keep_a_reloading_tab_present_and_forget_a_closed_one(registry, monkeypatch, tmp_path):
    """The web process publishes who is connected; the digest round on the queue reads the recent samples."""
    from tests.support.app_env import app_environment

    suffix = uuid.uuid4().hex
    zoe, kim = f"zoe-{suffix}", f"kim-{suffix}"
    manager = LocalTokenManager()
    monkeypatch.setattr(live, "presence", lambda: registry)
    redis = {"REDIS_URL": registry.url} if isinstance(registry, RedisPresence) else {}

    async def scenario(started: float):
        await registry.join(f"user:{zoe}", "tab-zoe", zoe)
        await registry.join(f"user:{kim}", "tab-kim", kim)
        await manager.link_token_to_sid("tab-zoe", "sid-1")
        await manager.link_token_to_sid("tab-kim", "sid-2")
        presence.publish_sample(await registry.online_users(manager.is_token_connected), now=started - 40)
        await manager.disconnect_token("tab-kim", "sid-2")  # Kim closed the tab
        await manager.disconnect_token("tab-zoe", "sid-1")  # Zoé reloads: her socket is closed for this sample
        presence.publish_sample(await registry.online_users(manager.is_token_connected), now=started - 10)
        await manager.link_token_to_sid("tab-zoe", "sid-3")  # and back
        await live.publish_presence(manager.is_token_connected)  # what the web process's loop does

    with app_environment(monkeypatch, tmp_path / "data", f"sqlite:///{tmp_path / 'studio.db'}", **redis):
        started = time.time()
        run(scenario(started))
        present = presence.recent_online_users()
        assert zoe in present and kim not in present  # Kim was last seen 40 s ago, outside the window
        finished = time.time()
        later = presence.recent_online_users(now=finished + presence.WINDOW_SECONDS + 1)
        assert zoe not in later  # a tab that closes stops counting once the window has passed
        assert presence.recent_online_users(now=finished + presence.STALE_SECONDS + 5) is None  # nobody publishes


def test_write_behind_gathers_what_arrives_together_into_one_transaction(tmp_path, monkeypatch):
    from tests.support.app_env import app_environment

    written: list[list[str]] = []

    def write(session, items):
        assert session.connection() is not None  # a real transaction of the app's database
        if "broken" in items:
            raise RuntimeError("the database went away")
        written.append(list(items))

    async def scenario():
        behind = live.WriteBehind(write, gather_seconds=0.05)
        behind.add("a")
        behind.add("b", "c")
        await asyncio.sleep(0.3)
        behind.add("broken")  # this batch is lost and logged; the next one is written
        await asyncio.sleep(0.3)
        behind.add("d")
        await asyncio.sleep(0.3)

    with app_environment(monkeypatch, tmp_path / "data", f"sqlite:///{tmp_path / 'studio.db'}"):
        run(scenario())
    assert written == [["a", "b", "c"], ["d"]]
