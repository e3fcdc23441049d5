"""@user_action, the one way a handler runs a service: driven through Reflex's own event processing, in process,
against a real (SQLite) database and real sessions."""

import asyncio
import concurrent.futures
import contextvars
import logging

import pytest
import reflex as rx
from reflex_base.event.processor.base_state_processor import process_event

from studio_app.errors import UserError
from studio_app.security.cookies import read_session_secret
from studio_app.services.sessions import resolve_session
from studio_app.services.validation import InvalidInput
from studio_app.settings import current_settings
from studio_app.state.session import PLAIN_PROBLEM, ProblemState, SessionMixin, in_transaction, user_action
from studio_app.state.tabs import TabSession
from tests.support.accounts import signed_in, verified_account
from tests.support.app_env import app_environment

SECRET = "probe-secret@example.com"


class UserActionProbeState(SessionMixin, rx.State):
    errors: dict[str, str] = {}
    shown: str = ""
    working: bool = False
    seen_working: list[bool] = []

    @rx.event
    @user_action
    async def whoami(self, label: str):
        self.shown = label + ":" + await self._call(lambda session, actor: actor.user_id)

    @rx.event
    @user_action(scope="news", busy="working")
    async def refuse(self, form: dict):
        self.seen_working = [self.working]
        if form.get("field"):
            raise InvalidInput("subject", "Give the news a subject.")
        raise UserError("Not now.")

    @rx.event
    @user_action
    async def generator(self):
        self.shown = "first"
        yield
        raise UserError("Stopped halfway.")

    @rx.event
    @user_action
    async def breaks(self):
        raise RuntimeError(f"leaked {SECRET}")


@pytest.fixture
def env(monkeypatch, tmp_path):
    with app_environment(monkeypatch, tmp_path / "data", f"sqlite:///{tmp_path / 'studio.db'}") as settings:
        yield settings


def signed_in_cookie(settings) -> tuple[str, str]:
    """A real session of a real account: (cookie header, user id)."""
    verified_account(settings, "probe@example.com")
    secret, actor = signed_in(settings, "probe@example.com")
    return f"studio_session={secret}", actor.user_id


def run(handler: str, payload: dict, cookie: str = ""):
    """Process one event as Reflex does for a socket; returns (probe state, problem state, events returned)."""

    async def scenario():
        root = rx.State(_reflex_internal_init=True)
        root.router_data = {"pathname": "/probe", "asPath": "/probe", "headers": {"cookie": cookie},
                            "token": "probe-tab"}
        root.router = root.router.__class__.from_router_data(root.router_data)
        # What the socket's first event does (state/tabs.py): the tab is bound to the session its cookie proves.
        actor = await in_transaction(resolve_session, current_settings(), read_session_secret(current_settings(),
                                                                                              cookie))
        (await root.get_state(TabSession))._session_id = actor.session_id if actor else ""
        probe = await root.get_state(UserActionProbeState)
        result = UserActionProbeState.event_handlers[handler].fn(probe, **payload)
        events = [event async for event in result] if hasattr(result, "__aiter__") else [await result]
        return probe, await root.get_state(ProblemState), [event for event in events if event is not None]

    # Reflex's registry of states is a context variable: the loop's thread runs in a copy of this context.
    context = contextvars.copy_context()
    with concurrent.futures.ThreadPoolExecutor(max_workers=1) as pool:
        return pool.submit(context.run, asyncio.run, scenario()).result()


def test_signed_out_goes_to_sign_in_and_forgets(env):
    probe, _, events = run("whoami", {"label": "me"})
    assert probe.shown == ""
    assert len(events) == 1 and "/signin?next=/probe" in str(events[0])


def test_signed_in_runs_the_service_as_the_person(env):
    cookie, user_id = signed_in_cookie(env)
    probe, problem, events = run("whoami", {"label": "me"}, cookie)
    assert probe.shown == f"me:{user_id}" and events == [] and problem.message == ""


def test_a_user_error_goes_next_to_its_field_or_the_form(env):
    probe, _, _ = run("refuse", {"form": {"field": "yes"}})
    assert probe.errors == {"subject": "Give the news a subject."}
    assert probe.seen_working == [True] and probe.working is False  # busy while it ran, not after
    probe, problem, _ = run("refuse", {"form": {}})
    assert probe.errors == {"news": "Not now."} and problem.message == ""


def test_a_generator_handler_keeps_what_it_sent_and_shows_the_error(env):
    probe, _, _ = run("generator", {})
    assert probe.shown == "first" and probe.errors == {"form": "Stopped halfway."}


def test_an_unexpected_error_is_logged_without_its_values_and_shown_plainly(env, caplog):
    with caplog.at_level(logging.ERROR, logger="studio_app.state.session"):
        _, problem, events = run("breaks", {})
    assert problem.message == PLAIN_PROBLEM and events == []
    logged = "\n".join(record.getMessage() for record in caplog.records)
    assert "UserActionProbeState.breaks" in logged and "RuntimeError" in logged
    assert SECRET not in logged and SECRET not in caplog.text


def test_reflex_sees_the_handlers_own_signature():
    handler = UserActionProbeState.event_handlers["refuse"]
    assert list(handler._parameters) == ["self", "form"] and handler._get_type_hints() == {"form": dict}
    assert UserActionProbeState.event_handlers["whoami"]._is_coroutine_function
    assert process_event  # the processor these handlers go through (see test_handler_access over a socket)
