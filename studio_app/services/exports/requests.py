"""Data export requests: what the person asks for and downloads, and the steps a worker records while it builds
one (claim, progress, ready or failed, expiry). Plain functions of a session; the worker that owns the
transactions is ``jobs/exports.py``."""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator
from datetime import datetime, timedelta

import sqlalchemy as sa
from sqlmodel import Session, select

from studio_app.models.accounts import User
from studio_app.models.base import is_row_id, new_id, utcnow
from studio_app.models.privacy import DataExport, ExportStatus, PrivacyRequest, RequestKind, RequestStatus
from studio_app.security.crypto import DataKey
from studio_app.security.policy import Action, Actor, NotAllowed, require
from studio_app.security.rate_limits import current_rate_limiter
from studio_app.services import audit, detection, files, notifications, privacy_requests
from studio_app.services.accounts import require_recent_reauthentication
from studio_app.services.keys import data_key_of
from studio_app.services.validation import InvalidInput

EXPORT_DAYS = 7
STALE_AFTER = timedelta(minutes=3)  # a running export whose heartbeat is older was left by a dead worker
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
    detection.downloaded(session, actor.user_id, row.id, "export")
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

def claimed(session: Session, export_id: str) -> tuple[str, datetime, DataKey] | None:
    """(owner, claim time, owner's data key) of an export a worker claimed and still runs, else None."""
    row = session.get(DataExport, export_id)
    if row is None or row.status != ExportStatus.RUNNING:
        return None
    return row.user_id, row.started_at, data_key_of(session, row.user_id)


def record_progress(session: Session, export_id: str, claim: datetime | None, percent: int) -> bool:
    """Percent done and the heartbeat; False when the export is no longer this worker's (re-queued, erased)."""
    return session.execute(
        sa.update(DataExport).where(DataExport.id == export_id, DataExport.status == ExportStatus.RUNNING,
                                    DataExport.started_at == claim)
        .values(progress=percent, heartbeat_at=utcnow())
    ).rowcount == 1


def mark_ready(session: Session, export_id: str, user_id: str, claim: datetime, storage_key: str,
               size: int) -> bool:
    """The archive is in storage: the export becomes downloadable and the person is told. False when the export
    is no longer this worker's (the caller deletes the blob)."""
    now = utcnow()
    done = session.execute(
        sa.update(DataExport).where(DataExport.id == export_id, DataExport.status == ExportStatus.RUNNING,
                                    DataExport.started_at == claim)
        .values(status=ExportStatus.READY, progress=100, storage_key=storage_key, size_bytes=size,
                finished_at=now, heartbeat_at=now, expires_at=now + timedelta(days=EXPORT_DAYS), error=None)
    ).rowcount
    if done != 1:
        return False
    _replace_older(session, user_id, export_id)
    request_id = _open_portability_request(session, user_id)
    if request_id is not None:
        privacy_requests.close_self_served(session, request_id)
    notifications.notify(session, user_ids=[user_id], kind="export_ready", subject_id=export_id)
    audit.record_event(session, "export.ready", subject_id=export_id, details={"size_bytes": size})
    return True


def mark_failed(session: Session, export_id: str, claim: datetime | None, reason: str) -> None:
    session.execute(
        sa.update(DataExport).where(DataExport.id == export_id, DataExport.status == ExportStatus.RUNNING,
                                    DataExport.started_at == claim)
        .values(status=ExportStatus.FAILED, error=reason[:200], finished_at=utcnow())
    )
    audit.record_event(session, "export.failed", subject_id=export_id)


def export_binding(export_id: str) -> bytes:
    return f"data_export:{export_id}".encode()


def _replace_older(session: Session, user_id: str, export_id: str) -> None:
    """A new archive replaces the previous one: only the newest stays downloadable (and stored)."""
    older = session.exec(select(DataExport).where(DataExport.user_id == user_id, DataExport.id != export_id,
                                                  DataExport.status == ExportStatus.READY)).all()
    for row in older:
        if row.storage_key is not None:
            files.delete_blob_after_commit(session, row.storage_key)
        row.status, row.storage_key = ExportStatus.EXPIRED, None
        session.add(row)



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

