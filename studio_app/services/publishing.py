"""Publishing, as the database sees it: claim a due publication, record each step before and after its provider
call, and settle each destination and the publication.

Called by the publication job (``jobs/publications.py``), never by people: no actor (the producer was authorized
when they scheduled it). Each function is one short unit of work; the job commits it before calling a provider, so
that a consumer killed at any point leaves a record saying what may have happened (see the job's docstring).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator
from datetime import timedelta

import sqlalchemy as sa
from sqlmodel import Session, select

from studio_app.models.base import utcnow
from studio_app.models.files import StoredFile
from studio_app.models.media import MediaAsset
from studio_app.models.publications import (
    Destination,
    DestinationStatus,
    Publication,
    PublicationDestination,
    PublicationStatus,
    PublicationStep,
    StepStatus,
)
from studio_app.security.crypto import DataKey
from studio_app.security.fields import get_decrypted
from studio_app.services import files, notifications
from studio_app.services.keys import project_key_of

LEASE = timedelta(seconds=45)
SWEEP_MAX = 200
UNFINISHED = (DestinationStatus.WAITING, DestinationStatus.RUNNING, DestinationStatus.RETRYING,
              DestinationStatus.NEEDS_RECONNECT)
FINISHED_WELL = (DestinationStatus.DONE,)


@dataclasses.dataclass(frozen=True)
class DestinationPlan:
    id: str
    destination: str
    privacy_level: str | None
    disable_comment: bool
    disable_duet: bool
    disable_stitch: bool
    brand_content: bool
    brand_organic: bool


@dataclasses.dataclass(frozen=True)
class Run:
    """What a consumer needs to publish, read in the claiming transaction."""

    publication_id: str
    project_id: str
    owner_id: str | None
    asset_id: str
    version_number: int | None
    duration_ms: int
    caption: str = dataclasses.field(repr=False)
    cover_ms: int
    original: StoredFile
    key: DataKey = dataclasses.field(repr=False)
    destinations: tuple[DestinationPlan, ...]

    @property
    def size(self) -> int:
        return self.original.size_bytes

    def read_original(self) -> Iterator[bytes]:
        """The plaintext, a sealed chunk at a time (constant memory)."""
        return files.read_blob(self.original, self.key)


@dataclasses.dataclass(frozen=True)
class DestinationState:
    status: str
    publish_id: str | None
    message_id: str | None
    post_url: str | None
    attempts: int
    upload_done: bool  # the upload of ``publish_id`` finished (its step is done)
    announce_started: bool  # an announcement step started and never finished: it may have been posted


def due_publications(session: Session) -> list[str]:
    """Publications to hand to a consumer: scheduled and due, or running with no live consumer (its lease ran out)
    and a destination that is not finished."""
    now = utcnow()
    unfinished = select(PublicationDestination.publication_id).where(
        PublicationDestination.status.in_(list(UNFINISHED)),
        sa.or_(PublicationDestination.next_attempt_at.is_(None), PublicationDestination.next_attempt_at <= now))
    return list(session.exec(select(Publication.id).where(sa.or_(
        sa.and_(Publication.status == PublicationStatus.SCHEDULED, Publication.scheduled_for <= now),
        sa.and_(Publication.status == PublicationStatus.RUNNING,
                sa.or_(Publication.lease_until.is_(None), Publication.lease_until < now),
                Publication.id.in_(unfinished)),
    )).order_by(Publication.scheduled_for).limit(SWEEP_MAX)).all())


def claim(session: Session, publication_id: str) -> Run | None:
    """Take the publication for this consumer (row locked: a cancel or another consumer waits, then finds it taken);
    None when it is not due, cancelled, finished, or another consumer holds it."""
    row = session.exec(select(Publication).where(Publication.id == publication_id).with_for_update()).first()
    now = utcnow()
    if row is None or row.scheduled_for > now:
        return None
    if row.status == PublicationStatus.RUNNING:
        if row.lease_until is not None and row.lease_until > now:
            return None
    elif row.status != PublicationStatus.SCHEDULED:
        return None
    asset = session.get(MediaAsset, row.media_asset_id)
    original = session.get(StoredFile, asset.file_id) if asset and asset.file_id else None
    destinations = list(session.exec(select(PublicationDestination).where(
        PublicationDestination.publication_id == row.id)).all())
    due = [destination for destination in destinations if destination.status in UNFINISHED
           and (destination.next_attempt_at is None or destination.next_attempt_at <= now)]
    row.status, row.lease_until, row.updated_at = PublicationStatus.RUNNING, now + LEASE, now
    if original is None:
        for destination in due:
            _settle(destination, DestinationStatus.FAILED, "The version's video is gone: it was deleted.")
        return None
    key = project_key_of(session, row.project_id)
    # TikTok first: the Discord announcement links to the TikTok post.
    due.sort(key=lambda destination: destination.destination != Destination.TIKTOK)
    return Run(publication_id=row.id, project_id=row.project_id, owner_id=row.created_by, asset_id=asset.id,
               version_number=asset.version_number, duration_ms=asset.duration_ms or 0,
               caption=get_decrypted(row, "caption_encrypted", data_key=key) or "", cover_ms=row.cover_ms,
               original=original, key=files.key_of(session, original),
               destinations=tuple(DestinationPlan(
                   id=d.id, destination=d.destination, privacy_level=d.privacy_level,
                   disable_comment=d.disable_comment, disable_duet=d.disable_duet, disable_stitch=d.disable_stitch,
                   brand_content=d.brand_content, brand_organic=d.brand_organic) for d in due))


def renew_lease(session: Session, publication_id: str, seconds: float = 0) -> None:
    session.execute(sa.update(Publication).where(Publication.id == publication_id).values(
        lease_until=utcnow() + LEASE + timedelta(seconds=seconds)))


def destination_state(session: Session, destination_id: str) -> DestinationState:
    row = session.get(PublicationDestination, destination_id)
    steps = session.exec(select(PublicationStep).where(PublicationStep.destination_id == destination_id)
                         .order_by(PublicationStep.started_at.desc()).limit(200)).all()
    upload_done = row.publish_id is not None and any(
        step.name == "upload" and step.publish_id == row.publish_id and step.status == StepStatus.DONE
        for step in steps)
    announce_started = row.message_id is None and any(
        step.name == "announce" and step.status == StepStatus.STARTED for step in steps)
    return DestinationState(status=row.status, publish_id=row.publish_id, message_id=row.message_id,
                            post_url=row.post_url, attempts=row.attempts, upload_done=upload_done,
                            announce_started=announce_started)


def start_step(session: Session, publication_id: str, destination_id: str, name: str, *, detail: str = "",
               publish_id: str | None = None, total_units: int = 0) -> str:
    """Record a step about to call a provider (commit before the call); renews the lease."""
    step = PublicationStep(destination_id=destination_id, name=name, detail=detail[:300], publish_id=publish_id,
                           total_units=total_units)
    session.add(step)
    session.execute(sa.update(PublicationDestination).where(PublicationDestination.id == destination_id)
                    .values(status=DestinationStatus.RUNNING, updated_at=utcnow()))
    renew_lease(session, publication_id)
    return step.id


def progress_step(session: Session, publication_id: str, step_id: str, *, done_units: int, detail: str) -> None:
    session.execute(sa.update(PublicationStep).where(PublicationStep.id == step_id).values(
        done_units=done_units, detail=detail[:300]))
    renew_lease(session, publication_id)


def end_step(session: Session, step_id: str, status: StepStatus, detail: str | None = None) -> None:
    values = {"status": status, "finished_at": utcnow()}
    if detail is not None:
        values["detail"] = detail[:300]
    session.execute(sa.update(PublicationStep).where(PublicationStep.id == step_id).values(**values))


def record_init(session: Session, destination_id: str, step_id: str, publish_id: str) -> None:
    """TikTok accepted an init: its id is the one to check on a resume (an earlier one never completes)."""
    session.execute(sa.update(PublicationDestination).where(PublicationDestination.id == destination_id).values(
        publish_id=publish_id[:128], updated_at=utcnow()))
    session.execute(sa.update(PublicationStep).where(PublicationStep.id == step_id).values(
        publish_id=publish_id[:128], status=StepStatus.DONE, finished_at=utcnow()))


def record_posted(session: Session, destination_id: str, *, post_id: str | None = None, post_url: str | None = None,
                  message_id: str | None = None) -> None:
    row = session.get(PublicationDestination, destination_id)
    row.post_id = (post_id or row.post_id or "")[:128] or None
    row.post_url = (post_url or row.post_url or "")[:500] or None
    row.message_id = (message_id or row.message_id or "")[:64] or None
    _settle(row, DestinationStatus.DONE, None)


def fail(session: Session, destination_id: str, reason: str) -> None:
    row = session.get(PublicationDestination, destination_id)
    if row is not None and row.status in UNFINISHED:
        _settle(row, DestinationStatus.FAILED, reason)


def retry_later(session: Session, destination_id: str, delay_seconds: float, reason: str) -> None:
    """A failure a retry may cure: counted, and tried again after ``delay_seconds`` (by this run or the sweep)."""
    row = session.get(PublicationDestination, destination_id)
    row.attempts += 1
    row.next_attempt_at = utcnow() + timedelta(seconds=delay_seconds)
    _settle(row, DestinationStatus.RETRYING, reason)


def wait_for_reconnect(session: Session, destination_id: str, reason: str) -> None:
    row = session.get(PublicationDestination, destination_id)
    _settle(row, DestinationStatus.NEEDS_RECONNECT, reason)


def attempts_of(session: Session, destination_id: str) -> int:
    return session.get(PublicationDestination, destination_id).attempts


def status_of(session: Session, destination_id: str) -> str:
    return session.get(PublicationDestination, destination_id).status


def finish(session: Session, publication_id: str) -> str:
    """Release the publication; once every destination is finished, settle it and tell its producer. Returns the
    publication's status."""
    row = session.exec(select(Publication).where(Publication.id == publication_id).with_for_update()).first()
    if row is None:
        return PublicationStatus.CANCELLED
    statuses = [status for status in session.exec(select(PublicationDestination.status).where(
        PublicationDestination.publication_id == publication_id)).all()]
    row.lease_until, row.updated_at = None, utcnow()
    if row.status != PublicationStatus.RUNNING or any(status in UNFINISHED for status in statuses):
        return row.status
    done = sum(status == DestinationStatus.DONE for status in statuses)
    row.status = (PublicationStatus.DONE if done == len(statuses) else
                  PublicationStatus.FAILED if done == 0 else PublicationStatus.PARTLY_FAILED)
    if row.created_by:
        notifications.notify(session, user_ids=[row.created_by],
                             kind="published" if row.status == PublicationStatus.DONE else "publication_failed",
                             project_id=row.project_id, subject_id=row.id)
    return row.status


