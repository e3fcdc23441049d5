"""Project rules: creation, brief, stages, timeline and milestones (SQLite and PostgreSQL)."""

from datetime import timedelta

import pytest
import sqlalchemy as sa
from sqlmodel import select

from studio_app.database import session_scope
from studio_app.models.projects import Milestone, Project, ProjectDataKey, ProjectEvent, ProjectMember
from studio_app.security.policy import NotAllowed
from studio_app.services import accounts, projects
from studio_app.services.validation import InvalidInput
from tests.support.projects import add_editor, call, count_rows, in_days, new_project, person


@pytest.fixture
def team(settings):
    producer = person(settings, "zoe@example.com", name="Zoé")
    editor = person(settings, "lea@example.com", role="editor", name="Léa")
    return producer, editor


def test_create_project_seals_content_and_records_the_start(settings):
    producer = person(settings, "zoe@example.com", name="Zoé")
    view = new_project(producer, title="Launch <b>teaser</b>", platforms=["discord", "tiktok"])
    assert view.title == "Launch <b>teaser</b>" and view.brief_markdown.startswith("# Brief")
    assert view.platforms == ("tiktok", "discord") and view.stage == "brief" and view.my_role == "producer"
    assert [(m.display_name, m.role) for m in view.members] == [("Zoé", "producer")]
    with session_scope() as session:
        row = session.get(Project, view.id)
        assert b"Launch" not in row.title_encrypted and b"rushes" not in row.brief_encrypted
        assert session.get(ProjectDataKey, view.id) is not None
    assert [e.kind for e in call(projects.project_timeline, producer, view.id)] == ["project.created"]
    assert call(projects.get_project, producer, view.id) == view


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"title": ""}, "title"),
        ({"title": "t" * 121}, "title"),
        ({"brief_markdown": "b" * 20_001}, "brief_markdown"),
        ({"platforms": ["youtube"]}, "platforms"),
        ({"video_format": "cinema"}, "video_format"),
        ({"deadline": "yesterday"}, "deadline"),
        ({"deadline": in_days(-1)}, "deadline"),
    ],
)
def test_bad_project_input_is_refused(sqlite_settings, change, field):
    producer = person(sqlite_settings, "zoe@example.com")
    with pytest.raises(InvalidInput) as refused:
        new_project(producer, **change)
    assert refused.value.field == field
    assert count_rows(Project) == 0


def test_editors_cannot_create_projects(sqlite_settings):
    editor = person(sqlite_settings, "lea@example.com", role="editor")
    with pytest.raises(NotAllowed):
        new_project(editor)
    assert count_rows(Project) == 0


def test_brief_is_stored_as_typed(sqlite_settings):
    producer = person(sqlite_settings, "zoe@example.com")
    project = new_project(producer)
    brief = "<script>alert(1)</script>\n\n* keep the *hook*"
    assert call(projects.update_brief, producer, project.id, brief).brief_markdown == brief
    assert call(projects.project_timeline, producer, project.id)[0].kind == "project.brief_updated"


def test_stage_walks_the_workflow_and_each_move_is_in_the_timeline(settings, team):
    producer, editor = team
    project = new_project(producer)
    add_editor(producer, editor, project.id)
    moves = [(producer, "derush"), (editor, "editing"), (editor, "review"), (producer, "editing"),
             (editor, "review"), (producer, "approved"), (producer, "scheduled"), (producer, "published"),
             (producer, "archived")]
    for actor, stage in moves:
        assert call(projects.change_stage, actor, project.id, stage).stage == stage
    timeline = call(projects.project_timeline, producer, project.id, limit=100)
    stage_events = [e for e in reversed(timeline) if e.kind.startswith("project.") and "from" in e.details]
    assert [e.details["to"] for e in stage_events] == [stage for _, stage in moves]
    assert [e.actor_name for e in stage_events[:3]] == ["Zoé", "Léa", "Léa"]
    assert stage_events[3].kind == "project.changes_requested"


@pytest.mark.parametrize(("path", "target"), [((), "editing"), (("derush",), "approved"), (("cancelled",), "brief"),
                                              (("cancelled",), "cancelled"), ((), "archived"), ((), "nowhere")])
def test_impossible_moves_are_refused(sqlite_settings, path, target):
    producer = person(sqlite_settings, "zoe@example.com")
    project = new_project(producer)
    for stage in path:
        call(projects.change_stage, producer, project.id, stage)
    with pytest.raises(InvalidInput):
        call(projects.change_stage, producer, project.id, target)
    assert call(projects.get_project, producer, project.id).stage == (path[-1] if path else "brief")


def test_any_open_stage_can_be_cancelled_then_archived(sqlite_settings):
    producer = person(sqlite_settings, "zoe@example.com")
    project = new_project(producer)
    call(projects.change_stage, producer, project.id, "derush")
    call(projects.change_stage, producer, project.id, "cancelled")
    assert call(projects.change_stage, producer, project.id, "archived").stage == "archived"


