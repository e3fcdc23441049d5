"""Background jobs that failed for good (every retry used): what ran, why it failed, whether an admin retried it.

Task arguments are ids and plain values, never personal data (``jobs/queue.py``); the reason is the exception's
type and its message cut before any data it quotes and redacted (``security/log_redaction.py``).
"""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlmodel import Field, SQLModel

from studio_app.models.base import id_field, time_field


class JobFailure(SQLModel, table=True):
    __tablename__ = "job_failure"

    id: str = id_field()
    task_name: str = Field(max_length=200)  # module.function, as the queue registers it
    arguments: list = Field(default_factory=list, sa_column=sa.Column(sa.JSON, nullable=False))
    error_type: str = Field(max_length=120)
    error_message: str = Field(default="", max_length=300)
    attempts: int = Field(default=1)
    failed_at: datetime = time_field(default_now=True, index=True)
    retried_at: datetime | None = time_field(nullable=True)
