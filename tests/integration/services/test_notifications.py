"""Notifications: who gets them, preferences, the in-app center and batched email for offline members."""

import pytest
import sqlalchemy as sa
from sqlmodel import select

from studio_app.database import get_engine, session_scope
from studio_app.integrations.mail import MailError, read_outbox
from studio_app.models.accounts import UserDataKey
from studio_app.models.base import new_id
from studio_app.models.projects import Notification
from studio_app.security.policy import NotAllowed
from studio_app.services import mailing, notifications, threads
from studio_app.services.validation import InvalidInput
from tests.support.threads import create_project, member, producer_and_editor


def post(actor, project_id, body="Rushes are up"):
    with session_scope() as session:
        return threads.post_message(session, actor, project_id, body, idempotency_key=new_id())


def notify(**kwargs):
    with session_scope() as session:
        return notifications.notify(session, **kwargs)


def center(actor, **kwargs):
    with session_scope() as session:
        return notifications.notification_center(session, actor, **kwargs)


def set_preference(actor, kind, channel):
    with session_scope() as session:
        notifications.set_preference(session, actor, kind, channel)


def rows_of(actor):
    with session_scope() as session:
        return session.exec(select(Notification).where(Notification.user_id == actor.user_id)).all()


def digests(settings, *offline):
    with session_scope() as session:
        sending = notifications.send_email_digests(session, settings, offline_user_ids=[a.user_id for a in offline])
    return sending.sent  # known once committed: mail goes out after the commit


def digest_mails(settings):
    return [mail for mail in read_outbox(settings) if "notification" in mail.subject]


@pytest.fixture
def people(sqlite_settings):
    producer, editor = producer_and_editor(sqlite_settings)
    return producer, editor, create_project(producer, editor)


def test_a_message_notifies_the_other_members_not_its_author(people):
    producer, editor, project_id = people
    posted = post(producer, project_id)
    assert rows_of(producer) == []
    [row] = rows_of(editor)
    assert (row.kind, row.project_id, row.actor_id, row.subject_id) == ("message", project_id, producer.user_id,
                                                                         posted.id)
    [item] = center(editor).items
    assert (item.text, item.link, item.read) == ("Zoé Martin posted in “Launch teaser”", f"/projects/{project_id}",
                                                 False)


def test_none_silences_a_kind_and_only_that_kind(people):
    producer, editor, project_id = people
    set_preference(editor, "message", "none")
    post(producer, project_id)
    assert rows_of(editor) == []
    assert notify(user_ids=[editor.user_id, producer.user_id], kind="stage_change", project_id=project_id,
                  actor_id=producer.user_id) == 1
    assert [row.kind for row in rows_of(editor)] == ["stage_change"]


def test_notify_writes_all_recipients_in_one_insert(people, sqlite_settings):
    producer, editor, project_id = people
    others = [member(sqlite_settings, f"e{n}@example.com", name=f"Ed {n}", role="editor") for n in range(3)]
    statements = []

    def record(conn, cursor, statement, parameters, context, executemany):
        statements.append(statement)

    sa.event.listen(get_engine(), "before_cursor_execute", record)
    try:
        written = notify(user_ids=[editor.user_id] + [o.user_id for o in others], kind="invitation",
                         project_id=project_id, actor_id=producer.user_id)
    finally:
        sa.event.remove(get_engine(), "before_cursor_execute", record)
    assert written == 4
    assert len([s for s in statements if s.lstrip().upper().startswith("INSERT")]) == 1
    with pytest.raises(ValueError, match="unknown notification kind"):
        notify(user_ids=[editor.user_id], kind="gossip")


def test_preferences_have_defaults_and_accept_only_known_values(people):
    _, editor, _ = people
    with session_scope() as session:
        assert notifications.preferences(session, editor) == {
            "message": "in_app", "mention": "email", "invitation": "email", "stage_change": "email",
            "milestone_due": "email", "review_requested": "email", "export_ready": "email",
            "review_comment": "in_app", "version_approved": "email", "changes_requested": "email",
            "published": "email", "publication_failed": "email", "reconnect_needed": "email", "channel_dead": "email",
            "disclosure": "in_app"}
    set_preference(editor, "message", "email")
    set_preference(editor, "message", "none")  # a second choice replaces the first
    set_preference(editor, "milestone_due", "in_app")
    with session_scope() as session:
        chosen = notifications.preferences(session, editor)
    assert (chosen["message"], chosen["milestone_due"], chosen["invitation"]) == ("none", "in_app", "email")
    for kind, channel, field in (("gossip", "email", "kind"), ("message", "pigeon", "channel")):
        with pytest.raises(InvalidInput) as error:
            set_preference(editor, kind, channel)
        assert error.value.field == field


