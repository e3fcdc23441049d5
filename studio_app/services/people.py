"""How people appear to the people they work with: display names and avatar initials, for many at once."""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable

from sqlmodel import Session, select

from studio_app.models.accounts import Role, User, UserDataKey
from studio_app.models.base import is_row_id
from studio_app.models.projects import ProjectMember
from studio_app.security.fields import get_decrypted
from studio_app.security.policy import Action, Actor, require
from studio_app.services.keys import unwrap_user_key

# Shown for a person whose account (or data key) was erased: their messages and actions stay in place.
DELETED_USER = "Deleted user"
DELETED_INITIALS = "?"


def display_names(session: Session, user_ids: Iterable[str | None]) -> dict[str, str]:
    """Each user's display name, decrypted under that user's data key; one query for all of them."""
    wanted = sorted({user_id for user_id in user_ids if is_row_id(user_id)})
    if not wanted:
        return {}
    rows = session.exec(
        select(User, UserDataKey.wrapped_key)
        .outerjoin(UserDataKey, UserDataKey.user_id == User.id)
        .where(User.id.in_(wanted))
        .limit(len(wanted))
    ).all()
    names = dict.fromkeys(wanted, DELETED_USER)
    for user, wrapped in rows:
        if wrapped is not None:
            names[user.id] = get_decrypted(user, "display_name_encrypted", data_key=unwrap_user_key(user.id, wrapped))
    return names


def name_of(names: dict[str, str], user_id: str | None) -> str:
    return names.get(user_id or "", DELETED_USER)


def initials(name: str) -> str:
    if name == DELETED_USER:
        return DELETED_INITIALS
    words = name.split()
    return "".join(word[0] for word in words[:2]).upper() or DELETED_INITIALS


@dataclasses.dataclass(frozen=True)
class SeenBy:
    """Where a person's name shows to others: their projects, the people in them and, for an editor, the
    editor directory."""

    project_ids: tuple[str, ...]
    member_ids: tuple[str, ...]
    directory: bool


SEEN_BY_PROJECTS_MAX = 500


def seen_by(session: Session, actor: Actor | None) -> SeenBy:
    """The actor's current projects and the other current members of those (for refreshing their open pages)."""
    actor = require(actor, Action.VIEW_OWN_ACCOUNT)
    mine = select(ProjectMember.project_id).where(ProjectMember.user_id == actor.user_id,
                                                  ProjectMember.removed_at.is_(None)).limit(SEEN_BY_PROJECTS_MAX)
    project_ids = tuple(session.exec(mine).all())
    others = session.exec(
        select(ProjectMember.user_id).distinct()
        .where(ProjectMember.project_id.in_(project_ids), ProjectMember.user_id != actor.user_id,
               ProjectMember.removed_at.is_(None)).limit(SEEN_BY_PROJECTS_MAX * 10)
    ).all() if project_ids else []
    return SeenBy(project_ids=project_ids, member_ids=tuple(sorted(others)), directory=actor.role == Role.EDITOR)
