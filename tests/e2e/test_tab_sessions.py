"""A tab's stored state belongs to the session it was shown to: a client token alone reopens nothing, and every
way a session ends resets the stored states of its tabs, connected or not (checked by opening the store with the
app's keys); closed tabs of other people drop an erased person's name and headline."""

import asyncio
import json
import time
import uuid
from datetime import timedelta

import httpx
import pytest
import reflex as rx
from sqlmodel import select

from studio_app.database import session_scope
from studio_app.models.accounts import UserSession
from studio_app.models.base import utcnow
from studio_app.services import profiles, threads
from studio_app.services.tokens import hash_secret
from studio_app.state.account import AccountState, SessionsState
from studio_app.state.auth import PasswordResetState
from studio_app.state.hiring import DirectoryState
from studio_app.state.privacy_erasure import PrivacyErasureState
from studio_app.state.projects import ProjectState
from studio_app.state.thread import ThreadState
from tests.support.accounts import STRONG_PASSWORD, last_mail_to, link_token
from tests.support.live_clients import LiveClient, handler_name, run_in_own_loop, services_of, session_cookie
from tests.support.liveapp import live_app
from tests.support.projects import add_editor, call, new_project, person
from tests.support.state_store import opened_tab

HYDRATE = handler_name(rx.State, "hydrate")


@pytest.fixture(scope="module")
def backend(tmp_path_factory):
    """Socket-level tests need no frontend: one backend instance (embedded default, disk store)."""
    with live_app(tmp_path_factory.mktemp("tab-sessions"), backend_only=True) as running:
        yield running


def someone(backend, role: str = "producer", with_project: bool = True) -> dict:
    """A person with a project, its brief and a message; every value unique to this test."""
    tag = uuid.uuid4().hex[:8]
    found = {"email": f"tab.{tag}@example.com", "name": f"Tabitha Session{tag}", "title": f"Tab teaser {tag}",
             "brief": f"Brief words {tag}", "message": f"Secret plan {tag}"}
    with services_of(backend.data_dir):
        from studio_app.settings import current_settings

        actor = found["actor"] = person(current_settings(), found["email"], role=role, name=found["name"])
        if with_project:
            project = new_project(actor, found["title"], brief_markdown=found["brief"])
            call(threads.post_message, actor, project.id, found["message"], idempotency_key=tag)
            found["path"] = f"/projects/{project.id}"
    return found


async def open_pages(tab: LiveClient, who: dict) -> None:
    await tab.call(handler_name(AccountState, "load"), {}, "/account")
    await tab.call(handler_name(ProjectState, "load"), {}, who["path"])
    await tab.call(handler_name(ThreadState, "open"), {}, who["path"])


def personal(who: dict) -> list[str]:
    return [who[key] for key in ("email", "name", "title", "brief", "message")]


async def stored_once_holding(backend, client_token: str, *values: str) -> bytes:
    """The tab's stored states once they hold ``values`` (the disk store writes a moment after each event)."""
    started, stored = time.monotonic(), b""
    while time.monotonic() - started < 15:
        stored = opened_tab(backend.data_dir, client_token)
        if all(value.encode() in stored for value in values):
            break
        await asyncio.sleep(0.3)
    return stored


def test_a_client_token_alone_reopens_nothing_after_sign_out(backend):
    alice, bob = someone(backend), someone(backend)

    async def scenario():
        cookie = session_cookie(backend.url, alice["email"], STRONG_PASSWORD)
        tab = await LiveClient(backend.url, cookie).connect()
        await open_pages(tab, alice)
        shown = " ".join(tab.transcript)
        await tab.close()
        end_by_sign_out(backend, alice, cookie)
        views = []
        for intruder_cookie in (None, session_cookie(backend.url, bob["email"], STRONG_PASSWORD)):
            intruder = await LiveClient(backend.url, intruder_cookie, token=tab.token).connect()
            try:
                await intruder.call(HYDRATE, {}, alice["path"])
                views.append(" ".join(intruder.transcript))
            finally:
                await intruder.close()
        return shown, views

    shown, views = run_in_own_loop(scenario())
    assert all(value in shown for value in personal(alice))  # the tab showed them
    for view in views:  # no cookie, then Bob's cookie, on Alice's client token
        assert "is_hydrated" in view
        assert not [value for value in personal(alice) if value in view]


