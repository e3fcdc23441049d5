"""The project page's media: the list members see, retrying a failed processing, and what the live watcher reads."""

import uuid
from datetime import timedelta

import pytest

from studio_app.errors import UserError
from studio_app.models.base import utcnow
from studio_app.security.policy import NotAllowed
from studio_app.services import media_library
from studio_app.services.validation import InvalidInput
from tests.support.media import add_media, asset, set_status
from tests.support.projects import add_editor, call, new_project, person


@pytest.fixture
def team(settings):
    producer = person(settings, f"p-{uuid.uuid4().hex[:8]}@example.com", name="Paula Producer")
    editor = person(settings, f"e-{uuid.uuid4().hex[:8]}@example.com", role="editor", name="Eddie Editor")
    outsider = person(settings, f"o-{uuid.uuid4().hex[:8]}@example.com", name="Olga Outsider")
    project = new_project(producer)
    add_editor(producer, editor, project.id)
    return producer, editor, outsider, project


def test_members_see_rushes_newest_first_then_versions_in_order(team):
    producer, editor, _, project = team
    first = add_media(producer, project.id, "beach take.mp4", status="ready", duration_ms=65_000, width=1920,
                      height=1080, created_at=utcnow() - timedelta(minutes=5))
    second = add_media(editor, project.id, "drone.mov", status="processing", progress=40)
    v2 = add_media(editor, project.id, "cut-b.mp4", kind="version", version_number=2)
    v1 = add_media(editor, project.id, "cut-a.mp4", kind="version", version_number=1)
    other_project = new_project(producer, "Another video")
    add_media(producer, other_project.id, "elsewhere.mp4")

    for viewer in (producer, editor):
        views = call(media_library.list_project_media, viewer, project.id)
        assert [view.id for view in views] == [second, first, v1, v2]
    ready = views[1]
    assert (ready.name, ready.status, ready.duration_ms, ready.width, ready.height, ready.uploader_name) == (
        "beach take.mp4", "ready", 65_000, 1920, 1080, "Paula Producer")
    assert (views[0].status, views[0].progress, views[0].uploader_name) == ("processing", 40, "Eddie Editor")
    assert [view.version_number for view in views[2:]] == [1, 2]


def test_outsiders_and_unknown_projects_get_nothing(team):
    producer, _, outsider, project = team
    add_media(producer, project.id)
    with pytest.raises(NotAllowed, match="not one of its members"):
        call(media_library.list_project_media, outsider, project.id)
    with pytest.raises(NotAllowed):
        call(media_library.list_project_media, producer, uuid.uuid4().hex)
    with pytest.raises(NotAllowed):
        call(media_library.list_project_media, None, project.id)


def test_retry_sends_a_failed_asset_back_to_the_queue(team):
    producer, editor, outsider, project = team
    failed = add_media(producer, project.id, status="failed", progress=70,
                       failure_reason="This file is not a video we can read.")
    before = asset(failed).updated_at
    with pytest.raises(NotAllowed):
        call(media_library.retry_processing, outsider, failed)
    assert asset(failed).status == "failed"

    view = call(media_library.retry_processing, editor, failed)

    assert (view.status, view.progress, view.failure_reason) == ("queued", 0, None)
    row = asset(failed)
    assert (row.status, row.progress, row.failure_reason) == ("queued", 0, None)
    assert row.updated_at > before  # the watcher pushes the change to the other tabs


@pytest.mark.parametrize("status", ["queued", "processing", "ready"])
def test_only_a_failed_asset_can_be_retried(team, status):
    producer, _, _, project = team
    asset_id = add_media(producer, project.id, status=status)
    with pytest.raises(NotAllowed, match="failed"):
        call(media_library.retry_processing, producer, asset_id)
    with pytest.raises((NotAllowed, InvalidInput)):
        call(media_library.retry_processing, producer, "../../etc")
    assert asset(asset_id).status == status


def test_the_watcher_reads_what_changed_since_with_the_members(team):
    producer, editor, outsider, project = team
    other = new_project(outsider, "Not theirs")
    unchanged = add_media(producer, project.id, "old.mp4")
    set_status(unchanged, "ready", at=utcnow() - timedelta(minutes=1))
    since = utcnow() - timedelta(seconds=1)
    changed = add_media(editor, project.id, "new.mp4")
    set_status(changed, "processing", progress=55)
    elsewhere = add_media(outsider, other.id, "other.mp4")

    views, members = call(lambda session: media_library.media_changes(session, [project.id, other.id], since))

    assert [view.id for view in views] == [changed, elsewhere]
    assert (views[0].status, views[0].progress, views[0].name) == ("processing", 55, "new.mp4")
    assert members == {project.id: frozenset({producer.user_id, editor.user_id}),
                       other.id: frozenset({outsider.user_id})}
    nothing = call(lambda session: media_library.media_changes(session, [project.id], utcnow()))
    assert nothing == ([], {})
    assert call(lambda session: media_library.media_changes(session, ["not-an-id"], since)) == ([], {})


def test_a_refused_file_keeps_its_name_in_the_list_and_the_watcher_but_cannot_be_retried(team):
    """Processing removes the original of a file that is not a usable video: the list still says which it was."""
    from studio_app.database import session_scope
    from studio_app.services import media

    producer, editor, _, project = team
    since = utcnow()
    refused = add_media(producer, project.id, "holiday notes.mp4", status="processing", progress=8)
    with session_scope() as session:
        media.refuse(session, refused, "This video is damaged or incomplete and cannot be read.")

    view = call(media_library.list_project_media, editor, project.id)[0]
    assert (view.name, view.status, view.size_bytes, view.sha256, view.can_retry) == (
        "holiday notes.mp4", "failed", None, "", False)
    changed, _ = call(lambda session: media_library.media_changes(session, [project.id], since))
    assert [(row.id, row.name, row.failure_reason) for row in changed] == [
        (refused, "holiday notes.mp4", "This video is damaged or incomplete and cannot be read.")]
    with pytest.raises(UserError, match="upload it again"):
        call(media_library.retry_processing, producer, refused)
    assert asset(refused).status == "failed"
