"""Deleting one's account: the summary, the access rules, and erasure completeness (database, keys, storage)
with the other party's shared history still readable."""

from __future__ import annotations

import dataclasses
import uuid
from pathlib import Path

import pytest
import sqlalchemy as sa
from sqlmodel import SQLModel, select

from studio_app.database import create_db_engine, session_scope
from studio_app.integrations.storage import current_storage
from studio_app.models.accounts import OneTimeToken, User, UserDataKey, UserSession
from studio_app.models.audit import AuditEvent
from studio_app.models.base import new_id, utcnow
from studio_app.models.files import StoredFile
from studio_app.models.privacy import DataExport, PrivacyRequest, RequestKind, RequestStatus
from studio_app.models.projects import Invitation, Message, Project, ProjectDataKey, ProjectMember
from studio_app.security.blind_index import email_index
from studio_app.security.crypto import DecryptionError
from studio_app.security.keyring import current_keys
from studio_app.security.personal_data import personal_fields
from studio_app.security.policy import Actor, NotAllowed
from studio_app.services import accounts, audit, erasure, files, privacy_requests, profiles, projects, threads
from studio_app.services.accounts import AccountError, RateLimited
from studio_app.services.background import wait_until_idle
from studio_app.services.keys import data_key_of, unwrap_project_key, unwrap_user_key
from studio_app.services.people import DELETED_USER
from studio_app.services.sessions import resolve_session
from studio_app.services.validation import InvalidInput
from tests.support.accounts import CLIENT, STRONG_PASSWORD, last_mail_to, signed_in, verified_account
from tests.support.projects import add_editor, call, in_days, invite, new_project

PRODUCER_EMAIL, PRODUCER_NAME = "quentin.canary@example.com", "Quentin Canarywood"
EDITOR_EMAIL, EDITOR_NAME = "elise.finch@example.com", "Elise Finchley"


@dataclasses.dataclass
class Person:
    email: str
    name: str
    actor: Actor
    secret: str
    secrets: list[bytes] = dataclasses.field(default_factory=list)  # what must not survive the erasure
    personal_blobs: list[str] = dataclasses.field(default_factory=list)


@dataclasses.dataclass
class World:
    producer: Person
    editor: Person
    shared_project: str
    solo_project: str
    shared_blob: str
    shared_file_id: str
    solo_blob: str
    shared_messages: dict[str, str]  # body -> author email


def post(actor: Actor, project_id: str, body: str, **kwargs) -> threads.MessageView:
    return call(threads.post_message, actor, project_id, body, idempotency_key=new_id(), **kwargs)


def store(actor: Actor, project_id: str | None, name: str, content: bytes) -> files.FileView:
    with session_scope() as session:
        return files.store_file(session, actor, project_id=project_id, name=name, content_type="application/pdf",
                                chunks=[content])


def storage_key(file_id: str) -> str:
    with session_scope() as session:
        return session.get(StoredFile, file_id).storage_key


def make_person(settings, email: str, name: str, role: str) -> Person:
    verified_account(settings, email, name=name, role=role, marketing=True)
    signed_in(settings, email)  # a second browser
    secret, actor = signed_in(settings, email)
    return Person(email=email, name=name, actor=actor, secret=secret,
                  secrets=[email.encode(), email.split("@")[0].encode(), name.encode(), name.split()[-1].encode()])


