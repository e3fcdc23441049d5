"""The one place that answers "may this actor do this to that". Services call ``require``."""

from __future__ import annotations

import dataclasses
import enum

from studio_app.models.accounts import Role


class Action(enum.StrEnum):
    VIEW_OWN_ACCOUNT = "account.view"
    EDIT_OWN_ACCOUNT = "account.edit"
    LIST_SESSIONS = "session.list"
    REVOKE_SESSION = "session.revoke"


@dataclasses.dataclass(frozen=True)
class Actor:
    """Who is acting, as resolved from a live session; never taken from what a client sends."""

    user_id: str
    role: Role
    session_id: str

    @property
    def is_admin(self) -> bool:
        return self.role == Role.ADMIN


class NotAllowed(PermissionError):
    """The actor may not do this; the message is safe to show."""


def may(actor: Actor | None, action: Action, *, owner_id: str | None = None) -> bool:
    if actor is None:
        return False
    if action in (Action.VIEW_OWN_ACCOUNT, Action.EDIT_OWN_ACCOUNT, Action.LIST_SESSIONS):
        return owner_id is None or owner_id == actor.user_id
    if action == Action.REVOKE_SESSION:
        return owner_id == actor.user_id or actor.is_admin
    return False


def require_signed_in(actor: Actor | None) -> Actor:
    if actor is None:
        raise NotAllowed("Please sign in first.")
    return actor


def require(actor: Actor | None, action: Action, *, owner_id: str | None = None) -> Actor:
    actor = require_signed_in(actor)
    if not may(actor, action, owner_id=owner_id):
        raise NotAllowed("You are not allowed to do that.")
    return actor
