"""Review of a project's versions: the version stack, time-coded comments (at a moment or over a range) with
replies, resolve and reopen, and the producer's decision: approve a version or request changes.

Comment bodies are sealed under the project's key. Each comment notifies the other members like a thread message
does (kind ``review_comment``, leading to the version); a decision notifies them too (``version_approved``,
``changes_requested``: in the app and by email unless they chose otherwise). Approving makes that version the
project's approved one (the one a publication uses) and moves the project to "approved"; requesting changes moves
it back to "editing".
"""

from __future__ import annotations

import dataclasses
from datetime import datetime

import sqlalchemy as sa
from sqlmodel import Session, select

from studio_app.models.base import is_row_id, new_id, utcnow
from studio_app.models.media import MediaAsset, MediaKind, ProcessingStatus
from studio_app.models.projects import Project, Stage
from studio_app.models.review import ReviewComment
from studio_app.security.crypto import DataKey
from studio_app.security.fields import get_decrypted, set_encrypted
from studio_app.security.policy import Action, Actor
from studio_app.services import notifications, projects
from studio_app.services.keys import project_key_of
from studio_app.services.media_access import access_asset
from studio_app.services.people import display_names, initials, name_of
from studio_app.services.threads import thread_members
from studio_app.services.validation import InvalidInput

BODY_MAX = 4_000
COMMENTS_MAX = 1_000
VERSIONS_MAX = 200
# A decision is taken while the cut is being made or reviewed; not once the video is scheduled, out or stopped.
DECIDABLE_STAGES = frozenset({Stage.DERUSH, Stage.EDITING, Stage.REVIEW, Stage.APPROVED})
VERSION_APPROVED = "version.approved"


@dataclasses.dataclass(frozen=True)
class VersionView:
    id: str
    number: int
    file_id: str
    proxy_file_id: str | None
    status: str
    duration_ms: int | None
    frame_rate: str | None
    approved: bool
    created_at: datetime


@dataclasses.dataclass(frozen=True)
class CommentView:
    id: str
    asset_id: str
    parent_id: str | None
    author_id: str | None
    author_name: str
    author_initials: str
    at_ms: int
    end_ms: int | None
    body: str
    resolved: bool
    resolved_by_name: str | None
    is_mine: bool
    created_at: datetime


@dataclasses.dataclass(frozen=True)
class ReviewPage:
    version: VersionView
    versions: tuple[VersionView, ...]  # the stack, v1 first
    comments: tuple[CommentView, ...]  # by time, each top-level comment followed by its replies
    my_role: str
    stage: str


@dataclasses.dataclass(frozen=True)
class Decision:
    asset_id: str
    project_id: str
    stage: str
    approved_asset_id: str | None
    member_ids: tuple[str, ...]  # whom the real-time layer tells


def review_page(session: Session, actor: Actor | None, asset_id: str) -> ReviewPage:
    """What the review page of a version shows, in one transaction."""
    asset, role = access_asset(session, actor, asset_id, Action.VIEW_PROJECT, kind=MediaKind.VERSION)
    project = session.get(Project, asset.project_id)
    return ReviewPage(version=_version_view(asset), versions=tuple(_stack(session, asset.project_id)),
                      comments=tuple(_comment_views(session, actor, asset)), my_role=role, stage=project.stage)


def version_stack(session: Session, actor: Actor | None, project_id: str) -> list[VersionView]:
    projects.access_project(session, actor, project_id, Action.VIEW_PROJECT)
    return _stack(session, project_id)


def list_comments(session: Session, actor: Actor | None, asset_id: str) -> list[CommentView]:
    asset, _ = access_asset(session, actor, asset_id, Action.VIEW_PROJECT, kind=MediaKind.VERSION)
    return _comment_views(session, actor, asset)


def add_comment(session: Session, actor: Actor | None, asset_id: str, body: str, *, at_ms: int,
                end_ms: int | None = None) -> CommentView:
    """A comment at ``at_ms`` (over ``at_ms``..``end_ms`` when given) of the version."""
    asset, _ = access_asset(session, actor, asset_id, Action.COMMENT_VERSION, kind=MediaKind.VERSION)
    at_ms, end_ms = _check_moment(asset, at_ms, end_ms)
    return _write(session, actor, asset, body, at_ms=at_ms, end_ms=end_ms, parent_id=None)


def reply_to_comment(session: Session, actor: Actor | None, comment_id: str, body: str) -> CommentView:
    """A reply sits at its comment's moment; a reply to a reply answers the same comment."""
    parent, asset = _comment(session, actor, comment_id, Action.COMMENT_VERSION)
    root_id = parent.parent_id or parent.id
    return _write(session, actor, asset, body, at_ms=parent.at_ms, end_ms=parent.end_ms, parent_id=root_id)