def pending_of(session: Session, user_id: str) -> int:
    """How many of the person's publications have not finished (for the erasure summary)."""
    return session.exec(select(sa.func.count()).select_from(Publication).where(
        Publication.created_by == user_id,
        Publication.status.in_([PublicationStatus.SCHEDULED, PublicationStatus.RUNNING]))).one()


def stop_all_of(session: Session, user_id: str) -> None:
    """At the person's erasure: what they scheduled and is not done is cancelled, since it would post with their
    accounts, revoked with it. What was published stays in the project's history, like their messages."""
    rows = session.exec(select(Publication).where(
        Publication.created_by == user_id,
        Publication.status.in_([PublicationStatus.SCHEDULED, PublicationStatus.RUNNING])).with_for_update()).all()
    for row in rows:
        done = 0
        for destination in session.exec(select(PublicationDestination).where(
                PublicationDestination.publication_id == row.id)).all():
            if destination.status in UNFINISHED:
                _settle(destination, DestinationStatus.CANCELLED, "Cancelled: the producer who scheduled it "
                                                                  "deleted their account.")
            done += destination.status == DestinationStatus.DONE
        row.status = PublicationStatus.PARTLY_FAILED if done else PublicationStatus.CANCELLED
        row.lease_until, row.updated_at = None, utcnow()


def _settle(row: PublicationDestination, status: DestinationStatus, reason: str | None) -> None:
    row.status = status
    row.failure_reason = reason[:500] if reason else None
    if status != DestinationStatus.RETRYING:
        row.next_attempt_at = None
    row.updated_at = utcnow()