def test_the_center_lists_newest_first_and_marks_read_only_the_actors_own(people):
    producer, editor, project_id = people
    post(producer, project_id, "one")
    notify(user_ids=[editor.user_id], kind="review_requested", project_id=project_id, actor_id=producer.user_id)
    notify(user_ids=[editor.user_id], kind="milestone_due", project_id=project_id)
    post(editor, project_id, "for the producer")
    shown = center(editor)
    assert [item.text for item in shown.items] == [
        "A milestone of “Launch teaser” is due",
        "Zoé Martin asked for your review on “Launch teaser”",
        "Zoé Martin posted in “Launch teaser”",
    ]
    assert shown.unread_count == 3 and len(center(editor, limit=2).items) == 2
    producers_own = center(producer).items[0].id
    with session_scope() as session:
        assert notifications.mark_notifications_read(session, editor, [shown.items[0].id, producers_own]) == 1
    assert center(producer).unread_count == 1
    assert [item.read for item in center(editor).items] == [True, False, False]
    with session_scope() as session:
        assert notifications.mark_notifications_read(session, editor) == 2
        assert notifications.unread_notification_count(session, editor) == 0
    for ids in (["bad id"], [new_id()] * 201):
        with session_scope() as session, pytest.raises(InvalidInput):
            notifications.mark_notifications_read(session, editor, ids)
    for limit in (0, 101):
        with pytest.raises(InvalidInput):
            center(editor, limit=limit)


def test_an_erased_actor_reads_as_deleted_user(people):
    producer, editor, project_id = people
    post(producer, project_id)
    with session_scope() as session:
        session.delete(session.get(UserDataKey, producer.user_id))
    assert center(editor).items[0].text == "Deleted user posted in “Launch teaser”"


def test_signed_out_visitors_are_refused(people):
    with session_scope() as session:
        for call in (lambda: notifications.notification_center(session, None),
                     lambda: notifications.unread_notification_count(session, None),
                     lambda: notifications.mark_notifications_read(session, None),
                     lambda: notifications.preferences(session, None),
                     lambda: notifications.set_preference(session, None, "message", "none")):
            with pytest.raises(NotAllowed, match="sign in"):
                call()


def test_one_digest_per_offline_user_listing_everything_then_nothing_again(settings):
    producer, editor = producer_and_editor(settings)
    project_id = create_project(producer, editor)
    set_preference(producer, "message", "email")
    for body in ("one", "two", "three"):
        post(editor, project_id, body)
    notify(user_ids=[producer.user_id], kind="stage_change", project_id=project_id, actor_id=editor.user_id)
    post(producer, project_id, "reply")  # the editor's message notifications default to in-app only
    assert digests(settings, producer, editor) == 1
    [mail] = digest_mails(settings)
    assert mail.to == "zoe@example.com" and mail.subject == "2 new notifications on Azekia Studio"
    assert mail.text.count("3 new messages in “Launch teaser”, the latest from Eli Moreau") == 1  # one per thread
    assert "Eli Moreau moved “Launch teaser” to another stage" in mail.text  # (no stage given to notify here)
    assert f"{settings.public_url}/projects/{project_id}" in mail.text
    assert all(row.emailed_at is not None for row in rows_of(producer))
    assert all(row.emailed_at is None for row in rows_of(editor))
    assert digests(settings, producer, editor) == 0 and len(digest_mails(settings)) == 1
    post(editor, project_id, "four")  # the thread is still unread: its notification counts it, to be mailed again
    assert digests(settings, producer, editor) == 1
    assert "4 new messages in “Launch teaser”" in digest_mails(settings)[-1].text


def test_digests_skip_read_in_app_only_and_online_users(people, sqlite_settings):
    producer, editor, project_id = people
    post(producer, project_id)  # "message" is in-app only by default
    notify(user_ids=[editor.user_id], kind="invitation", project_id=project_id, actor_id=producer.user_id)
    with session_scope() as session:
        notifications.mark_notifications_read(session, editor)
    notify(user_ids=[producer.user_id], kind="review_requested", project_id=project_id, actor_id=editor.user_id)
    assert digests(sqlite_settings, editor) == 0  # the producer is online: not in the list
    assert digest_mails(sqlite_settings) == []


def test_a_long_digest_lists_twenty_and_counts_the_rest(people, sqlite_settings):
    _, editor, project_id = people
    for _ in range(25):
        notify(user_ids=[editor.user_id], kind="milestone_due", project_id=project_id)
    assert digests(sqlite_settings, editor) == 1
    [mail] = digest_mails(sqlite_settings)
    assert mail.text.count("A milestone of “Launch teaser” is due") == 20
    assert "And 5 more" in mail.text and mail.subject.startswith("25 new")
    assert all(row.emailed_at is not None for row in rows_of(editor))


def test_a_failed_mail_is_retried_next_run_and_does_not_stop_the_others(people, sqlite_settings, monkeypatch):
    producer, editor, project_id = people
    for actor in (producer, editor):
        notify(user_ids=[actor.user_id], kind="milestone_due", project_id=project_id)
    real_send = mailing.send_mail

    def refuse_zoe(settings, to, subject, text):
        if to == "zoe@example.com":
            raise MailError("mailbox unavailable")
        real_send(settings, to, subject, text)

    monkeypatch.setattr(mailing, "send_mail", refuse_zoe)
    assert digests(sqlite_settings, producer, editor) == 1
    assert [mail.to for mail in digest_mails(sqlite_settings)] == ["eli@example.com"]
    assert [row.emailed_at for row in rows_of(producer)] == [None]
    monkeypatch.setattr(mailing, "send_mail", real_send)
    assert digests(sqlite_settings, producer, editor) == 1
    assert [mail.to for mail in digest_mails(sqlite_settings)][-1] == "zoe@example.com"
