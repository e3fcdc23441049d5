"""The admin console's people: find an account by its exact email, see its status (never its content), suspend and
restore it, sign it out everywhere, grant or remove the admin role.

Everything here is for admins (``Action.ADMINISTER_PEOPLE``) and audited. Suspending, restoring and role changes are
sensitive: they need the admin's password entered in the last minutes (``accounts.reauthenticate``). Granting the
admin role while another admin exists takes two admins: one asks, a different one approves.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable
from datetime import datetime

import sqlalchemy as sa
from sqlmodel import Session, select

from studio_app.errors import NotFound
from studio_app.models.accounts import Role, User, UserSession
from studio_app.models.admin import AccountSuspension, AdminRoleRequest, RoleRequestStatus
from studio_app.models.base import is_row_id, utcnow
from studio_app.models.connections import ConnectedAccount
from studio_app.models.projects import Project, ProjectMember
from studio_app.security.blind_index import email_index
from studio_app.security.fields import get_decrypted, set_encrypted
from studio_app.security.keyring import current_keys
from studio_app.security.policy import Action, Actor, NotAllowed, require
from studio_app.services import audit, sessions
from studio_app.services.accounts import require_recent_reauthentication
from studio_app.services.keys import DataKeyMissing, data_key_of
from studio_app.services.people import display_names, name_of
from studio_app.services.validation import InvalidInput, check_email

REASON_MAX = 1_000
BULK_MAX = 10_000
SESSIONS_SHOWN = 20
PROJECTS_SHOWN = 50
NO_SUCH_ACCOUNT = "No account has this id."
DEMOTED_ROLES = (Role.PRODUCER, Role.EDITOR)


@dataclasses.dataclass(frozen=True)
class SessionSummary:
    device: str
    approximate_ip: str  # the network part only (sessions.approximate_ip)
    created_at: datetime
    last_used_at: datetime


@dataclasses.dataclass(frozen=True)
class ConnectionSummary:
    provider: str
    status: str
    connected_at: datetime


@dataclasses.dataclass(frozen=True)
class ProjectSummary:
    """A project the person belongs to, without its content: reading that takes a reason (admin_projects.py)."""

    id: str
    role: str
    stage: str
    created_at: datetime


@dataclasses.dataclass(frozen=True)
class RoleRequestView:
    id: str
    user_id: str
    user_name: str
    requested_by_name: str
    requested_at: datetime
    mine: bool  # asked by the viewing admin, who therefore cannot approve it


@dataclasses.dataclass(frozen=True)
class UserDetails:
    id: str
    email: str
    display_name: str
    role: str
    verified: bool
    created_at: datetime
    suspended_at: datetime | None
    suspension_reason: str
    live_sessions: int
    last_seen_at: datetime | None
    sessions: tuple[SessionSummary, ...]
    connections: tuple[ConnectionSummary, ...]
    projects: tuple[ProjectSummary, ...]
    pending_admin_request: RoleRequestView | None
    is_me: bool


# -- finding and seeing ----------------------------------------------------------------------------


def find_user(session: Session, actor: Actor | None, email: str) -> str | None:
    """The id of the account with exactly this address (through its blind index), or None: no listing, no prefix."""
    actor = require(actor, Action.ADMINISTER_PEOPLE)
    email = check_email(email)
    user_id = session.exec(select(User.id).where(User.email_index == email_index(current_keys().index_key, email))
                           ).first()
    audit.record_event(session, "admin.user_looked_up", actor_id=actor.user_id, subject_id=user_id,
                       details={"found": user_id is not None})
    return user_id


def user_details(session: Session, actor: Actor | None, user_id: str) -> UserDetails:
    actor = require(actor, Action.ADMINISTER_PEOPLE)
    user = _user(session, user_id)
    key = data_key_of(session, user.id)
    now = utcnow()
    live = session.exec(
        select(UserSession).where(UserSession.user_id == user.id, UserSession.revoked_at.is_(None),
                                  UserSession.idle_expires_at > now, UserSession.absolute_expires_at > now)
        .order_by(UserSession.last_used_at.desc()).limit(SESSIONS_SHOWN)
    ).all()
    live_count = session.exec(
        select(sa.func.count()).select_from(UserSession).where(
            UserSession.user_id == user.id, UserSession.revoked_at.is_(None), UserSession.idle_expires_at > now,
            UserSession.absolute_expires_at > now)
    ).one()
    last_seen = session.exec(select(sa.func.max(UserSession.last_used_at)).where(UserSession.user_id == user.id)).one()
    connections = session.exec(select(ConnectedAccount.provider, ConnectedAccount.status,
                                      ConnectedAccount.connected_at)
                               .where(ConnectedAccount.user_id == user.id).limit(10)).all()
    projects = session.exec(
        select(Project.id, ProjectMember.role, Project.stage, Project.created_at)
        .join(ProjectMember, ProjectMember.project_id == Project.id)
        .where(ProjectMember.user_id == user.id, ProjectMember.removed_at.is_(None))
        .order_by(Project.created_at.desc()).limit(PROJECTS_SHOWN)
    ).all()
    suspension = _open_suspension(session, user.id) if user.suspended_at else None
    pending = [view for view in pending_role_requests(session, actor) if view.user_id == user.id]
    return UserDetails(
        id=user.id, email=get_decrypted(user, "email_encrypted", data_key=key) or "",
        display_name=get_decrypted(user, "display_name_encrypted", data_key=key) or "", role=user.role,
        verified=user.email_verified_at is not None, created_at=user.created_at, suspended_at=user.suspended_at,
        suspension_reason=get_decrypted(suspension, "reason_encrypted", data_key=key) if suspension else "",
        live_sessions=live_count, last_seen_at=last_seen,
        sessions=tuple(SessionSummary(
            device=sessions.describe_user_agent(get_decrypted(row, "user_agent_encrypted", data_key=key)),
            approximate_ip=sessions.approximate_ip(get_decrypted(row, "ip_address_encrypted", data_key=key)),
            created_at=row.created_at, last_used_at=row.last_used_at) for row in live),
        connections=tuple(ConnectionSummary(provider=provider, status=status, connected_at=connected_at)
                          for provider, status, connected_at in connections),
        projects=tuple(ProjectSummary(id=project_id, role=role, stage=stage, created_at=created_at)
                       for project_id, role, stage, created_at in projects),
        pending_admin_request=pending[0] if pending else None,
        is_me=user.id == actor.user_id,
    )


# -- suspending ------------------------------------------------------------------------------------


def suspend_user(session: Session, actor: Actor | None, user_id: str, reason: str) -> None:
    """No sign-in while suspended; every session ends now (open tabs are signed out live)."""
    actor = _sensitive(session, actor)
    reason = check_reason(reason)
    user = _user(session, user_id)
    if user.suspended_at is not None:
        raise InvalidInput("reason", "This account is already suspended.")
    _suspend(session, actor, user, reason)


def suspend_users(session: Session, actor: Actor | None, user_ids: Iterable[str], reason: str) -> int:
    """Suspend many accounts at once (breach containment); those already suspended, unknown ids and the acting
    admin are skipped. Returns how many were suspended now."""
    actor = _sensitive(session, actor)
    reason = check_reason(reason)
    wanted = sorted({user_id for user_id in user_ids if is_row_id(user_id) and user_id != actor.user_id})
    if len(wanted) > BULK_MAX:
        raise InvalidInput("user_ids", f"Suspend at most {BULK_MAX:,} accounts at once.")
    suspended = 0
    for start in range(0, len(wanted), 500):
        users = session.exec(select(User).where(User.id.in_(wanted[start:start + 500]), User.suspended_at.is_(None))
                             ).all()
        for user in users:
            _suspend(session, actor, user, reason)
            suspended += 1
    return suspended


def restore_user(session: Session, actor: Actor | None, user_id: str, reason: str) -> None:
    actor = _sensitive(session, actor)
    reason = check_reason(reason)
    user = _user(session, user_id)
    if user.suspended_at is None:
        raise InvalidInput("reason", "This account is not suspended.")
    suspension = _open_suspension(session, user.id)
    if suspension is not None:
        suspension.restored_at, suspension.restored_by = utcnow(), actor.user_id
        set_encrypted(suspension, "restore_reason_encrypted", reason, data_key=data_key_of(session, user.id))
        session.add(suspension)
    user.suspended_at = None
    session.add(user)
    audit.record_event(session, "admin.user_restored", actor_id=actor.user_id, subject_id=user.id)


def sign_out_everywhere(session: Session, actor: Actor | None, user_id: str, reason: str) -> int:
    """End every session of the account (its open tabs go to the sign-in page); returns how many ended."""
    actor = require(actor, Action.ADMINISTER_PEOPLE)
    check_reason(reason)
    user = _user(session, user_id)
    ended = sessions.revoke_all_sessions(session, user.id, actor_id=actor.user_id)
    audit.record_event(session, "admin.user_signed_out", actor_id=actor.user_id, subject_id=user.id,
                       details={"sessions_ended": ended})
    return ended


def _suspend(session: Session, actor: Actor, user: User, reason: str) -> None:
    try:
        key = data_key_of(session, user.id)
    except DataKeyMissing:  # erased in between: nothing left to suspend
        return
    row = AccountSuspension(user_id=user.id, suspended_by=actor.user_id)
    set_encrypted(row, "reason_encrypted", reason, data_key=key)
    session.add(row)
    user.suspended_at = utcnow()
    session.add(user)
    ended = sessions.revoke_all_sessions(session, user.id, actor_id=actor.user_id)
    audit.record_event(session, "admin.user_suspended", actor_id=actor.user_id, subject_id=user.id,
                       details={"sessions_ended": ended})


def _open_suspension(session: Session, user_id: str) -> AccountSuspension | None:
    return session.exec(select(AccountSuspension).where(AccountSuspension.user_id == user_id,
                                                        AccountSuspension.restored_at.is_(None))
                        .order_by(AccountSuspension.suspended_at.desc()).limit(1)).first()


# -- the admin role --------------------------------------------------------------------------------


def grant_admin(session: Session, actor: Actor | None, user_id: str) -> bool:
    """Make the account an admin at once when the actor is the only admin; otherwise open a request another admin
    approves. Returns True when granted now, False when a request waits."""
    actor = _sensitive(session, actor)
    user = _user(session, user_id)
    if user.role == Role.ADMIN:
        raise InvalidInput("role", "This account is already an admin.")
    if user.suspended_at is not None:
        raise InvalidInput("role", "Restore this account before making it an admin.")
    if _active_admins(session) <= 1:
        _make_admin(session, actor, user, request_id=None)
        return True
    if session.exec(select(AdminRoleRequest.id).where(AdminRoleRequest.user_id == user.id,
                                                      AdminRoleRequest.status == RoleRequestStatus.PENDING)).first():
        raise InvalidInput("role", "A request to make this account an admin already waits for another admin.")
    request = AdminRoleRequest(user_id=user.id, requested_by=actor.user_id)
    session.add(request)
    session.flush()
    audit.record_event(session, "admin.role_requested", actor_id=actor.user_id, subject_id=user.id,
                       details={"request_id": request.id})
    return False


def approve_admin_request(session: Session, actor: Actor | None, request_id: str) -> None:
    actor = _sensitive(session, actor)
    request = _pending_request(session, request_id)
    if request.requested_by == actor.user_id:
        raise NotAllowed("Another admin must approve the request you made.")
    user = _user(session, request.user_id)
    if user.suspended_at is not None:
        raise InvalidInput("role", "This account was suspended since the request: cancel the request.")
    request.status, request.decided_by, request.decided_at = RoleRequestStatus.APPROVED, actor.user_id, utcnow()
    session.add(request)
    _make_admin(session, actor, user, request_id=request.id)


def cancel_admin_request(session: Session, actor: Actor | None, request_id: str) -> None:
    actor = require(actor, Action.ADMINISTER_PEOPLE)
    request = _pending_request(session, request_id)
    request.status, request.decided_by, request.decided_at = RoleRequestStatus.CANCELLED, actor.user_id, utcnow()
    session.add(request)
    audit.record_event(session, "admin.role_request_cancelled", actor_id=actor.user_id, subject_id=request.user_id,
                       details={"request_id": request.id})


def remove_admin(session: Session, actor: Actor | None, user_id: str, new_role: str) -> None:
    """The account becomes a producer or an editor again; never the last admin, never oneself."""
    actor = _sensitive(session, actor)
    if new_role not in tuple(DEMOTED_ROLES):
        raise InvalidInput("role", "Choose producer or editor.")
    user = _user(session, user_id)
    if user.role != Role.ADMIN:
        raise InvalidInput("role", "This account is not an admin.")
    if user.id == actor.user_id:
        raise NotAllowed("Another admin must remove your admin role.")
    user.role = new_role
    session.add(user)
    audit.record_event(session, "admin.role_removed", actor_id=actor.user_id, subject_id=user.id,
                       details={"new_role": new_role})


def pending_role_requests(session: Session, actor: Actor | None) -> list[RoleRequestView]:
    actor = require(actor, Action.ADMINISTER_PEOPLE)
    rows = session.exec(select(AdminRoleRequest).where(AdminRoleRequest.status == RoleRequestStatus.PENDING)
                        .order_by(AdminRoleRequest.requested_at).limit(100)).all()
    names = display_names(session, [row.user_id for row in rows] + [row.requested_by for row in rows])
    return [RoleRequestView(id=row.id, user_id=row.user_id, user_name=name_of(names, row.user_id),
                            requested_by_name=name_of(names, row.requested_by), requested_at=row.requested_at,
                            mine=row.requested_by == actor.user_id) for row in rows]


def _make_admin(session: Session, actor: Actor, user: User, *, request_id: str | None) -> None:
    user.role = Role.ADMIN
    session.add(user)
    audit.record_event(session, "admin.role_granted", actor_id=actor.user_id, subject_id=user.id,
                       details={"request_id": request_id} if request_id else {})


def _active_admins(session: Session) -> int:
    return session.exec(select(sa.func.count()).select_from(User).where(User.role == Role.ADMIN,
                                                                         User.suspended_at.is_(None))).one()


def _pending_request(session: Session, request_id: str) -> AdminRoleRequest:
    request = session.get(AdminRoleRequest, request_id) if is_row_id(request_id) else None
    if request is None or request.status != RoleRequestStatus.PENDING:
        raise NotFound("This request does not exist or was already decided.")
    return request


# -- shared ------------------------------------------------------------------------------------------


def check_reason(reason: object, field: str = "reason") -> str:
    """A written reason: kept with what it justifies and shown to whom it concerns."""
    if not isinstance(reason, str) or len(reason.strip()) < 5:
        raise InvalidInput(field, "Write the reason (a sentence someone else can understand later).")
    reason = reason.strip()
    if len(reason) > REASON_MAX:
        raise InvalidInput(field, f"Use at most {REASON_MAX:,} characters.")
    if "\x00" in reason:
        raise InvalidInput(field, "The reason contains a character that cannot be stored.")
    return reason


def _sensitive(session: Session, actor: Actor | None) -> Actor:
    actor = require(actor, Action.ADMINISTER_PEOPLE)
    require_recent_reauthentication(session, actor)
    return actor


def _user(session: Session, user_id: str) -> User:
    user = session.get(User, user_id) if is_row_id(user_id) else None
    if user is None:
        raise NotFound(NO_SUCH_ACCOUNT)
    return user
