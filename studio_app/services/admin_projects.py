"""An admin reading a project's content (its brief and thread), read-only.

Admins are not members (security/policy.may_in_project): the console is their only way in, and it asks for a
written reason each time. The reading is audited and written to the project's activity with that reason, sealed
under the project's key, so the members see who read it and why.
"""

from __future__ import annotations

import dataclasses
from datetime import datetime

from sqlmodel import Session, select

from studio_app.errors import NotFound
from studio_app.models.admin import AdminProjectAccess
from studio_app.models.base import is_row_id
from studio_app.models.projects import Message, Project, ProjectMember
from studio_app.security.fields import get_decrypted, set_encrypted
from studio_app.security.policy import Action, Actor, require
from studio_app.services import audit, projects
from studio_app.services.accounts import require_recent_reauthentication
from studio_app.services.admin_users import check_reason
from studio_app.services.keys import project_key_of
from studio_app.services.people import display_names, name_of

MESSAGES_SHOWN = 100


@dataclasses.dataclass(frozen=True)
class ThreadLine:
    author_name: str
    body: str
    created_at: datetime


@dataclasses.dataclass(frozen=True)
class AdminProjectView:
    id: str
    title: str
    brief_markdown: str
    stage: str
    members: tuple[tuple[str, str], ...]  # (name, role)
    messages: tuple[ThreadLine, ...]  # oldest first, the latest MESSAGES_SHOWN


def read_project(session: Session, actor: Actor | None, project_id: str, reason: str) -> AdminProjectView:
    actor = require(actor, Action.READ_PROJECT_AS_ADMIN)
    require_recent_reauthentication(session, actor)
    reason = check_reason(reason)
    project = session.get(Project, project_id) if is_row_id(project_id) else None
    if project is None:
        raise NotFound("No project has this id.")
    key = project_key_of(session, project.id)
    access = AdminProjectAccess(project_id=project.id, admin_id=actor.user_id)
    set_encrypted(access, "reason_encrypted", reason, data_key=key)
    session.add(access)
    session.flush()
    projects.record(session, project.id, actor, projects.ADMIN_READ, access_id=access.id)
    audit.record_event(session, "admin.project_read", actor_id=actor.user_id, subject_id=project.id,
                       details={"access_id": access.id})
    return _view(session, project, key)


def _view(session: Session, project: Project, key) -> AdminProjectView:
    members = session.exec(select(ProjectMember.user_id, ProjectMember.role)
                           .where(ProjectMember.project_id == project.id, ProjectMember.removed_at.is_(None))
                           .order_by(ProjectMember.joined_at).limit(200)).all()
    messages = list(reversed(session.exec(
        select(Message).where(Message.project_id == project.id, Message.deleted_at.is_(None))
        .order_by(Message.created_at.desc(), Message.id.desc()).limit(MESSAGES_SHOWN)).all()))
    names = display_names(session, [user_id for user_id, _ in members] + [row.author_id for row in messages])
    return AdminProjectView(
        id=project.id, title=get_decrypted(project, "title_encrypted", data_key=key) or "",
        brief_markdown=get_decrypted(project, "brief_encrypted", data_key=key) or "", stage=project.stage,
        members=tuple((name_of(names, user_id), role) for user_id, role in members),
        messages=tuple(ThreadLine(author_name=name_of(names, row.author_id),
                                  body=get_decrypted(row, "body_encrypted", data_key=key) or "",
                                  created_at=row.created_at) for row in messages),
    )
