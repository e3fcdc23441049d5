"""Processing a media asset, as the database sees it: claim, progress, outputs, ready, failed or refused.

Called by the processing job (``jobs/media.py``), never by people: no actor, no authorization (the asset was
authorized when it was uploaded). Each function is one short unit of work on the asset row.

Running again is safe (a worker killed half-way, a retry): ``start_processing`` removes what an earlier run
left (outputs it attached, blobs it was writing), and an asset that is ready or refused is not processed again.
Outputs are sealed ``StoredFile`` rows under the project's data key; their blobs are written to a storage key
recorded on the asset first (``reserve_storage_key``), so even a blob whose row was never committed is found.
"""

from __future__ import annotations

import dataclasses
import enum
from collections.abc import Iterator
from datetime import timedelta
from fractions import Fraction
from pathlib import Path

import sqlalchemy as sa
from sqlmodel import Session, select

from studio_app.integrations.ffmpeg import Derived, MediaInfo, Segment, thumbnails_vtt
from studio_app.integrations.storage import current_storage
from studio_app.models.base import utcnow
from studio_app.models.files import StoredFile
from studio_app.models.media import MediaAsset, ProcessingStatus
from studio_app.security.crypto import DataKey
from studio_app.security.fields import get_decrypted, set_encrypted
from studio_app.services import files

# Where the player finds the thumbnail strip (the route serving it is the review part's; the id is the original's).
SPRITE_URL = "/api/media/{file_id}/sprite.jpg"

STOPPED_REASON = "Processing stopped before the end. It will be tried again shortly."
GAVE_UP_REASON = "This video could not be processed. Try again, or upload it again if it keeps failing."
UNREADABLE_REASON = "The uploaded file can no longer be read. Upload it again."
READ_CHUNK_BYTES = 1024 * 1024


class Output(enum.StrEnum):
    """What processing makes, each a sealed file referenced by its own column."""

    POSTER = "poster"
    SPRITE = "sprite"
    PROXY = "proxy"

    @property
    def column(self) -> str:
        return f"{self.value}_file_id"


_OUTPUT_FILES = {
    Output.POSTER: ("poster.jpg", "image/jpeg"),
    Output.SPRITE: ("thumbnails.jpg", "image/jpeg"),
    Output.PROXY: ("proxy.mp4", "video/mp4"),
}


@dataclasses.dataclass(frozen=True)
class ProcessingTicket:
    """What a worker needs to read an asset's original outside any transaction."""

    asset_id: str
    project_id: str
    file_id: str
    original: StoredFile
    data_key: DataKey

    def read_original(self) -> Iterator[bytes]:
        return files.read_blob(self.original, self.data_key)


@dataclasses.dataclass(frozen=True)
class Suggestion:
    """A proposed derush selection: ``kind`` is "scene" or "silence"; frames at the asset's rate, out exclusive."""

    kind: str
    in_frame: int
    out_frame: int
    start_ms: int
    end_ms: int


def start_processing(session: Session, asset_id: str, *, unless_busy_within: timedelta | None = None
                     ) -> ProcessingTicket | None:
    """Mark the asset processing and clear an earlier run's leftovers; None when there is nothing to do
    (no such asset any more, already ready, or refused and its original gone) or, with ``unless_busy_within``,
    when another run wrote its progress within that time (it is alive: the queue held the asset twice)."""
    asset = _locked(session, asset_id)
    if asset is None or asset.status == ProcessingStatus.READY or asset.file_id is None:
        return None
    if unless_busy_within is not None and asset.status == ProcessingStatus.PROCESSING \
            and asset.updated_at > utcnow() - unless_busy_within:
        return None
    original = session.get(StoredFile, asset.file_id)
    if original is None:
        return None
    _discard_outputs(session, asset)
    asset.status, asset.progress, asset.failure_reason = ProcessingStatus.PROCESSING, 0, None
    asset.updated_at = utcnow()
    return ProcessingTicket(asset_id=asset.id, project_id=asset.project_id, file_id=original.id, original=original,
                            data_key=files.key_of(session, original))


def record_progress(session: Session, asset_id: str, percent: int) -> None:
    session.execute(sa.update(MediaAsset).where(
        MediaAsset.id == asset_id, MediaAsset.status == ProcessingStatus.PROCESSING,
    ).values(progress=max(0, min(99, percent)), updated_at=utcnow()))


def reserve_storage_key(session: Session, asset_id: str) -> str:
    """A new storage key, recorded on the asset before anything is written to it (commit before writing)."""
    asset = _locked(session, asset_id)
    if asset is None:
        raise LookupError("the asset is gone")
    key = current_storage().new_key()
    asset.pending_storage_keys = [*asset.pending_storage_keys, key]
    return key


def attach_output(session: Session, ticket: ProcessingTicket, output: Output, path: Path, storage_key: str) -> str:
    """Seal the file at ``path`` under the reserved ``storage_key`` and attach it to the asset (replacing and
    removing any earlier one); returns the new file's id."""
    asset = _locked(session, ticket.asset_id)
    if asset is None:
        raise LookupError("the asset is gone")
    name, content_type = _OUTPUT_FILES[output]
    stored = files.store_system_file(session, project_id=ticket.project_id, name=name, content_type=content_type,
                                     chunks=_file_chunks(path), storage_key=storage_key)
    session.flush()
    _delete_output(session, asset, output)
    setattr(asset, output.column, stored.id)
    asset.pending_storage_keys = [key for key in asset.pending_storage_keys if key != storage_key]
    return stored.id


