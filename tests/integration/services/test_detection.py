"""Detection rules against a real database (and Redis as the counter store): each rule opens its alert, repeats count
on it, the security contact gets one mail per alert over real SMTP, and alerts hold no personal data."""

import dataclasses
import email
import uuid

import pytest
import sqlalchemy as sa
from sqlmodel import select

from studio_app.database import session_scope
from studio_app.errors import NotFound
from studio_app.jobs.detection import run_detection_round
from studio_app.models.audit import AuditEvent
from studio_app.models.security import KnownDevice, SecurityAlert, SecuritySignal
from studio_app.security.policy import NotAllowed
from studio_app.services import accounts, audit, detection, media_files, sessions
from studio_app.services.background import wait_until_idle
from studio_app.services.sessions import ClientInfo
from studio_app.state import store
from tests.support.accounts import CLIENT, STRONG_PASSWORD, signed_in
from tests.support.app_env import app_environment
from tests.support.media import media_asset
from tests.support.projects import call, new_project, person
from tests.support.smtp import running_smtp_server

CONTACT = "security@example.org"


@pytest.fixture
def smtp():
    with running_smtp_server() as server:
        yield server


def environment(monkeypatch, tmp_path, database_url, smtp=None, **variables):
    """Alerts mailed to the SMTP test server when given one (then account mails go there too), else to the outbox."""
    if smtp is not None:
        variables["SMTP_URL"] = f"smtp://127.0.0.1:{smtp.server_address[1]}"
    return app_environment(monkeypatch, tmp_path / "data", database_url, SECURITY_CONTACT=CONTACT,
                           DETECT_DOWNLOADS="3", DETECT_INTEGRITY_FAILURES="3", **variables)


@pytest.fixture
def detecting(monkeypatch, tmp_path, database_url):
    with environment(monkeypatch, tmp_path, database_url) as settings:
        yield settings


@pytest.fixture
def mailing(monkeypatch, tmp_path, database_url, smtp):
    with environment(monkeypatch, tmp_path, database_url, smtp) as settings:
        yield settings


def admin(settings, email_address="ada@example.com"):
    with session_scope() as session:
        accounts.create_admin(session, email_address, STRONG_PASSWORD, "Ada Admin")
    return signed_in(settings, email_address)[1]


def alerts(rule=None) -> list[SecurityAlert]:
    with session_scope() as session:
        query = select(SecurityAlert).order_by(SecurityAlert.opened_at)
        return list(session.exec(query.where(SecurityAlert.rule == rule) if rule else query).all())


def alert_mails(smtp) -> list:
    wait_until_idle()
    return [mail for mail in smtp.received if "Security alert" in email.message_from_bytes(mail.data)["subject"]]


def test_a_tampered_past_audit_row_raises_an_alert_from_the_periodic_job(mailing, smtp):
    admin(mailing)
    assert run_detection_round().ok and not alerts("audit_chain_broken")
    with session_scope() as session:
        first = session.exec(select(AuditEvent).order_by(AuditEvent.sequence)).first()
        session.execute(sa.update(AuditEvent).where(AuditEvent.id == first.id).values(details={"role": "admin"}))

    report = run_detection_round()
    run_detection_round()

    assert not report.ok
    [alert] = alerts("audit_chain_broken")
    assert alert.details["first_broken_sequence"] == first.sequence and alert.count == 2
    [mail] = [mail for mail in alert_mails(smtp) if b"Audit log failed verification" in mail.data]
    assert mail.recipients == [CONTACT]
    assert "/admin/alerts" in email.message_from_bytes(mail.data).get_payload(decode=True).decode()


def test_mass_downloads_by_one_person(detecting):
    producer = person(detecting, "pat@example.com")
    project = new_project(producer)
    videos = [media_asset(producer, project.id) for _ in range(3)]

    for _ in range(4):  # a player's many range requests for one video count once
        call(media_files.open_proxy, producer, videos[0].file_id)
    call(media_files.open_original, producer, videos[1].file_id)
    assert not alerts("mass_downloads")
    call(media_files.open_original, producer, videos[2].file_id)

    [alert] = alerts("mass_downloads")
    assert alert.subject_id == producer.user_id and alert.user_ids == [producer.user_id]


def test_decryption_and_integrity_failures(detecting):
    for _ in range(2):
        assert store.unseal("some-tab-state", b"\x01 not a sealed state") is None
    wait_until_idle()
    assert not alerts("integrity_failures")
    store.unseal("some-tab-state", b"\x01 not a sealed state")
    for _ in range(3):
        with session_scope() as session:
            assert sessions.resolve_session(session, detecting, "forged'cookie") is None
    wait_until_idle()

    assert {(alert.subject_id, alert.count) for alert in alerts("integrity_failures")} == {
        ("state_store", 1), ("session_cookie", 1)}


def test_admin_role_changes(detecting):
    ada = admin(detecting)
    [created] = alerts("admin_role_change")
    assert created.subject_id == ada.user_id and created.details == {"change": "created"}

    with session_scope() as session:
        audit.record_event(session, "admin.role_granted", actor_id=ada.user_id, subject_id="c" * 32)
    granted = [alert for alert in alerts("admin_role_change") if alert.subject_id == "c" * 32]
    assert granted and granted[0].details == {"change": "granted", "by": ada.user_id}