def resolve_comment(session: Session, actor: Actor | None, comment_id: str) -> CommentView:
    return _set_resolved(session, actor, comment_id, resolved=True)


def reopen_comment(session: Session, actor: Actor | None, comment_id: str) -> CommentView:
    return _set_resolved(session, actor, comment_id, resolved=False)


def approve_version(session: Session, actor: Actor | None, asset_id: str) -> Decision:
    """The producer approves this version: it becomes the project's approved one (only one is), the project moves
    to "approved", and the other members are told."""
    asset, _ = access_asset(session, actor, asset_id, Action.DECIDE_VERSION, kind=MediaKind.VERSION)
    if asset.status != ProcessingStatus.READY:
        raise InvalidInput("version", "This version is not ready yet: approve it once it can be watched.")
    project = _decidable_project(session, asset)
    now = utcnow()
    session.execute(sa.update(MediaAsset).where(MediaAsset.project_id == asset.project_id,
                                                MediaAsset.kind == MediaKind.VERSION, MediaAsset.id != asset.id)
                    .values(approved_at=None))
    asset.approved_at, asset.updated_at = now, now
    session.add(asset)
    _move(session, actor, project, Stage.APPROVED, projects.STAGE_CHANGED)
    projects.record(session, project.id, actor, VERSION_APPROVED, version=asset.version_number, asset_id=asset.id)
    return _decided(session, actor, asset, project, "version_approved", approved_asset_id=asset.id)


def request_changes(session: Session, actor: Actor | None, asset_id: str) -> Decision:
    """The producer sends the version back: the project returns to "editing" (it is no longer approved)."""
    asset, _ = access_asset(session, actor, asset_id, Action.DECIDE_VERSION, kind=MediaKind.VERSION)
    project = _decidable_project(session, asset)
    asset.approved_at, asset.updated_at = None, utcnow()
    session.add(asset)
    _move(session, actor, project, Stage.EDITING, projects.CHANGES_REQUESTED)
    approved = session.exec(select(MediaAsset.id).where(MediaAsset.project_id == project.id,
                                                        MediaAsset.approved_at.is_not(None)).limit(1)).first()
    return _decided(session, actor, asset, project, "changes_requested", approved_asset_id=approved)


def approved_version(session: Session, actor: Actor | None, project_id: str) -> VersionView | None:
    """The version a publication uses, if one is approved."""
    projects.access_project(session, actor, project_id, Action.VIEW_PROJECT)
    asset = session.exec(select(MediaAsset).where(MediaAsset.project_id == project_id,
                                                  MediaAsset.kind == MediaKind.VERSION,
                                                  MediaAsset.approved_at.is_not(None)).limit(1)).first()
    return _version_view(asset) if asset else None


# -- helpers ---------------------------------------------------------------------------------------


def _write(session: Session, actor: Actor, asset: MediaAsset, body: str, *, at_ms: int, end_ms: int | None,
           parent_id: str | None) -> CommentView:
    comment = ReviewComment(id=new_id(), asset_id=asset.id, project_id=asset.project_id, parent_id=parent_id,
                            author_id=actor.user_id, at_ms=at_ms, end_ms=end_ms, created_at=utcnow())
    key = project_key_of(session, asset.project_id)
    set_encrypted(comment, "body_encrypted", _check_body(body), data_key=key)
    session.add(comment)
    session.flush()
    notifications.notify(session, user_ids=thread_members(session, asset.project_id), kind="review_comment",
                         project_id=asset.project_id, actor_id=actor.user_id, subject_id=asset.id)
    return _view(comment, key, actor, display_names(session, [actor.user_id]))


def _set_resolved(session: Session, actor: Actor | None, comment_id: str, *, resolved: bool) -> CommentView:
    comment, asset = _comment(session, actor, comment_id, Action.RESOLVE_COMMENT)
    if comment.parent_id is not None:
        raise InvalidInput("comment", "Resolve the comment this reply answers.")
    comment.resolved_at, comment.resolved_by = (utcnow(), actor.user_id) if resolved else (None, None)
    session.add(comment)
    session.flush()
    return _view(comment, project_key_of(session, asset.project_id), actor,
                 display_names(session, [comment.author_id, comment.resolved_by]))


def _comment(session: Session, actor: Actor | None, comment_id: str, action: Action
             ) -> tuple[ReviewComment, MediaAsset]:
    comment = session.get(ReviewComment, comment_id) if is_row_id(comment_id) else None
    asset, _ = access_asset(session, actor, comment.asset_id if comment else None, action, kind=MediaKind.VERSION)
    return comment, asset