def build_world(settings) -> World:
    """A producer and an editor with every kind of data the app holds about people."""
    producer = make_person(settings, PRODUCER_EMAIL, PRODUCER_NAME, "producer")
    editor = make_person(settings, EDITOR_EMAIL, EDITOR_NAME, "editor")
    for person in (producer, editor):
        with session_scope() as session:  # a pending email change: a token sealing the new address
            accounts.request_email_change(session, settings, person.actor, STRONG_PASSWORD,
                                          f"new.{person.email}")
        with session_scope() as session:
            accounts.request_password_reset(session, settings, person.email, CLIENT)
        wait_until_idle()  # the reset link is written after the answer
        details = f"Please correct the spelling {person.name.split()[-1]}zz of my name"
        call(privacy_requests.submit_request, person.actor, "correction", details)
        person.secrets.append(details.encode())
        view = store(person.actor, None, f"passport {person.name}.pdf", b"personal-canary " + person.email.encode())
        person.personal_blobs.append(storage_key(view.id))
    call(profiles.save_editor_profile, editor.actor, headline="Finchley cuts fast vertical edits", skills=[],
         languages=[], software=[], portfolio_links=["https://finchley.example/reel"], day_rate_cents=30000,
         currency="EUR", availability="available", listed=True)
    editor.secrets += [b"Finchley cuts fast", b"finchley.example/reel"]

    shared = new_project(producer.actor, "Canarywood shared teaser")
    add_editor(producer.actor, editor.actor, shared.id)
    call(projects.add_milestone, producer.actor, shared.id, "First cut", in_days(5), producer.actor.user_id)
    first = post(producer.actor, shared.id, "Hello Elise, the rushes are up.", mention_ids=[editor.actor.user_id])
    post(editor.actor, shared.id, "Thanks Quentin, starting now.", mention_ids=[producer.actor.user_id],
         reply_to_id=first.id)
    shared_file = store(editor.actor, shared.id, "shared rush.mov", b"shared-project-file")
    store(producer.actor, shared.id, "producer notes.pdf", b"producer-shared-file")

    solo = new_project(producer.actor, "Canarywood secret pilot", brief_markdown="Only Quentin knows this brief")
    call(projects.add_milestone, producer.actor, solo.id, "Secret milestone", in_days(3), producer.actor.user_id)
    post(producer.actor, solo.id, "Solo canary plan nobody else reads")
    invite(producer.actor, solo.id, settings, email="someone.else@example.com")
    solo_file = store(producer.actor, solo.id, "solo storyboard canary.pdf", b"solo-project-file")
    producer.secrets += [b"Canarywood secret pilot", b"Only Quentin knows", b"Solo canary plan", b"Secret milestone",
                         b"solo storyboard canary"]
    for person in (producer, editor):
        person.secrets += [b"passport " + person.name.encode(), b"personal-canary"]
    with session_scope() as session:  # a finished export, as the exports service leaves it
        key = current_storage().new_key()
        with current_storage().writer(key) as target:
            target.write(b"export-canary")
        session.add(DataExport(user_id=producer.actor.user_id, status="ready", storage_key=key, size_bytes=13))
    producer.personal_blobs.append(key)
    return World(producer=producer, editor=editor, shared_project=shared.id, solo_project=solo.id,
                 shared_blob=storage_key(shared_file.id), shared_file_id=shared_file.id,
                 solo_blob=storage_key(solo_file.id),
                 shared_messages={"Hello Elise, the rushes are up.": PRODUCER_EMAIL,
                                  "Thanks Quentin, starting now.": EDITOR_EMAIL})


def delete(settings, person: Person, password: str = STRONG_PASSWORD, confirmation: str = "DELETE"):
    with session_scope() as session:
        return erasure.delete_account(session, settings, person.actor, password, confirmation)


def sealed_values() -> list[tuple[str, str, object]]:
    """(table, column, row) for every non-empty value of every registered personal column."""
    models = {mapper.class_.__tablename__: mapper.class_ for mapper in SQLModel._sa_registry.mappers}
    found = []
    with session_scope() as session:
        for field in personal_fields():
            model = models[field.table]
            for row in session.exec(select(model).where(getattr(model, field.column).is_not(None))).all():
                found.append((field.table, field.column, row))
    return found


def opens(row, column: str, key) -> bool:
    from studio_app.security.fields import get_decrypted

    try:
        get_decrypted(row, column, data_key=key)
    except DecryptionError:
        return False
    return True


