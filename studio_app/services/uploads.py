"""Resumable uploads of rushes and versions (the domain behind the tus routes of ``api/uploads.py``).

How the bytes are kept, so that an upload resumes from the last byte stored after a dropped connection or a
server restart, in constant memory and with no plaintext on disk:

- The file is written straight into its final form, the segmented sealed stream of ``security/stream_crypto.py``
  (1 MiB chunks, sealed under the project's data key and bound to the ``StoredFile`` id chosen at creation), in
  the upload's staging folder (``integrations/storage.UploadStaging``). Chunk ``i`` is the last one exactly when
  it reaches the declared length, so every chunk is sealed once, as it will stay.
- A request holds at most one chunk of plaintext in memory. When it ends (finished, or the connection dropped)
  the bytes after the last whole chunk are sealed on their own as the *tail*, bound to the upload and to the
  chunk count it follows. The next request opens the tail and carries on.
- After a crash the staging folder has the last word: a partially appended chunk is cut off, a tail bound to
  another chunk count is stale and ignored, and the offset is what remains (``_reconcile``). The row's
  ``received_bytes`` is only the last request's view of it.
- The SHA-256 of the whole file is computed as the bytes stream and kept in this process between requests; a
  process that does not have it (after a restart, or another worker) rebuilds it from the sealed bytes.
- With ``Upload-Checksum`` a request's bytes count only if their checksum matches: otherwise (and when such a
  request is cut short) the blob is cut back to where the request started and the previous tail stays.
- One request at a time writes an upload, across processes: a lease on the row, renewed while bytes flow.
- The first bytes are sniffed (``services/sniffing.py``): anything but a video container is refused and the upload
  removed with its staging folder. On the last byte, the file becomes a ``StoredFile`` (the staging blob adopted
  by storage as it is) and a queued ``MediaAsset`` in one transaction.

All of this is blocking work (disk, crypto, database): callers run it on worker threads.
"""

from __future__ import annotations

import base64
import binascii
import dataclasses
import hashlib
import io
import secrets
import threading
import time
import unicodedata
from datetime import datetime, timedelta

import sqlalchemy as sa
from sqlmodel import Session, select

from studio_app.database import after_commit, after_rollback, session_scope
from studio_app.errors import NotFound, UserError
from studio_app.integrations.storage import current_staging, current_storage
from studio_app.models.base import new_id, utcnow
from studio_app.models.files import StoredFile
from studio_app.models.media import MediaAsset, MediaKind, ProcessingStatus
from studio_app.models.projects import Project
from studio_app.models.uploads import Upload, UploadState
from studio_app.security.crypto import DataKey, DecryptionError
from studio_app.security.fields import get_decrypted, set_encrypted
from studio_app.security.policy import Action, Actor, require_in_project, require_signed_in
from studio_app.security.stream_crypto import (
    CHUNK_BYTES,
    HEADER_BYTES,
    SEALED_CHUNK_BYTES,
    ChunkSealer,
    chunk_count,
    new_header,
    open_chunks,
    seal_chunks,
    sealed_offset,
)
from studio_app.services import projects
from studio_app.services.keys import project_key_of
from studio_app.services.sniffing import SNIFF_BYTES, sniff_video
from studio_app.settings import Settings

MAX_NAME_LENGTH = 200
LEASE_SECONDS = 20
_LEASE_RENEW_SECONDS = 5
CHECKSUM_ALGORITHMS = ("sha1", "sha256")


class UploadRefused(UserError):
    """An upload request that cannot be served; ``status`` is the HTTP answer (tus uses 409, 410, 413, 415, 460)."""

    def __init__(self, status: int, message: str):
        super().__init__(message)
        self.status = status


@dataclasses.dataclass(frozen=True)
class UploadView:
    id: str
    project_id: str
    kind: str
    name: str
    declared_length: int
    offset: int
    expires_at: datetime
    complete: bool
    file_id: str
    asset_id: str | None
    sha256: str | None


