"""Breach response: opening, assessing, containing, reporting, notifying and closing an incident, against the real
database (SQLite and PostgreSQL), the sandbox providers over HTTP and a real SMTP server."""

from __future__ import annotations

import io
import json
from datetime import timedelta

import pypdf
import pytest
from sqlmodel import select

from studio_app.database import session_scope
from studio_app.errors import UserError
from studio_app.models.accounts import User, UserDataKey
from studio_app.models.base import utcnow
from studio_app.models.connections import ConnectedAccount
from studio_app.models.incidents import Incident, IncidentEvent
from studio_app.security.crypto import sealed_key_id
from studio_app.security.keyring import current_keys
from studio_app.security.policy import NotAllowed
from studio_app.security.read_only import ReadOnlyMode
from studio_app.services import detection, incidents, notifications, sessions
from studio_app.services.accounts import AccountError
from studio_app.services.incident_report import report_lines
from studio_app.services.pdf import text_pdf
from studio_app.services.validation import InvalidInput
from tests.support.accounts import signed_in
from tests.support.admins import admin, reauthenticate
from tests.support.app_env import app_environment
from tests.support.connections import connect, sandbox_variables, token_count
from tests.support.projects import add_editor, call, new_project, person
from tests.support.smtp import running_smtp_server

REPORT_FIELDS = {"nature", "categories_of_data", "approximate_number_of_people", "approximate_number_of_records",
                 "likely_consequences", "measures_taken", "measures_proposed", "controller", "late_reasons",
                 "became_aware_at", "deadline"}


def assessment(**overrides) -> dict:
    return {"rule": "everyone", "categories": ["contact", "identity"], "risk_level": "high",
            "risk_reasoning": "Names and addresses were read by an outsider.", "likely_consequences": "Phishing.",
            "measures_proposed": "Two-factor sign-in.", "data_encrypted": "no", "keys_safe": "no"} | overrides


def opened(ada, **kwargs) -> str:
    return call(incidents.open_incident, ada, "Backup bucket left public", "A backup was readable for a day.",
                **kwargs)


def timeline(incident_id: str) -> list[str]:
    return [entry.kind for entry in call(incidents.incident_detail, admin_of(), incident_id).timeline]


_ADMIN = {}


def admin_of():
    return _ADMIN["actor"]


@pytest.fixture
def ada(settings):
    _ADMIN["actor"] = admin(settings)
    return _ADMIN["actor"]


def test_only_admins_handle_incidents(sqlite_settings):
    zoe = person(sqlite_settings, "zoe@example.com")
    ada = admin(sqlite_settings)
    incident_id = opened(ada)
    attempts = [
        (incidents.list_incidents,), (incidents.incident_detail, incident_id),
        (incidents.open_incident, "t", "n"), (incidents.add_note, incident_id, "x"),
        (incidents.assess, incident_id, assessment()), (incidents.contain, incident_id, "read_only"),
        (incidents.lift_read_only,), (incidents.authority_report, incident_id),
        (incidents.record_late_reason, incident_id, "x"), (incidents.mark_reported, incident_id),
        (incidents.write_notice, incident_id, {}), (incidents.send_notice, incident_id),
        (incidents.close_incident, incident_id, {}),
    ]
    for outsider in (zoe, person(sqlite_settings, "eddie@example.com", role="editor"), None):
        for function, *args in attempts:
            with pytest.raises(NotAllowed):
                call(function, outsider, *args)
    assert call(incidents.pending_clock, zoe) is None
    assert call(incidents.pending_clock, ada).id == incident_id


