"""Two app instances sharing one database and Redis: a message posted through one reaches a
member whose socket is held by the other, in under a second, as behind a load balancer; and stops
reaching them once they signed out or were removed from the project."""

import asyncio
from contextlib import ExitStack

import httpx
import pytest

from studio_app.services import invitations
from studio_app.state.live import RedisPresence, project_channel
from studio_app.state.thread import ThreadState
from tests.support.accounts import STRONG_PASSWORD
from tests.support.live_clients import LiveClient, handler_name, run_in_own_loop, services_of, session_cookie
from tests.support.liveapp import live_app
from tests.support.projects import add_editor, call, new_project, person


@pytest.fixture
def two_instances(tmp_path, redis_url):
    with ExitStack() as stack:
        first = stack.enter_context(live_app(tmp_path, {"STUDIO_REDIS_URL": redis_url}, backend_only=True))
        second = stack.enter_context(live_app(tmp_path, {"STUDIO_REDIS_URL": redis_url}, backend_only=True,
                                              public_url=first.url))
        yield first, second


def test_a_message_crosses_instances_within_a_second(two_instances):
    first, second = two_instances
    with services_of(first.data_dir):
        from studio_app.settings import current_settings

        producer = person(current_settings(), "pro@example.com", name="Paula Producer")
        editor = person(current_settings(), "ed@example.com", role="editor", name="Eddie Editor")
        project = new_project(producer, "Across workers")
        add_editor(producer, editor, project.id)

    async def scenario() -> float:
        # The producer's socket lives on the first instance, the editor's on the second.
        producer_cookie = session_cookie(first.url, "pro@example.com", STRONG_PASSWORD)
        editor_cookie = session_cookie(second.url, "ed@example.com", STRONG_PASSWORD, origin=first.url)
        sender = await LiveClient(first.url, producer_cookie, origin=first.url).connect()
        receiver = await LiveClient(second.url, editor_cookie, origin=first.url).connect()
        path = f"/projects/{project.id}"
        try:
            await sender.call(handler_name(ThreadState, "open"), {}, path)
            await receiver.call(handler_name(ThreadState, "open"), {}, path)
            waiting = asyncio.create_task(receiver.wait_for("hello from the other worker", timeout=5))
            await asyncio.sleep(0)
            started = asyncio.get_running_loop().time()
            await sender.call(handler_name(ThreadState, "send"), {"form": {"body": "hello from the other worker"}},
                              path)
            await waiting
            return asyncio.get_running_loop().time() - started
        finally:
            await sender.close()
            await receiver.close()

    assert run_in_own_loop(scenario()) < 1.0


def test_a_signed_out_or_removed_member_gets_nothing_more_on_the_other_instance(two_instances, redis_url):
    """Receiving tabs check their session through a cache (no transaction per message): a sign-out on one
    instance reaches the cache of the other at once; a removed member's tab is no longer pushed to."""
    first, second = two_instances
    with services_of(first.data_dir):
        from studio_app.settings import current_settings

        producer = person(current_settings(), "pro2@example.com", name="Paula Producer")
        leaving = person(current_settings(), "leaving@example.com", role="editor", name="Lea Leaving")
        removed = person(current_settings(), "removed@example.com", role="editor", name="Remy Removed")
        project = new_project(producer, "Who still hears")
        add_editor(producer, leaving, project.id)
        add_editor(producer, removed, project.id)
    path = f"/projects/{project.id}"

    async def scenario() -> tuple[str, str]:
        sender = await LiveClient(first.url, session_cookie(first.url, "pro2@example.com", STRONG_PASSWORD),
                                  origin=first.url).connect()
        leaving_cookie = session_cookie(first.url, "leaving@example.com", STRONG_PASSWORD)
        signed_out = await LiveClient(second.url, leaving_cookie, origin=first.url).connect()
        outsider = await LiveClient(second.url, session_cookie(first.url, "removed@example.com", STRONG_PASSWORD),
                                    origin=first.url).connect()
        registry = RedisPresence(redis_url)
        try:
            for client in (sender, signed_out, outsider):
                await client.call(handler_name(ThreadState, "open"), {}, path)
            send = handler_name(ThreadState, "send")
            await sender.call(send, {"form": {"body": "Everyone hears this"}}, path)
            await signed_out.wait_for("Everyone hears this")  # its session is now in the second instance's cache
            await outsider.wait_for("Everyone hears this")
            httpx.post(f"{first.url}/api/auth/signout", headers={"origin": first.url,
                                                                "cookie": f"studio_session={leaving_cookie}"})
            with services_of(first.data_dir):
                call(invitations.remove_editor, producer, project.id, removed.user_id)
            signed_out.transcript.clear()
            outsider.transcript.clear()
            await sender.call(send, {"form": {"body": "Said after they left"}}, path)
            await signed_out.wait_for('"messages_rx_state_": []')  # the tab found its session ended and emptied
            while outsider.token in await registry.tabs(project_channel(project.id)):
                await asyncio.sleep(0.1)  # the push dropped the removed member's tab from the project
            return " ".join(signed_out.transcript), " ".join(outsider.transcript)
        finally:
            for client in (sender, signed_out, outsider):
                await client.close()

    signed_out_saw, outsider_saw = run_in_own_loop(scenario())
    assert "Said after they left" not in signed_out_saw
    assert "Said after they left" not in outsider_saw
