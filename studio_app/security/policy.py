"""The one place that answers "may this actor do this to that". Services call ``require``."""

from __future__ import annotations

import dataclasses
import enum

from studio_app.errors import UserError
from studio_app.models.accounts import Role


class Action(enum.StrEnum):
    VIEW_OWN_ACCOUNT = "account.view"
    EDIT_OWN_ACCOUNT = "account.edit"
    LIST_SESSIONS = "session.list"
    REVOKE_SESSION = "session.revoke"
    # Hiring
    EDIT_EDITOR_PROFILE = "profile.edit"
    BROWSE_DIRECTORY = "directory.browse"
    VIEW_PRODUCER_DASHBOARD = "dashboard.producer"
    VIEW_EDITOR_DASHBOARD = "dashboard.editor"
    # Projects (decided with the actor's membership of the project, see ``may_in_project``)
    CREATE_PROJECT = "project.create"
    VIEW_PROJECT = "project.view"
    EDIT_PROJECT = "project.edit"
    CHANGE_STAGE = "project.stage"
    INVITE_EDITOR = "project.invite"
    REMOVE_EDITOR = "project.remove_editor"
    MANAGE_MILESTONES = "milestone.manage"
    COMPLETE_MILESTONE = "milestone.complete"
    POST_MESSAGE = "message.post"
    EDIT_MESSAGE = "message.edit"
    # Media: members upload rushes and versions, and watch and download the project's media
    UPLOAD_MEDIA = "media.upload"
    VIEW_MEDIA = "media.view"
    # Media: derushing rushes, reviewing versions
    DERUSH = "media.derush"
    EDIT_SELECTION = "media.edit_selection"
    COMMENT_VERSION = "review.comment"
    RESOLVE_COMMENT = "review.resolve"
    DECIDE_VERSION = "review.decide"  # approve a version, or request changes
    RETRY_PROCESSING = "media.retry"
    # The project's Discord announcements channel (connect, disconnect)
    MANAGE_PROJECT_CHANNEL = "project.channel"
    # Publication of an approved version: producers schedule, reschedule and cancel; members follow it
    PUBLISH = "publication.publish"
    VIEW_PUBLICATIONS = "publication.view"
    # Privacy administration: answering requests, publishing policy versions, sending product news
    ADMINISTER_PRIVACY = "privacy.administer"
    # Operations: the background jobs that failed, and retrying them
    ADMINISTER_JOBS = "jobs.administer"
    # The provider sandbox's panel: its calls, and faults injected into it
    ADMINISTER_SANDBOX = "sandbox.administer"
    # Operations: health of each part, the queue, providers, mail failures, recent security events
    VIEW_OPERATIONS = "operations.view"
    # Detection: the security alerts its rules open, acknowledging and closing them
    ADMINISTER_SECURITY = "security.administer"
    # People: find accounts, suspend and restore them, sign them out, grant or remove the admin role
    ADMINISTER_PEOPLE = "people.administer"
    # Reading a project's content from the console (with a written reason its members see)
    READ_PROJECT_AS_ADMIN = "project.read_as_admin"
    # The register of disclosures to authorities, and the export of what was disclosed
    ADMINISTER_DISCLOSURES = "disclosures.administer"
    # Breach response: incidents, their containment, the authority report and the notice to affected people
    HANDLE_INCIDENTS = "incident.handle"


# Stage moves an editor may make on a project they work on; producers make any move.
EDITOR_STAGE_MOVES = {("derush", "editing"), ("editing", "review"), ("brief", "derush")}
MEMBER_ACTIONS = {Action.VIEW_PROJECT, Action.POST_MESSAGE, Action.UPLOAD_MEDIA, Action.VIEW_MEDIA, Action.DERUSH,
                  Action.COMMENT_VERSION, Action.RESOLVE_COMMENT, Action.RETRY_PROCESSING,
                  Action.VIEW_PUBLICATIONS}
