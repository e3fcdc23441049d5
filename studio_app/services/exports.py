"""Data exports ("access and portability"): a ZIP of everything we hold about one person, built in the background.

The archive holds one JSON file per category (``{"schema", "version", "generated_at", "items"}``), the files the
person uploaded under ``files/``, and a README.md that documents every file and field. It is written as a stream:
rows are read in batches, blobs chunk by chunk, and the ZIP (data descriptors, no seeking) goes through
``SealingWriter`` into storage, sealed with the person's data key, so memory stays flat whatever their size and
the archive is encrypted at rest too.

Which table feeds which file is declared once, in :data:`EXPORTERS`; tables that hold nothing to export say why
in :data:`NOT_EXPORTED`. Tests check both against the personal-data register and the schema, so a new personal
column without an exporter fails them. Nothing of anyone else is exported: not other people's names, emails or
messages; for a project the person works on, its title (the producer also gets the brief they wrote).
"""

from __future__ import annotations

import dataclasses
import json
import logging
import re
import time
import zipfile
from collections.abc import Callable, Iterator
from datetime import date, datetime, timedelta

import sqlalchemy as sa
from sqlmodel import Session, select

from studio_app import routes
from studio_app.database import session_scope
from studio_app.integrations.storage import current_storage
from studio_app.models.accounts import Consent, OneTimeToken, TokenPurpose, User, UserSession
from studio_app.models.base import is_row_id, new_id, utcnow
from studio_app.models.files import StoredFile
from studio_app.models.privacy import (
    AnnouncementDelivery,
    DataExport,
    ExportStatus,
    PolicyDocument,
    PolicyNotice,
    PrivacyRequest,
    RequestKind,
    RequestStatus,
)
from studio_app.models.projects import (
    EditorProfile,
    Invitation,
    Message,
    Milestone,
    Notification,
    NotificationPreference,
    Project,
    ProjectEvent,
    ProjectMember,
    ThreadReadMarker,
)
from studio_app.security.crypto import DataKey, decrypt_field
from studio_app.security.fields import get_decrypted
from studio_app.security.policy import Action, Actor, NotAllowed, require
from studio_app.security.rate_limits import current_rate_limiter
from studio_app.security.stream_crypto import SealingWriter
from studio_app.services import audit, files, notifications, privacy_requests
from studio_app.services.accounts import require_recent_reauthentication
from studio_app.services.keys import data_key_of, project_keys_of
from studio_app.services.validation import InvalidInput
from studio_app.settings import current_settings

logger = logging.getLogger(__name__)

SCHEMA_VERSION = 1
SCHEMA_PREFIX = "azekia-studio/export"
EXPORT_DAYS = 7
STALE_AFTER = timedelta(minutes=3)  # a running export whose heartbeat is older was left by a dead worker
PROGRESS_EVERY_SECONDS = 0.5
BATCH = 500
JSON_FLUSH_BYTES = 256 * 1024
LISTED_EXPORTS = 5
ACTIVE = (ExportStatus.QUEUED, ExportStatus.RUNNING)
FAILED_REASON = "Something went wrong while we built your archive. Try again; if it fails again, write to us."
FILE_UNREADABLE_REASON = "One of your files could not be read back from storage. Write to us and we will look into it."


@dataclasses.dataclass(frozen=True)
class ExportView:
    id: str
    status: str
    progress: int
    created_at: datetime
    finished_at: datetime | None
    expires_at: datetime | None
    downloaded_at: datetime | None
    size_bytes: int | None
    error: str

    @property
    def downloadable(self) -> bool:
        return self.status == ExportStatus.READY and self.expires_at is not None and self.expires_at > utcnow()


class ExportAbandoned(Exception):
    """The export was re-queued, expired or erased while this worker built it: stop and keep nothing."""


# -- what the person does ------------------------------------------------------------------------


def request_export(session: Session, actor: Actor | None) -> ExportView:
    """Queue an export of everything we hold about the actor; a worker builds it (see ``jobs/exports.py``)."""
    actor = require(actor, Action.VIEW_OWN_ACCOUNT)
    # Serializes two requests of the same person on PostgreSQL (SQLite already has one writer at a time).
    session.exec(select(User.id).where(User.id == actor.user_id).with_for_update()).first()
    active = session.exec(select(DataExport.id).where(DataExport.user_id == actor.user_id,
                                                      DataExport.status.in_(ACTIVE)).limit(1)).first()
    if active is not None:
        raise InvalidInput("export", "Your archive is already being prepared. It will appear here when it is ready.")
    decision = current_rate_limiter().hit("export_request", actor.user_id)
    if not decision.allowed:
        raise InvalidInput("export", "You asked for several archives today. Try again tomorrow.")
    if _open_portability_request(session, actor.user_id) is None:
        # A retry after a failure continues the request that is still open instead of logging another one.
        privacy_requests.record_self_served(session, actor.user_id, RequestKind.PORTABILITY, done=False)
    row = DataExport(id=new_id(), user_id=actor.user_id, status=ExportStatus.QUEUED, progress=0)
    session.add(row)
    audit.record_event(session, "export.requested", actor_id=actor.user_id, subject_id=row.id)
    session.flush()
    return _view(row)


