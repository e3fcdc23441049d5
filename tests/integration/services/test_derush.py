"""Derushing: selections in a rush's frames, shared by producer and editor, sealed notes, and suggestions that are
accepted or discarded once and never come back."""

from fractions import Fraction

import pytest
from sqlmodel import select

from studio_app.database import session_scope
from studio_app.models.media import MediaKind
from studio_app.models.review import DerushSelection
from studio_app.security.policy import NotAllowed
from studio_app.services import derush
from studio_app.services.validation import InvalidInput
from tests.support.media import media_asset
from tests.support.projects import add_editor, call, new_project, person

# 10 s at 29.97: 299 whole frames (299.7). Cuts at 2 s and 5.5 s, a silence from 7 to 8.5 s.
ANALYSIS = {"scene_cuts": [2.0, 5.5, 42.0, "junk"], "silences": [[7.0, 8.5], [9.9, 30.0], ["x", 1]]}


@pytest.fixture
def rush(settings):
    producer = person(settings, "zoe@example.com", name="Zoé Martin")
    editor = person(settings, "lea@example.com", role="editor", name="Léa Petit")
    outsider = person(settings, "eve@example.com")
    project = new_project(producer)
    add_editor(producer, editor, project.id)
    asset = media_asset(producer, project.id, duration_ms=10_000, frame_rate="30000/1001", media_info=ANALYSIS)
    return producer, editor, outsider, asset


def test_a_selection_is_shared_with_the_other_member_and_its_note_is_sealed(rush):
    producer, editor, _, asset = rush
    made = call(derush.add_selection, editor, asset.id, in_frame=30, out_frame=90, label="keep", rating=4,
                note="Great reaction shot")
    assert (made.in_frame, made.out_frame, made.label, made.rating, made.is_mine) == (30, 90, "keep", 4, True)
    listed = call(derush.derush_list, producer, asset.id)
    assert listed.rush.frame_rate == Fraction(30000, 1001) and listed.rush.total_frames == 299
    (seen,) = listed.selections
    assert (seen.note, seen.author_name, seen.is_mine) == ("Great reaction shot", "Léa Petit", False)
    with session_scope() as session:
        row = session.get(DerushSelection, made.id)
        assert b"Great reaction" not in bytes(row.note_encrypted)


def test_selections_are_listed_by_in_point(rush):
    producer, editor, _, asset = rush
    for start in (200, 10, 120):
        call(derush.add_selection, producer, asset.id, in_frame=start, out_frame=start + 20)
    assert [view.in_frame for view in call(derush.list_selections, editor, asset.id)] == [10, 120, 200]


@pytest.mark.parametrize(("in_frame", "out_frame", "field"), [
    (50, 50, "out_frame"), (60, 20, "out_frame"), (-1, 20, "out_frame"), (0, 300, "out_frame"),
    (None, 20, "in_frame"), (1.5, 20, "in_frame"), (True, 20, "in_frame"),
])
def test_in_must_come_before_out_within_the_rush(rush, in_frame, out_frame, field):
    producer, _, _, asset = rush
    with pytest.raises(InvalidInput) as refused:
        call(derush.add_selection, producer, asset.id, in_frame=in_frame, out_frame=out_frame)
    assert refused.value.field == field
    assert call(derush.list_selections, producer, asset.id) == []


def test_the_last_frame_is_the_rushs_end(rush):
    producer, _, _, asset = rush
    assert call(derush.add_selection, producer, asset.id, in_frame=0, out_frame=299).out_frame == 299


@pytest.mark.parametrize(("changes", "field"), [({"label": "great"}, "label"), ({"rating": 6}, "rating"),
                                                ({"rating": -1}, "rating"), ({"note": "x" * 2001}, "note")])
def test_label_rating_and_note_are_checked(rush, changes, field):
    producer, _, _, asset = rush
    with pytest.raises(InvalidInput) as refused:
        call(derush.add_selection, producer, asset.id, in_frame=0, out_frame=10, **changes)
    assert refused.value.field == field


def test_only_the_author_edits_or_deletes_a_selection(rush):
    producer, editor, _, asset = rush
    made = call(derush.add_selection, editor, asset.id, in_frame=0, out_frame=10, note="first")
    for attempt in (lambda: call(derush.update_selection, producer, made.id, label="reject"),
                    lambda: call(derush.delete_selection, producer, made.id)):
        with pytest.raises(NotAllowed):
            attempt()
    changed = call(derush.update_selection, editor, made.id, label="maybe", rating=2, note="", out_frame=40)
    assert (changed.label, changed.rating, changed.note, changed.in_frame, changed.out_frame) == ("maybe", 2, "", 0, 40)
    with pytest.raises(InvalidInput):
        call(derush.update_selection, editor, made.id, in_frame=50)  # past the out point kept
    assert call(derush.delete_selection, editor, made.id) == asset.id
    assert call(derush.list_selections, producer, asset.id) == []
    with pytest.raises(NotAllowed):
        call(derush.delete_selection, editor, made.id)


