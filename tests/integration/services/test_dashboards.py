"""Dashboards: the numbers, and a constant number of queries whatever the number of projects."""

from contextlib import contextmanager
from datetime import timedelta

import pytest
import sqlalchemy as sa

from studio_app.database import get_engine, session_scope
from studio_app.models.base import utcnow
from studio_app.models.projects import Milestone, ThreadReadMarker
from studio_app.security.policy import NotAllowed
from studio_app.services import dashboards, projects
from tests.support.projects import add_editor, call, in_days, invite, new_project, person, post_raw_message


@contextmanager
def counted_statements():
    statements = []

    def count(conn, cursor, statement, parameters, context, executemany):
        statements.append(statement)

    sa.event.listen(get_engine(), "before_cursor_execute", count)
    try:
        yield statements
    finally:
        sa.event.remove(get_engine(), "before_cursor_execute", count)


def test_producer_dashboard_numbers(settings):
    producer = person(settings, "zoe@example.com")
    editor = person(settings, "lea@example.com", role="editor")
    other = person(settings, "max@example.com", role="editor")
    soon, later = new_project(producer, title="Soon", deadline=in_days(1)), new_project(producer, title="Later")
    new_project(producer, title="Undated", deadline=None)
    add_editor(producer, editor, soon.id)
    invite(producer, later.id, editor_id=other.user_id)
    call(projects.change_stage, producer, soon.id, "derush")
    cut = call(projects.add_milestone, producer, soon.id, "Cut", in_days(3), editor.user_id)
    call(projects.add_milestone, producer, later.id, "Done one", in_days(0), producer.user_id)
    call(projects.complete_milestone, producer, call(projects.list_milestones, producer, later.id)[0].id)
    with session_scope() as session:
        session.execute(sa.update(Milestone).where(Milestone.id == cut.id).values(due_on=in_days(-2)))
    post_raw_message(soon.id, editor.user_id)
    post_raw_message(soon.id, editor.user_id, deleted_at=utcnow())
    post_raw_message(soon.id, producer.user_id)
    post_raw_message(soon.id, None)  # author erased: still someone else's message
    board = call(dashboards.producer_dashboard, producer)
    assert board.projects_by_stage["brief"] == 2 and board.projects_by_stage["derush"] == 1
    assert [p.title for p in board.next_deadlines] == ["Soon", "Later"]
    assert [(m.title, m.overdue) for m in board.next_milestones] == [("Cut", True)]
    assert board.pending_invitations_sent == 1
    assert board.unread_messages == 2
    assert board.versions_awaiting_review == 0
    with session_scope() as session:
        session.add(ThreadReadMarker(project_id=soon.id, user_id=producer.user_id,
                                     last_read_at=utcnow() + timedelta(seconds=1)))
    assert call(dashboards.producer_dashboard, producer).unread_messages == 0


def test_editor_dashboard_numbers(settings):
    producer = person(settings, "zoe@example.com")
    editor = person(settings, "lea@example.com", role="editor")
    fixing, fresh = new_project(producer, title="Fixing", deadline=in_days(2)), new_project(producer, title="Fresh")
    pending = new_project(producer, title="Pending")
    for project in (fixing, fresh):
        add_editor(producer, editor, project.id)
    invite(producer, pending.id, editor_id=editor.user_id)
    for stage in ("derush", "editing", "review", "editing"):  # review -> editing: changes requested
        call(projects.change_stage, producer, fixing.id, stage)
    for stage in ("derush", "editing"):
        call(projects.change_stage, producer, fresh.id, stage)
    post_raw_message(fresh.id, producer.user_id)
    board = call(dashboards.editor_dashboard, editor)
    assert [i.project_title for i in board.invitations] == ["Pending"]
    assert {p.title for p in board.assigned_projects} == {"Fixing", "Fresh"}
    assert [p.title for p in board.next_deadlines] == ["Fixing", "Fresh"]
    assert [p.title for p in board.changes_requested] == ["Fixing"]
    assert board.unread_messages == 1
    call(projects.change_stage, producer, fixing.id, "review")
    call(projects.change_stage, producer, fixing.id, "approved")
    assert call(dashboards.editor_dashboard, editor).changes_requested == ()


def test_each_dashboard_is_for_its_role(sqlite_settings):
    producer = person(sqlite_settings, "zoe@example.com")
    editor = person(sqlite_settings, "lea@example.com", role="editor")
    for function, actor in ((dashboards.producer_dashboard, editor), (dashboards.editor_dashboard, producer),
                            (dashboards.producer_dashboard, None), (dashboards.editor_dashboard, None)):
        with pytest.raises(NotAllowed):
            call(function, actor)


def populate(producer, editor, count: int) -> None:
    """Projects with everything a dashboard reads: members, a milestone, messages, stage moves, invitations."""
    for number in range(count):
        project = new_project(producer, title=f"Project {number}", deadline=in_days(number % 30))
        if number % 2:
            add_editor(producer, editor, project.id)
            for stage in ("derush", "editing", "review", "editing"):
                call(projects.change_stage, producer, project.id, stage)
            call(projects.add_milestone, producer, project.id, f"Cut {number}", in_days(1), editor.user_id)
            post_raw_message(project.id, producer.user_id)
            post_raw_message(project.id, editor.user_id)
        else:
            invite(producer, project.id, editor_id=editor.user_id)


@pytest.mark.parametrize("function_role", ["producer", "editor"])
def test_dashboards_run_a_constant_number_of_queries(settings, function_role):
    counts = []
    for round_number, size in enumerate((5, 50)):
        producer = person(settings, f"zoe{round_number}@example.com")
        editor = person(settings, f"lea{round_number}@example.com", role="editor")
        populate(producer, editor, size)
        function, actor = ((dashboards.producer_dashboard, producer) if function_role == "producer"
                           else (dashboards.editor_dashboard, editor))
        with counted_statements() as statements:
            board = call(function, actor)
        counts.append(len(statements))
        if function_role == "producer":
            assert sum(board.projects_by_stage.values()) == size
        else:
            assert len(board.assigned_projects) + len(board.invitations) == size
    assert counts[0] == counts[1], counts
