"""Project threads: posting, idempotency, replies, mentions, edits, deletion, pages, read markers, access."""

import pytest
import sqlalchemy as sa
from sqlmodel import select

from studio_app.database import get_engine, session_scope
from studio_app.models.accounts import UserDataKey
from studio_app.models.base import new_id, utcnow
from studio_app.models.projects import Message, Notification, ProjectMember, ThreadReadMarker
from studio_app.security.policy import NotAllowed
from studio_app.services import threads
from studio_app.services.validation import InvalidInput
from tests.support.threads import bulk_messages, create_project, member, producer_and_editor


def post(actor, project_id, body="Rushes are up", *, key=None, **kwargs):
    with session_scope() as session:
        return threads.post_message(session, actor, project_id, body, idempotency_key=key or new_id(), **kwargs)


def page(actor, project_id, **kwargs):
    with session_scope() as session:
        return threads.thread_page(session, actor, project_id, **kwargs)


def unread(actor):
    with session_scope() as session:
        return threads.unread_counts(session, actor)


def message_rows(project_id):
    with session_scope() as session:
        return session.exec(select(Message).where(Message.project_id == project_id)).all()


@pytest.fixture
def people(sqlite_settings):
    producer, editor = producer_and_editor(sqlite_settings)
    return producer, editor, create_project(producer, editor)


def test_a_posted_message_reads_back_for_both_members(people):
    producer, editor, project_id = people
    posted = post(producer, project_id, "  First cut by Friday?  ")
    assert (posted.body, posted.author_name, posted.author_initials, posted.is_mine) == (
        "First cut by Friday?", "Zoé Martin", "ZM", True)
    [seen] = page(editor, project_id).messages
    assert (seen.id, seen.body, seen.author_id, seen.is_mine, seen.edited, seen.deleted) == (
        posted.id, "First cut by Friday?", producer.user_id, False, False, False)
    [row] = message_rows(project_id)
    assert b"First cut" not in bytes(row.body_encrypted)


@pytest.mark.parametrize(("body", "key"), [
    ("   \n ", "draft-1"), ("x" * 8_001, "draft-1"), (None, "draft-1"),
    ("Hello", ""), ("Hello", "has space"), ("Hello", "k" * 65), ("Hello", None),
])
def test_bodies_and_draft_keys_are_checked(people, body, key):
    producer, _, project_id = people
    with session_scope() as session, pytest.raises(InvalidInput) as error:
        threads.post_message(session, producer, project_id, body, idempotency_key=key)
    assert error.value.field == ("body" if key == "draft-1" else "idempotency_key")
    assert message_rows(project_id) == []


def test_the_longest_body_is_accepted(people):
    producer, _, project_id = people
    assert len(post(producer, project_id, " " + "x" * 8_000 + " ").body) == 8_000


def test_posting_the_same_draft_twice_keeps_one_message(settings):
    producer, editor = producer_and_editor(settings)
    project_id = create_project(producer, editor)
    first = post(producer, project_id, "See you at 10", key="draft-42")
    # A reconnect replays the send from a fresh session: same key, same message.
    replay = post(producer, project_id, "See you at 10", key="draft-42")
    assert replay.id == first.id and replay.body == "See you at 10"
    assert len(message_rows(project_id)) == 1
    with session_scope() as session:
        assert len(session.exec(select(Notification).where(Notification.user_id == editor.user_id)).all()) == 1
    # The key belongs to its author: the other member may use the same one.
    assert post(editor, project_id, "OK", key="draft-42").id != first.id


def test_losing_the_race_to_a_concurrent_send_returns_the_winner(settings):
    """The insert is tried first (no look-up on the hot path): the unique key makes the second of two tabs
    sending the same draft insert nothing, and the rest of its transaction stands."""
    producer, editor = producer_and_editor(settings)
    project_id = create_project(producer, editor)
    winner = post(producer, project_id, "Both tabs sent this", key="draft-7")
    with session_scope() as session:
        threads.mark_thread_read(session, producer, project_id)
        loser = threads.post_message(session, producer, project_id, "Both tabs sent this", idempotency_key="draft-7")
    assert loser.id == winner.id
    assert len(message_rows(project_id)) == 1
    with session_scope() as session:  # the work done before the failed insert was kept
        assert session.get(ThreadReadMarker, (project_id, producer.user_id)) is not None


def test_a_draft_key_used_in_another_project_is_refused(people):
    producer, editor, project_id = people
    other = create_project(producer, editor, title="Other")
    post(producer, project_id, key="draft-1")
    with pytest.raises(InvalidInput) as error:
        post(producer, other, key="draft-1")
    assert error.value.field == "idempotency_key"


