"""Review: the version stack, time-coded comments with replies and resolve, notifications, and the producer's
approve / request changes moving the project's stage."""

import pytest
from sqlmodel import select

from studio_app.database import session_scope
from studio_app.models.media import MediaAsset, MediaKind
from studio_app.models.projects import Notification, Project
from studio_app.models.review import ReviewComment
from studio_app.security.policy import NotAllowed
from studio_app.services import notifications, projects, review
from studio_app.services.validation import InvalidInput
from tests.support.media import media_asset
from tests.support.projects import add_editor, call, new_project, person


@pytest.fixture
def versions(settings):
    producer = person(settings, "zoe@example.com", name="Zoé Martin")
    editor = person(settings, "lea@example.com", role="editor", name="Léa Petit")
    outsider = person(settings, "eve@example.com")
    project = new_project(producer)
    add_editor(producer, editor, project.id)
    for stage in ("derush", "editing", "review"):
        call(projects.change_stage, producer if stage != "review" else editor, project.id, stage)
    v2 = media_asset(editor, project.id, kind=MediaKind.VERSION, version_number=2, duration_ms=20_000)
    v1 = media_asset(editor, project.id, kind=MediaKind.VERSION, version_number=1, duration_ms=20_000)
    return producer, editor, outsider, project.id, v1, v2


def notified(user_id: str, kind: str) -> list[Notification]:
    with session_scope() as session:
        return list(session.exec(select(Notification).where(Notification.user_id == user_id,
                                                            Notification.kind == kind)).all())


def test_the_stack_lists_versions_in_order(versions):
    producer, _, _, project_id, v1, v2 = versions
    stack = call(review.version_stack, producer, project_id)
    assert [(view.number, view.id) for view in stack] == [(1, v1.id), (2, v2.id)]
    page = call(review.review_page, producer, v2.id)
    assert page.version.number == 2 and [view.number for view in page.versions] == [1, 2]
    assert (page.my_role, page.stage) == ("producer", "review")


def test_comments_are_ordered_by_time_with_their_replies_and_sealed(versions):
    producer, editor, _, _, v1, _ = versions
    late = call(review.add_comment, producer, v1.id, "Music too loud here", at_ms=12_000)
    early = call(review.add_comment, producer, v1.id, "Cut this intro", at_ms=1_500, end_ms=4_000)
    answer = call(review.reply_to_comment, editor, late.id, "Lowered by 6 dB")
    nested = call(review.reply_to_comment, producer, answer.id, "Thanks")
    assert (answer.at_ms, answer.parent_id, nested.parent_id) == (12_000, late.id, late.id)
    listed = call(review.list_comments, editor, v1.id)
    assert [(view.body, view.at_ms, view.end_ms) for view in listed] == [
        ("Cut this intro", 1_500, 4_000), ("Music too loud here", 12_000, None),
        ("Lowered by 6 dB", 12_000, None), ("Thanks", 12_000, None)]
    assert listed[0].author_name == "Zoé Martin" and not listed[0].is_mine and listed[2].is_mine
    assert early.id == listed[0].id
    with session_scope() as session:
        assert all(b"intro" not in bytes(row.body_encrypted) for row in session.exec(select(ReviewComment)).all())


@pytest.mark.parametrize(("body", "at_ms", "end_ms", "field"), [
    ("", 0, None, "body"), ("  ", 0, None, "body"), ("x" * 4001, 0, None, "body"), ("ok", -1, None, "at_ms"),
    ("ok", 20_001, None, "at_ms"), ("ok", "12", None, "at_ms"), ("ok", 5_000, 5_000, "end_ms"),
    ("ok", 5_000, 25_000, "end_ms"),
])
def test_a_comment_needs_a_body_and_a_moment_within_the_version(versions, body, at_ms, end_ms, field):
    producer, _, _, _, v1, _ = versions
    with pytest.raises(InvalidInput) as refused:
        call(review.add_comment, producer, v1.id, body, at_ms=at_ms, end_ms=end_ms)
    assert refused.value.field == field


def test_any_member_resolves_and_reopens_a_comment(versions):
    producer, editor, _, _, v1, _ = versions
    comment = call(review.add_comment, producer, v1.id, "Fix the title", at_ms=3_000)
    resolved = call(review.resolve_comment, editor, comment.id)
    assert resolved.resolved and resolved.resolved_by_name == "Léa Petit"
    assert not call(review.reopen_comment, producer, comment.id).resolved
    reply = call(review.reply_to_comment, editor, comment.id, "Done")
    with pytest.raises(InvalidInput):
        call(review.resolve_comment, editor, reply.id)


