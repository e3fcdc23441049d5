"""Data exports: queued, built in the background with progress, sealed at rest, ready once, expiring, and a
crash half-way leaves nothing behind."""

import hashlib
from datetime import timedelta

import pytest
import sqlalchemy as sa
from sqlmodel import select

from studio_app.database import session_scope
from studio_app.integrations.mail import read_outbox
from studio_app.integrations.storage import current_storage
from studio_app.jobs import exports as export_worker
from studio_app.jobs.digests import QUIET_PERIOD, run_digest_round
from studio_app.jobs.exports import run_export_round
from studio_app.models.base import utcnow
from studio_app.models.privacy import DataExport, PrivacyRequest
from studio_app.models.projects import Notification
from studio_app.security.policy import NotAllowed
from studio_app.services import accounts, exports, files, notifications, threads
from studio_app.services.accounts import AccountError
from studio_app.services.exports import exporters
from studio_app.services.validation import InvalidInput
from tests.support.accounts import STRONG_PASSWORD
from tests.support.exports import category, exported, open_archive
from tests.support.projects import add_editor, call, new_project, person


def rushes(size: int = 2_300_000):
    pattern = hashlib.sha256(b"rush").digest() * 4096
    sent = 0
    while sent < size:
        piece = pattern[: min(len(pattern), size - sent)]
        sent += len(piece)
        yield piece


@pytest.fixture
def people(settings):
    producer = person(settings, "pro@example.com", name="Paula Producer")
    editor = person(settings, "ed@example.com", role="editor", name="Eddie Editor")
    project = new_project(producer, "Spring teaser")
    add_editor(producer, editor, project.id)
    return producer, editor, project.id


def stored_file(actor, project_id=None, name="rush 01.mov", size=2_300_000):
    with session_scope() as session:
        return files.store_file(session, actor, project_id=project_id, name=name, content_type="video/quicktime",
                                chunks=rushes(size))


def test_an_export_is_built_sealed_and_holds_every_category_with_a_readme(people):
    producer, editor, project_id = people
    for number in range(1203):  # more than two batches
        call(threads.post_message, editor, project_id, f"editor note {number}", idempotency_key=f"e-{number}")
    call(threads.post_message, producer, project_id, "from the producer", idempotency_key="p-1")
    upload = stored_file(editor, project_id)
    row = exported(editor)

    assert row.status == "ready" and row.progress == 100 and row.size_bytes > 2_300_000
    assert row.expires_at - row.finished_at == timedelta(days=exports.EXPORT_DAYS)
    raw = current_storage().path_of(row.storage_key).read_bytes()
    assert b"PK" not in raw[:16] and b"editor note" not in raw  # sealed at rest, not a plain ZIP
    archive = open_archive(row)
    assert archive.testzip() is None
    names = set(archive.namelist())
    assert {f"{name}.json" for name in exports.FILES} | {"README.md"} <= names
    for name in exports.FILES:
        document = category(archive, name)
        assert document["schema"] == f"azekia-studio/export/{name}" and document["version"] == 1
        assert document["generated_at"].startswith(str(row.started_at.date()))
    bodies = [item["body"] for item in category(archive, "content")["items"] if item["type"] == "message"]
    assert bodies == [f"editor note {number}" for number in range(1203)]  # theirs only, in order
    (project,) = [item for item in category(archive, "content")["items"] if item["type"] == "project"]
    assert project["title"] == "Spring teaser" and project["brief_markdown"] is None  # the brief is the producer's
    (listed,) = category(archive, "files")["items"]
    assert listed["name"] == "rush 01.mov"
    blob = archive.read(listed["path"])
    assert hashlib.sha256(blob).hexdigest() == listed["sha256"] == upload.sha256
    readme = archive.read("README.md").decode()
    assert "content.json" in readme and "`body`" in readme and "http://localhost:3000/privacy-center" in readme
    assert "Paula Producer" not in str([archive.read(name) for name in names if name.endswith(".json")])

    with session_scope() as session:
        request = session.exec(select(PrivacyRequest).where(PrivacyRequest.user_id == editor.user_id)).one()
        assert request.kind == "portability" and request.self_served and request.status == "done"
        (notice,) = session.exec(select(Notification).where(Notification.kind == "export_ready")).all()
        assert notice.user_id == editor.user_id and notice.subject_id == row.id
        center = notifications.notification_center(session, editor)
    assert center.items[0].link == "/privacy-center"
    (view,) = call(exports.exports_of, editor)
    assert view.downloadable and view.size_bytes == row.size_bytes and call(exports.exports_of, producer) == []


def test_one_export_at_a_time_and_a_daily_limit(people):
    _producer, editor, _project_id = people
    call(exports.request_export, editor)
    with pytest.raises(InvalidInput, match="already being prepared"):
        call(exports.request_export, editor)
    run_export_round()
    for _ in range(4):
        call(exports.request_export, editor)
        run_export_round()
    with pytest.raises(InvalidInput, match="Try again tomorrow"):
        call(exports.request_export, editor)
    views = call(exports.exports_of, editor)
    assert [view.status for view in views] == ["ready"] + ["expired"] * 4  # the newest replaces the others
    with session_scope() as session:
        assert len(session.exec(select(DataExport.storage_key).where(DataExport.storage_key.is_not(None))).all()) == 1
    with pytest.raises(NotAllowed):
        call(exports.request_export, None)
    with session_scope() as session:  # one request per archive, each closed when its archive was ready
        kinds = session.exec(select(PrivacyRequest.status).where(PrivacyRequest.user_id == editor.user_id)).all()
    assert kinds == ["done"] * 5