def sanitize_filename(raw: object) -> str:
    """A file name safe to show and to offer in a download: one line, no control or format characters (bidi
    overrides), no folders, no leading dots, no characters other systems refuse; ``video`` if nothing is left."""
    text = unicodedata.normalize("NFKC", raw if isinstance(raw, str) else "")
    text = "".join(char for char in text if not unicodedata.category(char).startswith(("C", "Z")) or char == " ")
    text = text.replace("\\", "/").rsplit("/", 1)[-1]
    text = "".join("_" if char in '<>:"|?*' else char for char in text)
    text = " ".join(text.split()).strip(" .")
    if len(text) > MAX_NAME_LENGTH:
        stem, dot, extension = text.rpartition(".")
        extension = extension[:16] if dot and stem else ""
        text = text[:MAX_NAME_LENGTH - len(extension) - 1].rstrip(" .") + (f".{extension}" if extension else "")
    return text or "video"


def create_upload(session: Session, actor: Actor | None, settings: Settings, *, project_id: str, filename: object,
                  kind: object, length: int) -> UploadView:
    """A new upload of ``length`` bytes to the project, checked against the limits before any byte is kept."""
    actor = require_signed_in(actor)
    require_in_project(actor, Action.UPLOAD_MEDIA, projects.member_role(session, actor.user_id, project_id))
    if kind not in (MediaKind.RUSH, MediaKind.VERSION):
        raise UploadRefused(400, "Say whether this file is a rush or a version.")
    if length <= 0:
        raise UploadRefused(415, "This file is empty: only videos can be uploaded.")
    if length > settings.upload_max_bytes:
        raise UploadRefused(413, f"This file is larger than the limit of {_size(settings.upload_max_bytes)}.")
    _lock_project(session, project_id)
    used = project_bytes_used(session, project_id)
    if used + length > settings.project_quota_bytes:
        left = max(0, settings.project_quota_bytes - used)
        raise UploadRefused(413, f"This project's storage is full: {_size(left)} left of "
                                 f"{_size(settings.project_quota_bytes)}. Remove media you no longer need first.")
    now = utcnow()
    row = Upload(id=secrets.token_hex(16), project_id=project_id, owner_id=actor.user_id, kind=str(kind),
                 declared_length=length, file_id=new_id(), created_at=now,
                 expires_at=now + timedelta(hours=settings.upload_expiry_hours))
    name = sanitize_filename(filename)
    set_encrypted(row, "name_encrypted", name, data_key=project_key_of(session, project_id))
    session.add(row)
    staging = current_staging()
    staging.create(row.id, new_header())
    after_rollback(session, lambda: staging.remove(row.id))
    return _view(row, name)


def project_bytes_used(session: Session, project_id: str) -> int:
    """What counts against the project's quota: its stored files and the uploads still coming in."""
    stored = session.exec(select(sa.func.coalesce(sa.func.sum(StoredFile.size_bytes), 0))
                          .where(StoredFile.project_id == project_id)).one()
    coming = session.exec(select(sa.func.coalesce(sa.func.sum(Upload.declared_length), 0))
                          .where(Upload.project_id == project_id, Upload.state == UploadState.RECEIVING)).one()
    return int(stored) + int(coming)


def upload_status(session: Session, actor: Actor | None, upload_id: str) -> UploadView:
    """The upload as its owner sees it (tus HEAD), with the offset the staging area holds."""
    row = _owned_upload(session, actor, upload_id)
    key = project_key_of(session, row.project_id)
    if row.state == UploadState.RECEIVING and not _lease_is_live(row):
        offset = _reconcile(row, key).offset
        if offset != row.received_bytes:
            row.received_bytes = offset
            session.add(row)
    return _view(row, get_decrypted(row, "name_encrypted", data_key=key))


def terminate_upload(session: Session, actor: Actor | None, upload_id: str) -> None:
    """The owner gives up (tus DELETE): the row and the staged bytes go; a finished upload's media stays."""
    row = _owned_upload(session, actor, upload_id, allow_expired=True)
    if _lease_is_live(row):
        raise UploadRefused(423, "This upload is still receiving bytes; try again in a moment.")
    _remove(session, row)


