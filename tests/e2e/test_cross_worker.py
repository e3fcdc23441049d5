"""Two app instances sharing one database and Redis: a message posted through one reaches a
member whose socket is held by the other, in under a second, as behind a load balancer."""

import asyncio
from contextlib import ExitStack

import pytest

from studio_app.state.thread import ThreadState
from tests.support.accounts import STRONG_PASSWORD
from tests.support.live_clients import LiveClient, handler_name, run_in_own_loop, services_of, session_cookie
from tests.support.liveapp import live_app
from tests.support.projects import add_editor, new_project, person


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