def test_two_workers_never_claim_the_same_export(people):
    producer, editor, _ = people
    first = call(exports.request_export, producer)
    second = call(exports.request_export, editor)
    claimed = {call(exports.claim_next), call(exports.claim_next)}
    assert claimed == {first.id, second.id}
    assert call(exports.claim_next) is None
    with session_scope() as session:
        statuses = session.exec(select(DataExport.status)).all()
    assert statuses == ["running", "running"]


def test_a_crash_half_way_marks_it_failed_and_leaves_no_blob(people, monkeypatch):
    _producer, editor, project_id = people
    for number in range(50):
        call(threads.post_message, editor, project_id, f"note {number}", idempotency_key=f"n-{number}")
    stored_file(editor, project_id)
    blobs_before = set(current_storage().keys())
    calls = {"count": 0}
    real_decrypt = exporters.decrypt_field

    def failing_decrypt(*args, **kwargs):
        calls["count"] += 1
        if calls["count"] == 20:
            raise RuntimeError("disk on fire")
        return real_decrypt(*args, **kwargs)

    monkeypatch.setattr(exporters, "decrypt_field", failing_decrypt)
    row = exported(editor)
    assert row.status == "failed" and row.error == exports.FAILED_REASON and row.storage_key is None
    assert set(current_storage().keys()) == blobs_before
    assert list(current_storage().root.rglob("*.partial")) == []
    monkeypatch.undo()

    def broken_blob(row, key):
        yield b"x" * 1000
        raise OSError("storage went away")

    monkeypatch.setattr(files, "read_blob", broken_blob)
    retry = exported(editor)
    assert retry.status == "failed" and retry.error == exports.FILE_UNREADABLE_REASON
    assert set(current_storage().keys()) == blobs_before
    monkeypatch.undo()
    assert exported(editor).status == "ready"  # the retry works once the cause is gone
    with session_scope() as session:  # one request for the three attempts, closed by the one that worked
        statuses = session.exec(select(PrivacyRequest.status).where(PrivacyRequest.user_id == editor.user_id)).all()
    assert statuses == ["done"]


def test_an_export_left_by_a_dead_worker_is_requeued_and_built(people):
    _producer, editor, _ = people
    view = call(exports.request_export, editor)
    assert call(exports.claim_next) == view.id  # a worker took it, then died
    assert run_export_round() == 0  # its heartbeat is fresh: nobody else touches it
    with session_scope() as session:
        session.execute(sa.update(DataExport).values(heartbeat_at=utcnow() - exports.STALE_AFTER - timedelta(1)))
    assert run_export_round() == 1
    assert call(exports.exports_of, editor)[0].status == "ready"


def test_the_archive_expires_and_its_blob_is_deleted(people, settings):
    _producer, editor, _ = people
    row = exported(editor)
    assert current_storage().exists(row.storage_key)
    run_digest_round(settings, online_user_ids=set())
    assert current_storage().exists(row.storage_key)  # not yet
    with session_scope() as session:
        session.execute(sa.update(DataExport).values(expires_at=utcnow() - timedelta(seconds=1)))
    run_digest_round(settings, online_user_ids=set())
    assert not current_storage().exists(row.storage_key)
    (view,) = call(exports.exports_of, editor)
    assert view.status == "expired" and not view.downloadable


def test_only_the_requester_downloads_and_only_after_entering_the_password_again(people):
    producer, editor, _ = people
    row = exported(editor)
    with pytest.raises(NotAllowed):
        call(exports.open_export, producer, row.id)
    with pytest.raises(NotAllowed):
        call(exports.open_export, editor, "not-an-id")
    with pytest.raises(AccountError):
        call(exports.open_export, editor, row.id)
    call(accounts.reauthenticate, editor, STRONG_PASSWORD)
    with session_scope() as session:
        _view, name, chunks = exports.open_export(session, editor, row.id)
        data = b"".join(chunks)
    assert name == f"azekia-studio-data-{row.finished_at.date().isoformat()}.zip" and data[:2] == b"PK"
    with session_scope() as session:
        assert session.get(DataExport, row.id).downloaded_at is not None


def test_the_person_is_told_in_the_app_and_by_email_with_a_link_to_the_privacy_center(people, settings):
    _producer, editor, _ = people
    row = exported(editor)
    with session_scope() as session:
        session.execute(sa.update(Notification).values(created_at=utcnow() - QUIET_PERIOD - timedelta(minutes=1)))
    assert run_digest_round(settings, online_user_ids=set()) >= 1
    (mail,) = [mail for mail in read_outbox(settings) if "ed@example.com" in mail.to and "notification" in mail.subject]
    assert "Your data archive is ready" in mail.text and f"{settings.public_url}/privacy-center" in mail.text
    assert row.id not in mail.text and "/api/" not in mail.text  # a link to the page, never to the file


def test_progress_and_heartbeat_are_written_while_it_builds(people, monkeypatch):
    _producer, editor, project_id = people
    for number in range(1200):
        call(threads.post_message, editor, project_id, f"note {number}", idempotency_key=f"n-{number}")
    stored_file(editor, project_id, size=3_000_000)
    seen = []
    real_write = export_worker.ExportProgress._write

    def observed(progress):
        real_write(progress)
        with session_scope() as session:
            row = session.get(DataExport, progress.export_id)
            seen.append((row.status, row.progress, row.heartbeat_at))

    monkeypatch.setattr(export_worker, "PROGRESS_EVERY_SECONDS", 0)
    monkeypatch.setattr(export_worker.ExportProgress, "_write", observed)
    assert exported(editor).status == "ready"
    percents = [percent for _, percent, _ in seen]
    assert all(status == "running" for status, _, _ in seen) and percents == sorted(percents)
    assert len({percent for percent in percents if 0 < percent < 100}) >= 5  # it moves, step by step
    assert [beat for _, _, beat in seen] == sorted(beat for _, _, beat in seen)