def test_assessment_by_rule_and_by_list_and_the_append_only_timeline(settings, ada):
    zoe = person(settings, "zoe@example.com")
    eddie = person(settings, "eddie@example.com", role="editor")
    person(settings, "outsider@example.com")
    project = new_project(zoe)
    add_editor(zoe, eddie, project.id)
    incident_id = opened(ada)
    count = call(incidents.assess, ada, incident_id, assessment(rule="project_members", project_id=project.id))
    detail = call(incidents.incident_detail, ada, incident_id)
    assert count == 2 and {p.user_id for p in detail.people} == {zoe.user_id, eddie.user_id}
    assert detail.incident.records_estimate >= 2 and detail.incident.categories == ["contact", "identity"]
    listed = call(incidents.assess, ada, incident_id,
                  assessment(rule="list", emails="ZOE@example.com\nnobody@example.com"))
    assert listed == 1
    assert [p.user_id for p in call(incidents.incident_detail, ada, incident_id).people] == [zoe.user_id]
    with pytest.raises(InvalidInput) as missing:
        call(incidents.assess, ada, incident_id, assessment(risk_reasoning=" "))
    assert missing.value.field == "risk_reasoning"
    with pytest.raises(InvalidInput):
        call(incidents.assess, ada, incident_id, assessment(categories=["secrets"]))
    since = utcnow() - timedelta(hours=1)
    by_sign_in = call(incidents.assess, ada, incident_id,
                      assessment(rule="signed_in_between", **{"from": since.isoformat(),
                                                              "until": (utcnow() + timedelta(minutes=1)).isoformat()}))
    assert by_sign_in == 4  # the three people and the admin signed in within the hour
    assert timeline(incident_id) == ["opened", "assessed", "assessed", "assessed"]
    with session_scope() as session:
        first = session.exec(select(IncidentEvent).where(IncidentEvent.incident_id == incident_id)).first()
        first.text = "rewritten"
        session.add(first)
        with pytest.raises(TypeError):  # the timeline is append-only
            session.flush()
        session.rollback()


def test_containment_ends_sessions_revokes_tokens_and_rotates_the_key(monkeypatch, tmp_path, database_url, sandbox):
    with app_environment(monkeypatch, tmp_path / "data", database_url, **sandbox_variables(sandbox)) as settings:
        ada = _ADMIN["actor"] = admin(settings)
        zoe = person(settings, "zoe@example.com")
        other = person(settings, "other@example.com")
        connect(sandbox, zoe, "tiktok")
        connect(sandbox, other, "discord")
        incident_id = opened(ada)
        call(incidents.assess, ada, incident_id, assessment(rule="connection", provider="tiktok"))

        said = call(incidents.contain, ada, incident_id, "end_sessions")
        assert "1 sessions of 1 people ended" in said
        with session_scope() as session:
            assert sessions.resolve_session_id(session, settings, zoe.session_id) is None
            assert sessions.resolve_session_id(session, settings, other.session_id) is not None

        call(incidents.contain, ada, incident_id, "revoke_tokens")
        with session_scope() as session:
            left = session.exec(select(ConnectedAccount.user_id)).all()
        assert left == [other.user_id] and token_count(sandbox, "tiktok", "revoked") == 1

        before = current_keys().keyring.active_key_id
        said = call(incidents.contain, ada, incident_id, "rotate_key")
        after = current_keys().keyring.active_key_id
        assert after != before and f"new master key {after}" in said
        with session_scope() as session:
            wrapped = session.exec(select(UserDataKey.wrapped_key)).all()
        assert {sealed_key_id(bytes(key)) for key in wrapped} == {after}
        assert call(notifications.notification_center, other) is not None  # their data still opens
        assert timeline(incident_id)[-3:] == ["contain.end_sessions", "contain.revoke_tokens", "contain.rotate_key"]


def test_read_only_mode_refuses_writes_until_an_admin_lifts_it(settings, ada):
    zoe = person(settings, "zoe@example.com")
    incident_id = opened(ada)
    call(incidents.contain, ada, incident_id, "read_only")
    with pytest.raises(ReadOnlyMode) as refused:
        new_project(zoe)
    assert "read-only mode" in refused.value.message
    with pytest.raises(ReadOnlyMode):
        call(notifications.set_preference, zoe, "message", "none")
    _secret, again = signed_in(settings, "zoe@example.com")  # signing in still works
    assert again is not None
    call(incidents.add_note, ada, incident_id, "Logs copied for the investigation.")  # breach response goes on
    with session_scope() as session:
        assert incidents.read_only_notice(session)
    assert call(incidents.lift_read_only, ada, incident_id)
    assert new_project(zoe).id
    assert timeline(incident_id)[-3:] == ["contain.read_only", "note", "read_only_lifted"]