def _decidable_project(session: Session, asset: MediaAsset) -> Project:
    project = session.get(Project, asset.project_id)
    if project.stage not in DECIDABLE_STAGES:
        raise InvalidInput("version", f"The project is {project.stage}: its versions can no longer be decided on.")
    return project


def _move(session: Session, actor: Actor, project: Project, stage: Stage, kind: str) -> None:
    """Move the project to ``stage`` (conditional on the stage read, like ``projects.change_stage``)."""
    if project.stage == stage:
        return
    moved = session.execute(sa.update(Project).where(Project.id == project.id, Project.stage == project.stage)
                            .values(stage=str(stage), updated_at=utcnow()))
    if moved.rowcount != 1:
        raise InvalidInput("version", "Someone else changed the project's stage just now. Reload and try again.")
    projects.record(session, project.id, actor, kind, **{"from": str(project.stage), "to": str(stage)})


def _decided(session: Session, actor: Actor, asset: MediaAsset, project: Project, kind: str, *,
             approved_asset_id: str | None) -> Decision:
    members = thread_members(session, project.id)
    notifications.notify(session, user_ids=members, kind=kind, project_id=project.id, actor_id=actor.user_id,
                         subject_id=asset.id)
    session.flush()
    session.refresh(project)
    return Decision(asset_id=asset.id, project_id=project.id, stage=project.stage,
                    approved_asset_id=approved_asset_id, member_ids=tuple(members))


def _stack(session: Session, project_id: str) -> list[VersionView]:
    rows = session.exec(select(MediaAsset).where(MediaAsset.project_id == project_id,
                                                 MediaAsset.kind == MediaKind.VERSION)
                        .order_by(MediaAsset.version_number).limit(VERSIONS_MAX)).all()
    return [_version_view(row) for row in rows]


def _version_view(asset: MediaAsset) -> VersionView:
    return VersionView(id=asset.id, number=asset.version_number or 0, file_id=asset.file_id,
                       proxy_file_id=asset.proxy_file_id, status=asset.status, duration_ms=asset.duration_ms,
                       frame_rate=asset.frame_rate, approved=asset.approved_at is not None,
                       created_at=asset.created_at)


def _comment_views(session: Session, actor: Actor | None, asset: MediaAsset) -> list[CommentView]:
    rows = session.exec(select(ReviewComment).where(ReviewComment.asset_id == asset.id)
                        .order_by(ReviewComment.at_ms, ReviewComment.created_at, ReviewComment.id)
                        .limit(COMMENTS_MAX)).all()
    if not rows:
        return []
    key = project_key_of(session, asset.project_id)
    names = display_names(session, [person for row in rows for person in (row.author_id, row.resolved_by)])
    views = [_view(row, key, actor, names) for row in rows]
    replies: dict[str, list[CommentView]] = {}
    for view in views:
        if view.parent_id is not None:
            replies.setdefault(view.parent_id, []).append(view)
    ordered = []
    for view in views:
        if view.parent_id is None:
            ordered += [view, *sorted(replies.get(view.id, ()), key=lambda reply: (reply.created_at, reply.id))]
    return ordered


def _view(row: ReviewComment, key: DataKey, actor: Actor, names: dict[str, str]) -> CommentView:
    author = name_of(names, row.author_id)
    return CommentView(id=row.id, asset_id=row.asset_id, parent_id=row.parent_id, author_id=row.author_id,
                       author_name=author, author_initials=initials(author), at_ms=row.at_ms, end_ms=row.end_ms,
                       body=get_decrypted(row, "body_encrypted", data_key=key), resolved=row.resolved_at is not None,
                       resolved_by_name=name_of(names, row.resolved_by) if row.resolved_at else None,
                       is_mine=row.author_id == actor.user_id, created_at=row.created_at)


def _check_moment(asset: MediaAsset, at_ms: object, end_ms: object) -> tuple[int, int | None]:
    if not _is_whole(at_ms) or at_ms < 0:
        raise InvalidInput("at_ms", "Pick the moment of the video the comment is about.")
    if asset.duration_ms is not None and at_ms > asset.duration_ms:
        raise InvalidInput("at_ms", "This moment is past the end of the version.")
    if end_ms is None:
        return int(at_ms), None
    if not _is_whole(end_ms) or end_ms <= at_ms:
        raise InvalidInput("end_ms", "The end of the range must come after its start.")
    if asset.duration_ms is not None and end_ms > asset.duration_ms:
        raise InvalidInput("end_ms", "The range ends past the end of the version.")
    return int(at_ms), int(end_ms)


def _check_body(body: object) -> str:
    if not isinstance(body, str) or not body.strip():
        raise InvalidInput("body", "Write your comment first.")
    if len(body) > BODY_MAX:
        raise InvalidInput("body", f"A comment has at most {BODY_MAX:,} characters.")
    return body.strip()


def _is_whole(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)
