"""Uploads in progress (the tus protocol, ``api/uploads.py``): one row per file a member is sending to a project.

The bytes wait in the upload staging area, sealed (``integrations/storage.py``); the row says how far they got.
When the last byte arrives the upload turns into a ``StoredFile`` and a ``MediaAsset`` and the row stays, marked
complete, until it expires (a client resuming a finished upload learns that it is finished). The name the
person's file had is sealed under the project's data key and kept only to show it and to name the download.
"""

from __future__ import annotations

import enum
from datetime import datetime

import sqlalchemy as sa
from sqlmodel import Field, SQLModel

from studio_app.models.base import secret_field, time_field
from studio_app.security.personal_data import Category, personal_data


class UploadState(enum.StrEnum):
    RECEIVING = "receiving"
    COMPLETE = "complete"


@personal_data(name_encrypted=(Category.FILES, "showing the name of a file while you upload it"))
class Upload(SQLModel, table=True):
    __tablename__ = "upload"
    __table_args__ = (sa.Index("ix_upload_project_state", "project_id", "state"),)

    # Random and unguessable (the upload's URL), but never enough alone: only its owner may touch it.
    id: str = Field(primary_key=True, max_length=32)
    project_id: str = Field(sa_column=sa.Column(sa.String(32), sa.ForeignKey("project.id", ondelete="CASCADE"),
                                                nullable=False))
    owner_id: str | None = Field(default=None, sa_column=sa.Column(
        sa.String(32), sa.ForeignKey("user_account.id", ondelete="CASCADE"), nullable=True, index=True))
    kind: str = Field(max_length=16)
    name_encrypted: bytes = secret_field()
    declared_length: int = Field(sa_column=sa.Column(sa.BigInteger(), nullable=False))
    # Bytes stored so far, as of the last request that ended; the staging area has the last word after a crash.
    received_bytes: int = Field(default=0, sa_column=sa.Column(sa.BigInteger(), nullable=False))
    state: str = Field(default=UploadState.RECEIVING, max_length=16)
    # The stored file the bytes become: its id is chosen now, because the bytes are sealed bound to it.
    file_id: str = Field(max_length=32)
    content_type: str | None = Field(default=None, max_length=100)  # from the first bytes, once sniffed
    sha256: str | None = Field(default=None, max_length=64)  # of the whole file, once complete
    asset_id: str | None = Field(default=None, max_length=32)  # the media asset it became
    # One request at a time writes an upload, across workers: who holds it and until when.
    lease_token: str | None = Field(default=None, max_length=32)
    lease_expires_at: datetime | None = time_field(nullable=True)
    created_at: datetime = time_field(default_now=True)
    expires_at: datetime = time_field(index=True)