def test_a_live_session_still_finds_its_tab_after_a_reconnect(backend):
    """The same person coming back to the same tab keeps it: only another or an ended session resets it."""
    alice = someone(backend)

    async def scenario():
        cookie = session_cookie(backend.url, alice["email"], STRONG_PASSWORD)
        tab = await LiveClient(backend.url, cookie).connect()
        await open_pages(tab, alice)
        await tab.close()
        again = await LiveClient(backend.url, cookie, token=tab.token).connect()
        try:
            await again.call(HYDRATE, {}, alice["path"])
        finally:
            await again.close()
        return " ".join(again.transcript)

    assert alice["message"] in run_in_own_loop(scenario())


def end_by_sign_out(backend, who, cookie):
    httpx.post(f"{backend.url}/api/auth/signout", headers={"origin": backend.url, "cookie": f"studio_session={cookie}"})


def end_everywhere(backend, who, cookie):
    other_cookie = session_cookie(backend.url, who["email"], STRONG_PASSWORD)  # from another browser
    httpx.post(f"{backend.url}/api/auth/signout?everywhere=1",
               headers={"origin": backend.url, "cookie": f"studio_session={other_cookie}"})


async def end_by_revocation(backend, who, cookie):
    with services_of(backend.data_dir), session_scope() as db:
        session_id = db.exec(select(UserSession.id).where(UserSession.token_hash == hash_secret(cookie))).one()
    other = await LiveClient(backend.url, session_cookie(backend.url, who["email"], STRONG_PASSWORD)).connect()
    try:
        await other.call(handler_name(SessionsState, "revoke"), {"session_id": session_id}, "/account/sessions")
    finally:
        await other.close()


async def end_by_password_change(backend, who, cookie):
    other = await LiveClient(backend.url, cookie).connect()
    try:
        await other.call(handler_name(AccountState, "change_password"),
                         {"form": {"current_password": STRONG_PASSWORD, "new_password": "meadow lantern comet 77",
                                   "confirm_password": "meadow lantern comet 77"}}, "/account")
    finally:
        await other.close()


def showing(text: str):
    return lambda update: text in json.dumps(update)


async def end_by_password_reset(backend, who, cookie):
    """Forgotten password: the link is asked for and used from a signed-out tab, as the /forgot and /reset pages do."""
    signed_out = await LiveClient(backend.url).connect()
    try:
        await signed_out.call(handler_name(PasswordResetState, "request_link"), {"form": {"email": who["email"]}},
                              "/forgot", until=showing('"requested_rx_state_": true'))
        with services_of(backend.data_dir):
            from studio_app.settings import current_settings

            token = link_token(await asyncio.to_thread(last_mail_to, current_settings(), who["email"],
                                                       containing="/reset?token="), "/reset")
        new_password = "harbour violet signal 63"
        await signed_out.call(handler_name(PasswordResetState, "choose_password"),
                              {"form": {"new_password": new_password, "confirm_password": new_password}},
                              f"/reset?token={token}", until=showing('"done_rx_state_": true'))
    finally:
        await signed_out.close()


def end_by_expiry(backend, who, cookie):
    with services_of(backend.data_dir), session_scope() as db:
        row = db.exec(select(UserSession).where(UserSession.token_hash == hash_secret(cookie))).one()
        row.idle_expires_at = utcnow() - timedelta(minutes=1)
        db.add(row)