def raw_database_bytes(database_url: str) -> bytes:
    if database_url.startswith("sqlite"):
        path = Path(database_url.removeprefix("sqlite:///"))
        return b"".join(p.read_bytes() for p in path.parent.iterdir() if p.name.startswith(path.name))
    engine = create_db_engine(database_url)
    try:
        with engine.connect() as connection:
            tables = connection.execute(sa.text(
                "SELECT tablename FROM pg_tables WHERE schemaname = 'public'")).scalars().all()
            return b"".join(
                str(row).encode() + b"".join(bytes(value) for value in row if isinstance(value, bytes | memoryview))
                for table in tables
                for row in connection.execute(sa.text(f'SELECT * FROM "{table}"'))  # noqa: S608 (catalog names)
            )
    finally:
        engine.dispose()


# -- the summary -----------------------------------------------------------------------------------


def test_the_summary_names_what_goes_and_what_is_kept_with_the_persons_counts(settings):
    world = build_world(settings)
    summary = call(erasure.deletion_summary, world.producer.actor)
    assert [fate.title for fate in summary.deleted_projects] == ["Canarywood secret pilot"]
    assert summary.deleted_projects[0].my_messages == 1 and summary.deleted_projects[0].my_files == 1
    [kept] = summary.kept_projects
    assert (kept.title, kept.others, kept.my_messages, kept.my_files, kept.i_am_producer) == (
        "Canarywood shared teaser", (EDITOR_NAME,), 1, 1, True)
    assert summary.personal_files == 1 and summary.sessions == 2
    goes = {item.label: item.detail for item in summary.goes}
    assert "1 project nobody else works in" in goes and "1 personal file" in goes
    assert "2 signed-in browsers" in goes and "1 data export" in goes
    kept_text = " ".join(f"{item.label} {item.why} {item.until}" for item in summary.kept)
    assert "Canarywood shared teaser" in kept_text and EDITOR_NAME in kept_text and DELETED_USER in kept_text
    assert "no longer has a producer" in kept_text
    assert f"{erasure.PROOF_YEARS} years" in kept_text and "Security log" in kept_text
    editor_summary = call(erasure.deletion_summary, world.editor.actor)
    assert editor_summary.deleted_projects == () and editor_summary.kept_projects[0].others == (PRODUCER_NAME,)
    assert any(item.label == "Your editor profile" for item in editor_summary.goes)
    with pytest.raises(NotAllowed):
        call(erasure.deletion_summary, None)


# -- access rules ----------------------------------------------------------------------------------


def snapshot() -> dict[str, int]:
    with session_scope() as session:
        return {model.__tablename__: session.exec(select(sa.func.count()).select_from(model)).one()
                for model in (User, UserDataKey, UserSession, Project, Message, StoredFile, PrivacyRequest,
                              DataExport, OneTimeToken)}


def test_signed_out_wrong_password_or_no_confirmation_change_nothing(settings):
    world = build_world(settings)
    before, blobs = snapshot(), sorted(current_storage().keys())
    with pytest.raises(NotAllowed), session_scope() as session:
        erasure.delete_account(session, settings, None, STRONG_PASSWORD, "DELETE")
    with pytest.raises(InvalidInput) as wrong:
        delete(settings, world.producer, password="not my password")
    assert wrong.value.field == "password"
    for confirmation in ("", "delet", "delete", "Delete", None, ["DELETE"]):
        with pytest.raises(InvalidInput) as missing:
            delete(settings, world.producer, confirmation=confirmation)
        assert missing.value.field == "confirmation"
    assert snapshot() == before and sorted(current_storage().keys()) == blobs
    with session_scope() as session:
        assert resolve_session(session, settings, world.producer.secret) is not None


def test_password_attempts_are_rate_limited(settings):
    world = build_world(settings)
    with pytest.raises(RateLimited):
        for _ in range(20):
            with pytest.raises(InvalidInput):
                delete(settings, world.editor, password="guess")
    with pytest.raises(AccountError):  # even the right password waits now
        delete(settings, world.editor)
    assert snapshot()["user_account"] == 2