def exports_of(session: Session, actor: Actor | None) -> list[ExportView]:
    """The actor's latest exports, newest first: what the privacy center shows."""
    actor = require(actor, Action.VIEW_OWN_ACCOUNT)
    rows = session.exec(select(DataExport).where(DataExport.user_id == actor.user_id)
                        .order_by(DataExport.created_at.desc(), DataExport.id).limit(LISTED_EXPORTS)).all()
    return [_view(row) for row in rows]


def open_export(session: Session, actor: Actor | None, export_id: str) -> tuple[ExportView, str, Iterator[bytes]]:
    """(the export, a file name, its plaintext ZIP chunk by chunk) for the download route.

    Only the requester, only a ready and unexpired export, and only after a recent re-authentication
    (``AccountError`` otherwise). Records the download.
    """
    actor = require(actor, Action.VIEW_OWN_ACCOUNT)
    row = session.get(DataExport, export_id) if is_row_id(export_id) else None
    if row is None or row.user_id != actor.user_id or not _view(row).downloadable or row.storage_key is None:
        raise NotAllowed("This archive does not exist or has expired. Ask for a new one in your privacy center.")
    require_recent_reauthentication(session, actor)
    key = data_key_of(session, actor.user_id)
    row.downloaded_at = utcnow()
    session.add(row)
    audit.record_event(session, "export.downloaded", actor_id=actor.user_id, subject_id=row.id)
    name = f"azekia-studio-data-{row.finished_at.date().isoformat()}.zip"
    return _view(row), name, files.read_sealed(row.storage_key, key, export_binding(row.id))


# -- what the workers do -------------------------------------------------------------------------


def claim_next(session: Session) -> str | None:
    """Take the oldest queued export: the conditional update makes sure two workers never build the same one."""
    for export_id in session.exec(select(DataExport.id).where(DataExport.status == ExportStatus.QUEUED)
                                  .order_by(DataExport.created_at).limit(5)).all():
        now = utcnow()
        claimed = session.execute(
            sa.update(DataExport).where(DataExport.id == export_id, DataExport.status == ExportStatus.QUEUED)
            .values(status=ExportStatus.RUNNING, started_at=now, heartbeat_at=now, progress=0)
        ).rowcount
        if claimed == 1:
            return export_id
    return None


def requeue_stale(session: Session, *, now: datetime | None = None) -> int:
    """Running exports whose worker stopped beating (it died) go back to the queue."""
    cutoff = (now or utcnow()) - STALE_AFTER
    return session.execute(
        sa.update(DataExport).where(DataExport.status == ExportStatus.RUNNING, DataExport.heartbeat_at < cutoff)
        .values(status=ExportStatus.QUEUED, started_at=None, heartbeat_at=None, progress=0)
    ).rowcount


def expire_exports(session: Session, *, now: datetime | None = None) -> int:
    """Ready exports past their expiry: the blob is deleted (after commit) and the row says expired."""
    now = now or utcnow()
    rows = session.exec(select(DataExport).where(DataExport.status == ExportStatus.READY,
                                                 DataExport.expires_at <= now).limit(500)).all()
    for row in rows:
        if row.storage_key is not None:
            files.delete_blob_after_commit(session, row.storage_key)
        row.status, row.storage_key = ExportStatus.EXPIRED, None
        session.add(row)
    return len(rows)


def build_export(export_id: str) -> bool:
    """Build a claimed (running) export; returns whether it is ready. Failures are recorded, never raised.

    Progress and heartbeat are written in their own short transactions while the archive streams; the
    blob appears in storage only once complete, so a crash half-way leaves none.
    """
    with session_scope() as session:
        row = session.get(DataExport, export_id)
        if row is None or row.status != ExportStatus.RUNNING:
            return False
        user_id, claim = row.user_id, row.started_at
        key = data_key_of(session, user_id)
    storage_key = current_storage().new_key()
    progress = _Progress(export_id, claim)
    try:
        size = _write_archive(user_id, key, export_binding(export_id), storage_key, progress)
    except ExportAbandoned:
        return False
    except Exception as error:  # anything: the person gets a plain reason, the log gets the details
        logger.exception("export %s failed", export_id)
        reason = FILE_UNREADABLE_REASON if isinstance(error, _FileUnreadable) else FAILED_REASON
        _fail(export_id, claim, reason)
        return False
    try:
        return _finish(export_id, user_id, claim, storage_key, size)
    except Exception:
        current_storage().delete(storage_key)
        logger.exception("export %s could not be marked ready", export_id)
        _fail(export_id, claim, FAILED_REASON)
        return False


def export_binding(export_id: str) -> bytes:
    return f"data_export:{export_id}".encode()


def _write_archive(user_id: str, key: DataKey, binding: bytes, storage_key: str, progress: _Progress) -> int:
    generated_at = utcnow()
    with session_scope() as reading, current_storage().writer(storage_key) as target:
        progress.total = _work_units(reading, user_id)
        sealed = SealingWriter(target, key, binding)
        with zipfile.ZipFile(sealed, "w", compression=zipfile.ZIP_DEFLATED, compresslevel=1) as archive:
            run = _Run(reading, user_id, key, archive, progress, generated_at)
            for name in FILES:
                with _Items(archive, name, generated_at, progress) as items:
                    for exporter in exporters_of_file(name):
                        exporter.write(run, items)
                        progress.advance(1)
            _write_blobs(run)
            archive.writestr("README.md", readme(generated_at, current_settings().public_url))
        sealed.close()
        return sealed.tell()


