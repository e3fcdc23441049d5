"""The producer's and the editor's home pages.

Each runs a fixed number of queries whatever the number of projects: counts are aggregated in SQL
and lists are limited, so nothing is fetched once per project.
"""

from __future__ import annotations

import dataclasses

import sqlalchemy as sa
from sqlmodel import Session, select

from studio_app.models.base import utcnow
from studio_app.models.projects import (
    Invitation,
    InvitationStatus,
    MemberRole,
    Message,
    Milestone,
    Project,
    ProjectDataKey,
    ProjectEvent,
    ProjectMember,
    Stage,
    ThreadReadMarker,
)
from studio_app.security.policy import Action, Actor, require
from studio_app.services.invitations import ReceivedInvitation, list_my_invitations
from studio_app.services.keys import unwrap_project_key
from studio_app.services.people import display_names
from studio_app.services.projects import (
    CHANGES_REQUESTED,
    FINAL_STAGES,
    STAGE_EVENT_KINDS,
    MilestoneView,
    ProjectSummary,
    milestone_view,
    summary,
    today,
)

NEXT_COUNT = 5
ASSIGNED_LIMIT = 100


@dataclasses.dataclass(frozen=True)
class ProducerDashboard:
    projects_by_stage: dict[str, int]
    next_deadlines: tuple[ProjectSummary, ...]
    next_milestones: tuple[MilestoneView, ...]
    pending_invitations_sent: int
    unread_messages: int
    versions_awaiting_review: int


@dataclasses.dataclass(frozen=True)
class EditorDashboard:
    invitations: tuple[ReceivedInvitation, ...]
    assigned_projects: tuple[ProjectSummary, ...]
    next_deadlines: tuple[ProjectSummary, ...]
    changes_requested: tuple[ProjectSummary, ...]
    unread_messages: int


def producer_dashboard(session: Session, actor: Actor | None) -> ProducerDashboard:
    actor = require(actor, Action.VIEW_PRODUCER_DASHBOARD)
    # A producer's projects are those they created (producer_id): an equality the composite indexes serve.
    mine = select(Project.id).where(Project.producer_id == actor.user_id).scalar_subquery()
    by_stage = dict(session.exec(
        select(Project.stage, sa.func.count()).where(Project.producer_id == actor.user_id).group_by(Project.stage)
    ).all())
    pending = session.exec(
        select(sa.func.count()).select_from(Invitation)
        .where(Invitation.project_id.in_(mine), Invitation.status == InvitationStatus.PENDING,
               Invitation.expires_at > utcnow())
    ).one()
    return ProducerDashboard(
        projects_by_stage={str(stage): by_stage.get(str(stage), 0) for stage in Stage},
        next_deadlines=_producer_deadlines(session, actor),
        next_milestones=_next_milestones(session, mine),
        pending_invitations_sent=pending,
        unread_messages=_unread_messages(session, actor),
        # There are no versions yet (the review issue brings them): nothing can await review.
        versions_awaiting_review=0,
    )


def editor_dashboard(session: Session, actor: Actor | None) -> EditorDashboard:
    actor = require(actor, Action.VIEW_EDITOR_DASHBOARD)
    assigned = _projects(session, actor, MemberRole.EDITOR, order=(Project.updated_at.desc(), Project.id),
                         limit=ASSIGNED_LIMIT)
    return EditorDashboard(
        invitations=tuple(list_my_invitations(session, actor)),
        assigned_projects=assigned,
        next_deadlines=_next_deadlines(session, actor, MemberRole.EDITOR),
        changes_requested=_changes_requested(session, actor),
        unread_messages=_unread_messages(session, actor),
    )


# -- helpers ---------------------------------------------------------------------------------------


def _my_project_ids(actor: Actor, role: MemberRole):
    return (
        select(ProjectMember.project_id)
        .where(ProjectMember.user_id == actor.user_id, ProjectMember.role == role, ProjectMember.removed_at.is_(None))
        .scalar_subquery()
    )


