"""Admins reading a project's content (a reason, audited, shown to members) and the register of disclosures to
authorities (sealed, exported by exactly the disclosed categories, the person told unless it is forbidden)."""

import io
import json
import zipfile
from datetime import timedelta

import pytest
from sqlmodel import select

from studio_app.database import session_scope
from studio_app.models.admin import LegalDisclosure
from studio_app.models.audit import AuditEvent
from studio_app.models.base import new_id, utcnow
from studio_app.models.projects import Notification
from studio_app.security.policy import NotAllowed
from studio_app.services import admin_projects, disclosures, projects, threads
from studio_app.services.accounts import AccountError
from studio_app.services.disclosures import DisclosureForm
from studio_app.services.validation import InvalidInput
from tests.support.accounts import mails_to, signed_in
from tests.support.admins import admin
from tests.support.projects import add_editor, call, new_project, person


def audit_kinds() -> list[tuple[str, str | None, str | None]]:
    with session_scope() as session:
        return [(event.kind, event.actor_id, event.subject_id)
                for event in session.exec(select(AuditEvent).order_by(AuditEvent.sequence)).all()]


@pytest.fixture
def crew(settings):
    producer = person(settings, "zoe@example.com", name="Zoé")
    editor = person(settings, "sam@example.com", role="editor", name="Sam")
    project = new_project(producer, "Secret launch", brief_markdown="The brief nobody else reads")
    add_editor(producer, editor, project.id)
    call(threads.post_message, editor, project.id, "first cut is up", idempotency_key=new_id())
    return settings, producer, editor, project


def test_reading_a_project_takes_a_reason_members_see(crew):
    settings, producer, editor, project = crew
    ops = admin(settings)
    with pytest.raises(NotAllowed):  # the member path stays closed to admins
        call(projects.get_project, ops, project.id)
    for reason in ("", "  ", None, "x"):
        with pytest.raises(InvalidInput):
            call(admin_projects.read_project, ops, project.id, reason)
    view = call(admin_projects.read_project, ops, project.id, "Copyright complaint from a rights holder, case 12")
    assert (view.title, view.brief_markdown) == ("Secret launch", "The brief nobody else reads")
    assert [line.body for line in view.messages] == ["first cut is up"]
    assert ("admin.project_read", ops.user_id, project.id) in audit_kinds()
    for member in (producer, editor):
        [entry] = [entry for entry in call(projects.project_timeline, member, project.id)
                   if entry.kind == projects.ADMIN_READ]
        assert (entry.actor_name, entry.subject) == ("Ops", "Copyright complaint from a rights holder, case 12")


def test_reading_a_project_needs_the_password_again_and_an_admin(crew):
    settings, producer, _, project = crew
    ops = admin(settings, reauthenticated=False)
    with pytest.raises(AccountError, match="password again"):
        call(admin_projects.read_project, ops, project.id, "Copyright complaint, case 12")
    with pytest.raises(NotAllowed):
        call(admin_projects.read_project, producer, project.id, "Copyright complaint, case 12")
    assert not [entry for entry in call(projects.project_timeline, producer, project.id)
                if entry.kind == projects.ADMIN_READ]


def disclosure(**overrides) -> DisclosureForm:
    today = utcnow().date()
    values = dict(subject_email="sam@example.com", received_on=today - timedelta(days=3),
                  authority="Paris prosecutor's office", legal_basis="Article 60-1 of the code of criminal procedure",
                  reference="PQ-2026-4411", data_requested="Account identity and email of the holder",
                  categories=("identity", "contact"), approver="Léa Martin, data protection officer",
                  disclosed_on=today, inform_user=True) | overrides
    return DisclosureForm(**values)


