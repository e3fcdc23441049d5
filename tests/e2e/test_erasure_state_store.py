"""Erasure reaches the state store: the person's open tabs, on two app instances sharing Redis, keep nothing
of them once they delete their account from one tab; the other party's tab keeps the shared thread."""

import asyncio
import time
import uuid
from contextlib import ExitStack

import pytest

from studio_app.services import profiles
from studio_app.state.account import AccountState
from studio_app.state.hiring import DirectoryState
from studio_app.state.notifications import NotificationsState
from studio_app.state.privacy_erasure import PrivacyErasureState
from studio_app.state.projects import ProjectState
from studio_app.state.shell import ShellState
from studio_app.state.thread import ThreadState
from tests.support.accounts import STRONG_PASSWORD
from tests.support.live_clients import LiveClient, handler_name, run_in_own_loop, services_of, session_cookie
from tests.support.liveapp import live_app
from tests.support.projects import add_editor, call, new_project, person
from tests.support.state_store import opened_redis

# Unique per run: the Redis database may still hold (for its expiry) states of earlier runs' tabs.
_RUN = "".join(chr(ord("a") + int(digit, 16)) for digit in uuid.uuid4().hex[:8])
EMAIL, NAME = f"wilhelmina.{_RUN}@example.com", f"Wilhelmina Shred{_RUN}"
SECRETS = [EMAIL.encode(), f"wilhelmina.{_RUN}@".encode(), NAME.encode(), f"Shred{_RUN}".encode()]


@pytest.fixture
def two_instances(tmp_path, redis_url):
    with ExitStack() as stack:
        first = stack.enter_context(live_app(tmp_path, {"STUDIO_REDIS_URL": redis_url}, backend_only=True))
        second = stack.enter_context(live_app(tmp_path, {"STUDIO_REDIS_URL": redis_url}, backend_only=True,
                                              public_url=first.url))
        yield first, second


def found(data_dir, url: str) -> list[bytes]:
    """What the store would reveal with the app's keys (everything in it is sealed)."""
    dump = opened_redis(data_dir, url)
    return [secret for secret in SECRETS if secret in dump]


async def until_seen(client: LiveClient, since: int, text: str) -> None:
    """Pushes from other tabs interleave with a call's own updates: wait until ``text`` arrived."""
    if not any(text in update for update in client.transcript[since:]):
        await client.wait_for(text, timeout=10)


