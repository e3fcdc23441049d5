"""The served app's logs and error reports: a dead log collector costs sign-in nothing, and a real failure reaches
a Sentry receiver with its type and frames but without the email, token or message text that were in play."""

from __future__ import annotations

import gzip
import json
import statistics
import threading
import time
import uuid
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import httpx

from studio_app.state.thread import ThreadState
from tests.support.accounts import STRONG_PASSWORD
from tests.support.live_clients import LiveClient, handler_name, run_in_own_loop, services_of, session_cookie
from tests.support.liveapp import live_app
from tests.support.projects import new_project, person
from tests.support.rsyslog import black_hole

ROUNDS = 12


def _sign_in_seconds(url: str, email: str) -> float:
    started = time.perf_counter()
    response = httpx.post(f"{url}/api/auth/signin", data={"email": email, "password": STRONG_PASSWORD, "next": "/"},
                          headers={"origin": url}, follow_redirects=False)
    elapsed = time.perf_counter() - started
    assert response.cookies.get("studio_session"), response.headers.get("location")
    return elapsed


def _account(app, email: str) -> None:
    with services_of(app.data_dir):
        from studio_app.settings import current_settings

        person(current_settings(), email, name="Sina Signin")


def test_a_dead_log_collector_does_not_slow_sign_in(tmp_path):
    email = f"signin.{uuid.uuid4().hex[:8]}@example.com"
    with (black_hole() as port,
          live_app(tmp_path / "off", backend_only=True) as off,
          live_app(tmp_path / "dead", {"STUDIO_LOG_SINK": f"syslog+tcp://127.0.0.1:{port}"},
                   backend_only=True) as dead):
        for app in (off, dead):
            _account(app, email)
            _sign_in_seconds(app.url, email)  # warm-up
        times = {"off": [], "dead": []}
        for _ in range(ROUNDS):  # interleaved: both see the same machine
            times["off"].append(_sign_in_seconds(off.url, email))
            times["dead"].append(_sign_in_seconds(dead.url, email))

    dead_log = dead.log.read_text()  # once the app has stopped: the last line may be written after its answer
    signed_in = [json.loads(line) for line in dead_log.splitlines() if '"event": "signed in"' in line]
    assert len(signed_in) == ROUNDS + 1 and all(line.get("request_id") for line in signed_in)  # each was logged
    ratio = statistics.median(times["dead"]) / statistics.median(times["off"])
    # Shipping in the request would wait out the connection time-out (5 s) on every line.
    assert ratio < 1.5, times


class _SentryReceiver(BaseHTTPRequestHandler):
    envelopes: list[bytes] = []

    def do_POST(self):  # http.server's name
        body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
        if self.headers.get("Content-Encoding") == "gzip":
            body = gzip.decompress(body)
        if self.path.startswith("/api/") and self.path.endswith("/envelope/"):
            type(self).envelopes.append(body)
        self.send_response(200)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def log_message(self, *args):
        pass


def _events(envelopes: list[bytes]) -> list[dict]:
    """The event items of Sentry envelopes: newline-separated JSON, an item header before each payload."""
    events = []
    for envelope in envelopes:
        lines = envelope.split(b"\n")[1:]
        for header, payload in zip(lines[::2], lines[1::2], strict=False):
            if header and json.loads(header).get("type") == "event":
                events.append(json.loads(payload))
    return events


def test_a_failed_event_reaches_sentry_without_personal_data(tmp_path):
    _SentryReceiver.envelopes = []
    receiver = ThreadingHTTPServer(("127.0.0.1", 0), _SentryReceiver)
    threading.Thread(target=receiver.serve_forever, daemon=True).start()
    tag = uuid.uuid4().hex[:8]
    email, name, text = f"reported.{tag}@example.com", f"Rita Reported{tag}", f"Private draft {tag}"
    dsn = f"http://0123456789abcdef0123456789abcdef@127.0.0.1:{receiver.server_port}/42"
    try:
        with live_app(tmp_path, {"STUDIO_SENTRY_DSN": dsn}, backend_only=True) as app:
            with services_of(app.data_dir):
                from studio_app.settings import current_settings

                project = new_project(person(current_settings(), email, name=name), f"Reported project {tag}")
            path = f"/projects/{project.id}"

            async def scenario():
                cookie = session_cookie(app.url, email, STRONG_PASSWORD)
                client = await LiveClient(app.url, cookie).connect()
                try:
                    await client.call(handler_name(ThreadState, "open"), {}, path)
                    # A form that is a list: the handler raises, with the text, name and email in its frames.
                    await client.call(handler_name(ThreadState, "send"), {"form": [text, name, email]}, path)
                finally:
                    await client.close()
                return cookie, client.token

            cookie, client_token = run_in_own_loop(scenario())
            deadline = time.monotonic() + 15
            while time.monotonic() < deadline and not _events(_SentryReceiver.envelopes):
                time.sleep(0.2)
    finally:
        receiver.shutdown()

    events = _events(_SentryReceiver.envelopes)
    exceptions = [value for event in events for value in event.get("exception", {}).get("values", [])]
    assert "AttributeError" in [value["type"] for value in exceptions]
    assert any(frame.get("function") for value in exceptions for frame in value["stacktrace"]["frames"])
    assert all("vars" not in frame for value in exceptions for frame in value["stacktrace"]["frames"])
    assert all("request" not in event for event in events)
    raw = b"".join(_SentryReceiver.envelopes).decode(errors="replace")
    leaked = [value for value in (email, email.split("@")[0], name, text, tag, cookie, client_token) if value in raw]
    assert leaked == []
