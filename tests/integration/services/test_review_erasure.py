"""Erasure and derush / review: a deleted person's selections and comments go with the projects nobody else works
in; in a shared project they stay for the others, by "Deleted user", and nothing is left sealed under their key."""

from sqlmodel import select

from studio_app.database import session_scope
from studio_app.models.media import MediaKind
from studio_app.models.review import DerushSelection, DerushSuggestionDecision, ReviewComment
from studio_app.services import derush, erasure, review
from studio_app.services.people import DELETED_USER
from tests.support.accounts import STRONG_PASSWORD
from tests.support.media import media_asset
from tests.support.projects import add_editor, call, new_project, person


def test_shared_derush_and_review_stay_by_deleted_user_and_solo_ones_go(settings):
    producer = person(settings, "quentin@example.com", name="Quentin Canarywood")
    editor = person(settings, "elise@example.com", role="editor", name="Elise Finchley")
    shared = new_project(producer, "Shared")
    add_editor(producer, editor, shared.id)
    solo = new_project(producer, "Solo")
    rush = media_asset(producer, shared.id, media_info={"scene_cuts": [3.0]})
    version = media_asset(editor, shared.id, kind=MediaKind.VERSION, version_number=1)
    solo_version = media_asset(producer, solo.id, kind=MediaKind.VERSION, version_number=1)

    call(derush.add_selection, producer, rush.id, in_frame=0, out_frame=25, note="Quentin's derush note")
    call(derush.discard_suggestion, producer, rush.id, call(derush.suggestions, producer, rush.id)[0].key)
    comment = call(review.add_comment, producer, version.id, "Quentin's review comment", at_ms=500)
    call(review.reply_to_comment, editor, comment.id, "Elise's answer")
    call(review.resolve_comment, producer, comment.id)
    call(review.add_comment, producer, solo_version.id, "Solo canary comment", at_ms=0)

    with session_scope() as session:
        erasure.delete_account(session, settings, producer, STRONG_PASSWORD, "DELETE")

    (selection,) = call(derush.list_selections, editor, rush.id)
    assert (selection.note, selection.author_name, selection.author_id) == ("Quentin's derush note", DELETED_USER,
                                                                             None)
    listed = call(review.list_comments, editor, version.id)
    assert [(view.body, view.author_name) for view in listed] == [("Quentin's review comment", DELETED_USER),
                                                                  ("Elise's answer", "Elise Finchley")]
    assert listed[0].resolved and listed[0].resolved_by_name == DELETED_USER
    with session_scope() as session:
        assert session.exec(select(ReviewComment).where(ReviewComment.asset_id == solo_version.id)).all() == []
        assert {row.created_by for row in session.exec(select(DerushSelection)).all()} == {None}
        assert {row.decided_by for row in session.exec(select(DerushSuggestionDecision)).all()} == {None}
        assert len(session.exec(select(ReviewComment)).all()) == 2