def test_suggestions_come_from_scene_cuts_and_silences_in_frames(rush):
    producer, _, _, asset = rush
    proposed = call(derush.suggestions, producer, asset.id)
    # Cuts at 2 s (frame 60) and 5.5 s (frame 165) split the rush in three shots; the cut past the end is ignored.
    # Silences: 7-8.5 s = frames 210-255, and 9.9 s (frame 297) clipped to the end (299).
    assert [(item.kind, item.in_frame, item.out_frame, item.label) for item in proposed] == [
        ("scene", 0, 60, "maybe"), ("scene", 60, 165, "maybe"), ("scene", 165, 299, "maybe"),
        ("silence", 210, 255, "reject"), ("silence", 297, 299, "reject")]


def test_an_accepted_or_discarded_suggestion_does_not_come_back(rush):
    producer, editor, _, asset = rush
    first, second, *_ = call(derush.suggestions, producer, asset.id)
    accepted = call(derush.accept_suggestion, editor, asset.id, first.key)
    assert (accepted.in_frame, accepted.out_frame, accepted.label, accepted.from_suggestion) == (0, 60, "maybe",
                                                                                                 "scene")
    call(derush.discard_suggestion, producer, asset.id, second.key)
    remaining = {item.key for item in call(derush.suggestions, producer, asset.id)}
    assert first.key not in remaining and second.key not in remaining and len(remaining) == 3
    for decide in (derush.accept_suggestion, derush.discard_suggestion):
        with pytest.raises(InvalidInput, match="already decided"):
            call(decide, producer, asset.id, second.key)
    with pytest.raises(InvalidInput):
        call(derush.accept_suggestion, producer, asset.id, "scene:1-2")  # never proposed
    assert [view.id for view in call(derush.list_selections, producer, asset.id)] == [accepted.id]


def test_a_rush_still_processing_cannot_be_derushed(settings):
    producer = person(settings, "zoe@example.com")
    project = new_project(producer)
    asset = media_asset(producer, project.id, duration_ms=None, status="processing")
    with pytest.raises(InvalidInput, match="still being processed"):
        call(derush.add_selection, producer, asset.id, in_frame=0, out_frame=1)


def test_a_version_is_not_a_rush(settings):
    producer = person(settings, "zoe@example.com")
    project = new_project(producer)
    version = media_asset(producer, project.id, kind=MediaKind.VERSION, version_number=1)
    with pytest.raises(NotAllowed, match="does not exist"):
        call(derush.derush_list, producer, version.id)


def test_outsiders_and_signed_out_people_get_nothing(rush):
    producer, editor, outsider, asset = rush
    made = call(derush.add_selection, producer, asset.id, in_frame=0, out_frame=10)
    first = call(derush.suggestions, producer, asset.id)[0]
    for actor in (outsider, None):
        for attempt in (lambda a: call(derush.derush_list, a, asset.id),
                        lambda a: call(derush.add_selection, a, asset.id, in_frame=0, out_frame=5),
                        lambda a: call(derush.update_selection, a, made.id, label="reject"),
                        lambda a: call(derush.delete_selection, a, made.id),
                        lambda a: call(derush.accept_suggestion, a, asset.id, first.key),
                        lambda a: call(derush.discard_suggestion, a, asset.id, first.key),
                        lambda a: call(derush.selections_for_file, a, asset.file_id)):
            with pytest.raises(NotAllowed):
                attempt(actor)
    with session_scope() as session:
        assert len(session.exec(select(DerushSelection)).all()) == 1
    assert len(call(derush.suggestions, editor, asset.id)) == 5


def test_suggestions_written_as_segments_by_processing_are_read_too(settings):
    producer = person(settings, "zoe@example.com")
    project = new_project(producer)
    analysis = {"scene_cuts": [{"kind": "scene", "in_frame": 0, "out_frame": 50, "start_ms": 0, "end_ms": 2000},
                               {"kind": "scene", "in_frame": 50, "out_frame": 250}],
                "silences": [{"kind": "silence", "in_frame": 100, "out_frame": 400}, {"in_frame": "x"}]}
    asset = media_asset(producer, project.id, duration_ms=10_000, frame_rate="25", media_info=analysis)
    assert [(item.kind, item.in_frame, item.out_frame) for item in call(derush.suggestions, producer, asset.id)] == [
        ("scene", 0, 50), ("scene", 50, 250), ("silence", 100, 250)]