def record_metadata(session: Session, asset_id: str, info: MediaInfo) -> None:
    asset = _locked(session, asset_id)
    if asset is not None:
        asset.duration_ms, asset.width, asset.height = info.duration_ms, info.width, info.height
        asset.frame_rate = info.frame_rate
        asset.media_info = info.as_dict()


def mark_ready(session: Session, ticket: ProcessingTicket, info: MediaInfo, derived: Derived) -> None:
    asset = _locked(session, ticket.asset_id)
    if asset is None:
        return
    rate = Fraction(info.frame_rate)
    asset.thumbnails_vtt = thumbnails_vtt(derived.sprite_layout, info.duration_seconds,
                                          SPRITE_URL.format(file_id=ticket.file_id))
    asset.waveform = derived.waveform
    asset.media_info = {
        **info.as_dict(),
        "scene_cuts": [_suggestion_dict("scene", segment, rate) for segment in derived.scenes],
        "silences": [_suggestion_dict("silence", segment, rate) for segment in derived.silences],
    }
    asset.status, asset.progress, asset.failure_reason = ProcessingStatus.READY, 100, None
    asset.updated_at = utcnow()


def mark_failed(session: Session, asset_id: str, reason: str) -> None:
    """Failed for now (the job may run again): the original stays, the outputs of this run go."""
    asset = _locked(session, asset_id)
    if asset is None or asset.status == ProcessingStatus.READY:
        return
    _discard_outputs(session, asset)
    asset.status, asset.progress, asset.failure_reason = ProcessingStatus.FAILED, 0, reason[:300]
    asset.updated_at = utcnow()


def refuse(session: Session, asset_id: str, reason: str) -> None:
    """Not a video we can process: the asset stays, failed with ``reason``; the original and every output go."""
    asset = _locked(session, asset_id)
    if asset is None:
        return
    _discard_outputs(session, asset)
    original = session.get(StoredFile, asset.file_id) if asset.file_id else None
    if original is not None:  # the list keeps saying which upload it was
        key = files.key_of(session, original)
        set_encrypted(asset, "refused_name_encrypted", get_decrypted(original, "name_encrypted", data_key=key),
                      data_key=key)
    asset.file_id = None
    asset.duration_ms = asset.width = asset.height = asset.frame_rate = None
    asset.media_info, asset.waveform, asset.thumbnails_vtt = {}, [], None
    asset.status, asset.progress, asset.failure_reason = ProcessingStatus.FAILED, 0, reason[:300]
    asset.updated_at = utcnow()
    session.flush()  # the asset lets go of its original before the original goes (its foreign key cascades)
    if original is not None:
        files.delete_file(session, original)


def lost_assets(session: Session, quiet_for: timedelta) -> list[str]:
    """Assets waiting or processing with no news for ``quiet_for``: their task was lost (a consumer killed
    outright, the queue unreachable when the upload finished). Oldest first."""
    return list(session.exec(select(MediaAsset.id).where(
        MediaAsset.status.in_([ProcessingStatus.QUEUED, ProcessingStatus.PROCESSING]),
        MediaAsset.updated_at < utcnow() - quiet_for).order_by(MediaAsset.updated_at).limit(500)).all())


def suggestions_of(asset: MediaAsset) -> list[Suggestion]:
    """Scene cuts and silences processing proposed, in time order, for the derush list to offer."""
    found = [*asset.media_info.get("scene_cuts", []), *asset.media_info.get("silences", [])]
    suggestions = [Suggestion(kind=item["kind"], in_frame=item["in_frame"], out_frame=item["out_frame"],
                              start_ms=item["start_ms"], end_ms=item["end_ms"]) for item in found]
    return sorted(suggestions, key=lambda suggestion: (suggestion.in_frame, suggestion.kind))


def _suggestion_dict(kind: str, segment: Segment, rate: Fraction) -> dict:
    return {"kind": kind, "in_frame": int(segment.start_seconds * rate + Fraction(1, 2)),
            "out_frame": int(segment.end_seconds * rate + Fraction(1, 2)),
            "start_ms": round(segment.start_seconds * 1000), "end_ms": round(segment.end_seconds * 1000)}


def _discard_outputs(session: Session, asset: MediaAsset) -> None:
    """Remove every output attached to the asset and every blob a run was writing (after the commit)."""
    for output in Output:
        _delete_output(session, asset, output)
    if asset.pending_storage_keys:
        recorded = set(session.exec(select(StoredFile.storage_key).where(
            StoredFile.storage_key.in_(asset.pending_storage_keys))).all())
        for key in asset.pending_storage_keys:
            if key not in recorded:  # a row that exists owns its blob (and is attached, or was just deleted)
                files.delete_blob_after_commit(session, key)
        asset.pending_storage_keys = []


def _delete_output(session: Session, asset: MediaAsset, output: Output) -> None:
    file_id = getattr(asset, output.column)
    if file_id is None:
        return
    setattr(asset, output.column, None)
    row = session.get(StoredFile, file_id)
    if row is not None:
        session.flush()
        files.delete_file(session, row)


def _locked(session: Session, asset_id: str) -> MediaAsset | None:
    # FOR UPDATE on PostgreSQL (SQLite ignores it and serializes writers anyway): two workers on one asset queue up.
    return session.exec(select(MediaAsset).where(MediaAsset.id == asset_id).with_for_update()).first()


def _file_chunks(path: Path) -> Iterator[bytes]:
    with open(path, "rb") as handle:
        while chunk := handle.read(READ_CHUNK_BYTES):
            yield chunk
