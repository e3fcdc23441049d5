"""Reading a project's media back: the original of an upload, or the proxy processing made of it, for playback
and download (``api/media.py``), any byte range at a time.

Only the project's members read its media. Seeking reads and opens only the sealed chunks that hold the range
(``security/stream_crypto.open_range``), from local storage or S3 alike.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator

from sqlmodel import Session, select

from studio_app.errors import NotFound
from studio_app.integrations.storage import current_storage
from studio_app.models.base import is_row_id
from studio_app.models.files import StoredFile
from studio_app.models.media import MediaAsset
from studio_app.security.crypto import DataKey
from studio_app.security.fields import get_decrypted
from studio_app.security.policy import Action, Actor, require_in_project, require_signed_in
from studio_app.security.stream_crypto import open_range
from studio_app.services import detection, projects
from studio_app.services.keys import project_key_of

_MISSING = "This file does not exist, or you cannot open it."


@dataclasses.dataclass(frozen=True)
class MediaFile:
    """What reading a file needs; ``key`` is its project's data key (kept in memory for the request only)."""

    id: str
    name: str
    content_type: str
    size_bytes: int
    sha256: str
    storage_key: str
    key: DataKey = dataclasses.field(repr=False)


def open_original(session: Session, actor: Actor | None, file_id: str) -> MediaFile:
    """A file of one of the actor's projects (an uploaded original, or a poster or strip processing made)."""
    row = _project_file(session, actor, file_id)
    if session.exec(select(MediaAsset.id).where(MediaAsset.file_id == row.id)).first() is not None:
        # Videos count towards the mass-download rule; posters and strips, which every page shows, do not.
        detection.downloaded(session, actor.user_id, row.id, "media")
    return _media_file(session, row)


def open_proxy(session: Session, actor: Actor | None, file_id: str) -> MediaFile:
    """The playback proxy of the asset whose original is ``file_id``; NotFound until processing made it."""
    original = _project_file(session, actor, file_id)
    proxy_id = session.exec(select(MediaAsset.proxy_file_id).where(MediaAsset.file_id == original.id)).first()
    proxy = session.get(StoredFile, proxy_id) if proxy_id else None
    if proxy is None:
        raise NotFound("This video has no playback version yet; it is still being processed.")
    detection.downloaded(session, actor.user_id, original.id, "media")  # the same item as its original
    return _media_file(session, proxy)


def read_range(media: MediaFile, start: int, end: int) -> Iterator[bytes]:
    """Plaintext bytes ``[start, end)``, chunk by chunk (blocking reads: iterate it on a worker thread)."""
    with current_storage().reader(media.storage_key) as source:
        yield from open_range(media.key, source, f"stored_file:{media.id}".encode(), media.size_bytes, start, end)


def _project_file(session: Session, actor: Actor | None, file_id: str) -> StoredFile:
    actor = require_signed_in(actor)
    row = session.get(StoredFile, file_id) if is_row_id(file_id) else None
    if row is None or row.project_id is None:
        raise NotFound(_MISSING)
    role = projects.member_role(session, actor.user_id, row.project_id)
    if role is None:
        raise NotFound(_MISSING)
    require_in_project(actor, Action.VIEW_MEDIA, role)
    return row


def _media_file(session: Session, row: StoredFile) -> MediaFile:
    key = project_key_of(session, row.project_id)
    return MediaFile(id=row.id, name=get_decrypted(row, "name_encrypted", data_key=key) or "video",
                     content_type=row.content_type, size_bytes=row.size_bytes, sha256=row.sha256,
                     storage_key=row.storage_key, key=key)