def test_a_registered_revocation_hook_runs_before_the_key_is_shredded(settings, monkeypatch):
    world = build_world(settings)
    seen = []

    def revoke(session, user_id):
        seen.append((user_id, data_key_of(session, user_id) is not None))

    def broken(session, user_id):
        audit.record_event(session, "provider.revocation_started", actor_id=user_id)
        raise ConnectionError("provider down")

    monkeypatch.setattr(erasure, "REVOCATION_HOOKS", [])
    erasure.register_revocation_hook(revoke)
    erasure.register_revocation_hook(broken)
    erasure.register_revocation_hook(revoke)  # registering twice calls it once
    delete(settings, world.editor)
    assert seen == [(world.editor.actor.user_id, True)]
    with session_scope() as session:  # the failed hook's writes were undone, the erasure went through
        kinds = set(session.exec(select(AuditEvent.kind)).all())
        assert "provider.revocation_started" not in kinds and "account.deleted" in kinds
        assert audit.verify_chain(session).ok


# -- erasure completeness --------------------------------------------------------------------------


@pytest.mark.parametrize("who", ["producer", "editor"])
def test_after_deletion_nothing_of_the_person_can_be_read_and_the_other_party_keeps_the_thread(
        settings, database_url, who):
    world = build_world(settings)
    gone, other = (world.producer, world.editor) if who == "producer" else (world.editor, world.producer)
    user_id = gone.actor.user_id
    index = email_index(current_keys().index_key, gone.email)
    with session_scope() as session:
        gone_key = data_key_of(session, user_id)
        wrapped = bytes(session.get(UserDataKey, user_id).wrapped_key)
    assert any(opens(row, column, gone_key) for _, column, row in sealed_values())  # the check below can fail

    report = delete(settings, gone)
    assert (report.projects_deleted, report.projects_kept) == ((1, 1) if who == "producer" else (0, 1))
    assert "deleted" in last_mail_to(settings, gone.email).subject

    # (a) the database: no plaintext, no key, no blind index, nothing sealed under their key
    raw = raw_database_bytes(database_url)
    assert [secret for secret in gone.secrets if secret in raw] == []
    assert wrapped not in raw and index.encode() not in raw
    with session_scope() as session:
        assert session.get(User, user_id) is None and session.get(UserDataKey, user_id) is None
        assert session.exec(select(User).where(User.email_index == index)).first() is None
        assert session.exec(select(Invitation).where(Invitation.invitee_email_index == index)).first() is None
        assert session.exec(select(UserSession).where(UserSession.user_id == user_id)).first() is None
        assert resolve_session(session, settings, gone.secret) is None
        user_keys = {row.user_id: unwrap_user_key(row.user_id, row.wrapped_key)
                     for row in session.exec(select(UserDataKey)).all()}
        project_keys = {row.project_id: unwrap_project_key(row.project_id, row.wrapped_key)
                        for row in session.exec(select(ProjectDataKey)).all()}
        kept_projects = set(session.exec(select(Project.id)).all())
        erasure_proofs = session.exec(select(PrivacyRequest).where(PrivacyRequest.kind == RequestKind.ERASURE)).all()
    # The producer's solo project goes with them; the editor was never in it.
    expected_projects = {world.shared_project} | ({world.solo_project} if who == "editor" else set())
    assert set(user_keys) == {other.actor.user_id} and kept_projects == expected_projects
    for table, column, row in sealed_values():
        assert not opens(row, column, gone_key), f"{table}.{column} is still sealed under the erased key"
        openers = [f"user:{owner}" for owner, key in user_keys.items() if opens(row, column, key)]
        openers += [f"project:{pid}" for pid, key in project_keys.items() if opens(row, column, key)]
        assert openers, f"{table}.{column} cannot be opened by any key (left behind)"
        assert openers[0] in {f"user:{other.actor.user_id}"} | {f"project:{pid}" for pid in expected_projects}
    [proof] = erasure_proofs
    assert (proof.user_id, proof.status, proof.self_served, proof.details_encrypted) == (
        None, RequestStatus.DONE, True, None)

    # (b) storage: their files and deleted projects' files are gone; the shared project's files still open
    blobs = set(current_storage().keys())
    assert not blobs & set(gone.personal_blobs) and (world.solo_blob in blobs) == (who == "editor")
    assert world.shared_blob in blobs and set(other.personal_blobs) <= blobs
    with session_scope() as session:
        described, content = files.open_file(session, other.actor, world.shared_file_id)
        assert (described.name, b"".join(content)) == ("shared rush.mov", b"shared-project-file")
        assert len(session.exec(select(StoredFile).where(StoredFile.project_id == world.shared_project)).all()) == 2

    # (c) the other party's view of the shared thread: every message, theirs by "Deleted user"
    page = call(threads.thread_page, other.actor, world.shared_project)
    shown = {message.body: message.author_name for message in page.messages}
    assert shown == {body: DELETED_USER if author == gone.email else other.name
                     for body, author in world.shared_messages.items()}
    view = call(projects.get_project, other.actor, world.shared_project)
    assert view.title == "Canarywood shared teaser"
    assert [member.display_name for member in view.members] == [other.name]
    assert len(call(projects.list_milestones, other.actor, world.shared_project)) == 1


