"""A simulated brute force and a credential-stuffing run over real HTTP against the sign-in route (bounded, from
loopback addresses: every 127.x.y.z is this machine, each /24 another network to the app) trigger their rules, the
security contact's mail reaches a real SMTP server, and no alert holds an email, an address or a browser."""

import email
import uuid

import httpx
import pytest
from sqlmodel import select

from studio_app.database import session_scope
from studio_app.models.security import SecurityAlert
from studio_app.services.background import wait_until_idle
from tests.support.accounts import STRONG_PASSWORD, verified_account
from tests.support.app_env import app_environment
from tests.support.servers import api_server
from tests.support.smtp import running_smtp_server

CONTACT = "security@example.org"
VICTIM = "zoe@example.com"
BROWSER = "Mozilla/5.0 (X11; Linux x86_64) Firefox/140.0"


@pytest.fixture(params=["database", pytest.param("redis", marks=pytest.mark.redis)])
def server(request, monkeypatch, tmp_path):
    """The routes served by granian in another process, counting in the database or in Redis; the alert mails go to
    an SMTP server started here (account mails stay in the outbox: the app only mails the contact over SMTP when
    this test's process has made the accounts)."""
    database_url = f"sqlite:///{tmp_path / 'studio.db'}"
    thresholds = {"DETECT_SIGNIN_ACCOUNT_FAILURES": "5", "DETECT_SIGNIN_NETWORK_FAILURES": "8",
                  "DETECT_STUFFING_NETWORK_ACCOUNTS": "4", "DETECT_STUFFING_TOTAL_ACCOUNTS": "6"}
    if request.param == "redis":
        thresholds |= {"REDIS_URL": request.getfixturevalue("redis_url"), "QUEUE_NAME": f"t{uuid.uuid4().hex[:8]}"}
    with running_smtp_server() as smtp, app_environment(monkeypatch, tmp_path / "data", database_url,
                                                        SECURITY_CONTACT=CONTACT, **thresholds) as settings:
        verified_account(settings, VICTIM)
        for index in range(3):
            verified_account(settings, f"member{index}@example.com")
        monkeypatch.setenv("STUDIO_SMTP_URL", f"smtp://127.0.0.1:{smtp.server_address[1]}")
        with api_server(tmp_path, database_url) as base:
            yield base, "http://localhost:" + base.rsplit(":", 1)[1], smtp


def sign_in(server, email_address, password, source):
    base, origin, _smtp = server
    with httpx.Client(transport=httpx.HTTPTransport(local_address=source)) as client:
        response = client.post(f"{base}/api/auth/signin", data={"email": email_address, "password": password},
                               headers={"origin": origin, "user-agent": BROWSER}, follow_redirects=False)
    assert response.status_code == 303
    return response.headers["location"]


def alerts() -> dict[str, list[SecurityAlert]]:
    wait_until_idle()
    found: dict[str, list[SecurityAlert]] = {}
    with session_scope() as session:
        for row in session.exec(select(SecurityAlert)).all():
            found.setdefault(row.rule, []).append(row)
    return found


def alert_mail_subjects(smtp, timeout=10) -> list[str]:
    import time

    deadline = time.monotonic() + timeout
    while not smtp.received and time.monotonic() < deadline:
        time.sleep(0.05)
    time.sleep(0.3)  # the app mails after its answer, on its background thread
    return [email.message_from_bytes(mail.data)["subject"] for mail in smtp.received if mail.recipients == [CONTACT]]


def assert_no_personal_data(rows):
    text = " ".join(f"{row.summary} {row.details} {row.subject_id} {row.user_ids}" for row in rows)
    for personal in ("@", "example.com", "127.0.", "127.9", "Firefox", "Mozilla", "zoe", "member"):
        assert personal not in text


def test_a_brute_force_on_one_account(server):
    for attempt in range(4):
        assert "error=credentials" in sign_in(server, VICTIM, f"wrong password {attempt}", "127.0.0.1")
    assert "signin_failures_account" not in alerts()

    sign_in(server, VICTIM, "wrong password 4", "127.0.0.1")
    for attempt in range(3):  # the attacker goes on from a neighbouring address: the same network
        sign_in(server, VICTIM, f"wrong password {5 + attempt}", "127.0.0.2")

    found = alerts()
    [account_alert] = found["signin_failures_account"]
    assert account_alert.count == 4 and len(account_alert.user_ids) == 1
    [network_alert] = found["signin_failures_network"]
    assert network_alert.details["failures"] == 8
    assert "credential_stuffing" not in found
    subjects = alert_mail_subjects(server[2])
    assert sorted(subjects) == ["Security alert (medium): Repeated failed sign-ins from one network",
                                "Security alert (medium): Repeated failed sign-ins on one account"]
    assert_no_personal_data(found["signin_failures_account"] + found["signin_failures_network"])


def test_credential_stuffing_from_one_network_and_spread_over_networks(server):
    tried = [VICTIM, "member0@example.com", "nobody1@example.com"]
    for address in tried:
        sign_in(server, address, "Summer2026!", "127.0.0.1")
    assert "credential_stuffing" not in alerts()
    sign_in(server, "member1@example.com", "Summer2026!", "127.0.0.1")

    [from_one] = alerts()["credential_stuffing"]
    assert from_one.details["accounts"] == 4 and from_one.details["known_accounts"] == 3
    assert len(from_one.user_ids) == 3

    # One attempt each from networks of their own: no network stands out, the total does.
    sign_in(server, "nobody2@example.com", "Summer2026!", "127.1.0.1")
    sign_in(server, "member2@example.com", "Summer2026!", "127.2.0.1")

    everywhere = [row for row in alerts()["credential_stuffing"] if row.subject_id == "all"]
    assert len(everywhere) == 1 and everywhere[0].details["accounts"] == 6
    assert len(everywhere[0].user_ids) == 4
    assert alert_mail_subjects(server[2]).count(
        "Security alert (high): Failed sign-ins spread over many accounts") == 2
    assert_no_personal_data(alerts()["credential_stuffing"])
    # The owner still signs in from home (the limits are per address, then per account).
    assert sign_in(server, VICTIM, STRONG_PASSWORD, "127.3.0.1") == "/dashboard"
