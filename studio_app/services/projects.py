"""Projects: creation, brief, stages, the activity timeline and milestones.

Every function resolves the actor's membership first, so a non-member gets the same answer for
a project they are not in as for one that does not exist. Title, brief and milestone titles are
sealed under the project's key (services/keys.py), shared by its members.
"""

from __future__ import annotations

import dataclasses
from datetime import date, datetime, timedelta
from typing import Any

import sqlalchemy as sa
from sqlmodel import Session, select

from studio_app.models.admin import AdminProjectAccess
from studio_app.models.base import is_row_id, new_id, utcnow
from studio_app.models.projects import (
    MemberRole,
    Milestone,
    Notification,
    Project,
    ProjectDataKey,
    ProjectEvent,
    ProjectMember,
    Stage,
)
from studio_app.security.fields import get_decrypted, set_encrypted
from studio_app.security.policy import Action, Actor, require, require_in_project, require_signed_in
from studio_app.services import notifications
from studio_app.services.keys import create_project_key, project_key_of, unwrap_project_key
from studio_app.services.people import display_names, name_of
from studio_app.services.threads import thread_members
from studio_app.services.validation import InvalidInput, check_line

TITLE_MAX = 120
BRIEF_MAX = 20_000
PLATFORMS = ("tiktok", "discord")
VIDEO_FORMATS = ("vertical_9_16", "horizontal_16_9", "square_1_1")
FINAL_STAGES = frozenset({Stage.PUBLISHED, Stage.CANCELLED, Stage.ARCHIVED})
STAGE_MOVES = frozenset(
    {
        (Stage.BRIEF, Stage.DERUSH), (Stage.DERUSH, Stage.EDITING), (Stage.EDITING, Stage.REVIEW),
        (Stage.REVIEW, Stage.APPROVED), (Stage.APPROVED, Stage.SCHEDULED), (Stage.SCHEDULED, Stage.PUBLISHED),
        (Stage.REVIEW, Stage.EDITING),
        (Stage.PUBLISHED, Stage.ARCHIVED), (Stage.CANCELLED, Stage.ARCHIVED),
    }
    | {(stage, Stage.CANCELLED) for stage in Stage if stage not in FINAL_STAGES}
)
# Timeline kinds; a review -> editing move is recorded as its own kind: the editor's "requested changes".
STAGE_CHANGED = "project.stage_changed"
CHANGES_REQUESTED = "project.changes_requested"
STAGE_EVENT_KINDS = (STAGE_CHANGED, CHANGES_REQUESTED)
MEMBER_REMOVED = "member.removed"
# An admin read the project's content from the console; members see it with the reason given.
ADMIN_READ = "admin.content_read"
TIMELINE_LIMIT_MAX = 200
LIST_LIMIT_MAX = 200


@dataclasses.dataclass(frozen=True)
class MemberView:
    user_id: str
    display_name: str
    role: str


@dataclasses.dataclass(frozen=True)
class ProjectView:
    id: str
    title: str
    brief_markdown: str  # stored as typed; the UI renders it without raw HTML
    platforms: tuple[str, ...]
    video_format: str
    deadline: date | None
    stage: str
    my_role: str
    members: tuple[MemberView, ...]
    created_at: datetime
    updated_at: datetime


@dataclasses.dataclass(frozen=True)
class ProjectSummary:
    id: str
    title: str
    stage: str
    deadline: date | None
    my_role: str
    updated_at: datetime


@dataclasses.dataclass(frozen=True)
class TimelineEntry:
    id: str
    kind: str
    actor_id: str | None
    actor_name: str
    details: dict[str, Any]
    created_at: datetime
    subject: str = ""  # what the event is about, in words: the milestone's title, the removed member's name


@dataclasses.dataclass(frozen=True)
class MilestoneView:
    id: str
    project_id: str
    title: str
    due_on: date
    owner_id: str | None
    owner_name: str
    done: bool
    overdue: bool


# -- projects --------------------------------------------------------------------------------------


def create_project(session: Session, actor: Actor | None, *, title: str, brief_markdown: str, platforms,
                   video_format: str, deadline: date | str | None) -> ProjectView:
    actor = require(actor, Action.CREATE_PROJECT)
    title, brief = check_title(title), _check_brief(brief_markdown)
    platforms, video_format = _check_platforms(platforms), _check_format(video_format)
    deadline = check_future_date(deadline, "deadline", required=False)
    project = Project(id=new_id(), producer_id=actor.user_id, platforms=platforms, video_format=video_format,
                      deadline=deadline, stage=Stage.BRIEF)
    key = create_project_key(session, project.id)
    set_encrypted(project, "title_encrypted", title, data_key=key)
    set_encrypted(project, "brief_encrypted", brief, data_key=key)
    session.add(project)
    session.flush()
    session.add(ProjectMember(project_id=project.id, user_id=actor.user_id, role=MemberRole.PRODUCER))
    record(session, project.id, actor, "project.created", stage=Stage.BRIEF)
    session.flush()
    return _project_view(session, project, MemberRole.PRODUCER)


