"""The access matrix: every service taking a project, invitation, milestone, editor, version or publication id,
tried as an outsider (a producer of another project), as the other party where the action is not theirs, and
signed out. Each attempt is refused and changes nothing."""

import dataclasses
from datetime import timedelta

import pytest
from sqlmodel import select

from studio_app.database import session_scope
from studio_app.errors import NotFound
from studio_app.models.base import utcnow
from studio_app.models.media import MediaAsset, MediaKind
from studio_app.models.projects import EditorProfile, Invitation, Milestone, Project, ProjectEvent, ProjectMember
from studio_app.models.publications import Publication
from studio_app.security.policy import Actor, NotAllowed
from studio_app.services import connections, invitations, profiles, project_channels, projects, publications
from tests.support.connections import raw_channel
from tests.support.media import media_asset
from tests.support.projects import add_editor, call, in_days, invite, new_project, person

TOMORROW = (utcnow() + timedelta(days=1)).strftime("%Y-%m-%dT%H:%M")


@dataclasses.dataclass
class World:
    producer: Actor
    editor: Actor
    invitee: Actor
    outsider: Actor
    project_id: str
    invitation_id: str
    milestone_id: str
    version_id: str
    publication_id: str


@pytest.fixture
def world(sqlite_settings):
    producer = person(sqlite_settings, "zoe@example.com")
    editor = person(sqlite_settings, "lea@example.com", role="editor")
    invitee = person(sqlite_settings, "max@example.com", role="editor")
    outsider = person(sqlite_settings, "eve@example.com")
    new_project(outsider, title="Eve's own project")
    project = new_project(producer)
    add_editor(producer, editor, project.id)
    invitation = invite(producer, project.id, editor_id=invitee.user_id)
    milestone = call(projects.add_milestone, producer, project.id, "Music", in_days(1), producer.user_id)
    call(profiles.save_editor_profile, editor, headline="Hidden", skills=[], languages=[], software=[],
         portfolio_links=[], day_rate_cents=None, currency="EUR", availability="available", listed=False)
    version = media_asset(editor, project.id, kind=MediaKind.VERSION, version_number=1)
    with session_scope() as session:
        session.get(MediaAsset, version.id).approved_at = utcnow()
    raw_channel(producer, project.id, "announcements")
    publication = call(publications.schedule, producer, project.id, version.id, destinations=["discord"],
                       caption="Out tomorrow", when=TOMORROW, time_zone="UTC", consent=True)
    return World(producer, editor, invitee, outsider, project.id, invitation.id, milestone.id, version.id,
                 publication.id)


def snapshot():
    """Everything these services write."""
    with session_scope() as session:
        return (
            sorted((p.id, p.stage, bytes(p.brief_encrypted)) for p in session.exec(select(Project))),
            sorted((m.user_id, m.project_id, m.removed_at) for m in session.exec(select(ProjectMember))),
            sorted((i.id, i.status, i.invitee_id) for i in session.exec(select(Invitation))),
            sorted((m.id, m.done_at) for m in session.exec(select(Milestone))),
            len(session.exec(select(ProjectEvent.id)).all()),
            sorted((p.user_id, p.listed) for p in session.exec(select(EditorProfile))),
            sorted((p.id, p.status, p.scheduled_for) for p in session.exec(select(Publication))),
        )


