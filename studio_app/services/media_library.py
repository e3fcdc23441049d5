"""The media library of a project (rushes and versions): what its members see of them, and what they may do to them.

The upload route (``api/``) and the processing jobs (``jobs/``) write the ``MediaAsset`` rows; the functions here
read them for the project page and send a failed asset back to the queue.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable
from datetime import datetime

from sqlmodel import Session, select

from studio_app.database import after_commit
from studio_app.errors import UserError
from studio_app.models.base import is_row_id, utcnow
from studio_app.models.files import StoredFile
from studio_app.models.media import MediaAsset, ProcessingStatus
from studio_app.models.projects import ProjectMember
from studio_app.security.fields import get_decrypted
from studio_app.security.policy import Action, Actor, NotAllowed
from studio_app.services import projects
from studio_app.services.keys import project_keys_of
from studio_app.services.people import display_names, name_of

# ---------------------------------------------------------------------------------------------------------------
# The project page's media list and its live status (upload zone and status: helper "uploadui")
# ---------------------------------------------------------------------------------------------------------------

MEDIA_LIST_MAX = 500  # per project and kind: far more than a video's rushes
CHANGES_MAX = 200  # rows one look of the live watcher reads; the next look takes the rest
MEMBERS_MAX = 500
NOT_FOUND = "This media does not exist or you are not a member of its project."


@dataclasses.dataclass(frozen=True)
class MediaView:
    """One rush or version as the project page shows it."""

    id: str
    project_id: str
    kind: str  # "rush" or "version"
    version_number: int | None
    name: str  # as the uploader's file was called (sanitized by the upload route), for display only
    size_bytes: int | None  # None once a refused original has been removed
    sha256: str  # of the original as it arrived (computed while it streamed in), "" once removed
    status: str  # queued, processing, ready, failed
    progress: int  # percent, while processing
    failure_reason: str | None  # plain words, no personal data
    can_retry: bool  # failed with its original still there (a refused file must be uploaded again)
    duration_ms: int | None
    width: int | None
    height: int | None
    poster_file_id: str | None
    uploader_name: str
    created_at: datetime
    updated_at: datetime


def list_project_media(session: Session, actor: Actor | None, project_id: str) -> list[MediaView]:
    """The project's rushes (newest first) then its versions (v1, v2, ...); members only."""
    projects.access_project(session, actor, project_id, Action.VIEW_MEDIA)
    rushes = _media_rows(session, [project_id], MediaAsset.kind == "rush", MediaAsset.created_at.desc())
    versions = _media_rows(session, [project_id], MediaAsset.kind == "version", MediaAsset.version_number)
    return _views(session, rushes + versions)


def retry_processing(session: Session, actor: Actor | None, asset_id: str) -> MediaView:
    """Send a failed asset back to the queue (members only); it starts again from the beginning."""
    asset = session.get(MediaAsset, asset_id) if is_row_id(asset_id) else None
    if asset is None:
        raise NotAllowed(NOT_FOUND)
    projects.access_project(session, actor, asset.project_id, Action.RETRY_PROCESSING)
    if asset.status != ProcessingStatus.FAILED:
        raise NotAllowed("Only media whose processing failed can be tried again.")
    if asset.file_id is None:
        raise UserError("This file could not be used and was removed: upload it again from the original.")
    asset.status, asset.progress, asset.failure_reason = ProcessingStatus.QUEUED, 0, None
    asset.updated_at = utcnow()
    session.add(asset)
    after_commit(session, lambda: _enqueue(asset_id))
    return _views(session, [(asset, _file_of(session, asset))])[0]


def media_changes(session: Session, project_ids: Iterable[str], since: datetime
                  ) -> tuple[list[MediaView], dict[str, frozenset[str]]]:
    """For the live watcher (no actor: it pushes only to members): the assets of these projects changed after
    ``since`` (oldest change first, at most ``CHANGES_MAX``) and the current members of their projects."""
    wanted = sorted({project_id for project_id in project_ids if is_row_id(project_id)})
    if not wanted:
        return [], {}
    rows = session.exec(
        select(MediaAsset, StoredFile).outerjoin(StoredFile, StoredFile.id == MediaAsset.file_id)
        .where(MediaAsset.project_id.in_(wanted), MediaAsset.updated_at > since)
        .order_by(MediaAsset.updated_at).limit(CHANGES_MAX)
    ).all()
    if not rows:
        return [], {}
    changed = sorted({asset.project_id for asset, _ in rows})
    members: dict[str, set[str]] = {project_id: set() for project_id in changed}
    for project_id, user_id in session.exec(
            select(ProjectMember.project_id, ProjectMember.user_id)
            .where(ProjectMember.project_id.in_(changed), ProjectMember.removed_at.is_(None))
            .limit(MEMBERS_MAX * len(changed))).all():
        members[project_id].add(user_id)
    return _views(session, rows), {project_id: frozenset(users) for project_id, users in members.items()}


def _media_rows(session: Session, project_ids: list[str], condition, order
                ) -> list[tuple[MediaAsset, StoredFile | None]]:
    return list(session.exec(
        select(MediaAsset, StoredFile).outerjoin(StoredFile, StoredFile.id == MediaAsset.file_id)
        .where(MediaAsset.project_id.in_(project_ids), condition)
        .order_by(order, MediaAsset.id).limit(MEDIA_LIST_MAX)
    ).all())


def _file_of(session: Session, asset: MediaAsset) -> StoredFile | None:
    return session.get(StoredFile, asset.file_id) if asset.file_id else None


def _views(session: Session, rows: list[tuple[MediaAsset, StoredFile | None]]) -> list[MediaView]:
    """Names decrypted under each project's key, uploaders' names in one query."""
    keys = project_keys_of(session, {asset.project_id for asset, _ in rows})
    names = display_names(session, [asset.uploaded_by for asset, _ in rows])
    return [
        MediaView(id=asset.id, project_id=asset.project_id, kind=asset.kind, version_number=asset.version_number,
                  name=_name(asset, file, keys[asset.project_id]), size_bytes=file.size_bytes if file else None,
                  sha256=file.sha256 if file else "",
                  status=asset.status, progress=max(0, min(100, asset.progress or 0)),
                  failure_reason=asset.failure_reason,
                  can_retry=asset.status == ProcessingStatus.FAILED and file is not None,
                  duration_ms=asset.duration_ms, width=asset.width,
                  height=asset.height, poster_file_id=asset.poster_file_id,
                  uploader_name=name_of(names, asset.uploaded_by), created_at=asset.created_at,
                  updated_at=asset.updated_at)
        for asset, file in rows
    ]


def _name(asset: MediaAsset, original: StoredFile | None, key) -> str:
    if original is not None:
        return get_decrypted(original, "name_encrypted", data_key=key)
    return get_decrypted(asset, "refused_name_encrypted", data_key=key) or "Removed file"


def _enqueue(asset_id: str) -> None:
    """Hand the asset to the processing queue once the reset is committed (the worker reads the row)."""
    from studio_app.jobs.media import enqueue_processing  # here: the jobs import the services

    enqueue_processing(asset_id)