def test_the_authority_report_has_every_field_as_json_and_pdf_and_late_reasons_past_72_hours(settings, ada):
    person(settings, "zoe@example.com")
    incident_id = opened(ada, aware_at=utcnow() - timedelta(hours=80))
    with pytest.raises(UserError):  # not assessed yet
        call(incidents.authority_report, ada, incident_id)
    call(incidents.assess, ada, incident_id, assessment())
    call(incidents.contain, ada, incident_id, "end_sessions")
    with pytest.raises(UserError) as late:
        call(incidents.authority_report, ada, incident_id)
    assert late.value.field == "late_reason"
    with pytest.raises(UserError):
        call(incidents.mark_reported, ada, incident_id)
    call(incidents.record_late_reason, ada, incident_id, "The backup was found on a Sunday by a third party.")
    report = call(incidents.authority_report, ada, incident_id)
    assert set(report) >= REPORT_FIELDS and report["late"] is True
    assert report["approximate_number_of_people"] == 2 and report["controller"]["contact_point"] == "studio@azekia.fr"
    assert report["late_reasons"].startswith("The backup was found") and report["measures_taken"]
    json.dumps(report)
    pdf = text_pdf("Report", report_lines(report))
    text = "".join(page.extract_text() for page in pypdf.PdfReader(io.BytesIO(pdf)).pages)
    for expected in ("Nature of the breach", "A backup was readable for a day.", "Approximate number of people",
                     "Likely consequences", "Phishing.", "Measures taken", "Ended the sessions", "Measures proposed",
                     "Two-factor sign-in.", "studio@azekia.fr", "Reasons for the delay", "found on a Sunday"):
        assert expected in text, expected
    call(incidents.mark_reported, ada, incident_id)
    assert call(incidents.incident_detail, ada, incident_id).clock.reported


def test_the_notice_reaches_exactly_the_affected_people(settings, ada):
    zoe = person(settings, "zoe@example.com")
    eddie = person(settings, "eddie@example.com", role="editor")
    bystander = person(settings, "bystander@example.com")
    with running_smtp_server() as server:
        smtp = settings.model_copy(update={"smtp_url": f"smtp://127.0.0.1:{server.server_address[1]}"})
        incident_id = opened(ada)
        call(incidents.assess, ada, incident_id, assessment(rule="list", emails="zoe@example.com, eddie@example.com"))
        with pytest.raises(UserError):  # nothing to send before it is written
            call(incidents.send_notice, ada, incident_id)
        call(incidents.write_notice, ada, incident_id, {
            "notice_nature": "A backup with your name and email was public.",
            "notice_consequences": "You may receive phishing emails.",
            "notice_measures": "We removed the backup and signed you out.",
            "notice_advice": "Be wary of emails asking for your password."})
        server.received.clear()
        assert call(incidents.send_notice, ada, incident_id, settings=smtp) == 2
        notices = [mail for mail in server.received if b"security incident affected" in mail.data]
        assert sorted(address for mail in notices for address in mail.recipients) == [
            "eddie@example.com", "zoe@example.com"]
        assert all(b"Be wary of emails" in mail.data and b"studio@azekia.fr" in mail.data for mail in notices)
        for who, expected in ((zoe, 1), (eddie, 1), (bystander, 0), (ada, 0)):
            center = call(notifications.notification_center, who)
            assert sum(item.kind == "incident_notice" for item in center.items) == expected
        people = call(incidents.incident_detail, ada, incident_id).people
        assert {(p.user_id, p.email_status, p.in_app) for p in people} == {
            (zoe.user_id, "sent", True), (eddie.user_id, "sent", True)}
        with pytest.raises(UserError):  # once only
            call(incidents.send_notice, ada, incident_id, settings=smtp)
        with pytest.raises(UserError):
            call(incidents.write_notice, ada, incident_id, {})


def test_a_notice_needs_a_high_risk(sqlite_settings):
    ada = _ADMIN["actor"] = admin(sqlite_settings)
    person(sqlite_settings, "zoe@example.com")
    incident_id = opened(ada)
    call(incidents.assess, ada, incident_id, assessment(risk_level="low", data_encrypted="yes", keys_safe="yes"))
    with pytest.raises(UserError):
        call(incidents.write_notice, ada, incident_id, {"notice_nature": "x", "notice_consequences": "x",
                                                        "notice_measures": "x", "notice_advice": "x"})