def get_project(session: Session, actor: Actor | None, project_id: str) -> ProjectView:
    role = access_project(session, actor, project_id, Action.VIEW_PROJECT)
    return _project_view(session, session.get(Project, project_id), role)


def update_brief(session: Session, actor: Actor | None, project_id: str, brief_markdown: str) -> ProjectView:
    role = access_project(session, actor, project_id, Action.EDIT_PROJECT)
    brief = _check_brief(brief_markdown)
    project = session.get(Project, project_id)
    set_encrypted(project, "brief_encrypted", brief, data_key=project_key_of(session, project.id))
    project.updated_at = utcnow()
    session.add(project)
    record(session, project.id, actor, "project.brief_updated")
    session.flush()
    return _project_view(session, project, role)


def change_stage(session: Session, actor: Actor | None, project_id: str, new_stage: str) -> ProjectView:
    role = access_project(session, actor, project_id, Action.VIEW_PROJECT)
    if new_stage not in tuple(Stage):
        raise InvalidInput("stage", "Choose a stage from the list.")
    project = session.get(Project, project_id)
    move = (Stage(project.stage), Stage(new_stage))
    if move not in STAGE_MOVES:
        raise InvalidInput("stage", f"A project cannot go from {move[0]} to {move[1]}.")
    require_in_project(actor, Action.CHANGE_STAGE, role, stage_move=(str(move[0]), str(move[1])))
    # Conditional on the stage read above: two members moving it at once cannot both succeed.
    now = utcnow()
    moved = session.execute(
        sa.update(Project).where(Project.id == project.id, Project.stage == project.stage)
        .values(stage=str(move[1]), updated_at=now)
    )
    if moved.rowcount != 1:
        raise InvalidInput("stage", "Someone else changed the stage just now. Reload and try again.")
    kind = CHANGES_REQUESTED if move == (Stage.REVIEW, Stage.EDITING) else STAGE_CHANGED
    record(session, project.id, actor, kind, **{"from": str(move[0]), "to": str(move[1])})
    notification_kind = "review_requested" if move[1] == Stage.REVIEW else "stage_change"
    notifications.notify(session, user_ids=thread_members(session, project.id), kind=notification_kind,
                         project_id=project.id, actor_id=actor.user_id, subject_id=str(move[1]))
    session.flush()
    session.refresh(project)
    return _project_view(session, project, role)


def project_timeline(session: Session, actor: Actor | None, project_id: str, limit: int = 50) -> list[TimelineEntry]:
    access_project(session, actor, project_id, Action.VIEW_PROJECT)
    events = session.exec(
        select(ProjectEvent).where(ProjectEvent.project_id == project_id)
        .order_by(ProjectEvent.created_at.desc(), ProjectEvent.id.desc())
        .limit(_clamp(limit, TIMELINE_LIMIT_MAX))
    ).all()
    # Details hold ids only: the names and titles they point to are read now, as members see them today.
    names = display_names(session, [event.actor_id for event in events]
                          + [event.details.get("user_id") for event in events if event.kind == MEMBER_REMOVED])
    milestones = _milestone_titles(session, project_id, {event.details.get("milestone_id") for event in events})
    reasons = _admin_read_reasons(session, project_id, {event.details.get("access_id") for event in events
                                                        if event.kind == ADMIN_READ})
    return [
        TimelineEntry(id=event.id, kind=event.kind, actor_id=event.actor_id, actor_name=name_of(names, event.actor_id),
                      details=dict(event.details), created_at=event.created_at,
                      subject=name_of(names, event.details.get("user_id")) if event.kind == MEMBER_REMOVED
                      else reasons.get(event.details.get("access_id"), "") if event.kind == ADMIN_READ
                      else milestones.get(event.details.get("milestone_id"), ""))
        for event in events
    ]


def _admin_read_reasons(session: Session, project_id: str, access_ids: set) -> dict[str, str]:
    wanted = sorted(value for value in access_ids if is_row_id(value))
    if not wanted:
        return {}
    key = project_key_of(session, project_id)
    rows = session.exec(select(AdminProjectAccess).where(AdminProjectAccess.project_id == project_id,
                                                         AdminProjectAccess.id.in_(wanted)).limit(len(wanted))).all()
    return {row.id: get_decrypted(row, "reason_encrypted", data_key=key) for row in rows}


def _milestone_titles(session: Session, project_id: str, milestone_ids: set) -> dict[str, str]:
    wanted = sorted(value for value in milestone_ids if is_row_id(value))
    if not wanted:
        return {}
    key = project_key_of(session, project_id)
    rows = session.exec(select(Milestone).where(Milestone.project_id == project_id, Milestone.id.in_(wanted))
                        .limit(len(wanted))).all()
    return {row.id: get_decrypted(row, "title_encrypted", data_key=key) for row in rows}