def _finish(export_id: str, user_id: str, claim: datetime, storage_key: str, size: int) -> bool:
    now = utcnow()
    with session_scope() as session:
        done = session.execute(
            sa.update(DataExport).where(DataExport.id == export_id, DataExport.status == ExportStatus.RUNNING,
                                        DataExport.started_at == claim)
            .values(status=ExportStatus.READY, progress=100, storage_key=storage_key, size_bytes=size,
                    finished_at=now, heartbeat_at=now, expires_at=now + timedelta(days=EXPORT_DAYS), error=None)
        ).rowcount
        if done != 1:
            current_storage().delete(storage_key)
            return False
        _replace_older(session, user_id, export_id)
        request_id = _open_portability_request(session, user_id)
        if request_id is not None:
            privacy_requests.close_self_served(session, request_id)
        notifications.notify(session, user_ids=[user_id], kind="export_ready", subject_id=export_id)
        audit.record_event(session, "export.ready", subject_id=export_id, details={"size_bytes": size})
    return True


def _replace_older(session: Session, user_id: str, export_id: str) -> None:
    """A new archive replaces the previous one: only the newest stays downloadable (and stored)."""
    older = session.exec(select(DataExport).where(DataExport.user_id == user_id, DataExport.id != export_id,
                                                  DataExport.status == ExportStatus.READY)).all()
    for row in older:
        if row.storage_key is not None:
            files.delete_blob_after_commit(session, row.storage_key)
        row.status, row.storage_key = ExportStatus.EXPIRED, None
        session.add(row)


def _fail(export_id: str, claim: datetime | None, reason: str) -> None:
    with session_scope() as session:
        session.execute(
            sa.update(DataExport).where(DataExport.id == export_id, DataExport.status == ExportStatus.RUNNING,
                                        DataExport.started_at == claim)
            .values(status=ExportStatus.FAILED, error=reason[:200], finished_at=utcnow())
        )
        audit.record_event(session, "export.failed", subject_id=export_id)


def _open_portability_request(session: Session, user_id: str) -> str | None:
    return session.exec(
        select(PrivacyRequest.id).where(PrivacyRequest.user_id == user_id,
                                        PrivacyRequest.kind == RequestKind.PORTABILITY,
                                        PrivacyRequest.self_served.is_(True),
                                        PrivacyRequest.status == RequestStatus.OPEN)
        .order_by(PrivacyRequest.created_at.desc()).limit(1)
    ).first()


def _view(row: DataExport) -> ExportView:
    return ExportView(id=row.id, status=row.status, progress=row.progress, created_at=row.created_at,
                      finished_at=row.finished_at, expires_at=row.expires_at, downloaded_at=row.downloaded_at,
                      size_bytes=row.size_bytes, error=row.error or "")


