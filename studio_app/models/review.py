"""Derushing and review: the selections made in a rush, the suggestions decided on, and the time-coded comments on
a version.

Notes and comment bodies are sealed under the project's data key (like thread messages): they stay readable for the
other members when their author erases their account, and go with the project when it is erased.
"""

from __future__ import annotations

import enum
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlmodel import Field, SQLModel

from studio_app.models.base import id_field, secret_field, time_field
from studio_app.security.personal_data import Category, personal_data


class SelectionLabel(enum.StrEnum):
    KEEP = "keep"
    MAYBE = "maybe"
    REJECT = "reject"


class SuggestionKind(enum.StrEnum):
    SCENE = "scene"
    SILENCE = "silence"


def _reference(table: str, *, nullable: bool = False, index: bool = False, ondelete: str = "CASCADE") -> Any:
    return Field(default=None, sa_column=sa.Column(
        sa.String(32), sa.ForeignKey(f"{table}.id", ondelete=ondelete), nullable=nullable, index=index))


@personal_data(note_encrypted=(Category.CONTENT, "derushing the project's footage with its members"))
class DerushSelection(SQLModel, table=True):
    """A segment of a rush, in frames of the rush's own frame rate: ``in_frame`` included, ``out_frame`` excluded."""

    __tablename__ = "derush_selection"
    __table_args__ = (sa.Index("ix_derush_selection_asset_in", "asset_id", "in_frame"),)

    id: str = id_field()
    asset_id: str = _reference("media_asset")
    project_id: str = _reference("project", index=True)
    in_frame: int
    out_frame: int
    label: str = Field(default=SelectionLabel.KEEP, max_length=8)
    rating: int = Field(default=0)
    note_encrypted: bytes | None = secret_field(nullable=True)
    from_suggestion: str | None = Field(default=None, max_length=8)  # "scene" or "silence" when accepted from one
    created_by: str | None = _reference("user_account", nullable=True, index=True, ondelete="SET NULL")
    created_at: datetime = time_field(default_now=True)
    updated_at: datetime = time_field(default_now=True)


class DerushSuggestionDecision(SQLModel, table=True):
    """A suggestion someone accepted or discarded: it is not proposed again (processing may run again)."""

    __tablename__ = "derush_suggestion_decision"

    asset_id: str = Field(sa_column=sa.Column(sa.String(32), sa.ForeignKey("media_asset.id", ondelete="CASCADE"),
                                              primary_key=True))
    suggestion_key: str = Field(sa_column=sa.Column(sa.String(64), primary_key=True))
    accepted: bool
    decided_by: str | None = _reference("user_account", nullable=True, index=True, ondelete="SET NULL")
    decided_at: datetime = time_field(default_now=True)


@personal_data(body_encrypted=(Category.CONTENT, "reviewing the project's versions with its members"))
class ReviewComment(SQLModel, table=True):
    """A comment at ``at_ms`` of a version (over ``at_ms``..``end_ms`` for a range), or a reply to one."""

    __tablename__ = "review_comment"
    __table_args__ = (sa.Index("ix_review_comment_asset_time", "asset_id", "at_ms", "created_at"),)

    id: str = id_field()
    asset_id: str = _reference("media_asset")
    project_id: str = _reference("project", index=True)
    parent_id: str | None = _reference("review_comment", nullable=True, index=True)
    author_id: str | None = _reference("user_account", nullable=True, index=True, ondelete="SET NULL")
    at_ms: int
    end_ms: int | None = Field(default=None)
    body_encrypted: bytes = secret_field()
    resolved_at: datetime | None = time_field(nullable=True)
    resolved_by: str | None = _reference("user_account", nullable=True, index=True, ondelete="SET NULL")
    created_at: datetime = time_field(default_now=True)