def test_a_reply_quotes_its_message_and_must_be_in_the_same_thread(people):
    producer, editor, project_id = people
    original = post(producer, project_id, "y" * 200)
    reply = post(editor, project_id, "Yes", reply_to_id=original.id)
    assert reply.reply_to == threads.QuoteView(id=original.id, author_name="Zoé Martin", excerpt="y" * 140)
    other_project = create_project(producer, editor, title="Other")
    elsewhere = post(producer, other_project, "Elsewhere")
    for reply_to_id in (elsewhere.id, new_id(), "../etc"):
        with pytest.raises(InvalidInput) as error:
            post(editor, project_id, "No", reply_to_id=reply_to_id)
        assert error.value.field == "reply_to_id"
    with session_scope() as session:
        threads.delete_message(session, producer, original.id)
    shown = {view.id: view for view in page(editor, project_id).messages}
    assert shown[reply.id].reply_to.excerpt is None and shown[reply.id].body == "Yes"


def test_a_quoted_message_outside_the_page_is_still_quoted(people):
    producer, editor, project_id = people
    original = post(producer, project_id, "Old question")
    bulk_messages(project_id, [producer.user_id], 5)  # older than everything: lands before the original
    post(producer, project_id, "filler")
    reply = post(editor, project_id, "Old answer", reply_to_id=original.id)
    latest = page(editor, project_id, limit=1).messages
    assert [view.id for view in latest] == [reply.id]
    assert latest[0].reply_to.excerpt == "Old question"


def test_mentions_must_be_members(people, sqlite_settings):
    producer, editor, project_id = people
    outsider = member(sqlite_settings, "out@example.com", name="Out Sider", role="editor")
    posted = post(producer, project_id, "Can you check?", mention_ids=[editor.user_id, editor.user_id])
    assert posted.mentions == (editor.user_id,)
    for mentions in ([outsider.user_id], ["not-an-id"]):
        with pytest.raises(InvalidInput) as error:
            post(producer, project_id, "Hey", mention_ids=mentions)
        assert error.value.field == "mention_ids"


def test_only_the_author_edits_or_deletes_a_message(people):
    producer, editor, project_id = people
    posted = post(producer, project_id, "Draft brief")
    for change in (lambda s: threads.edit_message(s, editor, posted.id, "Hacked"),
                   lambda s: threads.delete_message(s, editor, posted.id)):
        with session_scope() as session, pytest.raises(NotAllowed, match="not allowed"):
            change(session)
    with session_scope() as session:
        edited = threads.edit_message(session, producer, posted.id, "Final brief")
    assert (edited.body, edited.edited) == ("Final brief", True)
    with session_scope() as session, pytest.raises(InvalidInput):
        threads.edit_message(session, producer, posted.id, "  ")
    with session_scope() as session:
        threads.delete_message(session, producer, posted.id)
    [shown] = page(editor, project_id).messages
    assert (shown.body, shown.deleted) == (None, True)
    [row] = message_rows(project_id)
    assert row.body_encrypted is None and row.deleted_at is not None
    with session_scope() as session, pytest.raises(NotAllowed, match="deleted"):
        threads.edit_message(session, producer, posted.id, "Back")


def test_outsiders_signed_out_visitors_and_unknown_ids_are_refused(people, sqlite_settings):
    producer, editor, project_id = people
    outsider = member(sqlite_settings, "out@example.com", name="Out Sider", role="producer")
    posted = post(producer, project_id, "Members only")
    calls = {
        "post_message": lambda s, actor, pid, mid: threads.post_message(s, actor, pid, "Hi", idempotency_key="k1"),
        "thread_page": lambda s, actor, pid, mid: threads.thread_page(s, actor, pid),
        "mark_thread_read": lambda s, actor, pid, mid: threads.mark_thread_read(s, actor, pid),
        "edit_message": lambda s, actor, pid, mid: threads.edit_message(s, actor, mid, "Hi"),
        "delete_message": lambda s, actor, pid, mid: threads.delete_message(s, actor, mid),
    }
    for name, call in calls.items():
        for actor, pid, mid, expected in [
            (outsider, project_id, posted.id, threads.NOT_A_MEMBER),
            (outsider, new_id(), new_id(), threads.NOT_A_MEMBER),
            (outsider, "x' OR 1=1 --", "../../etc", threads.NOT_A_MEMBER),
            (outsider, None, None, threads.NOT_A_MEMBER),
            (None, project_id, posted.id, "Please sign in first."),
        ]:
            with session_scope() as session, pytest.raises(NotAllowed) as error:
                call(session, actor, pid, mid)
            assert str(error.value) == expected, name
    with session_scope() as session, pytest.raises(NotAllowed, match="sign in"):
        threads.unread_counts(session, None)
    assert [view.body for view in page(editor, project_id).messages] == ["Members only"]