def list_my_projects(session: Session, actor: Actor | None, limit: int = 100) -> list[ProjectSummary]:
    actor = require_signed_in(actor)
    rows = session.exec(
        select(Project, ProjectMember.role, ProjectDataKey.wrapped_key)
        .join(ProjectMember, ProjectMember.project_id == Project.id)
        .join(ProjectDataKey, ProjectDataKey.project_id == Project.id)
        .where(ProjectMember.user_id == actor.user_id, ProjectMember.removed_at.is_(None))
        .order_by(Project.updated_at.desc(), Project.id)
        .limit(_clamp(limit, LIST_LIMIT_MAX))
    ).all()
    return [summary(project, role, wrapped) for project, role, wrapped in rows]


# -- milestones ------------------------------------------------------------------------------------


def add_milestone(session: Session, actor: Actor | None, project_id: str, title: str, due_on: date | str,
                  owner_id: str) -> MilestoneView:
    access_project(session, actor, project_id, Action.MANAGE_MILESTONES)
    title = check_title(title)
    due_on = check_future_date(due_on, "due_on", required=True)
    if member_role(session, owner_id, project_id) is None:
        raise InvalidInput("owner_id", "Choose a member of the project as the owner.")
    milestone = Milestone(id=new_id(), project_id=project_id, due_on=due_on, owner_id=owner_id)
    set_encrypted(milestone, "title_encrypted", title, data_key=project_key_of(session, project_id))
    session.add(milestone)
    record(session, project_id, actor, "milestone.added", milestone_id=milestone.id, owner_id=owner_id)
    session.flush()
    return _milestone_views(session, [milestone], title_key=project_key_of(session, project_id))[0]


def complete_milestone(session: Session, actor: Actor | None, milestone_id: str) -> MilestoneView:
    """The project's producer or the milestone's owner; completing a done milestone changes nothing."""
    milestone = session.get(Milestone, milestone_id) if is_row_id(milestone_id) else None
    role = member_role(session, actor.user_id if actor else None, milestone.project_id) if milestone else None
    require_in_project(actor, Action.COMPLETE_MILESTONE, role, owner_id=milestone.owner_id if milestone else None)
    if milestone.done_at is None:
        milestone.done_at = utcnow()
        session.add(milestone)
        record(session, milestone.project_id, actor, "milestone.completed", milestone_id=milestone.id)
        session.flush()
    return _milestone_views(session, [milestone], title_key=project_key_of(session, milestone.project_id))[0]


def list_milestones(session: Session, actor: Actor | None, project_id: str, limit: int = 100) -> list[MilestoneView]:
    access_project(session, actor, project_id, Action.VIEW_PROJECT)
    milestones = session.exec(
        select(Milestone).where(Milestone.project_id == project_id)
        .order_by(Milestone.done_at.is_not(None), Milestone.due_on, Milestone.id)
        .limit(_clamp(limit, LIST_LIMIT_MAX))
    ).all()
    return _milestone_views(session, milestones, title_key=project_key_of(session, project_id))


# -- shared with invitations and dashboards ---------------------------------------------------------


def member_role(session: Session, user_id: str | None, project_id: str) -> str | None:
    """The user's current role in the project, None if they are not (or no longer) a member."""
    if not is_row_id(user_id) or not is_row_id(project_id):
        return None
    return session.exec(
        select(ProjectMember.role).where(ProjectMember.project_id == project_id, ProjectMember.user_id == user_id,
                                         ProjectMember.removed_at.is_(None))
    ).first()


def access_project(session: Session, actor: Actor | None, project_id: str, action: Action, **context) -> str:
    """The actor's role in the project once ``action`` is allowed; raises NotAllowed otherwise."""
    role = member_role(session, actor.user_id if actor else None, project_id)
    require_in_project(actor, action, role, **context)
    return role


def record(session: Session, project_id: str, actor: Actor | None, kind: str, **details) -> None:
    """Append to the project's timeline; details hold ids and enum values only, never content."""
    session.add(ProjectEvent(project_id=project_id, actor_id=actor.user_id if actor else None, kind=kind,
                             details=details))


def summary(project: Project, role: str, wrapped_key: bytes) -> ProjectSummary:
    key = unwrap_project_key(project.id, wrapped_key)
    return ProjectSummary(id=project.id, title=get_decrypted(project, "title_encrypted", data_key=key),
                          stage=project.stage, deadline=project.deadline, my_role=str(role),
                          updated_at=project.updated_at)


def today() -> date:
    return utcnow().date()


def check_title(title: object, field: str = "title") -> str:
    return check_line(title, field=field, max_length=TITLE_MAX, missing="Give it a title.")