def test_the_producer_leaves_a_shared_project_to_its_editor(settings):
    world = build_world(settings)
    delete(settings, world.producer)
    with session_scope() as session:
        project = session.get(Project, world.shared_project)
        members = session.exec(select(ProjectMember.user_id).where(ProjectMember.project_id == project.id)).all()
        kept_messages = session.exec(select(Message).where(Message.project_id == project.id)).all()
    assert project.producer_id is None and members == [world.editor.actor.user_id]
    assert sorted(message.author_id or "" for message in kept_messages) == ["", world.editor.actor.user_id]
    post(world.editor.actor, world.shared_project, "Still working on it.")  # the editor carries on


def test_old_anonymized_proofs_are_deleted_after_the_retention_period(settings):
    world = build_world(settings)
    delete(settings, world.editor)
    with session_scope() as session:
        assert erasure.purge_old_proofs(session) == 0
        assert erasure.purge_old_proofs(session, now=utcnow().replace(year=utcnow().year + erasure.PROOF_YEARS + 1)) \
            == 2  # the erasure and the correction request, both anonymized
        assert session.exec(select(PrivacyRequest).where(PrivacyRequest.user_id.is_(None))).all() == []


def test_the_email_can_sign_up_again_as_a_new_account(settings):
    world = build_world(settings)
    delete(settings, world.editor)
    verified_account(settings, EDITOR_EMAIL, name="Someone New", role="editor")
    _secret, actor = signed_in(settings, EDITOR_EMAIL)
    assert actor.user_id != world.editor.actor.user_id and uuid.UUID(actor.user_id)


def test_the_last_member_leaving_takes_the_shared_project_with_them(settings):
    world = build_world(settings)
    delete(settings, world.producer)
    assert call(erasure.deletion_summary, world.editor.actor).deleted_projects[0].id == world.shared_project
    report = delete(settings, world.editor)
    assert (report.projects_deleted, report.projects_kept) == (1, 0)
    with session_scope() as session:
        assert session.exec(select(Project)).all() == [] and session.exec(select(Message)).all() == []
        assert session.exec(select(StoredFile)).all() == []
    assert list(current_storage().keys()) == []


def test_the_audit_trail_records_the_deletion_by_pseudonymous_id_only(settings):
    world = build_world(settings)
    delete(settings, world.editor)
    with session_scope() as session:
        [event] = session.exec(select(AuditEvent).where(AuditEvent.kind == "account.deleted")).all()
        assert audit.verify_chain(session).ok
    assert event.actor_id == event.subject_id == world.editor.actor.user_id
    assert event.details == {"request_id": event.details["request_id"], "projects_deleted": 0, "projects_kept": 1,
                             "files_removed": 1, "sessions_ended": 2}