# (name, call, the parties for whom the action is not theirs besides outsider and signed out)
CASES = [
    ("get_project", lambda w, a: call(projects.get_project, a, w.project_id), ()),
    ("project_timeline", lambda w, a: call(projects.project_timeline, a, w.project_id), ()),
    ("list_milestones", lambda w, a: call(projects.list_milestones, a, w.project_id), ()),
    ("update_brief", lambda w, a: call(projects.update_brief, a, w.project_id, "taken over"), ("editor",)),
    ("change_stage", lambda w, a: call(projects.change_stage, a, w.project_id, "cancelled"), ("editor",)),
    ("add_milestone", lambda w, a: call(projects.add_milestone, a, w.project_id, "Mine", in_days(1),
                                        w.editor.user_id), ("editor",)),
    ("complete_milestone", lambda w, a: call(projects.complete_milestone, a, w.milestone_id), ("editor",)),
    ("invite_editor", lambda w, a: invite(a, w.project_id, editor_id=w.invitee.user_id), ("editor",)),
    ("revoke_invitation", lambda w, a: call(invitations.revoke_invitation, a, w.invitation_id), ("editor", "invitee")),
    ("remove_editor", lambda w, a: call(invitations.remove_editor, a, w.project_id, w.editor.user_id), ("editor",)),
    ("accept_invitation", lambda w, a: call(invitations.accept_invitation, a, w.invitation_id),
     ("producer", "editor")),
    ("decline_invitation", lambda w, a: call(invitations.decline_invitation, a, w.invitation_id),
     ("producer", "editor")),
    ("get_editor_profile", lambda w, a: call(profiles.get_editor_profile, a, w.editor.user_id), ("invitee",)),
    ("connect_project_channel", lambda w, a: call(connections.start_connection, a, "discord",
                                                  purpose="project_channel", project_id=w.project_id), ("editor",)),
    ("disconnect_project_channel", lambda w, a: call(project_channels.disconnect_channel, a, w.project_id),
     ("editor",)),
    ("compose_publication", lambda w, a: call(publications.compose_options, a, w.project_id, w.version_id),
     ("editor",)),
    ("schedule_publication", lambda w, a: call(publications.schedule, a, w.project_id, w.version_id,
                                               destinations=["discord"], caption="Mine", when="", time_zone="UTC",
                                               consent=True), ("editor",)),
    ("reschedule_publication", lambda w, a: call(publications.reschedule, a, w.publication_id, when="",
                                                 time_zone="UTC"), ("editor",)),
    ("cancel_publication", lambda w, a: call(publications.cancel, a, w.publication_id), ("editor",)),
    ("project_publications", lambda w, a: call(publications.project_publications, a, w.project_id), ()),
    ("publication_timeline", lambda w, a: call(publications.publication, a, w.publication_id), ()),
]


@pytest.mark.parametrize(("name", "attempt", "other_parties"), CASES, ids=[case[0] for case in CASES])
def test_refused_and_nothing_changes(world, name, attempt, other_parties):
    before = snapshot()
    for role in ("outsider", *other_parties, None):
        actor = getattr(world, role) if role else None
        with pytest.raises((NotAllowed, NotFound)) as refused:
            attempt(world, actor)
        if role == "outsider" and name != "get_editor_profile":
            # Outsiders cannot tell a project they are not in from one that does not exist.
            assert "does not exist" in str(refused.value), (name, str(refused.value))
        if role is None:
            assert isinstance(refused.value, NotAllowed)
        assert snapshot() == before, (name, role)


@pytest.mark.parametrize("bad_id", ["f" * 32, "../etc", "", None, 42, "F" * 32])
def test_unknown_or_malformed_ids_get_the_outsiders_answer(world, bad_id):
    before = snapshot()
    attempts = [
        lambda: call(projects.get_project, world.producer, bad_id),
        lambda: call(projects.change_stage, world.producer, bad_id, "derush"),
        lambda: call(projects.complete_milestone, world.producer, bad_id),
        lambda: invite(world.producer, bad_id, editor_id=world.invitee.user_id),
        lambda: call(invitations.revoke_invitation, world.producer, bad_id),
        lambda: call(invitations.accept_invitation, world.invitee, bad_id),
        lambda: call(connections.start_connection, world.producer, "discord", purpose="project_channel",
                     project_id=bad_id),
        lambda: call(project_channels.disconnect_channel, world.producer, bad_id),
        lambda: call(publications.project_publications, world.producer, bad_id),
        lambda: call(publications.compose_options, world.producer, world.project_id, bad_id),
    ]
    for attempt in attempts:
        with pytest.raises(NotAllowed, match="does not exist"):
            attempt()
    with pytest.raises(NotFound):
        call(profiles.get_editor_profile, world.producer, bad_id)
    for attempt in (publications.publication, publications.cancel):
        with pytest.raises(NotFound, match="does not exist"):
            call(attempt, world.producer, bad_id)
    assert snapshot() == before


def test_the_legitimate_party_succeeds_in_the_same_world(world):
    """The matrix above is not vacuous: the same calls work for the right person."""
    assert call(projects.get_project, world.editor, world.project_id).my_role == "editor"
    call(projects.complete_milestone, world.producer, world.milestone_id)
    assert [p.id for p in call(publications.project_publications, world.editor, world.project_id)] == [
        world.publication_id]
    call(publications.reschedule, world.producer, world.publication_id, when=TOMORROW, time_zone="Europe/Paris")
    assert call(publications.cancel, world.producer, world.publication_id).status == "cancelled"
    call(invitations.accept_invitation, world.invitee, world.invitation_id)
    call(invitations.remove_editor, world.producer, world.project_id, world.editor.user_id)
    assert call(profiles.get_editor_profile, world.editor, world.editor.user_id).headline == "Hidden"