def check_future_date(value: object, field: str, *, required: bool) -> date | None:
    if value is None or value == "":
        if required:
            raise InvalidInput(field, "Choose a date.")
        return None
    if isinstance(value, str):
        try:
            value = date.fromisoformat(value)
        except ValueError:
            raise InvalidInput(field, "Give a date like 2027-01-31.") from None
    if isinstance(value, datetime) or not isinstance(value, date):
        raise InvalidInput(field, "Give a date like 2027-01-31.")
    if value < today():
        raise InvalidInput(field, "Choose today or a later date.")
    return value


# -- helpers ---------------------------------------------------------------------------------------


def _check_brief(brief: object) -> str:
    if brief is None:
        return ""
    if not isinstance(brief, str):
        raise InvalidInput("brief_markdown", "Write the brief as text.")
    if len(brief) > BRIEF_MAX:
        raise InvalidInput("brief_markdown", f"A brief has at most {BRIEF_MAX:,} characters.")
    if "\x00" in brief:
        raise InvalidInput("brief_markdown", "The brief contains a character that cannot be stored.")
    return brief


def _check_platforms(platforms: object) -> list[str]:
    if isinstance(platforms, str) or not isinstance(platforms, list | tuple | set | frozenset):
        raise InvalidInput("platforms", "Choose TikTok, Discord, both or none.")
    if any(platform not in PLATFORMS for platform in platforms):
        raise InvalidInput("platforms", "Choose TikTok, Discord, both or none.")
    return [platform for platform in PLATFORMS if platform in platforms]


def _check_format(video_format: object) -> str:
    if video_format not in VIDEO_FORMATS:
        raise InvalidInput("video_format", "Choose vertical 9:16, horizontal 16:9 or square 1:1.")
    return video_format


def _clamp(limit: object, maximum: int) -> int:
    try:
        return max(1, min(int(limit), maximum))
    except (TypeError, ValueError):
        return maximum


def _project_view(session: Session, project: Project, my_role: str) -> ProjectView:
    key = project_key_of(session, project.id)
    members = session.exec(
        select(ProjectMember).where(ProjectMember.project_id == project.id, ProjectMember.removed_at.is_(None))
        .order_by(ProjectMember.joined_at).limit(LIST_LIMIT_MAX)
    ).all()
    names = display_names(session, (member.user_id for member in members))
    return ProjectView(
        id=project.id,
        title=get_decrypted(project, "title_encrypted", data_key=key),
        brief_markdown=get_decrypted(project, "brief_encrypted", data_key=key) or "",
        platforms=tuple(project.platforms),
        video_format=project.video_format,
        deadline=project.deadline,
        stage=project.stage,
        my_role=str(my_role),
        members=tuple(MemberView(user_id=m.user_id, display_name=name_of(names, m.user_id), role=m.role)
                      for m in members),
        created_at=project.created_at,
        updated_at=project.updated_at,
    )


def _milestone_views(session: Session, milestones, *, title_key) -> list[MilestoneView]:
    names = display_names(session, (milestone.owner_id for milestone in milestones))
    return [milestone_view(milestone, title_key, names) for milestone in milestones]


def milestone_view(milestone: Milestone, title_key, names: dict[str, str]) -> MilestoneView:
    done = milestone.done_at is not None
    return MilestoneView(
        id=milestone.id, project_id=milestone.project_id,
        title=get_decrypted(milestone, "title_encrypted", data_key=title_key),
        due_on=milestone.due_on, owner_id=milestone.owner_id, owner_name=name_of(names, milestone.owner_id),
        done=done, overdue=not done and milestone.due_on < today(),
    )


def notify_due_milestones(session: Session, *, today_: date | None = None, limit: int = 500) -> int:
    """Tell each open milestone's owner (or the producer when it has none) once, the day before it is due.

    A job, not a person, calls this: there is no actor to authorize.
    """
    due_by = (today_ or today()) + timedelta(days=1)
    already_told = (
        select(Notification.id)
        .where(Notification.kind == "milestone_due", Notification.subject_id == Milestone.id)
        .exists()
    )
    rows = session.exec(
        select(Milestone.id, Milestone.project_id, sa.func.coalesce(Milestone.owner_id, Project.producer_id))
        .join(Project, Project.id == Milestone.project_id)
        .where(Milestone.done_at.is_(None), Milestone.due_on <= due_by, ~already_told,
               Project.stage.not_in([str(stage) for stage in FINAL_STAGES]))
        .order_by(Milestone.due_on, Milestone.id)
        .limit(limit)
    ).all()
    for milestone_id, project_id, recipient in rows:
        if recipient:
            notifications.notify(session, user_ids=[recipient], kind="milestone_due", project_id=project_id,
                                 subject_id=milestone_id)
    return len(rows)
