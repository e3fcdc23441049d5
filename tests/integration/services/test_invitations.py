"""Invitations: by account or by email (no account oracle), answer once, expiry, removal (SQLite and PostgreSQL)."""

import re
from datetime import timedelta

import pytest
import sqlalchemy as sa
from sqlmodel import select

from studio_app.database import session_scope
from studio_app.integrations.mail import read_outbox
from studio_app.models.base import utcnow
from studio_app.models.projects import Invitation, ProjectMember
from studio_app.security.policy import NotAllowed
from studio_app.services import invitations, projects
from studio_app.services.validation import InvalidInput
from tests.support.projects import add_editor, call, count_rows, invite, new_project, person


def link_token(settings, address: str) -> str:
    mails = [mail for mail in read_outbox(settings) if address in mail.to and "invited" in mail.subject]
    match = re.search(r"/invitations/([A-Za-z0-9_\-]+)", mails[-1].text)
    return match.group(1)


def test_invite_by_account_accept_and_timeline(settings):
    producer = person(settings, "zoe@example.com", name="Zoé")
    editor = person(settings, "lea@example.com", role="editor", name="Léa")
    project = new_project(producer, title="Teaser")
    sent = invite(producer, project.id, editor_id=editor.user_id)
    assert (sent.invitee, sent.status) == ("Léa", "pending")
    assert sent.expires_at - sent.created_at == timedelta(days=14)
    [received] = call(invitations.list_my_invitations, editor)
    assert (received.project_title, received.inviter_name) == ("Teaser", "Zoé")
    with pytest.raises(NotAllowed):
        call(projects.get_project, editor, project.id)
    assert call(invitations.accept_invitation, editor, sent.id) == project.id
    assert call(projects.get_project, editor, project.id).my_role == "editor"
    assert call(invitations.list_my_invitations, editor) == []
    with pytest.raises(InvalidInput):  # once
        call(invitations.accept_invitation, editor, sent.id)
    kinds = [e.kind for e in call(projects.project_timeline, producer, project.id)]
    assert kinds[:2] == ["invitation.accepted", "invitation.sent"]


def test_no_duplicate_pending_invitation_and_no_reinviting_members(sqlite_settings):
    producer = person(sqlite_settings, "zoe@example.com")
    editor = person(sqlite_settings, "lea@example.com", role="editor")
    project = new_project(producer)
    sent = invite(producer, project.id, editor_id=editor.user_id)
    with pytest.raises(InvalidInput, match="pending"):
        invite(producer, project.id, editor_id=editor.user_id)
    call(invitations.accept_invitation, editor, sent.id)
    with pytest.raises(InvalidInput, match="already a member"):
        invite(producer, project.id, editor_id=editor.user_id)
    assert count_rows(Invitation) == 1


def test_only_editors_can_be_invited_by_account(sqlite_settings):
    producer = person(sqlite_settings, "zoe@example.com")
    other_producer = person(sqlite_settings, "max@example.com")
    project = new_project(producer)
    for editor_id in (other_producer.user_id, "f" * 32, "x"):
        with pytest.raises(InvalidInput):
            invite(producer, project.id, editor_id=editor_id)
    with pytest.raises(InvalidInput):
        invite(producer, project.id)
    assert count_rows(Invitation) == 0


def test_email_invitation_looks_the_same_with_or_without_an_account(settings):
    producer = person(settings, "zoe@example.com")
    person(settings, "lea@example.com", role="editor")
    project = new_project(producer)
    known = invite(producer, project.id, settings, email="lea@example.com")
    unknown = invite(producer, project.id, settings, email="new@example.com")
    assert (known.invitee, known.status) == ("lea@example.com", "pending")
    assert (unknown.invitee, unknown.status) == ("new@example.com", "pending")
    mails = {mail.to: mail for mail in read_outbox(settings) if "invited" in mail.subject}
    texts = [re.sub(r"/invitations/\S+", "", mails[address].text) for address in ("lea@example.com",
                                                                                 "new@example.com")]
    assert texts[0] == texts[1]
    with session_scope() as session:
        rows = session.exec(select(Invitation)).all()
        assert all(row.token_hash and row.invitee_email_encrypted and row.invitee_email_index for row in rows)
        assert not any(b"example.com" in row.invitee_email_encrypted for row in rows)
        secrets = [link_token(settings, "lea@example.com"), link_token(settings, "new@example.com")]
        assert not any(secret in (row.token_hash or "") for row in rows for secret in secrets)
    timeline_details = [e.details for e in call(projects.project_timeline, producer, project.id)]
    assert all(details.get("invitee_id") is None for details in timeline_details)
    with pytest.raises(InvalidInput, match="pending"):
        invite(producer, project.id, settings, email=" NEW@example.com ")


def test_a_newcomer_signs_up_and_accepts_with_the_link(settings):
    producer = person(settings, "zoe@example.com")
    project = new_project(producer)
    invite(producer, project.id, settings, email="new@example.com")
    token = link_token(settings, "new@example.com")
    newcomer = person(settings, "someone.else@example.com", role="editor")
    assert call(invitations.accept_invitation, newcomer, token) == project.id
    assert call(projects.get_project, newcomer, project.id).my_role == "editor"
    late = person(settings, "late@example.com", role="editor")
    with pytest.raises(NotAllowed):  # single use
        call(invitations.accept_invitation, late, token)


