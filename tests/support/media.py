"""Media rows for the tests, made without the upload and processing code: a small video made by ffmpeg (or any
bytes) stored sealed through the files service, a ``MediaAsset`` row marked ready, or written as the upload route
and the processing jobs leave it (for the media list and its live status)."""

from __future__ import annotations

import subprocess
from datetime import datetime
from pathlib import Path

from sqlmodel import select

from studio_app.database import session_scope
from studio_app.models.base import new_id, utcnow
from studio_app.models.media import MediaAsset, MediaKind, ProcessingStatus
from studio_app.security.policy import Actor
from studio_app.services import files

SPRITE_VTT = """WEBVTT

00:00:00.000 --> 00:00:01.000
{sprite}#xywh=0,0,160,90

00:00:01.000 --> 00:00:02.000
{sprite}#xywh=160,0,160,90
"""


def make_video(path: Path, *, seconds: float = 4, rate: str = "25", size: str = "320x180") -> Path:
    """A test pattern with a tone (H.264/AAC in MP4, playable by Chromium)."""
    subprocess.run(
        ["ffmpeg", "-v", "error", "-y", "-f", "lavfi", "-i", f"testsrc=size={size}:rate={rate}:duration={seconds}",
         "-f", "lavfi", "-i", f"sine=frequency=440:duration={seconds}", "-c:v", "libx264", "-pix_fmt", "yuv420p",
         "-g", "1", "-c:a", "aac", "-shortest", "-movflags", "+faststart", str(path)],
        check=True, timeout=120)
    return path


def make_sprite(path: Path) -> Path:
    subprocess.run(["ffmpeg", "-v", "error", "-y", "-f", "lavfi", "-i", "testsrc=size=320x90:rate=1:duration=1",
                    "-frames:v", "1", str(path)], check=True, timeout=60)
    return path


def store(actor: Actor, project_id: str, name: str, content: bytes, content_type: str = "video/mp4") -> str:
    with session_scope() as session:
        return files.store_file(session, actor, project_id=project_id, name=name, content_type=content_type,
                                chunks=[content]).id


def media_asset(actor: Actor, project_id: str, *, kind: MediaKind = MediaKind.RUSH, video: bytes = b"not a video",
                duration_ms: int = 10_000, frame_rate: str = "25", version_number: int | None = None,
                media_info: dict | None = None, waveform: list[float] | None = None, sprite: bytes | None = None,
                status: ProcessingStatus = ProcessingStatus.READY) -> MediaAsset:
    """A ready asset of the project whose original and proxy are ``video`` (sealed under the project's key)."""
    file_id = store(actor, project_id, f"{kind}.mp4", video)
    proxy_id = store(actor, project_id, f"{kind}-proxy.mp4", video)
    sprite_id = store(actor, project_id, "sprite.jpg", sprite, "image/jpeg") if sprite else None
    asset_id = new_id()
    with session_scope() as session:
        asset = MediaAsset(id=asset_id, project_id=project_id, file_id=file_id, kind=kind,
                           version_number=version_number, uploaded_by=actor.user_id, status=status, progress=100,
                           duration_ms=duration_ms, width=320, height=180, frame_rate=frame_rate,
                           media_info=media_info or {}, proxy_file_id=proxy_id, sprite_file_id=sprite_id,
                           thumbnails_vtt=SPRITE_VTT.format(sprite="sprite.jpg") if sprite else None,
                           waveform=waveform if waveform is not None else [0.1, 0.5, 0.9, 0.4])
        session.add(asset)
        session.flush()
        session.expunge(asset)
    return asset


def add_media(uploader: Actor, project_id: str, name: str = "take-1.mp4", *, kind: str = "rush",
              version_number: int | None = None, payload: bytes = b"not really a video", **fields) -> str:
    """A stored file (sealed under the project's key, as uploads are) and its asset; returns the asset's id."""
    with session_scope() as session:
        stored = files.store_file(session, uploader, project_id=project_id, name=name, content_type="video/mp4",
                                  chunks=[payload])
        asset = MediaAsset(id=new_id(), project_id=project_id, file_id=stored.id, kind=kind,
                           version_number=version_number, uploaded_by=uploader.user_id, **fields)
        session.add(asset)
        return asset.id


def set_status(asset_id: str, status: str, *, at: datetime | None = None, **fields) -> None:
    """What a processing job writes: the status, its details, and ``updated_at`` (the live watcher reads it)."""
    with session_scope() as session:
        asset = session.exec(select(MediaAsset).where(MediaAsset.id == asset_id)).one()
        asset.status = status
        for name, value in fields.items():
            setattr(asset, name, value)
        asset.updated_at = at or utcnow()
        session.add(asset)


def asset(asset_id: str) -> MediaAsset:
    with session_scope() as session:
        row = session.exec(select(MediaAsset).where(MediaAsset.id == asset_id)).one()
        session.expunge(row)
        return row