def test_every_tab_of_an_erased_account_is_emptied_in_redis(two_instances, redis_url):
    first, second = two_instances
    with services_of(first.data_dir):
        from studio_app.settings import current_settings

        producer = person(current_settings(), EMAIL, name=NAME)
        editor = person(current_settings(), "state.editor@example.com", role="editor", name="Eddie Editor")
        project = new_project(producer, "State store teaser")
        add_editor(producer, editor, project.id)
    path = f"/projects/{project.id}"

    async def scenario():
        cookie = session_cookie(first.url, EMAIL, STRONG_PASSWORD)
        editor_cookie = session_cookie(first.url, "state.editor@example.com", STRONG_PASSWORD)
        deleting = await LiveClient(first.url, cookie, origin=first.url).connect()
        elsewhere = await LiveClient(second.url, cookie, origin=first.url).connect()
        closed = await LiveClient(second.url, cookie, origin=first.url).connect()
        other = await LiveClient(second.url, editor_cookie, origin=first.url).connect()
        notices = None
        try:
            await deleting.call(handler_name(AccountState, "load"), {}, "/account")
            await deleting.call(handler_name(PrivacyErasureState, "load"), {}, "/privacy-center")
            await elsewhere.call(handler_name(ProjectState, "load"), {}, path)
            await elsewhere.call(handler_name(ThreadState, "open"), {}, path)
            await elsewhere.call(handler_name(AccountState, "load"), {}, "/account")
            await closed.call(handler_name(AccountState, "load"), {}, "/account")
            await closed.close()  # a tab closed earlier: its state still sits in Redis
            await other.call(handler_name(ThreadState, "open"), {}, path)
            await other.call(handler_name(ThreadState, "send"), {"form": {"body": "Reply from the editor"}}, path)
            await deleting.call(handler_name(ThreadState, "open"), {}, path)
            await deleting.call(handler_name(ThreadState, "send"), {"form": {"body": "Note from the producer"}}, path)
            # The editor's notification center, open in another tab, names the producer.
            notices = await LiveClient(first.url, editor_cookie, origin=first.url).connect()
            await notices.call(handler_name(ShellState, "load"), {}, "/notifications")
            seen = len(notices.transcript)
            await notices.call(handler_name(NotificationsState, "load"), {}, "/notifications")
            # ``call`` returns at the first final update, which may be a push to this tab: wait for the center.
            await until_seen(notices, seen, NAME)
            held_before = found(first.data_dir, redis_url)
            seen = len(deleting.transcript)
            await deleting.call(handler_name(PrivacyErasureState, "delete_account"),
                                {"form": {"password": "wrong", "confirmation": "DELETE"}}, "/privacy-center")
            await until_seen(deleting, seen, "This password is not right.")
            rejected, seen = " ".join(deleting.transcript[seen:]), len(deleting.transcript)
            await deleting.call(handler_name(PrivacyErasureState, "delete_account"),
                                {"form": {"password": STRONG_PASSWORD, "confirmation": "DELETE"}}, "/privacy-center")
            await until_seen(deleting, seen, "deleted_rx_state_\": true")
            confirmation = " ".join(deleting.transcript[seen:])
            started, left = time.monotonic(), found(first.data_dir, redis_url)
            while left and time.monotonic() - started < 15:
                await asyncio.sleep(0.2)
                left = found(first.data_dir, redis_url)
            seconds = time.monotonic() - started
            # The old cookie opens nothing any more, on either instance.
            after = await LiveClient(second.url, cookie, origin=first.url).connect()
            await after.call(handler_name(AccountState, "load"), {}, "/account")
            await after.close()
            seen = len(other.transcript)
            await other.call(handler_name(ThreadState, "open"), {}, path)
            editor_view = " ".join(other.transcript[seen:])
            return held_before, rejected, confirmation, left, seconds, after.transcript, editor_view
        finally:
            for client in (deleting, elsewhere, other, notices):
                if client is not None:
                    await client.close()

    held_before, rejected, confirmation, left, seconds, after, editor_view = run_in_own_loop(scenario())
    assert EMAIL.encode() in held_before and NAME.encode() in held_before  # the scan can find them
    assert "This password is not right." in rejected
    assert '"deleted_rx_state_": true' in confirmation  # the tab leaves through the cookie-clearing route
    assert left == [], f"still in Redis after {seconds:.1f} s"
    assert not any(EMAIL in update or NAME in update for update in after)
    assert "Note from the producer" in editor_view and "Deleted user" in editor_view
    assert "Reply from the editor" in editor_view


def test_open_directories_stop_showing_an_erased_editor(two_instances, redis_url):
    first, second = two_instances
    editor_email, editor_name, headline = f"gone.{_RUN}@example.com", f"Gideon Gone{_RUN}", f"Cuts by {_RUN}"
    with services_of(first.data_dir):
        from studio_app.settings import current_settings

        editor = person(current_settings(), editor_email, role="editor", name=editor_name)
        person(current_settings(), f"browser.{_RUN}@example.com", name="Brenda Browser")
        call(profiles.save_editor_profile, editor, headline=headline, skills=["short-form"], languages=["en"],
             software=["DaVinci Resolve"], portfolio_links=[], day_rate_cents=None, currency="EUR",
             availability="available", listed=True)

    async def scenario():
        producer = await LiveClient(second.url, session_cookie(first.url, f"browser.{_RUN}@example.com",
                                                               STRONG_PASSWORD), origin=first.url).connect()
        leaving = await LiveClient(first.url, session_cookie(first.url, editor_email, STRONG_PASSWORD),
                                   origin=first.url).connect()
        try:
            await producer.call(handler_name(DirectoryState, "load"), {}, "/directory")
            listed = " ".join(producer.transcript)
            seen = len(producer.transcript)
            await leaving.call(handler_name(PrivacyErasureState, "delete_account"),
                               {"form": {"password": STRONG_PASSWORD, "confirmation": "DELETE"}}, "/privacy-center")
            await until_seen(producer, seen, "rows_rx_state_")
            refreshed = " ".join(producer.transcript[seen:])
            started, dump = time.monotonic(), opened_redis(first.data_dir, redis_url)
            while (headline.encode() in dump or editor_name.encode() in dump) and time.monotonic() - started < 15:
                await asyncio.sleep(0.2)
                dump = opened_redis(first.data_dir, redis_url)
            return listed, refreshed, dump
        finally:
            await producer.close()
            await leaving.close()

    listed, refreshed, dump = run_in_own_loop(scenario())
    assert editor_name in listed and headline in listed  # the producer's open directory showed them
    assert editor_name not in refreshed and headline not in refreshed  # pushed without them
    assert headline.encode() not in dump and editor_name.encode() not in dump