def test_editors_make_only_their_moves(sqlite_settings):
    producer = person(sqlite_settings, "zoe@example.com")
    editor = person(sqlite_settings, "lea@example.com", role="editor")
    project = new_project(producer)
    add_editor(producer, editor, project.id)
    with pytest.raises(NotAllowed):
        call(projects.change_stage, editor, project.id, "cancelled")
    for stage in ("derush", "editing", "review"):
        call(projects.change_stage, editor, project.id, stage)
    with pytest.raises(NotAllowed):
        call(projects.change_stage, editor, project.id, "approved")
    with pytest.raises(NotAllowed):
        call(projects.update_brief, editor, project.id, "mine now")
    assert call(projects.get_project, editor, project.id).stage == "review"


def test_timeline_names_people_in_one_batch_and_survives_erasure(sqlite_settings):
    producer = person(sqlite_settings, "zoe@example.com", name="Zoé")
    editor = person(sqlite_settings, "lea@example.com", role="editor", name="Léa")
    project = new_project(producer)
    add_editor(producer, editor, project.id)
    names = {e.actor_name for e in call(projects.project_timeline, producer, project.id)}
    assert names == {"Zoé", "Léa"}
    with session_scope() as session:  # crypto-shredding the editor leaves the timeline readable
        session.execute(sa.text("DELETE FROM user_data_key WHERE user_id = :id"), {"id": editor.user_id})
    names = {e.actor_name for e in call(projects.project_timeline, producer, project.id)}
    assert names == {"Zoé", "Deleted user"}
    assert len(call(projects.project_timeline, producer, project.id, limit=1)) == 1


def test_milestones_owner_completion_and_overdue(settings, team):
    producer, editor = team
    project = new_project(producer)
    add_editor(producer, editor, project.id)
    rough = call(projects.add_milestone, producer, project.id, "Rough cut", in_days(2), editor.user_id)
    music = call(projects.add_milestone, producer, project.id, "Music", in_days(0), producer.user_id)
    assert (rough.owner_name, rough.done, rough.overdue) == ("Léa", False, False)
    with session_scope() as session:  # time passes
        session.execute(sa.update(Milestone).where(Milestone.id == rough.id).values(due_on=in_days(-1)))
    listed = call(projects.list_milestones, editor, project.id)
    assert [(m.title, m.overdue) for m in listed] == [("Rough cut", True), ("Music", False)]
    with pytest.raises(NotAllowed):
        call(projects.complete_milestone, editor, music.id)
    assert call(projects.complete_milestone, editor, rough.id).done
    assert call(projects.complete_milestone, producer, music.id).done
    assert [m.overdue for m in call(projects.list_milestones, producer, project.id)] == [False, False]
    timeline = [(e.kind, e.subject) for e in call(projects.project_timeline, producer, project.id)]
    assert [entry for entry in timeline if entry[0].startswith("milestone.")] == [  # each names its milestone
        ("milestone.completed", "Music"), ("milestone.completed", "Rough cut"),
        ("milestone.added", "Music"), ("milestone.added", "Rough cut")]
    with session_scope() as session:
        assert b"Rough" not in session.get(Milestone, rough.id).title_encrypted


def test_milestone_owner_must_be_a_member_and_input_valid(sqlite_settings):
    producer = person(sqlite_settings, "zoe@example.com")
    stranger = person(sqlite_settings, "max@example.com", role="editor")
    project = new_project(producer)
    for title, due, owner, field in [("Cut", in_days(1), stranger.user_id, "owner_id"),
                                     ("Cut", in_days(1), "x", "owner_id"),
                                     ("", in_days(1), producer.user_id, "title"),
                                     ("Cut", in_days(-1), producer.user_id, "due_on")]:
        with pytest.raises(InvalidInput) as refused:
            call(projects.add_milestone, producer, project.id, title, due, owner)
        assert refused.value.field == field
    assert count_rows(Milestone) == 0


def test_my_projects_lists_active_memberships_only(sqlite_settings):
    producer = person(sqlite_settings, "zoe@example.com")
    editor = person(sqlite_settings, "lea@example.com", role="editor")
    first, second = new_project(producer, title="First"), new_project(producer, title="Second")
    add_editor(producer, editor, first.id)
    assert {p.title for p in call(projects.list_my_projects, producer)} == {"First", "Second"}
    assert [(p.title, p.my_role) for p in call(projects.list_my_projects, editor)] == [("First", "editor")]
    assert len(call(projects.list_my_projects, producer, limit=1)) == 1
    with session_scope() as session:
        session.execute(sa.update(ProjectMember).where(ProjectMember.user_id == editor.user_id)
                        .values(removed_at=accounts.utcnow() - timedelta(seconds=1)))
    assert call(projects.list_my_projects, editor) == []
    assert second.id not in {p.id for p in call(projects.list_my_projects, editor)}


def test_events_hold_no_content(sqlite_settings):
    producer = person(sqlite_settings, "zoe@example.com")
    project = new_project(producer, title="Secret title")
    call(projects.update_brief, producer, project.id, "Secret brief")
    with session_scope() as session:
        details = [str(e.details) for e in session.exec(select(ProjectEvent))]
    assert not any("Secret" in text for text in details)