def sweep_expired_uploads(session: Session) -> int:
    """Remove uploads past their expiry (with their staged bytes) and staging folders whose row is gone; returns
    how many uploads were removed. For the queue's periodic round."""
    now = utcnow()
    rows = session.exec(select(Upload).where(Upload.expires_at < now).limit(1000)).all()
    removed = 0
    for row in rows:
        if _lease_is_live(row, now):  # bytes are flowing: the lease renewal also pushes the expiry
            continue
        _remove(session, row)
        removed += 1
    staging = current_staging()
    idle = staging.upload_ids(older_than_seconds=LEASE_SECONDS * 3)
    if idle:
        known = set(session.exec(select(Upload.id).where(Upload.id.in_(idle))).all())
        for upload_id in set(idle) - known:
            # A folder without its row: a creation that never committed, or a row its project took with it.
            after_commit(session, lambda upload_id=upload_id: staging.remove(upload_id))
    return removed


def _remove(session: Session, row: Upload) -> None:
    session.delete(row)
    upload_id = row.id
    after_commit(session, lambda: current_staging().remove(upload_id))


def _owned_upload(session: Session, actor: Actor | None, upload_id: str, *, allow_expired: bool = False) -> Upload:
    """Only its owner, while still a member of the project, reaches an upload; anyone else is told it does not
    exist (upload URLs are no oracle)."""
    actor = require_signed_in(actor)
    row = session.get(Upload, upload_id) if _is_upload_id(upload_id) else None
    if row is None or row.owner_id != actor.user_id or projects.member_role(
            session, actor.user_id, row.project_id) is None:
        raise NotFound("This upload does not exist, or it is not yours.")
    if not allow_expired and row.state == UploadState.RECEIVING and row.expires_at <= utcnow():
        raise UploadRefused(410, "This upload has expired; start it again.")
    return row


def _is_upload_id(value: object) -> bool:
    return isinstance(value, str) and len(value) == 32 and all(c in "0123456789abcdef" for c in value)


def _lease_is_live(row: Upload, now: datetime | None = None) -> bool:
    return row.lease_token is not None and row.lease_expires_at is not None and row.lease_expires_at > (
        now or utcnow())


def _lock_project(session: Session, project_id: str) -> None:
    """Creations for one project take turns, so that two cannot both fit in the last of the quota (PostgreSQL;
    SQLite has one writer at a time anyway)."""
    if session.get_bind().dialect.name == "postgresql":
        session.exec(select(Project.id).where(Project.id == project_id).with_for_update()).first()


def _size(size: int) -> str:
    for unit, scale in (("GiB", 1024**3), ("MiB", 1024**2), ("KiB", 1024)):
        if size >= scale:
            return f"{size / scale:.1f} {unit}".replace(".0 ", " ")
    return f"{size} bytes"


def _view(row: Upload, name: str) -> UploadView:
    complete = row.state == UploadState.COMPLETE
    return UploadView(id=row.id, project_id=row.project_id, kind=row.kind, name=name,
                      declared_length=row.declared_length,
                      offset=row.declared_length if complete else row.received_bytes, expires_at=row.expires_at,
                      complete=complete, file_id=row.file_id, asset_id=row.asset_id, sha256=row.sha256)


# What the staging area holds -------------------------------------------------------------------------------------

@dataclasses.dataclass
class _Stored:
    whole_chunks: int
    tail: bytes  # plaintext after the whole chunks (in memory only)

    @property
    def offset(self) -> int:
        return self.whole_chunks * CHUNK_BYTES + len(self.tail)


def _file_binding(file_id: str) -> bytes:
    return f"stored_file:{file_id}".encode()  # the binding services/files.py reads the blob with


def _tail_binding(upload_id: str, whole_chunks: int) -> bytes:
    return f"upload_tail:{upload_id}:{whole_chunks}".encode()


def _reconcile(row: Upload, key: DataKey) -> _Stored:
    """What the staging folder really holds; cuts off a chunk half-appended when a process died."""
    staging = current_staging()
    if not staging.exists(row.id):
        raise UploadRefused(410, "The bytes of this upload are gone; start it again.")
    whole = staging.whole_chunks(row.id, HEADER_BYTES, SEALED_CHUNK_BYTES)
    # The last chunk is only appended by the request that completes the upload.
    whole = min(whole, chunk_count(row.declared_length) - 1)
    staging.truncate(row.id, sealed_offset(whole))
    sealed_tail = staging.read_tail(row.id)
    tail = b""
    if sealed_tail is not None:
        try:
            tail = b"".join(open_chunks(key, io.BytesIO(sealed_tail), _tail_binding(row.id, whole)))
        except DecryptionError:  # the tail of an earlier chunk count: those bytes are in the chunks now
            tail = b""
    return _Stored(whole, tail)


