"""Stored files: the record of every blob kept in storage (``integrations/storage.py``).

Blobs live under random storage keys (never a user-given name) and their bytes are sealed with the
owner's data key (personal files) or the project's (files shared in a project), see
``security/stream_crypto.py``. Media features (rushes, versions) reference these rows.
"""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlmodel import Field, SQLModel

from studio_app.models.base import id_field, secret_field, time_field
from studio_app.security.personal_data import Category, personal_data


@personal_data(name_encrypted=(Category.FILES, "showing the files you uploaded under the name you gave them"))
class StoredFile(SQLModel, table=True):
    __tablename__ = "stored_file"

    id: str = id_field()
    owner_id: str | None = Field(
        default=None,
        sa_column=sa.Column(sa.String(32), sa.ForeignKey("user_account.id", ondelete="SET NULL"), nullable=True,
                            index=True),
    )
    project_id: str | None = Field(
        default=None,
        sa_column=sa.Column(sa.String(32), sa.ForeignKey("project.id", ondelete="CASCADE"), nullable=True,
                            index=True),
    )
    name_encrypted: bytes = secret_field()
    content_type: str = Field(max_length=100)
    size_bytes: int = Field(sa_column=sa.Column(sa.BigInteger(), nullable=False))
    sha256: str = Field(max_length=64)
    storage_key: str = Field(max_length=64, unique=True)
    created_at: datetime = time_field(default_now=True)
