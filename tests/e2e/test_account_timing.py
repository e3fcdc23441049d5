"""Whether an address has an account does not show in how long sign-up or a password reset request takes.

Measured as an attacker would: through the pages' event handlers, over the socket of a running app, each try from
an address of its own (every 127.x.y.z is this machine), so no per-address limit interferes. Tries of the two kinds
alternate (ABBA) so that the other work on this shared machine weighs on both alike, and the two timing samples are
compared with a Mann-Whitney U test (rank-based: a few slow outliers barely move it). Without the fix both leaks
separate the samples completely (p < 1e-9); the threshold is strict so that noise alone never fails the test.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Callable

import pytest

from studio_app.services.sessions import ClientInfo
from studio_app.settings import load_settings
from studio_app.state.auth import PasswordResetState, SignUpState
from tests.support.accounts import STRONG_PASSWORD, last_mail_to, sign_up
from tests.support.live_clients import LiveClient, handler_name, run_in_own_loop, services_of
from tests.support.liveapp import LiveApp, live_app
from tests.support.stats import mann_whitney_p

SIGN_UP_TRIES = 30  # each costs a password hash; the leak it looks for is large (20 ms against 300-600 ms)
RESET_TRIES = 60  # cheap; the leak it looks for is smaller (a few writes and a mail: 10-20 ms here), and so is noise
WARM_UP = 2  # pairs not counted: first connections, first hash of the process
SIGNIFICANCE = 0.001


@pytest.fixture(scope="module")
def app(tmp_path_factory):
    with live_app(tmp_path_factory.mktemp("timing-app"), backend_only=True) as running:
        yield running


def addresses(first_octet: int):
    """A new network address for every try."""
    for number in range(1, 60_000):
        yield f"127.{first_octet}.{number // 250}.{number % 250 + 1}"


def timed_call(app: LiveApp, source: str, state, handler: str, form: dict, path: str) -> tuple[float, list[dict]]:
    """Seconds from sending the event until its last update, as the person sees it, and what the page's state
    received (the rest, router data of the connection, differs from socket to socket)."""

    async def scenario():
        client = LiveClient(f"http://127.0.0.1:{app.port}", origin=app.url, local_address=source)
        await client.connect()
        try:
            name = state.get_full_name()

            def page_delta(update: dict) -> dict:
                return update.get("delta", {}).get(name) or {}

            # The handler first shows its busy flag, then the answer and the flag off: that last update ends it.
            seconds, _ = await client.call(handler_name(state, handler), {"form": form}, path,
                                           until=lambda update: page_delta(update).get("submitting_rx_state_") is False)
            return seconds, [page_delta(json.loads(update)) for update in client.transcript]
        finally:
            await client.close()

    return run_in_own_loop(scenario())


def compare(measure: Callable[[str, int], tuple[float, list[dict]]], tries: int
            ) -> tuple[list[float], list[float], set]:
    """``measure(kind, number)`` for both kinds, interleaved ABBA; returns both samples and the distinct answers."""
    samples: dict[str, list[float]] = {"known": [], "unknown": []}
    answers = set()
    for pair in range(WARM_UP + tries):
        for kind in ("known", "unknown") if pair % 2 else ("unknown", "known"):
            seconds, deltas = measure(kind, pair)
            answers.add(json.dumps(deltas, sort_keys=True))
            if pair >= WARM_UP:
                samples[kind].append(seconds)
    return samples["known"], samples["unknown"], answers


def summary(known: list[float], unknown: list[float], p_value: float) -> str:
    def median(values):
        return sorted(values)[len(values) // 2] * 1000

    return (f"medians: known {median(known):.0f} ms, unknown {median(unknown):.0f} ms; "
            f"Mann-Whitney p = {p_value:.2g} over {len(known)} tries each")


def test_signing_up_with_a_taken_address_takes_as_long_as_with_a_new_one(app):
    settings = load_settings({"STUDIO_DATA_DIR": str(app.data_dir), "STUDIO_PUBLIC_URL": app.url})
    sources, run = addresses(11), uuid.uuid4().hex[:6]
    taken = [f"first-{run}@example.com"]
    with services_of(app.data_dir):
        sign_up(settings, taken[0])

    def measure(kind: str, pair: int):
        # Each address is tried once as new (creating its account), then once as taken, in the next pair.
        email = f"new-{run}-{pair}@example.com" if kind == "unknown" else taken[pair]
        form = {"email": email, "password": STRONG_PASSWORD, "display_name": "Timing Test", "role": "editor",
                "accepts_privacy_policy": "on"}
        seconds, deltas = timed_call(app, next(sources), SignUpState, "submit", form, "/signup")
        if kind == "unknown":
            taken.append(email)
        # Let the mail leave before the next try (so it slows neither): a confirmation link, or an "already" notice.
        last_mail_to(settings, email, count=1 if kind == "unknown" else 2,
                     containing="/verify?token=" if kind == "unknown" else "already has one")
        return seconds, json.loads(json.dumps(deltas).replace(email, "<email>"))

    known, unknown, answers = compare(measure, SIGN_UP_TRIES)
    assert len(answers) == 1, answers  # the same page for both
    p_value = mann_whitney_p(known, unknown)
    print(summary(known, unknown, p_value))
    assert p_value > SIGNIFICANCE, summary(known, unknown, p_value)


def test_a_reset_request_for_an_unknown_address_takes_as_long_as_for_an_account(app):
    settings = load_settings({"STUDIO_DATA_DIR": str(app.data_dir), "STUDIO_PUBLIC_URL": app.url})
    sources, run = addresses(12), uuid.uuid4().hex[:6]
    # Three requests an hour per account are allowed: enough accounts for every known try.
    accounts = [f"reset-{run}-{number}@example.com" for number in range(-(-(WARM_UP + RESET_TRIES) // 3))]
    with services_of(app.data_dir):
        for number, email in enumerate(accounts):  # made by people in different places (20 sign-ups per address)
            sign_up(settings, email, client=ClientInfo(ip_address=f"198.51.100.{number + 1}", user_agent=None))
    requests_to: dict[str, int] = {}

    def measure(kind: str, pair: int):
        email = accounts[pair // 3] if kind == "known" else f"nobody-{run}-{pair}@example.com"
        seconds, deltas = timed_call(app, next(sources), PasswordResetState, "request_link", {"email": email},
                                     "/forgot")
        if kind == "known":  # let its mail leave before the next try
            requests_to[email] = requests_to.get(email, 0) + 1
            last_mail_to(settings, email, count=1 + requests_to[email], containing="/reset?token=")
        return seconds, deltas

    known, unknown, answers = compare(measure, RESET_TRIES)
    assert len(answers) == 1, answers
    p_value = mann_whitney_p(known, unknown)
    print(summary(known, unknown, p_value))
    assert p_value > SIGNIFICANCE, summary(known, unknown, p_value)
