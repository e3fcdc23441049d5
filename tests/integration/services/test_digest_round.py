"""The digest round mails people who are away, once, after the quiet period, and never those online."""

from datetime import timedelta

import sqlalchemy as sa

from studio_app.integrations.mail import read_outbox
from studio_app.jobs.digests import QUIET_PERIOD, run_digest_round
from studio_app.models.base import utcnow
from studio_app.models.projects import Notification
from studio_app.services import projects
from tests.support.projects import add_editor, call, new_project, person


def age_notifications(by: timedelta) -> None:
    from studio_app.database import session_scope

    with session_scope() as session:
        session.execute(sa.update(Notification).values(created_at=utcnow() - by))


def digests_to(settings, address: str) -> list:
    return [mail for mail in read_outbox(settings) if address in mail.to and "on Azekia Studio" in mail.subject]


def test_people_away_get_one_digest_after_the_quiet_period(sqlite_settings):
    producer = person(sqlite_settings, "pro@example.com", name="Paula Producer")
    editor = person(sqlite_settings, "ed@example.com", role="editor", name="Eddie Editor")
    project = new_project(producer, "Spring teaser")
    add_editor(producer, editor, project.id)
    call(projects.change_stage, producer, project.id, "derush")  # stage changes are mailed by default

    assert run_digest_round(sqlite_settings, online_user_ids=set()) == 0  # still in the quiet period
    age_notifications(QUIET_PERIOD + timedelta(minutes=1))
    assert run_digest_round(sqlite_settings, online_user_ids={editor.user_id}) == 0  # the editor is online
    assert run_digest_round(sqlite_settings, online_user_ids=set()) == 1
    (digest,) = digests_to(sqlite_settings, "ed@example.com")
    assert "Spring teaser" in digest.text
    assert run_digest_round(sqlite_settings, online_user_ids=set()) == 0  # never twice
    assert digests_to(sqlite_settings, "pro@example.com") == []  # the producer made the change


def test_a_due_milestone_is_announced_once_to_its_owner(sqlite_settings):
    from studio_app.services import notifications

    producer = person(sqlite_settings, "pro@example.com", name="Paula Producer")
    editor = person(sqlite_settings, "ed@example.com", role="editor", name="Eddie Editor")
    project = new_project(producer, "Spring teaser")
    add_editor(producer, editor, project.id)
    tomorrow, later = utcnow().date() + timedelta(days=1), utcnow().date() + timedelta(days=9)
    due = call(projects.add_milestone, producer, project.id, "First cut", tomorrow, editor.user_id)
    call(projects.add_milestone, producer, project.id, "Final cut", later, editor.user_id)
    done = call(projects.add_milestone, producer, project.id, "Rough order", tomorrow, producer.user_id)
    call(projects.complete_milestone, producer, done.id)

    assert call(projects.notify_due_milestones) == 1
    assert call(projects.notify_due_milestones) == 0  # told once
    texts = [item.text for item in call(notifications.notification_center, editor).items
             if item.kind == "milestone_due"]
    assert texts == ["“First cut” is due in “Spring teaser”"]
    assert due.title == "First cut"


def test_the_round_removes_blob_writes_abandoned_by_a_dead_process(sqlite_settings):
    import os

    from studio_app.integrations.storage import current_storage

    folder = current_storage().root / "ab"
    folder.mkdir(parents=True)
    abandoned = folder / ("ab" + "0" * 30 + ".1234.partial")
    abandoned.write_bytes(b"half a rush")
    os.utime(abandoned, (1, 1))
    run_digest_round(sqlite_settings, online_user_ids=())
    assert not abandoned.exists()