# Hashes of uploads this process is receiving: (offset they cover, running SHA-256).
_hashes: dict[str, tuple[int, object]] = {}
_hashes_lock = threading.Lock()


def _hash_upto(row: Upload, key: DataKey, stored: _Stored):
    with _hashes_lock:
        cached = _hashes.get(row.id)
    if cached is not None and cached[0] == stored.offset:
        return cached[1].copy()
    digest = hashlib.sha256()  # rebuilt from the sealed bytes (a restart, or another worker had it)
    sealer = ChunkSealer(key, _file_binding(row.file_id), current_staging().header(row.id, HEADER_BYTES))
    with open(current_staging().blob_path(row.id), "rb") as blob:
        blob.seek(HEADER_BYTES)
        for index in range(stored.whole_chunks):
            digest.update(sealer.open(index, blob.read(SEALED_CHUNK_BYTES), last=False))
    digest.update(stored.tail)
    return digest


def _remember_hash(upload_id: str, offset: int, digest) -> None:
    with _hashes_lock:
        _hashes[upload_id] = (offset, digest.copy())


def _forget_hash(upload_id: str) -> None:
    with _hashes_lock:
        _hashes.pop(upload_id, None)


# One request's bytes ---------------------------------------------------------------------------------------------

@dataclasses.dataclass(frozen=True)
class PatchOutcome:
    offset: int
    complete: bool
    asset_id: str | None
    file_id: str


def parse_checksum(header: str | None) -> tuple[str, bytes] | None:
    """``Upload-Checksum: <algorithm> <base64 digest>``; raises UploadRefused (400) if it cannot be used."""
    if header is None:
        return None
    algorithm, _, encoded = header.strip().partition(" ")
    if algorithm not in CHECKSUM_ALGORITHMS:
        raise UploadRefused(400, f"Unsupported checksum algorithm; use one of {', '.join(CHECKSUM_ALGORITHMS)}.")
    try:
        return algorithm, base64.b64decode(encoded.strip(), validate=True)
    except (binascii.Error, ValueError):
        raise UploadRefused(400, "The checksum is not valid base64.") from None