def test_a_removed_member_loses_the_thread(people):
    producer, editor, project_id = people
    with session_scope() as session:
        row = session.exec(select(ProjectMember).where(ProjectMember.user_id == editor.user_id)).one()
        row.removed_at = row.joined_at
        session.add(row)
    with pytest.raises(NotAllowed, match="not one of its members"):
        page(editor, project_id)
    with session_scope() as session:
        assert threads.thread_members(session, project_id) == [producer.user_id]
        assert threads.thread_members(session, "nonsense") == []
    assert project_id not in unread(editor)


def test_pages_walk_back_through_the_thread(settings):
    producer, editor = producer_and_editor(settings)
    project_id = create_project(producer, editor)
    ids = bulk_messages(project_id, [producer.user_id, editor.user_id], 120)
    seen, before, pages = [], None, []
    while True:
        current = page(editor, project_id, before=before, limit=50)
        pages.append(current)
        seen = [view.id for view in current.messages] + seen
        if not current.has_more:
            break
        before = current.before
    assert [len(p.messages) for p in pages] == [50, 50, 20]
    assert [p.has_more for p in pages] == [True, True, False] and pages[-1].before is None
    assert seen == ids  # oldest first within each page, no gap, no overlap
    assert pages[0].messages[-1].body == "message 119" and pages[2].messages[0].body == "message 0"
    assert [view.is_mine for view in pages[0].messages[:2]] == [False, True]


def test_pages_of_messages_posted_in_the_same_instant_still_split_cleanly(settings):
    producer, editor = producer_and_editor(settings)
    project_id = create_project(producer, editor)
    with session_scope() as session:  # same created_at for all: the id breaks the tie
        rows = [Message(project_id=project_id, author_id=producer.user_id, idempotency_key=f"k{n}") for n in range(5)]
        for row in rows:
            row.created_at = rows[0].created_at
            session.add(row)
    first = page(editor, project_id, limit=3)
    second = page(editor, project_id, before=first.before, limit=3)
    assert sorted(v.id for v in first.messages + second.messages) == sorted(r.id for r in rows)
    assert not second.has_more


@pytest.mark.parametrize(("kwargs", "field"), [
    ({"limit": 0}, "limit"), ({"limit": 101}, "limit"), ({"limit": "50"}, "limit"),
    ({"before": "garbage"}, "before"), ({"before": f"99999999999999999999999-{new_id()}"}, "before"),
    ({"before": "12-abc"}, "before"),
])
def test_page_arguments_are_checked(people, kwargs, field):
    producer, _, project_id = people
    with pytest.raises(InvalidInput) as error:
        page(producer, project_id, **kwargs)
    assert error.value.field == field


def test_an_erased_author_shows_as_deleted_user(people):
    producer, editor, project_id = people
    original = post(editor, project_id, "My last cut")
    post(producer, project_id, "Thanks", reply_to_id=original.id)
    with session_scope() as session:
        session.delete(session.get(UserDataKey, editor.user_id))
    shown = page(producer, project_id).messages
    assert [(v.author_name, v.author_initials, v.body) for v in shown] == [
        ("Deleted user", "?", "My last cut"), ("Zoé Martin", "ZM", "Thanks")]
    assert shown[1].reply_to.author_name == "Deleted user"


def test_unread_counts_follow_the_read_marker(settings):
    producer, editor = producer_and_editor(settings)
    project_id = create_project(producer, editor)
    quiet = create_project(producer, editor, title="Quiet")
    assert unread(producer) == {project_id: 0, quiet: 0}
    first = post(editor, project_id, "one")
    post(editor, project_id, "two")
    gone = post(editor, project_id, "three")
    post(producer, project_id, "mine")
    with session_scope() as session:
        threads.delete_message(session, editor, gone.id)
    assert unread(producer) == {project_id: 2, quiet: 0}
    assert unread(editor) == {project_id: 1, quiet: 0}
    with session_scope() as session:
        threads.mark_thread_read(session, producer, project_id)
    assert unread(producer)[project_id] == 0
    later = post(editor, project_id, "four")
    assert unread(producer)[project_id] == 1
    with session_scope() as session:  # marking an older message read never moves the marker back
        threads.mark_thread_read(session, producer, project_id, up_to=first.id)
    assert unread(producer)[project_id] == 1
    with session_scope() as session:
        threads.mark_thread_read(session, producer, project_id, up_to=later.id)
    assert unread(producer)[project_id] == 0
    for up_to in (new_id(), "bad", post(editor, quiet, "elsewhere").id):
        with session_scope() as session, pytest.raises(InvalidInput) as error:
            threads.mark_thread_read(session, producer, project_id, up_to=up_to)
        assert error.value.field == "up_to"


