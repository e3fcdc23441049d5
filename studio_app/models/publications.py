"""Publications: an approved version of a project, sent to TikTok and announced in the project's Discord channel.

A ``Publication`` is what a producer scheduled; it has one ``PublicationDestination`` per place it goes, and each
destination a timeline of ``PublicationStep`` rows. A step is written (and committed) *before* the provider call it
stands for, then marked done or failed: the steps are both what the people watching see and the record that makes a
publication happen exactly once when a consumer dies half-way (``jobs/publications.py``).

The caption is the only personal data (what the producer wrote); it is sealed under the project's data key.
"""

from __future__ import annotations

import enum
from datetime import datetime

import sqlalchemy as sa
from sqlmodel import Field, SQLModel

from studio_app.models.base import id_field, secret_field, time_field
from studio_app.security.personal_data import Category, personal_data


class PublicationStatus(enum.StrEnum):
    SCHEDULED = "scheduled"
    RUNNING = "running"
    DONE = "done"
    PARTLY_FAILED = "partly_failed"
    FAILED = "failed"
    CANCELLED = "cancelled"


class Destination(enum.StrEnum):
    TIKTOK = "tiktok"
    DISCORD = "discord"


class DestinationStatus(enum.StrEnum):
    WAITING = "waiting"  # until the publication is due
    RUNNING = "running"
    RETRYING = "retrying"  # a retryable failure: tried again at ``next_attempt_at``
    NEEDS_RECONNECT = "needs_reconnect"  # the account's grant is gone: resumes once its owner reconnects
    DONE = "done"
    FAILED = "failed"
    CANCELLED = "cancelled"


class StepStatus(enum.StrEnum):
    STARTED = "started"
    DONE = "done"
    FAILED = "failed"


@personal_data(caption_encrypted=(Category.CONTENT, "the caption you wrote for a video you publish"))
class Publication(SQLModel, table=True):
    __tablename__ = "publication"
    __table_args__ = (sa.Index("ix_publication_due", "status", "scheduled_for"),)

    id: str = id_field()
    project_id: str = Field(sa_column=sa.Column(sa.String(32), sa.ForeignKey("project.id", ondelete="CASCADE"),
                                                nullable=False, index=True))
    media_asset_id: str = Field(sa_column=sa.Column(
        sa.String(32), sa.ForeignKey("media_asset.id", ondelete="CASCADE"), nullable=False, index=True))
    created_by: str | None = Field(default=None, sa_column=sa.Column(
        sa.String(32), sa.ForeignKey("user_account.id", ondelete="SET NULL"), nullable=True, index=True))
    caption_encrypted: bytes = secret_field()
    scheduled_for: datetime = time_field()
    time_zone: str = Field(max_length=64)  # IANA name the producer chose the time in, to show it back in it
    status: str = Field(default=PublicationStatus.SCHEDULED, max_length=16)
    cover_ms: int = Field(default=0)
    # The consumer running it renews this at every step; a run whose lease ran out died with its consumer, and the
    # sweep hands the publication to another one (which resumes from the steps).
    lease_until: datetime | None = time_field(nullable=True)
    created_at: datetime = time_field(default_now=True)
    updated_at: datetime = time_field(default_now=True)


class PublicationDestination(SQLModel, table=True):
    __tablename__ = "publication_destination"
    __table_args__ = (sa.UniqueConstraint("publication_id", "destination", name="uq_publication_destination"),)

    id: str = id_field()
    publication_id: str = Field(sa_column=sa.Column(
        sa.String(32), sa.ForeignKey("publication.id", ondelete="CASCADE"), nullable=False, index=True))
    destination: str = Field(max_length=16)
    sandbox: bool = Field(default=False)
    # TikTok's post settings (None/False for Discord)
    privacy_level: str | None = Field(default=None, max_length=40)
    disable_comment: bool = Field(default=True)
    disable_duet: bool = Field(default=True)
    disable_stitch: bool = Field(default=True)
    brand_content: bool = Field(default=False)  # paid partnership: "branded content"
    brand_organic: bool = Field(default=False)  # promoting the creator's own business: "your brand"
    status: str = Field(default=DestinationStatus.WAITING, max_length=20)
    publish_id: str | None = Field(default=None, max_length=128)  # TikTok's id of the current init
    post_id: str | None = Field(default=None, max_length=128)  # TikTok's public post id, once complete
    post_url: str | None = Field(default=None, max_length=500)
    message_id: str | None = Field(default=None, max_length=64)  # the Discord announcement
    failure_reason: str | None = Field(default=None, max_length=500)  # plain words, no personal data
    attempts: int = Field(default=0)
    next_attempt_at: datetime | None = time_field(nullable=True)
    updated_at: datetime = time_field(default_now=True)


class PublicationStep(SQLModel, table=True):
    __tablename__ = "publication_step"
    __table_args__ = (sa.Index("ix_publication_step_destination", "destination_id", "started_at"),)

    id: str = id_field()
    destination_id: str = Field(sa_column=sa.Column(
        sa.String(32), sa.ForeignKey("publication_destination.id", ondelete="CASCADE"), nullable=False))
    name: str = Field(max_length=32)  # creator_info, init, upload, status, announce
    status: str = Field(default=StepStatus.STARTED, max_length=16)
    detail: str = Field(default="", max_length=300)  # "chunk 3 of 12", "PROCESSING_UPLOAD", a reason
    publish_id: str | None = Field(default=None, max_length=128)  # the init an upload or status step belongs to
    done_units: int = Field(default=0)  # chunks sent (upload), polls made (status)
    total_units: int = Field(default=0)
    started_at: datetime = time_field(default_now=True)
    finished_at: datetime | None = time_field(nullable=True)
