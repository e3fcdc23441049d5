"""Background jobs that failed for good: recorded by the queue's consumers, listed to admins, retried by them.

The consumer records a failure once a task has used every retry (``jobs/queue.py``); an admin sees the list on
the admin console and may put one back on the queue (``jobs/queue.py: retry_failed_job`` enqueues it after the
commit). Nothing personal is stored: arguments are ids, the reason is redacted here whatever the caller passed.
"""

from __future__ import annotations

import dataclasses
from datetime import datetime

from sqlmodel import Session, select

from studio_app.errors import NotFound
from studio_app.models.base import is_row_id, utcnow
from studio_app.models.jobs import JobFailure
from studio_app.security.log_redaction import library_line, redact
from studio_app.security.policy import Action, Actor, require
from studio_app.services import audit

LISTED = 100
MESSAGE_MAX = 300


@dataclasses.dataclass(frozen=True)
class FailureView:
    id: str
    task_name: str
    arguments: list
    error_type: str
    error_message: str
    attempts: int
    failed_at: datetime
    retried_at: datetime | None


def safe_reason(error: BaseException | None) -> tuple[str, str]:
    """The exception's type and its message cut where quoted data starts, redacted and shortened."""
    if error is None:
        return "Unknown", ""
    message = redact(library_line(" ".join(str(error).split())))
    return type(error).__name__[:120], message[:MESSAGE_MAX]


def record_failure(session: Session, task_name: str, arguments: list, error: BaseException | None,
                   attempts: int) -> str:
    """Called by the queue's consumer (no actor: the system records what happened to its own work)."""
    error_type, message = safe_reason(error)
    row = JobFailure(task_name=task_name[:200], arguments=list(arguments), error_type=error_type,
                     error_message=message, attempts=attempts)
    session.add(row)
    return row.id


def failed_jobs(session: Session, actor: Actor | None) -> list[FailureView]:
    """The newest failures first (retried ones included, marked), for the admin console."""
    require(actor, Action.ADMINISTER_JOBS)
    rows = session.exec(select(JobFailure).order_by(JobFailure.failed_at.desc(), JobFailure.id).limit(LISTED)).all()
    return [_view(row) for row in rows]


def take_for_retry(session: Session, actor: Actor | None, failure_id: object) -> FailureView:
    """Mark a failure as retried (once) and return what to enqueue again; the caller enqueues after the commit."""
    actor = require(actor, Action.ADMINISTER_JOBS)
    row = session.get(JobFailure, failure_id, with_for_update=True) if is_row_id(failure_id) else None
    if row is None:
        raise NotFound("This failed job does not exist.")
    if row.retried_at is not None:
        raise NotFound("This job was already put back on the queue.")
    row.retried_at = utcnow()
    session.add(row)
    audit.record_event(session, "job.retried", actor_id=actor.user_id, subject_id=row.id)
    return _view(row)


def _view(row: JobFailure) -> FailureView:
    return FailureView(id=row.id, task_name=row.task_name, arguments=list(row.arguments), error_type=row.error_type,
                       error_message=row.error_message, attempts=row.attempts, failed_at=row.failed_at,
                       retried_at=row.retried_at)
