"""Building data exports: claim a queued one atomically, build it, repeat; give back those a dead worker left.

Runs on the queue's consumers: enqueued when someone asks for an export (``request_export``, once the request
commits), and every minute for anything left over (a restart, a re-queued export). Each step is its own short
transaction; the archive streams through the sealing writer into storage and appears there only once
complete, so a crash half-way leaves no blob.
"""

from __future__ import annotations

import logging
import threading
import time
from datetime import datetime

from sqlmodel import Session

from studio_app.database import after_commit, session_scope
from studio_app.integrations.storage import current_storage
from studio_app.jobs.queue import background_task, enqueue, periodic_task
from studio_app.security.crypto import DataKey
from studio_app.security.policy import Actor
from studio_app.security.stream_crypto import SealingWriter
from studio_app.services import exports
from studio_app.settings import current_settings

logger = logging.getLogger(__name__)

# One round at a time in a process: a second kick while one runs has nothing to add (the round loops
# until the queue is empty).
_round_lock = threading.Lock()
MAX_PER_ROUND = 20
PROGRESS_EVERY_SECONDS = 0.5


def request_export(session: Session, actor: Actor | None) -> exports.ExportView:
    """Ask for an archive of the actor's data (the service decides) and have a consumer build it at once."""
    view = exports.request_export(session, actor)
    after_commit(session, lambda: enqueue(build_queued_exports))
    return view


@background_task(retries=3, base_delay_seconds=5)
def build_queued_exports() -> None:
    run_export_round()


@periodic_task(every_minutes=1)
def export_sweep() -> None:
    """What a request's task did not build: exports given back after a dead consumer, or a failed enqueue."""
    run_export_round()


class ExportAbandoned(Exception):
    """The export was re-queued, expired or erased while this worker built it: stop and keep nothing."""


def run_export_round(max_exports: int = MAX_PER_ROUND) -> int:
    """Build queued exports until none is left (or ``max_exports`` were built); returns how many were built."""
    if not _round_lock.acquire(blocking=False):
        return 0
    try:
        with session_scope() as session:
            exports.requeue_stale(session)
        built = 0
        while built < max_exports:
            with session_scope() as session:
                export_id = exports.claim_next(session)
            if export_id is None:
                break
            build_export(export_id)
            built += 1
        return built
    finally:
        _round_lock.release()


def build_export(export_id: str) -> bool:
    """Build a claimed (running) export; returns whether it is ready. Failures are recorded, never raised."""
    with session_scope() as session:
        found = exports.claimed(session, export_id)
    if found is None:
        return False
    user_id, claim, key = found
    storage_key = current_storage().new_key()
    progress = ExportProgress(export_id, claim)
    try:
        size = _write_archive(user_id, key, exports.export_binding(export_id), storage_key, progress)
    except ExportAbandoned:
        return False
    except Exception as error:  # anything: the person gets a plain reason, the log gets the details
        logger.exception("export %s failed", export_id)
        reason = exports.FILE_UNREADABLE_REASON if isinstance(error, exports.FileUnreadable) else exports.FAILED_REASON
        _fail(export_id, claim, reason)
        return False
    try:
        with session_scope() as session:
            ready = exports.mark_ready(session, export_id, user_id, claim, storage_key, size)
    except Exception:
        current_storage().delete(storage_key)
        logger.exception("export %s could not be marked ready", export_id)
        _fail(export_id, claim, exports.FAILED_REASON)
        return False
    if not ready:
        current_storage().delete(storage_key)
    return ready


def _write_archive(user_id: str, key: DataKey, binding: bytes, storage_key: str, progress: ExportProgress) -> int:
    with session_scope() as reading, current_storage().writer(storage_key) as target:
        sealed = SealingWriter(target, key, binding)
        exports.write_archive(reading, user_id, key, sealed, progress, public_url=current_settings().public_url)
        sealed.close()
        return sealed.tell()


def _fail(export_id: str, claim: datetime | None, reason: str) -> None:
    with session_scope() as session:
        exports.mark_failed(session, export_id, claim, reason)


class ExportProgress:
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
            still_ours = exports.record_progress(session, self.export_id, self.claim, percent)
        if not still_ours:
            raise ExportAbandoned(self.export_id)