class _Progress:
    """Percent done and the heartbeat, written at most every half second in their own transaction."""

    def __init__(self, export_id: str, claim: datetime | None):
        self.export_id, self.claim = export_id, claim
        self.total, self.done = 1, 0
        self._written_at = 0.0

    def advance(self, units: int) -> None:
        self.done += units
        if time.monotonic() - self._written_at >= PROGRESS_EVERY_SECONDS:
            self._write()

    def _write(self) -> None:
        self._written_at = time.monotonic()
        percent = min(99, self.done * 100 // max(1, self.total))
        with session_scope() as session:
            updated = session.execute(
                sa.update(DataExport).where(DataExport.id == self.export_id,
                                            DataExport.status == ExportStatus.RUNNING,
                                            DataExport.started_at == self.claim)
                .values(progress=percent, heartbeat_at=utcnow())
            ).rowcount
        if updated != 1:
            raise ExportAbandoned(self.export_id)


def _work_units(session: Session, user_id: str) -> int:
    """Rough units of work, for the progress bar: one per message, one per 64 KiB of files, one per exporter."""
    messages = session.exec(select(sa.func.count()).select_from(Message).where(Message.author_id == user_id)).one()
    file_bytes = session.exec(select(sa.func.coalesce(sa.func.sum(StoredFile.size_bytes), 0))
                              .where(StoredFile.owner_id == user_id)).one()
    return messages + int(file_bytes) // 65536 + len(_all_exporters()) + 1


# -- writing the archive -------------------------------------------------------------------------


@dataclasses.dataclass
class _Run:
    session: Session
    user_id: str
    key: DataKey
    archive: zipfile.ZipFile
    progress: _Progress
    generated_at: datetime
    _project_keys: dict[str, DataKey] = dataclasses.field(default_factory=dict)

    def project_keys(self, project_ids) -> dict[str, DataKey]:
        missing = {project_id for project_id in project_ids if project_id not in self._project_keys}
        if missing:
            self._project_keys.update(project_keys_of(self.session, missing))
        return self._project_keys


class _Items:
    """One category file, written as a stream: the header, then items as they come, then the closing brackets."""

    def __init__(self, archive: zipfile.ZipFile, name: str, generated_at: datetime, progress: _Progress):
        self._stream = archive.open(f"{name}.json", "w", force_zip64=True)
        self._progress = progress
        header = {"schema": f"{SCHEMA_PREFIX}/{name}", "version": SCHEMA_VERSION,
                  "generated_at": generated_at.isoformat()}
        self._buffer = [json.dumps(header, ensure_ascii=False)[:-1] + ', "items": [']
        self._buffered = 0
        self._first = True

    def add(self, item_type: str, **fields) -> None:
        self.add_all([{"type": item_type, **fields}])

    def add_all(self, items: list[dict]) -> None:
        """Items that already carry their "type", encoded in one call (a batch of messages)."""
        if not items:
            return
        text = _ENCODER.encode(items)[1:-1]
        self._buffer.append(("\n" if self._first else ",\n") + text)
        self._first = False
        self._buffered += len(text)
        if self._buffered >= JSON_FLUSH_BYTES:
            self._flush()
            self._progress.advance(0)  # a long list still beats the heart

    def _flush(self) -> None:
        self._stream.write("".join(self._buffer).encode())
        self._buffer, self._buffered = [], 0

    def __enter__(self) -> _Items:
        return self

    def __exit__(self, kind, *_) -> None:
        if kind is None:
            self._buffer.append("\n]}\n")
            self._flush()
        self._stream.close()


def _json_value(value: object) -> str:
    if isinstance(value, datetime | date):
        return value.isoformat()
    raise TypeError(f"cannot export {type(value).__name__}")


# One encoder for every item (``json.dumps`` with options builds a new one per call).
_ENCODER = json.JSONEncoder(ensure_ascii=False, default=_json_value)


def _stored_entry(name: str, moment: datetime) -> zipfile.ZipInfo:
    """An archive entry kept as is: videos and images are compressed already."""
    info = zipfile.ZipInfo(name, date_time=moment.timetuple()[:6])
    info.compress_type = zipfile.ZIP_STORED
    info.external_attr = 0o600 << 16
    return info


class _FileUnreadable(Exception):
    pass


def _stored_files(run: _Run) -> list[StoredFile]:
    # One row per file the person uploaded: few enough (each is a whole upload) to hold their rows.
    return list(run.session.exec(select(StoredFile).where(StoredFile.owner_id == run.user_id)
                                 .order_by(StoredFile.created_at, StoredFile.id)).all())


def _file_key(run: _Run, row: StoredFile) -> DataKey:
    if row.project_id is not None:
        return run.project_keys([row.project_id])[row.project_id]
    return run.key


def _archive_path(row: StoredFile, name: str) -> str:
    safe = re.sub(r"[^\w.\- ]", "_", name).strip(" .")[:120] or "file"
    return f"files/{row.id}/{safe}"


def _write_blobs(run: _Run) -> None:
    for row in _stored_files(run):
        key = _file_key(run, row)
        info = _stored_entry(_archive_path(row, get_decrypted(row, "name_encrypted", data_key=key)), row.created_at)
        with run.archive.open(info, "w", force_zip64=True) as target:
            try:
                for chunk in files.read_blob(row, key):
                    target.write(chunk)
                    run.progress.advance(len(chunk) // 65536)
            except (OSError, ValueError) as error:
                raise _FileUnreadable(row.id) from error


# -- the exporters: one per table (a table may feed two files) -------------------------------------


@dataclasses.dataclass(frozen=True)
class Exporter:
    file: str
    sealed_columns: tuple[str, ...]  # the register's columns of its table that it writes out, decrypted
    write: Callable[[_Run, _Items], None]


def _account_identity(run: _Run, items: _Items) -> None:
    user = run.session.get(User, run.user_id)
    items.add("account", id=user.id, display_name=get_decrypted(user, "display_name_encrypted", data_key=run.key),
              role=user.role, created_at=user.created_at)


def _account_contact(run: _Run, items: _Items) -> None:
    user = run.session.get(User, run.user_id)
    items.add("email", email=get_decrypted(user, "email_encrypted", data_key=run.key),
              verified_at=user.email_verified_at)


def _policy_acceptance(run: _Run, items: _Items) -> None:
    user = run.session.get(User, run.user_id)
    items.add("privacy_policy_accepted", version=user.privacy_policy_version,
              accepted_at=user.privacy_policy_accepted_at)


def _editor_profile(run: _Run, items: _Items) -> None:
    profile = run.session.get(EditorProfile, run.user_id)
    if profile is None:
        return
    links = get_decrypted(profile, "portfolio_links_encrypted", data_key=run.key)
    items.add("editor_profile", headline=get_decrypted(profile, "headline_encrypted", data_key=run.key) or "",
              portfolio_links=json.loads(links) if links else [], skills=profile.skills, languages=profile.languages,
              software=profile.software, day_rate_cents=profile.day_rate_cents, currency=profile.currency,
              availability=profile.availability, listed=profile.listed, updated_at=profile.updated_at)


def _sessions(run: _Run, items: _Items) -> None:
    rows = run.session.exec(select(UserSession).where(UserSession.user_id == run.user_id)
                            .order_by(UserSession.created_at)).all()
    for row in rows:
        items.add("session", id=row.id, created_at=row.created_at, last_used_at=row.last_used_at,
                  idle_expires_at=row.idle_expires_at, absolute_expires_at=row.absolute_expires_at,
                  revoked_at=row.revoked_at, reauthenticated_at=row.reauthenticated_at,
                  ip_address=get_decrypted(row, "ip_address_encrypted", data_key=run.key),
                  user_agent=get_decrypted(row, "user_agent_encrypted", data_key=run.key))


def _tokens(session: Session, user_id: str) -> list[OneTimeToken]:
    return list(session.exec(select(OneTimeToken).where(OneTimeToken.user_id == user_id)
                             .order_by(OneTimeToken.created_at)).all())


def _email_changes(run: _Run, items: _Items) -> None:
    for row in _tokens(run.session, run.user_id):
        if row.purpose == TokenPurpose.CHANGE_EMAIL:
            items.add("email_change", new_email=get_decrypted(row, "new_email_encrypted", data_key=run.key),
                      created_at=row.created_at, expires_at=row.expires_at, used_at=row.used_at)


def _one_time_links(run: _Run, items: _Items) -> None:
    for row in _tokens(run.session, run.user_id):
        items.add("one_time_link", purpose=row.purpose, created_at=row.created_at, expires_at=row.expires_at,
                  used_at=row.used_at)


def _invitations_received(run: _Run, items: _Items) -> None:
    user = run.session.get(User, run.user_id)
    rows = run.session.exec(select(Invitation).where(sa.or_(Invitation.invitee_id == run.user_id,
                                                            Invitation.invitee_email_index == user.email_index))
                            .order_by(Invitation.created_at)).all()
    keys = run.project_keys(row.project_id for row in rows)
    for row in rows:
        key = keys.get(row.project_id)
        items.add("invitation_received", id=row.id, project_id=row.project_id,
                  email=get_decrypted(row, "invitee_email_encrypted", data_key=key) if key else None,
                  status=row.status, created_at=row.created_at, responded_at=row.responded_at)


def _invitations_sent(run: _Run, items: _Items) -> None:
    rows = run.session.exec(select(Invitation).where(Invitation.inviter_id == run.user_id)
                            .order_by(Invitation.created_at)).all()
    for row in rows:  # who was invited (an account or an email) is the other person's data: left out
        items.add("invitation_sent", id=row.id, project_id=row.project_id, status=row.status,
                  created_at=row.created_at, responded_at=row.responded_at)


def _projects(run: _Run, items: _Items) -> None:
    rows = run.session.exec(select(ProjectMember, Project).join(Project, Project.id == ProjectMember.project_id)
                            .where(ProjectMember.user_id == run.user_id).order_by(ProjectMember.joined_at)).all()
    keys = run.project_keys(project.id for _, project in rows)
    for member, project in rows:
        key = keys[project.id]
        mine = project.producer_id == run.user_id
        items.add("project", id=project.id, your_role=member.role, joined_at=member.joined_at,
                  removed_at=member.removed_at, title=get_decrypted(project, "title_encrypted", data_key=key),
                  brief_markdown=get_decrypted(project, "brief_encrypted", data_key=key) if mine else None,
                  stage=project.stage, platforms=project.platforms, video_format=project.video_format,
                  deadline=project.deadline, created_at=project.created_at)


def _milestones(run: _Run, items: _Items) -> None:
    produced = select(Project.id).where(Project.producer_id == run.user_id)
    rows = run.session.exec(select(Milestone).where(sa.or_(Milestone.project_id.in_(produced),
                                                           Milestone.owner_id == run.user_id))
                            .order_by(Milestone.due_on, Milestone.id)).all()
    keys = run.project_keys(row.project_id for row in rows)
    for row in rows:
        items.add("milestone", id=row.id, project_id=row.project_id,
                  title=get_decrypted(row, "title_encrypted", data_key=keys[row.project_id]), due_on=row.due_on,
                  assigned_to_you=row.owner_id == run.user_id, done_at=row.done_at, created_at=row.created_at)


def _project_activity(run: _Run, items: _Items) -> None:
    rows = run.session.execute(select(ProjectEvent.project_id, ProjectEvent.kind, ProjectEvent.created_at)
                               .where(ProjectEvent.actor_id == run.user_id)
                               .order_by(ProjectEvent.created_at).execution_options(yield_per=BATCH))
    for project_id, kind, created_at in rows:
        items.add("activity", project_id=project_id, kind=kind, created_at=created_at)


def _read_markers(run: _Run, items: _Items) -> None:
    for row in run.session.exec(select(ThreadReadMarker).where(ThreadReadMarker.user_id == run.user_id)).all():
        items.add("thread_read", project_id=row.project_id, last_read_at=row.last_read_at)


def _notifications(run: _Run, items: _Items) -> None:
    rows = run.session.execute(select(Notification.kind, Notification.project_id, Notification.created_at,
                                      Notification.read_at, Notification.emailed_at)
                               .where(Notification.user_id == run.user_id)
                               .order_by(Notification.created_at).execution_options(yield_per=BATCH))
    for kind, project_id, created_at, read_at, emailed_at in rows:
        items.add("notification", kind=kind, project_id=project_id, created_at=created_at, read_at=read_at,
                  emailed_at=emailed_at)


def _messages(run: _Run, items: _Items) -> None:
    """The messages the person wrote, streamed from the database in batches, never all in memory."""
    rows = run.session.execute(
        select(Message.id, Message.project_id, Message.reply_to_id, Message.created_at, Message.edited_at,
               Message.deleted_at, Message.body_encrypted)
        .where(Message.author_id == run.user_id).order_by(Message.created_at, Message.id)
        .execution_options(yield_per=BATCH)
    )
    for partition in rows.partitions():
        keys = run.project_keys({row[1] for row in partition})
        items.add_all([
            {"type": "message", "id": message_id, "project_id": project_id, "reply_to_id": reply_to_id,
             "body": None if body is None else decrypt_field(keys[project_id], bytes(body), table="message",
                                                             column="body_encrypted", row_id=message_id),
             "created_at": created_at.isoformat(), "edited_at": edited_at, "deleted_at": deleted_at}
            for message_id, project_id, reply_to_id, created_at, edited_at, deleted_at, body in partition
        ])
        run.progress.advance(len(partition))


def _files_index(run: _Run, items: _Items) -> None:
    for row in _stored_files(run):
        name = get_decrypted(row, "name_encrypted", data_key=_file_key(run, row))
        items.add("file", id=row.id, name=name, content_type=row.content_type, size_bytes=row.size_bytes,
                  sha256=row.sha256, project_id=row.project_id, created_at=row.created_at,
                  path=_archive_path(row, name))


def _notification_preferences(run: _Run, items: _Items) -> None:
    chosen = dict(run.session.exec(select(NotificationPreference.kind, NotificationPreference.channel)
                                   .where(NotificationPreference.user_id == run.user_id)).all())
    for kind in notifications.KINDS:
        items.add("notification_preference", kind=kind, channel=chosen.get(kind, notifications.DEFAULT_CHANNELS[kind]),
                  chosen_by_you=kind in chosen)


def _consents(run: _Run, items: _Items) -> None:
    for row in run.session.exec(select(Consent).where(Consent.user_id == run.user_id)
                                .order_by(Consent.given_at)).all():
        items.add("consent", kind=row.kind, given_at=row.given_at, withdrawn_at=row.withdrawn_at)


def _policy_notices(run: _Run, items: _Items) -> None:
    rows = run.session.exec(select(PolicyNotice, PolicyDocument.kind, PolicyDocument.version)
                            .join(PolicyDocument, PolicyDocument.id == PolicyNotice.document_id)
                            .where(PolicyNotice.user_id == run.user_id)).all()
    for notice, kind, version in rows:
        items.add("policy_notice", policy=kind, version=version, emailed_at=notice.emailed_at,
                  acknowledged_at=notice.acknowledged_at)


def _announcements_received(run: _Run, items: _Items) -> None:
    for row in run.session.exec(select(AnnouncementDelivery).where(AnnouncementDelivery.user_id == run.user_id)
                                .order_by(AnnouncementDelivery.sent_at)).all():
        items.add("announcement_received", announcement_id=row.announcement_id, sent_at=row.sent_at)


def _privacy_requests(run: _Run, items: _Items) -> None:
    for row in run.session.exec(select(PrivacyRequest).where(PrivacyRequest.user_id == run.user_id)
                                .order_by(PrivacyRequest.created_at)).all():
        items.add("privacy_request", id=row.id, kind=row.kind, self_served=row.self_served, status=row.status,
                  details=get_decrypted(row, "details_encrypted", data_key=run.key),
                  answer=get_decrypted(row, "answer_encrypted", data_key=run.key),
                  created_at=row.created_at, due_at=row.due_at, closed_at=row.closed_at)


def _data_exports(run: _Run, items: _Items) -> None:
    for row in run.session.exec(select(DataExport).where(DataExport.user_id == run.user_id)
                                .order_by(DataExport.created_at)).all():
        items.add("data_export", id=row.id, status=row.status, created_at=row.created_at,
                  finished_at=row.finished_at, expires_at=row.expires_at, downloaded_at=row.downloaded_at)


_TOKENS_CONTACT = Exporter("contact", ("new_email_encrypted",), _email_changes)
_PROJECTS = Exporter("content", ("title_encrypted", "brief_encrypted"), _projects)
_STORED_FILES = Exporter("files", ("name_encrypted",), _files_index)

# Every table that holds something of a person, and how it reaches the archive. The builder walks this.
EXPORTERS: dict[str, tuple[Exporter, ...]] = {
    "user_account": (Exporter("identity", ("display_name_encrypted",), _account_identity),
                     Exporter("contact", ("email_encrypted",), _account_contact),
                     Exporter("preferences", (), _policy_acceptance)),
    "editor_profile": (Exporter("profile", ("headline_encrypted", "portfolio_links_encrypted"), _editor_profile),),
    "one_time_token": (_TOKENS_CONTACT, Exporter("technical", (), _one_time_links)),
    "invitation": (Exporter("contact", ("invitee_email_encrypted",), _invitations_received),
                   Exporter("content", (), _invitations_sent)),
    "user_session": (Exporter("technical", ("ip_address_encrypted", "user_agent_encrypted"), _sessions),),
    "project": (_PROJECTS,),
    "project_member": (_PROJECTS,),
    "milestone": (Exporter("content", ("title_encrypted",), _milestones),),
    "project_event": (Exporter("content", (), _project_activity),),
    "thread_read_marker": (Exporter("content", (), _read_markers),),
    "notification": (Exporter("content", (), _notifications),),
    "message": (Exporter("content", ("body_encrypted",), _messages),),
    "stored_file": (_STORED_FILES,),
    "notification_preference": (Exporter("preferences", (), _notification_preferences),),
    "consent": (Exporter("preferences", (), _consents),),
    "policy_notice": (Exporter("preferences", (), _policy_notices),),
    "announcement_delivery": (Exporter("preferences", (), _announcements_received),),
    "privacy_request": (Exporter("requests", ("details_encrypted", "answer_encrypted"), _privacy_requests),),
    "data_export": (Exporter("requests", (), _data_exports),),
}

# Tables with nothing of a person to hand over, and why.
NOT_EXPORTED: dict[str, str] = {
    "user_data_key": "the wrapped key that seals your data: useless outside our servers",
    "project_data_key": "the wrapped key that seals a project's content: useless outside our servers",
    "audit_event": "our security log (pseudonymous ids only), kept to protect accounts; ask us for it in writing",
    "policy_document": "the published privacy policy, the same for everyone",
    "announcement": "product news written by Azekia Studio, the same for everyone who receives it",
}

# The files of the archive, in the order they are written, with what each holds.
FILES: dict[str, str] = {
    "identity": "Who you are on Azekia Studio: your account.",
    "profile": "Your public editor profile (empty unless you are an editor).",
    "contact": "Your email address, pending email changes, and invitations sent to your address.",
    "technical": "Your signed-in browsers (sessions) and the one-time links we emailed you.",
    "content": "Your projects, their milestones, your activity and notifications, and every message you wrote.",
    "files": "An index of the files you uploaded; the files themselves are in the files/ folder.",
    "preferences": "Your notification choices, consents with their history, and the privacy policy you accepted.",
    "requests": "Your privacy requests (including this export) and data exports.",
}


def _all_exporters() -> list[Exporter]:
    unique: list[Exporter] = []
    for exporters in EXPORTERS.values():
        unique += [exporter for exporter in exporters if exporter not in unique]
    return unique


def exporters_of_file(name: str) -> list[Exporter]:
    return [exporter for exporter in _all_exporters() if exporter.file == name]


# -- the README ------------------------------------------------------------------------------------

_WHEN = "date and time (ISO 8601, UTC)"
_WHEN_OR_NULL = _WHEN + ", or null"
_PROJECT = "id of the project (see the project items of content.json)"

# Every item type of every file, with every field: the README is written from this, and tests check
# that the archive holds no field that is not documented here.
FIELDS: dict[str, dict[str, dict[str, str]]] = {
    "identity": {"account": {"id": "your account id", "display_name": "the name shown to the people you work with",
                             "role": "producer, editor or admin", "created_at": "when you signed up: " + _WHEN}},
    "profile": {"editor_profile": {
        "headline": "your headline in the editors' directory", "portfolio_links": "links to your work",
        "skills": "skills you listed", "languages": "languages you work in", "software": "software you use",
        "day_rate_cents": "your day rate in cents, or null", "currency": "currency of the day rate",
        "availability": "available, limited or unavailable", "listed": "whether producers can find you",
        "updated_at": "last change: " + _WHEN}},
    "contact": {
        "email": {"email": "your email address", "verified_at": "when you confirmed it: " + _WHEN_OR_NULL},
        "email_change": {"new_email": "the new address you asked for", "created_at": "when: " + _WHEN,
                         "expires_at": "when the confirmation link expires: " + _WHEN,
                         "used_at": "when you confirmed it: " + _WHEN_OR_NULL},
        "invitation_received": {"id": "invitation id", "project_id": _PROJECT,
                                "email": "the address the invitation was sent to (yours), or null",
                                "status": "pending, accepted, declined or revoked", "created_at": "sent: " + _WHEN,
                                "responded_at": "your answer: " + _WHEN_OR_NULL}},
    "technical": {
        "session": {"id": "session id", "created_at": "sign-in: " + _WHEN, "last_used_at": "last use: " + _WHEN,
                    "idle_expires_at": "ends if unused until: " + _WHEN, "absolute_expires_at": "ends at the latest: "
                    + _WHEN, "revoked_at": "signed out: " + _WHEN_OR_NULL,
                    "reauthenticated_at": "last password confirmation: " + _WHEN_OR_NULL,
                    "ip_address": "the address the browser signed in from (erased after the retention period)",
                    "user_agent": "the browser's description of itself (erased after the retention period)"},
        "one_time_link": {"purpose": "verify_email, reset_password, change_email or sign_in",
                          "created_at": "sent: " + _WHEN, "expires_at": "expiry: " + _WHEN,
                          "used_at": "opened: " + _WHEN_OR_NULL}},
    "content": {
        "project": {"id": "project id", "your_role": "producer or editor", "joined_at": "you joined: " + _WHEN,
                    "removed_at": "you were removed: " + _WHEN_OR_NULL, "title": "the project's title",
                    "brief_markdown": "the brief, Markdown (only in projects you produce; null otherwise)",
                    "stage": "the project's stage", "platforms": "where the video is published",
                    "video_format": "format of the video", "deadline": "deadline (ISO date), or null",
                    "created_at": "created: " + _WHEN},
        "invitation_sent": {"id": "invitation id", "project_id": _PROJECT,
                            "status": "pending, accepted, declined or revoked (who you invited is left out: it is "
                                      "their data)", "created_at": "sent: " + _WHEN,
                            "responded_at": "answered: " + _WHEN_OR_NULL},
        "milestone": {"id": "milestone id", "project_id": _PROJECT, "title": "what is due",
                      "due_on": "due date (ISO date)", "assigned_to_you": "true if you own this milestone",
                      "done_at": "completed: " + _WHEN_OR_NULL, "created_at": "created: " + _WHEN},
        "activity": {"project_id": _PROJECT, "kind": "what you did (a project timeline event)",
                     "created_at": _WHEN},
        "thread_read": {"project_id": _PROJECT, "last_read_at": "when you last read the thread: " + _WHEN},
        "notification": {"kind": "what happened", "project_id": _PROJECT + ", or null", "created_at": _WHEN,
                         "read_at": _WHEN_OR_NULL, "emailed_at": "sent in an email summary: " + _WHEN_OR_NULL},
        "message": {"id": "message id", "project_id": _PROJECT, "reply_to_id": "id of the message it answers, or null",
                    "body": "what you wrote (Markdown); null once deleted", "created_at": "posted: " + _WHEN,
                    "edited_at": "last edit: " + _WHEN_OR_NULL, "deleted_at": "deleted: " + _WHEN_OR_NULL}},
    "files": {"file": {"id": "file id", "name": "the name you gave the file", "content_type": "its media type",
                       "size_bytes": "size in bytes", "sha256": "SHA-256 of its content (to check the copy)",
                       "project_id": _PROJECT + ", or null for a personal file", "created_at": "uploaded: " + _WHEN,
                       "path": "where the file is in this archive"}},
    "preferences": {
        "privacy_policy_accepted": {"version": "the privacy policy version you accepted at sign-up",
                                    "accepted_at": _WHEN},
        "notification_preference": {"kind": "kind of notification",
                                    "channel": "in_app, email (in the app and by email) or none",
                                    "chosen_by_you": "false where the default applies"},
        "consent": {"kind": "what you consented to", "given_at": _WHEN, "withdrawn_at": _WHEN_OR_NULL},
        "policy_notice": {"policy": "which policy", "version": "its version", "emailed_at": _WHEN_OR_NULL,
                          "acknowledged_at": _WHEN_OR_NULL},
        "announcement_received": {"announcement_id": "id of the product news email", "sent_at": _WHEN}},
    "requests": {
        "privacy_request": {"id": "request id", "kind": "what the request was about",
                            "self_served": "true for what you did yourself (export, deletion)",
                            "status": "open, done or refused", "details": "what you wrote, or null",
                            "answer": "our answer, or null", "created_at": _WHEN,
                            "due_at": "our deadline to answer: " + _WHEN, "closed_at": _WHEN_OR_NULL},
        "data_export": {"id": "export id", "status": "queued, running, ready, failed or expired",
                        "created_at": "asked: " + _WHEN, "finished_at": _WHEN_OR_NULL,
                        "expires_at": "download possible until: " + _WHEN_OR_NULL,
                        "downloaded_at": "last download: " + _WHEN_OR_NULL}},
}


def readme(generated_at: datetime, public_url: str = "") -> str:
    lines = [
        "# Your data from Azekia Studio", "",
        f"Made on {generated_at.strftime('%d %B %Y at %H:%M UTC')} at your request, from everything we hold "
        "about you. It holds nothing about other people: their names, emails and messages are left out; "
        "projects you work on appear with their title (and the brief, for projects you produce).", "",
        "## Format", "",
        "Each `.json` file is UTF-8 JSON of this shape:", "",
        "```json",
        f'{{"schema": "{SCHEMA_PREFIX}/<file name>", "version": {SCHEMA_VERSION}, '
        '"generated_at": "<ISO 8601>", "items": [{"type": "<item type>", "...": "..."}]}',
        "```", "",
        f"`version` changes only when a field changes meaning or disappears; new fields may be added within version "
        f"{SCHEMA_VERSION}. Dates and times are ISO 8601 in UTC. Ids are opaque: they link items across files "
        "(for example a message's `project_id` to a project in content.json).", "",
        "The `files/` folder holds the files you uploaded, byte for byte, at the `path` given in files.json "
        "(check them with their `sha256`).", "",
        "## Files", "",
    ]
    for name, description in FILES.items():
        lines += [f"### {name}.json", "", description, ""]
        for item_type, fields in FIELDS[name].items():
            lines += [f"Items of type `{item_type}`:", ""]
            lines += [f"- `{field}`: {meaning}" for field, meaning in fields.items()]
            lines.append("")
    lines += ["## Not included", ""]
    lines += [f"- `{table}`: {reason}" for table, reason in NOT_EXPORTED.items()]
    lines += ["", f"Questions? Write to us from your privacy center: {public_url}{routes.PRIVACY_CENTER}", ""]
    return "\n".join(lines)