def test_an_admin_signing_in_from_a_new_device(mailing, smtp):
    admin(mailing)  # the first device is remembered only
    signed_in(mailing, "ada@example.com")
    newer_browser = dataclasses.replace(CLIENT, user_agent=CLIENT.user_agent.replace("156.0", "157.2"))
    signed_in(mailing, "ada@example.com", client=newer_browser)
    assert not alerts("admin_new_device")

    signed_in(mailing, "ada@example.com", client=ClientInfo("198.51.100.9", "curl/8"))

    [alert] = alerts("admin_new_device")
    with session_scope() as session:
        assert len(session.exec(select(KnownDevice)).all()) == 2
    assert [email.message_from_bytes(mail.data)["subject"] for mail in alert_mails(smtp)].count(
        "Security alert (medium): Admin signed in from a new device") == 1
    assert "198.51" not in str(alert.details) + alert.summary


def test_repeats_count_on_one_alert_mailed_once_and_closing_opens_a_new_one(mailing, smtp):
    ada = admin(mailing)
    for _ in range(3):
        with session_scope() as session:
            detection.raise_alert(session, "integrity_failures", "media", "Three failures.")
    [alert] = alerts("integrity_failures")
    assert alert.count == 3 and alert.mailed

    view = call(detection.acknowledge, ada, alert.id)
    assert view.status == "acknowledged" and view.acknowledged_by == ada.user_id
    with session_scope() as session:
        detection.raise_alert(session, "integrity_failures", "media", "Again.")
    assert call(detection.get_alert, ada, alert.id).count == 4
    assert [row.id for row in call(detection.open_alerts, ada)].count(alert.id) == 1

    call(detection.close, ada, alert.id)
    with session_scope() as session:
        detection.raise_alert(session, "integrity_failures", "media", "Once more.")
    assert len(alerts("integrity_failures")) == 2
    assert [view.id for view in call(detection.closed_alerts, ada)] == [alert.id]
    assert len([mail for mail in alert_mails(smtp) if b"Decryption or integrity" in mail.data]) == 2


def test_no_mail_storm(monkeypatch, tmp_path, smtp):
    with environment(monkeypatch, tmp_path, f"sqlite:///{tmp_path / 'studio.db'}", smtp, DETECT_MAILS_PER_HOUR="2"):
        for subject in range(5):
            with session_scope() as session:
                detection.raise_alert(session, "signin_failures_account", f"{subject:032x}", "Failures.")
        assert len(alerts("signin_failures_account")) == 5
        assert len(alert_mails(smtp)) == 2
        assert sum(alert.mailed for alert in alerts()) == 2


@pytest.mark.parametrize("summary, details", [
    ("Failures of zoe@example.com.", {}),
    ("Failures.", {"address": "203.0.113.7"}),
    ("Failures.", {"networks": ["2001:db8::1"]}),
])
def test_alerts_refuse_personal_data(detecting, summary, details):
    with pytest.raises(ValueError), session_scope() as session:
        detection.raise_alert(session, "signin_failures_network", "x" * 16, summary, details=details)


def test_only_admins_see_and_handle_alerts(detecting):
    with session_scope() as session:
        alert_id = detection.raise_alert(session, "integrity_failures", "media", "Failures.").id
    ada, pat = admin(detecting), person(detecting, "pat@example.com")
    for service in (detection.open_alerts, detection.closed_alerts):
        with pytest.raises(NotAllowed):
            call(service, pat)
        with pytest.raises(NotAllowed):
            call(service, None)
        call(service, ada)
    for service in (detection.get_alert, detection.acknowledge, detection.close):
        with pytest.raises(NotAllowed):
            call(service, pat, alert_id)
        with pytest.raises(NotAllowed):
            call(service, None, alert_id)
        with pytest.raises(NotFound):
            call(service, ada, "not an id")
        assert call(service, ada, alert_id).id == alert_id


@pytest.mark.redis
def test_redis_is_the_shared_counter_store(monkeypatch, tmp_path, smtp, redis_url):
    import redis

    queue = f"detect-test-{uuid.uuid4().hex[:8]}"
    with environment(monkeypatch, tmp_path, f"sqlite:///{tmp_path / 'studio.db'}", smtp, REDIS_URL=redis_url,
                     QUEUE_NAME=queue, DETECT_SIGNIN_ACCOUNT_FAILURES="3"):
        user_id = "d" * 32
        for _ in range(3):
            with session_scope() as session:
                detection.signin_failed(session, user_id=user_id, account_index="i" * 64, address="192.0.2.1")
        [alert] = alerts("signin_failures_account")
        assert alert.subject_id == user_id
        client = redis.Redis.from_url(redis_url)
        try:
            keys = list(client.scan_iter(match=f"{queue}:detect:*"))
            assert keys and not any(b"192.0.2" in key for key in keys)
            assert all(client.ttl(key) > 0 for key in keys)
        finally:
            client.delete(*keys)
            client.close()
        with session_scope() as session:  # nothing counted in the database
            assert session.exec(select(sa.func.count()).select_from(SecuritySignal)).one() == 0
