"""Processing an uploaded video: metadata, poster, thumbnail strip, waveform, proxy, suggested selections.

``process_asset`` is a plain function; ``process_asset_task`` runs it on the queue (retried with backoff, then
failed for good with a plain reason), ``enqueue_processing`` puts an asset there, and ``media_sweep`` queues again
what a lost task left waiting and removes abandoned uploads. The original is decrypted into a private folder
(0700) that is removed whatever happens (and, for a worker killed outright, by the next run on the same asset).
Running it again after a crash or on a duplicate message is safe: ``services/media.py`` clears what an earlier run
left and ignores an asset that is already ready. Log lines carry ids and reasons in our own words,
never names or content.
"""

from __future__ import annotations

import logging
import time
from datetime import timedelta
from pathlib import Path

from studio_app.database import session_scope
from studio_app.integrations import ffmpeg
from studio_app.integrations.storage import BlobMissing
from studio_app.jobs.queue import background_task, enqueue, periodic_task
from studio_app.security.crypto import DecryptionError
from studio_app.services import detection, media, uploads
from studio_app.services.media import Output, ProcessingTicket
from studio_app.settings import current_settings

logger = logging.getLogger(__name__)

PROGRESS_EVERY_SECONDS = 1.0
# Where each step ends, in percent: decrypting is quick, the decoding pass is most of the work.
_DECRYPTED, _PROBED, _DECODED = 8, 12, 92

# A run writes its progress every second or so; one silent for this long died with its consumer.
SILENT_RUN = timedelta(minutes=5)


def _gave_up(asset_id: str, error: BaseException) -> None:
    with session_scope() as session:
        media.mark_failed(session, asset_id, media.GAVE_UP_REASON)


@background_task(retries=3, base_delay_seconds=10, timeout_seconds=2 * 3600, on_final_failure=_gave_up)
def process_asset_task(asset_id: str) -> None:
    process_asset(asset_id, unless_busy_within=SILENT_RUN)


@periodic_task(every_minutes=5)
def media_sweep() -> None:
    """Abandoned uploads leave nothing behind; assets whose task was lost are queued again."""
    with session_scope() as session:
        uploads.sweep_expired_uploads(session)
    with session_scope() as session:
        lost = media.lost_assets(session, SILENT_RUN)
    for asset_id in lost:
        enqueue_processing(asset_id)


def enqueue_processing(asset_id: str) -> None:
    """Put the asset on the queue (call it once the transaction that made or reset the asset has committed)."""
    enqueue(process_asset_task, asset_id)


def process_asset(asset_id: str, *, unless_busy_within: timedelta | None = None) -> None:
    """Process the asset to ready, or record why not. Raises only for failures a retry may cure (the asset is
    then marked failed with a plain reason, and a later run starts again from a clean slate)."""
    with session_scope() as session:
        ticket = media.start_processing(session, asset_id, unless_busy_within=unless_busy_within)
    if ticket is None:
        return
    parent, prefix = work_parent(), f"asset-{asset_id}-"
    ffmpeg.remove_workdirs(parent, prefix)  # an earlier run killed outright left its plaintext behind
    try:
        with ffmpeg.private_workdir(parent, prefix) as folder:
            _process(ticket, folder)
    except ffmpeg.MediaRefused as refused:
        logger.info("media asset %s refused: %s", asset_id, refused)
        with session_scope() as session:
            media.refuse(session, asset_id, str(refused))
    except (BlobMissing, DecryptionError) as error:
        logger.exception("media asset %s: the original cannot be read", asset_id)
        with session_scope() as session:
            if isinstance(error, DecryptionError):
                detection.integrity_failure(session, "media")
            media.mark_failed(session, asset_id, media.UNREADABLE_REASON)
    except BaseException:
        logger.exception("media asset %s: processing stopped", asset_id)
        with session_scope() as session:
            media.mark_failed(session, asset_id, media.STOPPED_REASON)
        raise


def work_parent() -> Path:
    return current_settings().data_dir / "processing"


def _process(ticket: ProcessingTicket, folder: Path) -> None:
    progress = _Progress(ticket.asset_id)
    source = folder / "original"
    _decrypt(ticket, source, progress)
    info = ffmpeg.probe(source)
    ffmpeg.check_processable(info)
    with session_scope() as session:
        media.record_metadata(session, ticket.asset_id, info)
    poster = ffmpeg.make_poster(source, info, folder / "poster.jpg")
    progress.reach(_PROBED, force=True)
    derived = ffmpeg.derive(source, info, folder,
                            on_progress=lambda done: progress.reach(_PROBED + done * (_DECODED - _PROBED)))
    source.unlink()  # the plaintext original is not needed any more: keep it on disk no longer than that
    for output, path in ((Output.POSTER, poster), (Output.SPRITE, derived.sprite), (Output.PROXY, derived.proxy)):
        _attach(ticket, output, path)
        progress.reach(progress.percent + 2, force=True)
    with session_scope() as session:
        media.mark_ready(session, ticket, info, derived)


def _decrypt(ticket: ProcessingTicket, target: Path, progress: _Progress) -> None:
    total = max(1, ticket.original.size_bytes)
    written = 0
    with open(target, "xb") as handle:
        for chunk in ticket.read_original():
            handle.write(chunk)
            written += len(chunk)
            progress.reach(written * _DECRYPTED // total)


def _attach(ticket: ProcessingTicket, output: Output, path: Path) -> None:
    # The key is committed on the asset before the blob exists, the row after: no moment leaves a blob unknown.
    with session_scope() as session:
        storage_key = media.reserve_storage_key(session, ticket.asset_id)
    with session_scope() as session:
        media.attach_output(session, ticket, output, path, storage_key)


class _Progress:
    """The asset's percentage, written in its own short transaction at most once a second."""

    def __init__(self, asset_id: str):
        self.asset_id = asset_id
        self.percent = 0
        self._written_at = 0.0

    def reach(self, percent: float, *, force: bool = False) -> None:
        percent = int(percent)
        if percent <= self.percent and not force:
            return
        self.percent = max(self.percent, percent)
        if force or time.monotonic() - self._written_at >= PROGRESS_EVERY_SECONDS:
            self._written_at = time.monotonic()
            with session_scope() as session:
                media.record_progress(session, self.asset_id, self.percent)