def test_unread_counts_take_one_query_whatever_the_number_of_projects(people):
    producer, editor, _ = people
    for number in range(4):
        post(editor, create_project(producer, editor, title=f"P{number}"), "hi")
    with session_scope() as session, count_statements() as statements:
        counts = threads.unread_counts(session, producer)
    assert len(counts) == 5 and sum(counts.values()) == 4 and len(statements) == 1


class count_statements:
    def __enter__(self):
        self.statements = []
        sa.event.listen(get_engine(), "before_cursor_execute", self._record)
        return self.statements

    def _record(self, conn, cursor, statement, parameters, context, executemany):
        self.statements.append(statement)

    def __exit__(self, *exc):
        sa.event.remove(get_engine(), "before_cursor_execute", self._record)


def page_statements(actor, project_id, before=None):
    with session_scope() as session:
        session.connection()  # open the transaction outside the count
        with count_statements() as statements:
            result = threads.thread_page(session, actor, project_id, before=before, limit=50)
    return result, statements


def test_a_page_costs_the_same_in_a_short_and_a_long_thread(settings):
    producer, editor = producer_and_editor(settings)
    short, long = create_project(producer, editor, title="Short"), create_project(producer, editor, title="Long")
    for project_id, size in ((short, 100), (long, 2_000)):
        ids = bulk_messages(project_id, [producer.user_id, editor.user_id], size)
        post(editor, project_id, "Quoting an old one", reply_to_id=ids[0])
    short_first, short_statements = page_statements(producer, short)
    long_first, long_statements = page_statements(producer, long)
    assert len(short_statements) == len(long_statements) <= 6
    _, short_older = page_statements(producer, short, short_first.before)
    _, long_older = page_statements(producer, long, long_first.before)
    assert len(short_older) == len(long_older) <= 6
    assert all("LIMIT" in statement.upper() or "project_data_key" in statement for statement in long_statements)


def hot_post(actor, project_id, body="Live", *, watching=()):
    with session_scope() as session:
        return threads.post_to_thread(session, actor, project_id, body, idempotency_key=new_id(), watching=watching)


def message_notifications(user_id, project_id):
    with session_scope() as session:
        return session.exec(select(Notification).where(Notification.user_id == user_id,
                                                       Notification.project_id == project_id,
                                                       Notification.kind == "message")).all()


def test_members_watching_the_thread_get_no_notification_unless_their_tab_missed_it(settings):
    producer, editor = producer_and_editor(settings)
    project_id = create_project(producer, editor)
    hot_post(producer, project_id, "You are watching", watching={editor.user_id, producer.user_id})
    assert message_notifications(editor.user_id, project_id) == []
    missed = hot_post(producer, project_id, "Your tab had gone", watching={editor.user_id})
    with session_scope() as session:  # the real-time layer found the tab gone: the notification is written now
        threads.notify_missed(session, project_id, {editor.user_id}, producer.user_id, missed.message_id)
    [told] = message_notifications(editor.user_id, project_id)
    assert (told.subject_id, told.actor_id, told.read_at) == (missed.message_id, producer.user_id, None)
    hot_post(producer, project_id, "Nobody watching")
    [told] = message_notifications(editor.user_id, project_id)
    assert told.count == 2  # one notification per thread until read, counting the messages


def test_a_message_seen_live_reads_the_thread_up_to_it_not_up_to_now(settings):
    producer, editor = producer_and_editor(settings)
    project_id = create_project(producer, editor)
    other = create_project(producer, editor, title="Other")
    seen = hot_post(editor, project_id, "seen")
    hot_post(editor, other, "seen elsewhere")
    hot_post(editor, project_id, "still on its way to the tab")
    assert unread(producer) == {project_id: 2, other: 1}
    outsider = member(settings, "outsider@example.com", name="Olga Outsider", role="editor")
    with session_scope() as session:  # several projects at once, as the real-time layer gathers them
        threads.mark_seen_live(session, [
            threads.SeenLive(project_id, producer.user_id, seen.created_at),
            threads.SeenLive(other, producer.user_id, utcnow()),
            threads.SeenLive(project_id, outsider.user_id, seen.created_at)])
    assert unread(producer) == {project_id: 1, other: 0}
    with session_scope() as session:
        assert session.exec(select(ThreadReadMarker).where(ThreadReadMarker.user_id == outsider.user_id)).all() == []
    assert [row.read_at is not None for row in message_notifications(producer.user_id, other)] == [True]