def _projects(session: Session, actor: Actor, role: MemberRole, *, order, limit: int, where=()):
    rows = session.exec(
        select(Project, ProjectDataKey.wrapped_key)
        .join(ProjectDataKey, ProjectDataKey.project_id == Project.id)
        .where(Project.id.in_(_my_project_ids(actor, role)), *where)
        .order_by(*order)
        .limit(limit)
    ).all()
    return tuple(summary(project, role, wrapped) for project, wrapped in rows)


def _next_deadlines(session: Session, actor: Actor, role: MemberRole) -> tuple[ProjectSummary, ...]:
    return _projects(session, actor, role, order=(Project.deadline, Project.id), limit=NEXT_COUNT,
                     where=(Project.deadline.is_not(None), Project.deadline >= today(),
                            Project.stage.not_in([str(stage) for stage in FINAL_STAGES])))


def _producer_deadlines(session: Session, actor: Actor) -> tuple[ProjectSummary, ...]:
    rows = session.exec(
        select(Project, ProjectDataKey.wrapped_key)
        .join(ProjectDataKey, ProjectDataKey.project_id == Project.id)
        .where(Project.producer_id == actor.user_id, Project.deadline.is_not(None), Project.deadline >= today(),
               Project.stage.not_in([str(stage) for stage in FINAL_STAGES]))
        .order_by(Project.deadline, Project.id)
        .limit(NEXT_COUNT)
    ).all()
    return tuple(summary(project, MemberRole.PRODUCER, wrapped) for project, wrapped in rows)


def _next_milestones(session: Session, project_ids) -> tuple[MilestoneView, ...]:
    rows = session.exec(
        select(Milestone, ProjectDataKey.wrapped_key)
        .join(ProjectDataKey, ProjectDataKey.project_id == Milestone.project_id)
        .where(Milestone.project_id.in_(project_ids), Milestone.done_at.is_(None))
        .order_by(Milestone.due_on, Milestone.id)
        .limit(NEXT_COUNT)
    ).all()
    names = display_names(session, (milestone.owner_id for milestone, _ in rows))
    return tuple(milestone_view(milestone, unwrap_project_key(milestone.project_id, wrapped), names)
                 for milestone, wrapped in rows)


def _changes_requested(session: Session, actor: Actor) -> tuple[ProjectSummary, ...]:
    """Projects in editing whose latest stage move was the producer's review -> editing."""
    latest = (
        select(ProjectEvent.project_id, sa.func.max(ProjectEvent.created_at).label("at"))
        .where(ProjectEvent.kind.in_(STAGE_EVENT_KINDS),
               ProjectEvent.project_id.in_(_my_project_ids(actor, MemberRole.EDITOR)))
        .group_by(ProjectEvent.project_id)
        .subquery()
    )
    requested = (
        select(ProjectEvent.project_id)
        .join(latest, sa.and_(latest.c.project_id == ProjectEvent.project_id, latest.c.at == ProjectEvent.created_at))
        .where(ProjectEvent.kind == CHANGES_REQUESTED)
    )
    return _projects(session, actor, MemberRole.EDITOR, order=(Project.updated_at.desc(), Project.id),
                     limit=ASSIGNED_LIMIT, where=(Project.stage == Stage.EDITING, Project.id.in_(requested)))


def _unread_messages(session: Session, actor: Actor) -> int:
    """Messages by others, not deleted, newer than the actor's read marker of that project's thread."""
    marker = ThreadReadMarker
    return session.exec(
        select(sa.func.count()).select_from(Message)
        .join(ProjectMember, sa.and_(ProjectMember.project_id == Message.project_id,
                                     ProjectMember.user_id == actor.user_id, ProjectMember.removed_at.is_(None)))
        .join(marker, sa.and_(marker.project_id == Message.project_id, marker.user_id == actor.user_id),
              isouter=True)
        .where(sa.or_(Message.author_id.is_(None), Message.author_id != actor.user_id),
               Message.deleted_at.is_(None),
               sa.or_(marker.last_read_at.is_(None), Message.created_at > marker.last_read_at))
    ).one()