PRODUCER_ACTIONS = {Action.EDIT_PROJECT, Action.CHANGE_STAGE, Action.INVITE_EDITOR, Action.REMOVE_EDITOR,
                    Action.MANAGE_MILESTONES, Action.COMPLETE_MILESTONE, Action.DECIDE_VERSION,
                    Action.MANAGE_PROJECT_CHANNEL, Action.PUBLISH}
ADMIN_ACTIONS = {Action.ADMINISTER_PRIVACY, Action.ADMINISTER_JOBS, Action.ADMINISTER_SANDBOX, Action.VIEW_OPERATIONS,
                 Action.ADMINISTER_SECURITY, Action.ADMINISTER_PEOPLE, Action.READ_PROJECT_AS_ADMIN,
                 Action.ADMINISTER_DISCLOSURES, Action.HANDLE_INCIDENTS}


@dataclasses.dataclass(frozen=True)
class Actor:
    """Who is acting, as resolved from a live session; never taken from what a client sends."""

    user_id: str
    role: Role
    session_id: str

    @property
    def is_admin(self) -> bool:
        return self.role == Role.ADMIN


class NotAllowed(UserError):
    """The actor may not do this; the message is safe to show."""


def may(actor: Actor | None, action: Action, *, owner_id: str | None = None) -> bool:
    if actor is None:
        return False
    if action in (Action.VIEW_OWN_ACCOUNT, Action.EDIT_OWN_ACCOUNT, Action.LIST_SESSIONS):
        return owner_id is None or owner_id == actor.user_id
    if action == Action.REVOKE_SESSION:
        return owner_id == actor.user_id or actor.is_admin
    if action == Action.EDIT_EDITOR_PROFILE:
        return actor.role == Role.EDITOR and (owner_id is None or owner_id == actor.user_id)
    if action == Action.BROWSE_DIRECTORY:
        return actor.role in (Role.PRODUCER, Role.ADMIN)
    if action == Action.VIEW_PRODUCER_DASHBOARD:
        return actor.role == Role.PRODUCER
    if action == Action.VIEW_EDITOR_DASHBOARD:
        return actor.role == Role.EDITOR
    if action == Action.CREATE_PROJECT:
        return actor.role == Role.PRODUCER
    if action in ADMIN_ACTIONS:
        return actor.is_admin
    return False


def may_in_project(
    actor: Actor | None,
    action: Action,
    member_role: str | None,
    *,
    author_id: str | None = None,
    owner_id: str | None = None,
    stage_move: tuple[str, str] | None = None,
) -> bool:
    """``member_role`` is the actor's current role in the project ("producer", "editor"), None if not a member.

    Only members act on a project; admins reach projects through the audited admin console, not here.
    """
    if actor is None or member_role is None:
        return False
    if action in MEMBER_ACTIONS:
        return True
    if action in (Action.EDIT_MESSAGE, Action.EDIT_SELECTION):
        return author_id == actor.user_id
    if action == Action.COMPLETE_MILESTONE and owner_id == actor.user_id:
        return True
    if action == Action.CHANGE_STAGE and member_role == "editor":
        return stage_move in EDITOR_STAGE_MOVES
    return action in PRODUCER_ACTIONS and member_role == "producer"


def require_in_project(actor: Actor | None, action: Action, member_role: str | None, **context) -> Actor:
    """Raises NotAllowed; a non-member is told the project does not exist, so ids are not an oracle."""
    actor = require_signed_in(actor)
    if member_role is None:
        raise NotAllowed("This project does not exist or you are not one of its members.")
    if not may_in_project(actor, action, member_role, **context):
        raise NotAllowed("You are not allowed to do that.")
    return actor


def require_signed_in(actor: Actor | None) -> Actor:
    if actor is None:
        raise NotAllowed("Please sign in first.")
    return actor


def require(actor: Actor | None, action: Action, *, owner_id: str | None = None) -> Actor:
    actor = require_signed_in(actor)
    if not may(actor, action, owner_id=owner_id):
        raise NotAllowed("You are not allowed to do that.")
    return actor