def test_a_comment_notifies_the_other_members_and_leads_to_the_version(versions):
    producer, editor, _, project_id, v1, _ = versions
    call(review.add_comment, producer, v1.id, "Cut this intro", at_ms=1_500)
    (notice,) = notified(editor.user_id, "review_comment")
    assert notice.subject_id == v1.id and notified(producer.user_id, "review_comment") == []
    center = call(notifications.notification_center, editor)
    item = next(item for item in center.items if item.kind == "review_comment")
    assert item.link == f"/projects/{project_id}/versions/{v1.id}"
    assert item.text == "Zoé Martin commented on a version of “Launch teaser”"


def test_approving_makes_one_version_the_approved_one_and_the_project_approved(versions):
    producer, editor, _, project_id, v1, v2 = versions
    decision = call(review.approve_version, producer, v1.id)
    assert (decision.stage, decision.approved_asset_id) == ("approved", v1.id)
    decision = call(review.approve_version, producer, v2.id)  # another one: it replaces the first
    assert decision.approved_asset_id == v2.id
    with session_scope() as session:
        approved = session.exec(select(MediaAsset.id).where(MediaAsset.approved_at.is_not(None))).all()
        assert approved == [v2.id] and session.get(Project, project_id).stage == "approved"
    assert call(review.approved_version, editor, project_id).id == v2.id
    assert [notice.subject_id for notice in notified(editor.user_id, "version_approved")] == [v1.id, v2.id]
    assert notifications.DEFAULT_CHANNELS["version_approved"] == "email"
    kinds = [entry.kind for entry in call(projects.project_timeline, producer, project_id)]
    assert kinds.count("version.approved") == 2 and kinds.count("project.stage_changed") >= 1


def test_requesting_changes_sends_the_project_back_to_editing(versions):
    producer, editor, _, project_id, v1, _ = versions
    call(review.approve_version, producer, v1.id)
    decision = call(review.request_changes, producer, v1.id)
    assert (decision.stage, decision.approved_asset_id) == ("editing", None)
    with session_scope() as session:
        assert session.get(MediaAsset, v1.id).approved_at is None
    (notice,) = notified(editor.user_id, "changes_requested")
    assert notice.subject_id == v1.id
    assert "project.changes_requested" in [entry.kind for entry in call(projects.project_timeline, producer,
                                                                          project_id)]


def test_only_the_producer_decides_and_not_once_the_project_is_done(versions):
    producer, editor, _, project_id, v1, _ = versions
    for decide in (review.approve_version, review.request_changes):
        with pytest.raises(NotAllowed):
            call(decide, editor, v1.id)
    call(projects.change_stage, producer, project_id, "cancelled")
    with pytest.raises(InvalidInput, match="cancelled"):
        call(review.approve_version, producer, v1.id)
    with session_scope() as session:
        assert session.get(MediaAsset, v1.id).approved_at is None


def test_a_version_still_processing_cannot_be_approved(versions):
    producer, editor, _, project_id, _, _ = versions
    pending = media_asset(editor, project_id, kind=MediaKind.VERSION, version_number=3, status="processing")
    with pytest.raises(InvalidInput, match="not ready"):
        call(review.approve_version, producer, pending.id)


def test_outsiders_and_signed_out_people_get_nothing(versions):
    producer, _, outsider, project_id, v1, _ = versions
    comment = call(review.add_comment, producer, v1.id, "Private remark", at_ms=0)
    for actor in (outsider, None):
        for attempt in (lambda a: call(review.review_page, a, v1.id),
                        lambda a: call(review.version_stack, a, project_id),
                        lambda a: call(review.list_comments, a, v1.id),
                        lambda a: call(review.add_comment, a, v1.id, "intrusion", at_ms=0),
                        lambda a: call(review.reply_to_comment, a, comment.id, "intrusion"),
                        lambda a: call(review.resolve_comment, a, comment.id),
                        lambda a: call(review.approve_version, a, v1.id),
                        lambda a: call(review.request_changes, a, v1.id)):
            with pytest.raises(NotAllowed):
                attempt(actor)
    assert [view.body for view in call(review.list_comments, producer, v1.id)] == ["Private remark"]
    with session_scope() as session:
        assert session.get(Project, project_id).stage == "review"
