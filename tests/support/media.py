"""Media rows for the tests of the media list and its live status: an asset as the upload route and the processing
jobs leave it (their code is another part's work), written straight to the tables."""

from __future__ import annotations

from datetime import datetime

from sqlmodel import select

from studio_app.database import session_scope
from studio_app.models.base import new_id, utcnow
from studio_app.models.media import MediaAsset
from studio_app.security.policy import Actor
from studio_app.services import files


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
