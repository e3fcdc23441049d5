"""Media of a project: the rushes and the edited versions uploaded to it, and what processing made of them.

The bytes of each upload and of everything derived from it (poster, thumbnail strip, proxy) are ``StoredFile`` rows
sealed under the project's data key (``services/files.py``): erasing the project crypto-shreds its media. The
columns here describe the media (duration, frame rate, codecs); the only personal one is the name of a refused
file, sealed like its original was.
"""

from __future__ import annotations

import enum
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlmodel import Field, SQLModel

from studio_app.models.base import id_field, secret_field, time_field
from studio_app.security.personal_data import Category, personal_data


class MediaKind(enum.StrEnum):
    RUSH = "rush"
    VERSION = "version"


class ProcessingStatus(enum.StrEnum):
    QUEUED = "queued"
    PROCESSING = "processing"
    READY = "ready"
    FAILED = "failed"


def _file_reference() -> Any:
    # A derived file goes with its asset; the asset goes with its original (ON DELETE CASCADE on ``file_id``).
    return Field(default=None, sa_column=sa.Column(
        sa.String(32), sa.ForeignKey("stored_file.id", ondelete="SET NULL"), nullable=True))


@personal_data(refused_name_encrypted=(Category.FILES, "telling you which of your uploads could not be used"))
class MediaAsset(SQLModel, table=True):
    """One uploaded video: a rush to derush, or version ``version_number`` of the project's deliverable."""

    __tablename__ = "media_asset"
    __table_args__ = (
        sa.Index("ix_media_asset_project_kind", "project_id", "kind", "created_at"),
        sa.UniqueConstraint("project_id", "kind", "version_number", name="uq_media_asset_version"),
    )

    id: str = id_field()
    project_id: str = Field(sa_column=sa.Column(sa.String(32), sa.ForeignKey("project.id", ondelete="CASCADE"),
                                                nullable=False))
    # The original upload; None once a file that is not a video we can process has been removed (the asset stays,
    # failed, to tell the person why).
    file_id: str | None = Field(default=None, sa_column=sa.Column(
        sa.String(32), sa.ForeignKey("stored_file.id", ondelete="CASCADE"), nullable=True, index=True))
    # The original's name (sealed under the project's key) once a refused original has been removed.
    refused_name_encrypted: bytes | None = secret_field(nullable=True)
    kind: str = Field(max_length=16)
    version_number: int | None = Field(default=None)  # 1, 2, ... for versions; None for rushes
    uploaded_by: str | None = Field(default=None, sa_column=sa.Column(
        sa.String(32), sa.ForeignKey("user_account.id", ondelete="SET NULL"), nullable=True, index=True))
    status: str = Field(default=ProcessingStatus.QUEUED, max_length=16)
    progress: int = Field(default=0)  # percent, while processing
    failure_reason: str | None = Field(default=None, max_length=300)  # in plain words, no personal data
    duration_ms: int | None = Field(default=None)
    width: int | None = Field(default=None)
    height: int | None = Field(default=None)
    frame_rate: str | None = Field(default=None, max_length=32)  # a rational as ffprobe gives it: "30000/1001"
    # What ffprobe found beyond the above: codecs, audio channels, start timecode, drop frame.
    media_info: dict = Field(default_factory=dict, sa_column=sa.Column(sa.JSON, nullable=False))
    poster_file_id: str | None = _file_reference()
    sprite_file_id: str | None = _file_reference()
    proxy_file_id: str | None = _file_reference()
    thumbnails_vtt: str | None = Field(default=None, sa_column=sa.Column(sa.Text, nullable=True))
    waveform: list[float] = Field(default_factory=list, sa_column=sa.Column(sa.JSON, nullable=False))
    # Storage keys processing is writing to before their StoredFile rows exist: a worker killed in between leaves
    # blobs that the next run finds here and removes.
    pending_storage_keys: list[str] = Field(default_factory=list, sa_column=sa.Column(
        sa.JSON, nullable=False, server_default="[]"))
    approved_at: datetime | None = time_field(nullable=True)
    created_at: datetime = time_field(default_now=True)
    updated_at: datetime = time_field(default_now=True)
