"""Invitations and stage changes reach the people concerned in their notification center."""

from studio_app.services import notifications, projects
from tests.support.projects import add_editor, call, invite, new_project, person


def center_texts(actor) -> list[str]:
    return [item.text for item in call(notifications.notification_center, actor).items]


def test_an_invited_editor_is_notified(sqlite_settings):
    producer = person(sqlite_settings, "pro@example.com", name="Paula Producer")
    editor = person(sqlite_settings, "ed@example.com", role="editor", name="Eddie Editor")
    project = new_project(producer, "Spring teaser")
    invite(producer, project.id, editor_id=editor.user_id)
    assert call(notifications.unread_notification_count, editor) == 1
    assert call(notifications.unread_notification_count, producer) == 0
    assert any("Spring teaser" in text for text in center_texts(editor))


def test_stage_changes_notify_the_other_members_and_review_is_its_own_kind(sqlite_settings):
    producer = person(sqlite_settings, "pro@example.com", name="Paula Producer")
    editor = person(sqlite_settings, "ed@example.com", role="editor", name="Eddie Editor")
    project = new_project(producer, "Spring teaser")
    add_editor(producer, editor, project.id)
    call(projects.change_stage, producer, project.id, "derush")
    call(projects.change_stage, editor, project.id, "editing")
    call(projects.change_stage, editor, project.id, "review")
    kinds = [item.kind for item in call(notifications.notification_center, producer).items]
    assert sorted(kinds) == ["review_requested", "stage_change"]  # never notified of their own move
    editor_kinds = [item.kind for item in call(notifications.notification_center, editor).items]
    assert editor_kinds == ["stage_change", "invitation"]  # add_editor went through an invitation
    assert center_texts(producer) == ["Eddie Editor asked for your review on “Spring teaser”",
                                      "Eddie Editor moved “Spring teaser” to Editing"]  # says which stage


def test_reading_a_thread_reads_its_message_notifications_only(sqlite_settings):
    from studio_app.services import threads

    producer = person(sqlite_settings, "pro@example.com", name="Paula Producer")
    editor = person(sqlite_settings, "ed@example.com", role="editor", name="Eddie Editor")
    first, second = new_project(producer, "First"), new_project(producer, "Second")
    for project in (first, second):
        add_editor(producer, editor, project.id)
        call(threads.post_message, producer, project.id, "hello", idempotency_key=f"k-{project.id[:8]}")
    assert call(notifications.unread_notification_count, editor) == 4  # two invitations, two messages
    assert call(notifications.mark_thread_notifications_read, editor, first.id) == 1
    assert call(notifications.mark_thread_notifications_read, producer, first.id) == 0  # only one's own
    unread = [item.kind for item in call(notifications.notification_center, editor).items if not item.read]
    assert sorted(unread) == ["invitation", "invitation", "message"]


def test_a_mention_notifies_the_mentioned_member_as_a_mention(sqlite_settings):
    from studio_app.services import threads

    producer = person(sqlite_settings, "pro@example.com", name="Paula Producer")
    editor = person(sqlite_settings, "ed@example.com", role="editor", name="Eddie Editor")
    project = new_project(producer, "Spring teaser")
    add_editor(producer, editor, project.id)
    call(threads.post_message, producer, project.id, "Can you check this?", idempotency_key="m-1",
         mention_ids=[editor.user_id])
    call(threads.post_message, producer, project.id, "Thanks", idempotency_key="m-2")
    items = [(item.kind, item.text) for item in call(notifications.notification_center, editor).items
             if item.kind in ("mention", "message")]
    assert items == [("message", "Paula Producer posted in “Spring teaser”"),
                     ("mention", "Paula Producer mentioned you in “Spring teaser”")]
    assert call(notifications.preferences, editor)["mention"] == "email"


def test_a_thread_makes_one_unread_notification_that_counts_its_messages_until_read(settings):
    from studio_app.services import threads

    producer = person(settings, "pro@example.com", name="Paula Producer")
    editor = person(settings, "ed@example.com", role="editor", name="Eddie Editor")
    project, other = new_project(producer, "Spring teaser"), new_project(producer, "Podcast")
    for each in (project, other):
        add_editor(producer, editor, each.id)
    call(notifications.mark_notifications_read, editor)  # the invitations
    for number in range(3):
        call(threads.post_message, producer, project.id, f"note {number}", idempotency_key=f"n-{number}")
    call(threads.post_message, producer, other.id, "hello", idempotency_key="o-1")
    call(threads.post_message, editor, project.id, "On it", idempotency_key="e-1")  # the producer's own
    assert call(notifications.unread_notification_count, editor) == 2  # one per thread, not four
    assert [item.text for item in call(notifications.notification_center, editor).items if not item.read] == [
        "Paula Producer posted in “Podcast”",
        "3 new messages in “Spring teaser”, the latest from Paula Producer",
    ]
    assert center_texts(producer)[0] == "Eddie Editor posted in “Spring teaser”"

    call(notifications.mark_thread_notifications_read, editor, project.id)
    call(threads.post_message, producer, project.id, "one more", idempotency_key="n-4")
    items = [(item.text, item.read) for item in call(notifications.notification_center, editor).items
             if "Spring teaser" in item.text]
    assert items[:2] == [("Paula Producer posted in “Spring teaser”", False),  # a new one once the old was read
                         ("3 new messages in “Spring teaser”, the latest from Paula Producer", True)]