def test_a_disclosure_informs_the_person_and_exports_exactly_its_categories(crew):
    settings, _, editor, _ = crew
    ops = admin(settings)
    view = call(disclosures.record_disclosure, ops, settings, disclosure())
    assert view.user_informed and view.informed_at is not None and view.subject_id == editor.user_id
    [mail] = mails_to(settings, "sam@example.com")[-1:]
    assert "Paris prosecutor's office" in mail.text and "your email address" in mail.text
    with session_scope() as session:
        kinds = session.exec(select(Notification.kind).where(Notification.user_id == editor.user_id)).all()
        row = session.get(LegalDisclosure, view.id)
        assert b"PQ-2026-4411" not in bytes(row.reference_encrypted)  # sealed
    assert "disclosure" in kinds
    target = io.BytesIO()
    name = call(disclosures.write_disclosure_export, ops, view.id, target, public_url=settings.public_url)
    assert name.endswith(".zip")
    archive = zipfile.ZipFile(target)
    assert set(archive.namelist()) == {"README.md", "identity.json", "contact.json"}
    contact = json.loads(archive.read("contact.json"))
    assert {item["type"] for item in contact["items"]} >= {"email"}
    assert "sam@example.com" in archive.read("contact.json").decode()
    assert "first cut is up" not in b"".join(archive.read(name) for name in archive.namelist()).decode()
    assert "PQ-2026-4411" in archive.read("README.md").decode()
    assert ("disclosure.recorded", ops.user_id, editor.user_id) in audit_kinds()
    assert ("disclosure.exported", ops.user_id, editor.user_id) in audit_kinds()
    [listed] = call(disclosures.list_disclosures, ops)
    assert (listed.authority, listed.categories, listed.approver) == (
        "Paris prosecutor's office", ("identity", "contact"), "Léa Martin, data protection officer")


def test_a_request_that_forbids_telling_the_person_is_recorded_with_why(crew):
    settings, _, editor, _ = crew
    ops = admin(settings)
    before = len(mails_to(settings, "sam@example.com"))
    with pytest.raises(InvalidInput) as refused:
        call(disclosures.record_disclosure, ops, settings, disclosure(inform_user=False))
    assert refused.value.field == "not_informed_reason"
    view = call(disclosures.record_disclosure, ops, settings, disclosure(
        inform_user=False, categories=("content",),
        not_informed_reason="The order forbids telling the holder during the investigation"))
    assert not view.user_informed and view.informed_at is None
    assert view.not_informed_reason == "The order forbids telling the holder during the investigation"
    assert len(mails_to(settings, "sam@example.com")) == before
    with session_scope() as session:
        assert "disclosure" not in session.exec(select(Notification.kind).where(
            Notification.user_id == editor.user_id)).all()
    target = io.BytesIO()
    call(disclosures.write_disclosure_export, ops, view.id, target, public_url=settings.public_url)
    archive = zipfile.ZipFile(target)
    assert set(archive.namelist()) == {"README.md", "content.json"}
    assert "first cut is up" in archive.read("content.json").decode()


def test_the_register_checks_what_it_records(crew):
    settings, producer, _, _ = crew
    ops = admin(settings)
    for overrides, field in (({"subject_email": "nobody@example.com"}, "subject_email"),
                             ({"categories": ()}, "categories"), ({"categories": ("passwords",)}, "categories"),
                             ({"authority": " "}, "authority"), ({"legal_basis": ""}, "legal_basis"),
                             ({"approver": ""}, "approver"), ({"data_requested": ""}, "data_requested"),
                             ({"received_on": utcnow().date() + timedelta(days=2)}, "received_on"),
                             ({"disclosed_on": utcnow().date() - timedelta(days=10)}, "disclosed_on"),
                             ({"received_on": "yesterday"}, "received_on")):
        with pytest.raises(InvalidInput) as refused:
            call(disclosures.record_disclosure, ops, settings, disclosure(**overrides))
        assert refused.value.field == field
    with pytest.raises(NotAllowed):
        call(disclosures.record_disclosure, producer, settings, disclosure())
    with pytest.raises(NotAllowed):
        call(disclosures.list_disclosures, producer)
    unconfirmed = signed_in(settings, "ops@example.com")[1]  # a new session: no password entered yet
    with pytest.raises(AccountError, match="password again"):
        call(disclosures.record_disclosure, unconfirmed, settings, disclosure())
    assert call(disclosures.list_disclosures, ops) == []
