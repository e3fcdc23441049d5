"""Stored files: sealed at rest, read back by members only, and never left half-written."""

import hashlib

import pytest

from studio_app.integrations.storage import current_storage
from studio_app.models.files import StoredFile
from studio_app.security.crypto import DecryptionError
from studio_app.security.policy import NotAllowed
from studio_app.services import files
from tests.support.app_env import new_session
from tests.support.projects import add_editor, new_project, person


def project_with_editor(settings):
    producer = person(settings, "producer@example.com")
    editor = person(settings, "editor@example.com", role="editor")
    project = new_project(producer)
    add_editor(producer, editor, project.id)
    return producer, editor, project.id


def _chunks(total: int, size: int = 300_000):
    pattern = bytes(range(256)) * (size // 256 + 1)
    sent = 0
    while sent < total:
        piece = pattern[: min(size, total - sent)]
        sent += len(piece)
        yield piece


def test_a_file_is_sealed_at_rest_and_reads_back_for_members_only(settings):
    producer, editor, project_id = project_with_editor(settings)
    outsider = person(settings, "outsider@example.com")
    with new_session() as session:
        view = files.store_file(session, editor, project_id=project_id, name="rush 01.mov",
                                content_type="video/quicktime",
                                chunks=_chunks(2_500_000))
        session.commit()
    expected = hashlib.sha256(b"".join(_chunks(2_500_000))).hexdigest()
    assert view.size_bytes == 2_500_000 and view.sha256 == expected
    with new_session() as session:
        row = session.get(StoredFile, view.id)
        raw = current_storage().path_of(row.storage_key).read_bytes()
        assert bytes(range(256)) * 4 not in raw and b"rush 01" not in bytes(row.name_encrypted)
        described, content = files.open_file(session, producer, view.id)
        assert described.name == "rush 01.mov"
        assert hashlib.sha256(b"".join(content)).hexdigest() == expected
        with pytest.raises(NotAllowed):
            files.open_file(session, outsider, view.id)


def test_a_rolled_back_upload_leaves_no_blob_and_a_failed_stream_no_partial_file(settings):
    producer, _editor, project_id = project_with_editor(settings)
    with new_session() as session:
        files.store_file(session, producer, project_id=None, name="notes.txt", content_type="text/plain",
                         chunks=[b"hello"])
        session.rollback()
    assert list(current_storage().keys()) == []

    def broken():
        yield b"x" * 1000
        raise OSError("connection lost")

    with new_session() as session, pytest.raises(OSError):
        files.store_file(session, producer, project_id=project_id, name="cut.mp4", content_type="video/mp4",
                         chunks=broken())
    assert list(current_storage().root.rglob("*.*")) == []


def test_an_altered_blob_is_refused(settings):
    producer, _editor, _project_id = project_with_editor(settings)
    with new_session() as session:
        view = files.store_file(session, producer, project_id=None, name="a.bin",
                                content_type="application/octet-stream",
                                chunks=_chunks(10_000))
        session.commit()
        row = session.get(StoredFile, view.id)
        path = current_storage().path_of(row.storage_key)
        data = bytearray(path.read_bytes())
        data[-3] ^= 1
        path.write_bytes(bytes(data))
        _view, content = files.open_file(session, producer, view.id)
        with pytest.raises(DecryptionError):
            b"".join(content)


def test_blob_cleanup_waits_for_the_whole_transaction_not_a_savepoint(settings):
    """A savepoint released inside the transaction (an audit event) is not its commit or its rollback."""
    from studio_app.services import audit

    producer, _editor, _project_id = project_with_editor(settings)
    with new_session() as session:
        files.store_file(session, producer, project_id=None, name="draft.txt", content_type="text/plain",
                         chunks=[b"draft"])
        audit.record_event(session, "test.savepoint", actor_id=producer.user_id)
        session.rollback()
    assert list(current_storage().keys()) == []  # the rolled-back upload left no blob

    with new_session() as session:
        view = files.store_file(session, producer, project_id=None, name="keep.txt", content_type="text/plain",
                                chunks=[b"keep"])
        session.commit()
        row = session.get(StoredFile, view.id)
        storage_key = row.storage_key
        files.delete_file(session, row)
        audit.record_event(session, "test.savepoint", actor_id=producer.user_id)
        assert current_storage().exists(storage_key)  # not before the commit
        session.rollback()
    assert current_storage().exists(storage_key)  # the deletion was rolled back: the blob stays
    with new_session() as session:
        _view, content = files.open_file(session, producer, view.id)
        assert b"".join(content) == b"keep"