class UploadWriter:
    """The bytes of one PATCH (or of a creation with upload), written in order by ``write``; then ``finish``, or
    ``abandon`` when the connection dropped. Each call blocks (disk, crypto, database): run it on a thread."""

    def __init__(self, settings: Settings, actor: Actor | None, upload_id: str, offset: int,
                 checksum: tuple[str, bytes] | None):
        self.settings, self.checksum = settings, checksum
        self.lease = new_id()
        self._appending = None
        self._lease_lost = False
        with session_scope() as session:
            row = _owned_upload(session, actor, upload_id)
            if row.state == UploadState.COMPLETE:
                raise UploadRefused(409, "This upload is already complete.")
            self.actor = require_signed_in(actor)
            self.key = project_key_of(session, row.project_id)
            self.row = row
            self._take_lease(session, row)
        try:
            stored = _reconcile(row, self.key)
            if offset != stored.offset:
                raise UploadRefused(409, f"The upload is at byte {stored.offset}, not {offset}: resume from there.")
            self.digest = _hash_upto(row, self.key, stored)
        except BaseException:
            self._release()
            raise
        self.start = stored
        self.start_digest = self.digest.copy()
        self.whole_chunks = stored.whole_chunks
        self.buffer = bytearray(stored.tail)
        self.offset = stored.offset
        self.request_digest = hashlib.new(checksum[0]) if checksum else None
        self.sealer = ChunkSealer(self.key, _file_binding(row.file_id),
                                  current_staging().header(row.id, HEADER_BYTES))
        self.content_type = row.content_type
        self._renewed = time.monotonic()

    @property
    def declared_length(self) -> int:
        return self.row.declared_length

    def write(self, data: bytes) -> None:
        if self.offset + len(data) > self.declared_length:
            raise UploadRefused(413, "More bytes arrived than the upload declared.")
        self.digest.update(data)
        if self.request_digest is not None:
            self.request_digest.update(data)
        self.buffer += data
        self.offset += len(data)
        self._sniff()
        appended = []
        while len(self.buffer) >= CHUNK_BYTES and not self._is_last(self.whole_chunks):
            appended.append(self.sealer.seal(self.whole_chunks, memoryview(self.buffer)[:CHUNK_BYTES], last=False))
            del self.buffer[:CHUNK_BYTES]
            self.whole_chunks += 1
        for record in appended:
            self._blob().write(record)
        if time.monotonic() - self._renewed > _LEASE_RENEW_SECONDS:
            self._renew_lease()

    def finish(self) -> PatchOutcome:
        """The request's body ended: keep its bytes (if their checksum matches), complete the upload if it is
        whole. Raises UploadRefused (460) after putting everything back as it was before the request."""
        try:
            if self.checksum is not None and self.request_digest.digest() != self.checksum[1]:
                self._roll_back()
                raise UploadRefused(460, "The checksum of the bytes received does not match; send them again.")
            if self.offset < self.declared_length:
                self._sniff(final=False)
                self._keep_tail()
                return PatchOutcome(self.offset, False, None, self.row.file_id)
            self._sniff(final=True)
            return self._complete()
        finally:
            self._release()

    def abandon(self) -> None:
        """The connection dropped mid-body: keep what arrived, unless a checksum was to prove it."""
        if self._lease_lost:  # another request writes this upload now
            return
        try:
            if self.checksum is not None:
                self._roll_back()
            else:
                self._keep_tail()
        finally:
            self._release()

    def refuse(self) -> None:
        """Not a video: the upload goes, bytes and row (nothing left behind)."""
        self._close_blob(settle=False)
        _forget_hash(self.row.id)
        with session_scope() as session:
            row = session.get(Upload, self.row.id)
            if row is not None:
                _remove(session, row)

    # internals

    def _is_last(self, index: int) -> bool:
        return (index + 1) * CHUNK_BYTES >= self.declared_length

    def _sniff(self, final: bool = False) -> None:
        if self.content_type is not None:
            return
        enough = min(SNIFF_BYTES, self.declared_length)
        if self.offset < enough and not final:
            return
        # Until the first chunk is sealed the buffer starts with the file's first bytes.
        self.content_type = sniff_video(bytes(self.buffer[:SNIFF_BYTES])) if self.whole_chunks == 0 else None
        if self.content_type is None:
            raise UploadRefused(415, "This file is not a video we can use (MP4, MOV, MKV, WebM, AVI, MPEG-TS or "
                                     "MXF). Its name or type does not matter: its content does.")
        with session_scope() as session:  # at once: a resume after a crash must not sniff the middle of the file
            session.execute(sa.update(Upload).where(Upload.id == self.row.id).values(content_type=self.content_type))

    def _blob(self):
        if self._appending is None:
            self._appending = current_staging().appender(self.row.id)
        return self._appending

    def _close_blob(self, *, settle: bool) -> None:
        if self._appending is not None:
            if settle:
                current_staging().settle(self._appending)
            self._appending.close()
            self._appending = None

    def _keep_tail(self) -> None:
        staging = current_staging()
        self._close_blob(settle=True)  # the chunks are on disk before the tail and the row say they are
        if self.offset != self.start.offset and self.buffer:
            sealed = io.BytesIO()
            seal_chunks(self.key, [bytes(self.buffer)], _tail_binding(self.row.id, self.whole_chunks), sealed)
            staging.write_tail(self.row.id, sealed.getvalue())
        _remember_hash(self.row.id, self.offset, self.digest)
        with session_scope() as session:
            session.execute(sa.update(Upload).where(Upload.id == self.row.id).values(
                received_bytes=self.offset, content_type=self.content_type,
                expires_at=utcnow() + timedelta(hours=self.settings.upload_expiry_hours)))

    def _roll_back(self) -> None:
        self._close_blob(settle=False)
        current_staging().truncate(self.row.id, sealed_offset(self.start.whole_chunks))
        self.digest, self.offset = self.start_digest, self.start.offset
        _remember_hash(self.row.id, self.offset, self.digest)

    def _complete(self) -> PatchOutcome:
        staging = current_staging()
        self._blob().write(self.sealer.seal(self.whole_chunks, self.buffer, last=True))
        self._close_blob(settle=True)
        self.buffer = bytearray()
        sha256 = self.digest.hexdigest()
        storage = current_storage()
        storage_key = storage.new_key()
        storage.adopt(storage_key, staging.blob_path(self.row.id))
        try:
            asset_id = self._record_media(storage_key, sha256)
        except BaseException:
            storage.delete(storage_key)
            raise
        _forget_hash(self.row.id)
        staging.remove(self.row.id)
        return PatchOutcome(self.declared_length, True, asset_id, self.row.file_id)

    def _record_media(self, storage_key: str, sha256: str) -> str:
        """The stored file and its media asset, in one transaction (retried if another version took the number)."""
        for attempt in range(3):
            try:
                with session_scope() as session:
                    return self._insert_media(session, storage_key, sha256)
            except sa.exc.IntegrityError:
                if attempt == 2:
                    raise
        raise AssertionError("unreachable")

    def _insert_media(self, session: Session, storage_key: str, sha256: str) -> str:
        row = session.get(Upload, self.row.id)
        if row is None or row.lease_token != self.lease:
            raise UploadRefused(409, "This upload was cancelled or taken over.")
        require_in_project(self.actor, Action.UPLOAD_MEDIA,
                           projects.member_role(session, self.actor.user_id, row.project_id))
        name = get_decrypted(row, "name_encrypted", data_key=self.key)
        stored = StoredFile(id=row.file_id, owner_id=row.owner_id, project_id=row.project_id,
                            content_type=self.content_type or "application/octet-stream",
                            size_bytes=row.declared_length, sha256=sha256, storage_key=storage_key)
        set_encrypted(stored, "name_encrypted", name, data_key=self.key)
        session.add(stored)
        version = None
        if row.kind == MediaKind.VERSION:
            version = 1 + (session.exec(select(sa.func.max(MediaAsset.version_number)).where(
                MediaAsset.project_id == row.project_id, MediaAsset.kind == MediaKind.VERSION)).one() or 0)
        asset = MediaAsset(project_id=row.project_id, file_id=row.file_id, kind=row.kind, version_number=version,
                           uploaded_by=row.owner_id, status=ProcessingStatus.QUEUED)
        session.add(asset)
        session.flush()  # the stored file before the asset that points to it
        row.state, row.received_bytes, row.sha256, row.asset_id = UploadState.COMPLETE, row.declared_length, \
            sha256, asset.id
        row.content_type = self.content_type
        session.add(row)
        return asset.id

    def _take_lease(self, session: Session, row: Upload) -> None:
        now = utcnow()
        taken = session.execute(sa.update(Upload).where(
            Upload.id == row.id, sa.or_(Upload.lease_token.is_(None), Upload.lease_expires_at <= now),
        ).values(lease_token=self.lease, lease_expires_at=now + timedelta(seconds=LEASE_SECONDS))).rowcount
        if taken != 1:
            raise UploadRefused(423, "This upload is receiving bytes from another request; try again in a moment.")
        session.commit()

    def _renew_lease(self) -> None:
        now = utcnow()
        with session_scope() as session:
            kept = session.execute(sa.update(Upload).where(
                Upload.id == self.row.id, Upload.lease_token == self.lease,
            ).values(lease_expires_at=now + timedelta(seconds=LEASE_SECONDS),
                     expires_at=now + timedelta(hours=self.settings.upload_expiry_hours))).rowcount
        if kept != 1:
            self._lease_lost = True
            raise UploadRefused(409, "This upload was cancelled or taken over.")
        self._renewed = time.monotonic()

    def _release(self) -> None:
        self._close_blob(settle=False)
        with session_scope() as session:
            session.execute(sa.update(Upload).where(Upload.id == self.row.id, Upload.lease_token == self.lease)
                            .values(lease_token=None, lease_expires_at=None))