WAYS = {"sign-out": end_by_sign_out, "sign-out-everywhere": end_everywhere, "revoked": end_by_revocation,
        "password-changed": end_by_password_change, "password-reset": end_by_password_reset, "expired": end_by_expiry}


@pytest.mark.parametrize("way", list(WAYS))
def test_when_a_session_ends_every_stored_state_of_it_is_reset(backend, way):
    who = someone(backend)
    # An expiry is found by the periodic sweep (every minute); the others are announced at once.
    deadline = 150 if way == "expired" else 20

    async def scenario():
        cookie = session_cookie(backend.url, who["email"], STRONG_PASSWORD)
        closed = await LiveClient(backend.url, cookie).connect()
        await open_pages(closed, who)
        await closed.close()
        connected = await LiveClient(backend.url, cookie).connect()
        try:
            await open_pages(connected, who)
            before = await stored_once_holding(backend, closed.token, who["message"], who["email"])
            seen = len(connected.transcript)
            ending = WAYS[way](backend, who, cookie)
            if asyncio.iscoroutine(ending):
                await ending
            started, left = time.monotonic(), personal(who)
            while left and time.monotonic() - started < deadline:
                await asyncio.sleep(0.5)
                stored = opened_tab(backend.data_dir, closed.token) + opened_tab(backend.data_dir, connected.token)
                left = [value for value in personal(who) if value.encode() in stored]
            pushed = " ".join(connected.transcript[seen:])
            return before, left, pushed
        finally:
            await connected.close()

    before, left, pushed = run_in_own_loop(scenario())
    assert who["message"].encode() in before and who["email"].encode() in before  # the store held them
    assert left == []
    assert '"email_rx_state_": ""' in pushed and '"messages_rx_state_": []' in pushed  # the open tab emptied


def test_closed_tabs_of_others_drop_an_erased_editor(backend):
    producer, editor = someone(backend), someone(backend, role="editor", with_project=False)
    headline = f"Cuts by {uuid.uuid4().hex[:8]}"
    with services_of(backend.data_dir):
        editor_actor = editor["actor"]
        call(profiles.save_editor_profile, editor_actor, headline=headline, skills=["short-form"], languages=["en"],
             software=["DaVinci Resolve"], portfolio_links=[], day_rate_cents=None, currency="EUR",
             availability="available", listed=True)
        project_id = producer["path"].rsplit("/", 1)[-1]
        add_editor(producer["actor"], editor_actor, project_id)
        call(threads.post_message, editor_actor, project_id, "Editor was here", idempotency_key=uuid.uuid4().hex)

    async def scenario():
        cookie = session_cookie(backend.url, producer["email"], STRONG_PASSWORD)
        closed = await LiveClient(backend.url, cookie).connect()
        await closed.call(handler_name(DirectoryState, "load"), {}, "/directory")
        await closed.call(handler_name(ThreadState, "open"), {}, producer["path"])
        shown = " ".join(closed.transcript)
        await closed.close()
        before = await stored_once_holding(backend, closed.token, editor["name"], headline)
        leaving = await LiveClient(backend.url, session_cookie(backend.url, editor["email"], STRONG_PASSWORD)).connect()
        try:
            await leaving.call(handler_name(PrivacyErasureState, "delete_account"),
                               {"form": {"password": STRONG_PASSWORD, "confirmation": "DELETE"}}, "/privacy-center")
        finally:
            await leaving.close()
        started, stored = time.monotonic(), opened_tab(backend.data_dir, closed.token)
        while (editor["name"].encode() in stored or headline.encode() in stored) and time.monotonic() - started < 20:
            await asyncio.sleep(0.5)
            stored = opened_tab(backend.data_dir, closed.token)
        return shown, before, stored

    shown, before, stored = run_in_own_loop(scenario())
    assert editor["name"] in shown and headline in shown  # the producer's tab showed them
    assert editor["name"].encode() in before and headline.encode() in before  # and its store held them
    assert editor["name"].encode() not in stored and headline.encode() not in stored