def test_an_email_invitation_is_bound_to_the_matching_account(settings):
    producer = person(settings, "zoe@example.com")
    project = new_project(producer)
    invite(producer, project.id, settings, email="lea@example.com")
    editor = person(settings, "lea@example.com", role="editor")  # signs up after the invitation
    [received] = call(invitations.list_my_invitations, editor)
    with session_scope() as session:
        assert session.get(Invitation, received.id).invitee_id == editor.user_id
    other = person(settings, "max@example.com", role="editor")
    with pytest.raises(NotAllowed):  # bound: the link no longer works for anyone else
        call(invitations.accept_invitation, other, link_token(settings, "lea@example.com"))
    call(invitations.decline_invitation, editor, received.id)
    assert count_rows(ProjectMember) == 1
    assert call(projects.project_timeline, producer, project.id)[0].kind == "invitation.declined"


def test_expired_and_revoked_invitations_cannot_be_answered(sqlite_settings):
    producer = person(sqlite_settings, "zoe@example.com")
    editor = person(sqlite_settings, "lea@example.com", role="editor")
    project = new_project(producer)
    old = invite(producer, project.id, editor_id=editor.user_id)
    with session_scope() as session:
        session.execute(sa.update(Invitation).values(expires_at=utcnow() - timedelta(seconds=1)))
    assert call(invitations.list_my_invitations, editor) == []
    with pytest.raises(InvalidInput, match="expired"):
        call(invitations.accept_invitation, editor, old.id)
    fresh = invite(producer, project.id, editor_id=editor.user_id)  # the expired one does not block
    call(invitations.revoke_invitation, producer, fresh.id)
    with pytest.raises(InvalidInput, match="revoked"):
        call(invitations.accept_invitation, editor, fresh.id)
    assert count_rows(ProjectMember) == 1
    assert call(projects.project_timeline, producer, project.id)[0].kind == "invitation.revoked"


def test_only_the_invitee_answers(sqlite_settings):
    producer = person(sqlite_settings, "zoe@example.com")
    editor = person(sqlite_settings, "lea@example.com", role="editor")
    other = person(sqlite_settings, "max@example.com", role="editor")
    project = new_project(producer)
    sent = invite(producer, project.id, editor_id=editor.user_id)
    for actor in (other, producer, None):
        for answer in (invitations.accept_invitation, invitations.decline_invitation):
            with pytest.raises(NotAllowed):
                call(answer, actor, sent.id)
    with session_scope() as session:
        assert session.get(Invitation, sent.id).status == "pending"


def test_removed_editor_loses_access_at_once_and_can_come_back(settings):
    producer = person(settings, "zoe@example.com")
    editor = person(settings, "lea@example.com", role="editor")
    project = new_project(producer)
    add_editor(producer, editor, project.id)
    call(invitations.remove_editor, producer, project.id, editor.user_id)
    for function in (projects.get_project, projects.project_timeline, projects.list_milestones):
        with pytest.raises(NotAllowed, match="does not exist"):
            call(function, editor, project.id)
    assert call(projects.list_my_projects, editor) == []
    assert [m.role for m in call(projects.get_project, producer, project.id).members] == ["producer"]
    removal = call(projects.project_timeline, producer, project.id)[0]
    assert (removal.kind, removal.subject) == ("member.removed", "Lea")  # names who
    with pytest.raises(InvalidInput):
        call(invitations.remove_editor, producer, project.id, editor.user_id)
    add_editor(producer, editor, project.id)
    assert call(projects.get_project, editor, project.id).my_role == "editor"


def test_the_producer_cannot_be_removed(sqlite_settings):
    producer = person(sqlite_settings, "zoe@example.com")
    project = new_project(producer)
    with pytest.raises(InvalidInput):
        call(invitations.remove_editor, producer, project.id, producer.user_id)


def test_a_link_names_the_project_and_the_producer_until_it_is_used_or_expired(settings):
    producer = person(settings, "zoe@example.com", name="Zoé Producer")
    project = new_project(producer, title="Spring teaser")
    invite(producer, project.id, settings, email="new@example.com")
    token = link_token(settings, "new@example.com")
    newcomer = person(settings, "someone.else@example.com", role="editor")
    shown = call(invitations.describe_link, newcomer, token)
    assert (shown.project_title, shown.inviter_name) == ("Spring teaser", "Zoé Producer")
    with pytest.raises(NotAllowed):  # a producer is not who the link invites
        call(invitations.describe_link, producer, token)
    with pytest.raises(NotAllowed):
        call(invitations.describe_link, None, token)
    call(invitations.accept_invitation, newcomer, token)
    with pytest.raises(InvalidInput, match="already used"):
        call(invitations.describe_link, newcomer, token)
    with pytest.raises(InvalidInput, match="already used"):  # an unknown link reads the same
        call(invitations.describe_link, newcomer, "made-up-token")

    invite(producer, project.id, settings, email="late@example.com")
    late_token = link_token(settings, "late@example.com")
    with session_scope() as session:
        session.execute(sa.update(Invitation).where(Invitation.status == "pending")
                        .values(expires_at=utcnow() - timedelta(minutes=1)))
    with pytest.raises(InvalidInput, match="expired"):
        call(invitations.describe_link, person(settings, "late@example.com", role="editor"), late_token)