def test_closing_needs_the_review_and_a_closed_incident_stays_readable(settings, ada):
    incident_id = opened(ada)
    with pytest.raises(InvalidInput) as missing:
        call(incidents.close_incident, ada, incident_id, {"review_cause": "A public bucket.", "review_fixes": ""})
    assert missing.value.field == "review_fixes"
    call(incidents.close_incident, ada, incident_id, {"review_cause": "A public bucket.",
                                                      "review_fixes": "Buckets are private by policy.",
                                                      "review_follow_ups": "Quarterly audit."})
    detail = call(incidents.incident_detail, ada, incident_id)
    assert detail.incident.status == "closed" and detail.incident.review_fixes == "Buckets are private by policy."
    with pytest.raises(UserError):
        call(incidents.add_note, ada, incident_id, "More.")
    assert [row.status for row in call(incidents.list_incidents, ada)] == ["closed"]
    with session_scope() as session:
        assert session.get(Incident, incident_id).closed_by == ada.user_id


def test_containment_needs_the_password_again_and_suspends_the_affected_accounts(settings):
    ada = _ADMIN["actor"] = admin(settings, reauthenticated=False)
    zoe = person(settings, "zoe@example.com")
    bystander = person(settings, "bystander@example.com")
    incident_id = opened(ada)
    call(incidents.assess, ada, incident_id, assessment(rule="list", emails="zoe@example.com\nops@example.com"))
    for step in incidents.CONTAINMENT:
        with pytest.raises(AccountError) as refused:
            call(incidents.contain, ada, incident_id, step)
        assert refused.value.field == "password"
    assert timeline(incident_id) == ["opened", "assessed"]
    reauthenticate(ada)
    said = call(incidents.contain, ada, incident_id, "suspend")
    assert said == "1 accounts suspended."  # the acting admin, although listed, is never suspended
    with session_scope() as session:
        assert session.get(User, zoe.user_id).suspended_at is not None
        assert session.get(User, bystander.user_id).suspended_at is None
        assert session.get(User, ada.user_id).suspended_at is None
        assert sessions.resolve_session_id(session, settings, zoe.session_id) is None
        assert sessions.resolve_session_id(session, settings, bystander.session_id) is not None
    assert timeline(incident_id)[-1] == "contain.suspend"


def test_an_incident_opened_from_an_alert_lists_its_accounts_and_handles_the_alert(settings, ada):
    zoe = person(settings, "zoe@example.com")
    eddie = person(settings, "eddie@example.com", role="editor")
    person(settings, "bystander@example.com")
    with session_scope() as session:
        alert_id = detection.raise_alert(session, "credential_stuffing", "f" * 16, "Failed sign-ins on 3 accounts.",
                                         user_ids=[zoe.user_id, eddie.user_id, "0" * 32]).id
    incident_id = opened(ada, alert_id=alert_id)
    detail = call(incidents.incident_detail, ada, incident_id)
    assert detail.incident.alert_id == alert_id and detail.incident.affected_count == 2
    assert {p.user_id for p in detail.people} == {zoe.user_id, eddie.user_id}  # the unknown id is nobody
    assert "from the detection alert" in detail.timeline[0].text
    assert call(detection.get_alert, ada, alert_id).status == "acknowledged"
    # The assessment may keep the alert's accounts; an incident opened by hand has none to keep.
    assert call(incidents.assess, ada, incident_id, assessment(rule="alert")) == 2
    by_hand = opened(ada)
    with pytest.raises(InvalidInput) as refused:
        call(incidents.assess, ada, by_hand, assessment(rule="alert"))
    assert refused.value.field == "rule"
    with pytest.raises(NotAllowed):  # only admins reach alerts through incidents
        call(incidents.open_incident, zoe, "t", "n", alert_id=alert_id)
    with pytest.raises(UserError):
        opened(ada, alert_id="1" * 32)
    call(incidents.close_incident, ada, incident_id, {"review_cause": "Reused passwords.",
                                                      "review_fixes": "Sign-in throttling per network.",
                                                      "review_follow_ups": "None."})
    assert call(detection.get_alert, ada, alert_id).status == "closed"
