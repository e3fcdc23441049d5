"""Stored files: write a blob sealed under its owner's (or its project's) data key, read it back, remove it.

The storage key is random; the name the person gave is sealed in the row. Writing the blob happens
before the row is added, and the blob is removed again if the transaction cannot finish, so no row
points to a missing blob and no blob is left without a row.
"""

from __future__ import annotations

import dataclasses
import hashlib
from collections.abc import Iterable, Iterator
from datetime import datetime

from sqlmodel import Session

from studio_app.database import after_commit, after_rollback
from studio_app.integrations.storage import current_storage
from studio_app.models.base import is_row_id, new_id
from studio_app.models.files import StoredFile
from studio_app.security.crypto import DataKey
from studio_app.security.fields import get_decrypted, set_encrypted
from studio_app.security.policy import Action, Actor, NotAllowed, require_in_project, require_signed_in
from studio_app.security.stream_crypto import open_chunks, seal_chunks
from studio_app.services import projects
from studio_app.services.keys import data_key_of, project_key_of
from studio_app.services.validation import InvalidInput, check_line

MAX_NAME_LENGTH = 200


@dataclasses.dataclass(frozen=True)
class FileView:
    id: str
    name: str
    content_type: str
    size_bytes: int
    sha256: str
    project_id: str | None
    created_at: datetime


def store_file(session: Session, actor: Actor | None, *, project_id: str | None, name: str, content_type: str,
               chunks: Iterable[bytes]) -> FileView:
    actor = require_signed_in(actor)
    name = check_line(name, field="name", max_length=MAX_NAME_LENGTH, missing="Give the file a name.")
    if project_id is not None:
        require_in_project(actor, Action.POST_MESSAGE, projects.member_role(session, actor.user_id, project_id))
    row = StoredFile(id=new_id(), owner_id=actor.user_id, project_id=project_id, content_type=content_type[:100],
                     size_bytes=0, sha256="", storage_key=current_storage().new_key())
    _write(session, row, name, chunks)
    return _view(row, name)


def store_system_file(session: Session, *, project_id: str, name: str, content_type: str, chunks: Iterable[bytes],
                      storage_key: str | None = None) -> FileView:
    """A file the app made itself for a project (a video's poster, thumbnail strip, proxy): no owner, sealed
    under the project's data key like the files its members upload, so erasing the project crypto-shreds it.

    ``storage_key``: a key the caller recorded before (see ``services/media.reserve_storage_key``), so that a
    process killed between writing the blob and committing the row leaves a blob someone can find and remove.
    """
    row = StoredFile(id=new_id(), owner_id=None, project_id=project_id, content_type=content_type[:100],
                     size_bytes=0, sha256="", storage_key=storage_key or current_storage().new_key())
    _write(session, row, name[:MAX_NAME_LENGTH], chunks)
    return _view(row, name)


def _write(session: Session, row: StoredFile, name: str, chunks: Iterable[bytes]) -> None:
    """Seal the blob into storage, then add the row (the blob goes again if the transaction rolls back)."""
    key = key_of(session, row)
    digest = hashlib.sha256()

    def hashed() -> Iterator[bytes]:
        for chunk in chunks:
            digest.update(chunk)
            yield chunk

    with current_storage().writer(row.storage_key) as target:
        row.size_bytes = seal_chunks(key, hashed(), _binding(row), target)
    row.sha256 = digest.hexdigest()
    set_encrypted(row, "name_encrypted", name, data_key=key)
    session.add(row)
    _remove_blob_if_rolled_back(session, row.storage_key)


def open_file(session: Session, actor: Actor | None, file_id: str) -> tuple[FileView, Iterator[bytes]]:
    """The file's description and an iterator over its plaintext (read lazily, constant memory)."""
    actor = require_signed_in(actor)
    row = session.get(StoredFile, file_id) if is_row_id(file_id) else None
    if row is None or not _may_read(session, actor, row):
        raise NotAllowed("This file does not exist or you cannot open it.")
    key = key_of(session, row)
    return _view(row, get_decrypted(row, "name_encrypted", data_key=key)), read_blob(row, key)


def read_blob(row: StoredFile, key: DataKey) -> Iterator[bytes]:
    return read_sealed(row.storage_key, key, _binding(row))


def read_sealed(storage_key: str, key: DataKey, binding: bytes) -> Iterator[bytes]:
    """The plaintext of any sealed blob in storage (files, data exports), chunk by chunk."""
    with current_storage().reader(storage_key) as source:
        yield from open_chunks(key, source, binding)


def delete_file(session: Session, row: StoredFile) -> None:
    """Delete the row now and the blob once the transaction has committed."""
    session.delete(row)
    _remove_blob_after_commit(session, row.storage_key)


def delete_blob_after_commit(session: Session, storage_key: str) -> None:
    """For other blobs kept in storage (data exports): removed once the transaction has committed."""
    _remove_blob_after_commit(session, storage_key)


def _may_read(session: Session, actor: Actor, row: StoredFile) -> bool:
    if row.project_id is None:
        return row.owner_id == actor.user_id
    return projects.member_role(session, actor.user_id, row.project_id) is not None


def key_of(session: Session, row: StoredFile) -> DataKey:
    if row.project_id is not None:
        return project_key_of(session, row.project_id)
    if row.owner_id is None:
        raise InvalidInput("file", "This file has no owner any more.")
    return data_key_of(session, row.owner_id)


def _binding(row: StoredFile) -> bytes:
    return f"stored_file:{row.id}".encode()


def _view(row: StoredFile, name: str) -> FileView:
    return FileView(id=row.id, name=name, content_type=row.content_type, size_bytes=row.size_bytes, sha256=row.sha256,
                    project_id=row.project_id, created_at=row.created_at)


def _remove_blob_if_rolled_back(session: Session, storage_key: str) -> None:
    after_rollback(session, lambda: current_storage().delete(storage_key))


def _remove_blob_after_commit(session: Session, storage_key: str) -> None:
    after_commit(session, lambda: current_storage().delete(storage_key))
