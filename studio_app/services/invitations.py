"""Inviting editors to a project: by account (from the directory) or by email, with a single-use link.

An email invitation gets the same answer, the same stored shape and the same mail whether or not the
address has an account, so inviting never reveals who is registered. Only the link's hash is stored.
"""

from __future__ import annotations

import dataclasses
from datetime import datetime, timedelta

import sqlalchemy as sa
from sqlmodel import Session, select

from studio_app.models.accounts import Role, User
from studio_app.models.base import is_row_id, new_id, utcnow
from studio_app.models.projects import (
    Invitation,
    InvitationStatus,
    MemberRole,
    Project,
    ProjectDataKey,
    ProjectMember,
)
from studio_app.security.blind_index import email_index
from studio_app.security.fields import get_decrypted, set_encrypted
from studio_app.security.keyring import current_keys
from studio_app.security.policy import Action, Actor, NotAllowed, require_in_project, require_signed_in
from studio_app.services import mail_templates, mailing, notifications
from studio_app.services.keys import project_key_of, unwrap_project_key
from studio_app.services.people import display_names, name_of
from studio_app.services.projects import MEMBER_REMOVED, access_project, member_role, record
from studio_app.services.tokens import hash_secret, new_secret
from studio_app.services.validation import InvalidInput, check_email
from studio_app.settings import Settings

LIFETIME = timedelta(days=14)
LIST_LIMIT = 50
NOT_YOURS = "This invitation does not exist or is not addressed to you."
MAIL_FAILED = "We could not send the invitation email just now. Please try again in a few minutes."


@dataclasses.dataclass(frozen=True)
class InvitationView:
    """What the producer sees of an invitation they sent."""

    id: str
    project_id: str
    invitee: str  # the editor's display name, or the address as the producer typed it
    status: str
    created_at: datetime
    expires_at: datetime


@dataclasses.dataclass(frozen=True)
class ReceivedInvitation:
    """What the invited editor sees."""

    id: str
    project_id: str
    project_title: str
    inviter_name: str
    expires_at: datetime


@dataclasses.dataclass(frozen=True)
class LinkedInvitation:
    """What a mailed invitation link shows before its holder answers."""

    project_title: str
    inviter_name: str
    expires_at: datetime


USED_LINK = "This invitation link was already used or withdrawn. Ask the producer to invite you again if you need to."
EXPIRED = "This invitation has expired. Ask the producer to invite you again."


def invite_editor(session: Session, settings: Settings, actor: Actor | None, project_id: str, *,
                  editor_id: str | None = None, email: str | None = None) -> InvitationView:
    access_project(session, actor, project_id, Action.INVITE_EDITOR)
    if (editor_id is None) == (email is None):
        raise InvalidInput("editor_id", "Choose an editor from the directory or enter an email address.")
    if editor_id is not None:
        return _invite_account(session, actor, project_id, editor_id)
    return _invite_by_email(session, settings, actor, project_id, check_email(email))


def list_my_invitations(session: Session, actor: Actor | None) -> list[ReceivedInvitation]:
    """Pending invitations for the actor; email invitations to their address are bound to their account."""
    actor = require_signed_in(actor)
    if actor.role != Role.EDITOR:
        return []
    now = utcnow()
    _bind_email_invitations(session, actor, now)
    rows = session.exec(
        select(Invitation, Project, ProjectDataKey.wrapped_key)
        .join(Project, Project.id == Invitation.project_id)
        .join(ProjectDataKey, ProjectDataKey.project_id == Project.id)
        .where(Invitation.invitee_id == actor.user_id, Invitation.status == InvitationStatus.PENDING,
               Invitation.expires_at > now)
        .order_by(Invitation.expires_at, Invitation.id)
        .limit(LIST_LIMIT)
    ).all()
    names = display_names(session, (invitation.inviter_id for invitation, _, _ in rows))
    return [
        ReceivedInvitation(
            id=invitation.id, project_id=project.id,
            project_title=get_decrypted(project, "title_encrypted", data_key=unwrap_project_key(project.id, wrapped)),
            inviter_name=name_of(names, invitation.inviter_id), expires_at=invitation.expires_at,
        )
        for invitation, project, wrapped in rows
    ]


def describe_link(session: Session, actor: Actor | None, token: str) -> LinkedInvitation:
    """The project and producer a link invites its holder to, under the rules of answering it: a used,
    withdrawn or expired link says so (InvalidInput), a link meant for another account reveals nothing."""
    actor = require_signed_in(actor)
    invitation = _find(session, token) if not is_row_id(token) else None
    if invitation is None or invitation.status != InvitationStatus.PENDING:
        raise InvalidInput("invitation", USED_LINK)  # answering clears the link's hash: a used link is unknown
    if actor.role != Role.EDITOR or invitation.invitee_id not in (None, actor.user_id):
        raise NotAllowed(NOT_YOURS)
    if invitation.expires_at <= utcnow():
        raise InvalidInput("invitation", EXPIRED)
    project = session.get(Project, invitation.project_id)
    return LinkedInvitation(
        project_title=get_decrypted(project, "title_encrypted", data_key=project_key_of(session, project.id)),
        inviter_name=name_of(display_names(session, [invitation.inviter_id]), invitation.inviter_id),
        expires_at=invitation.expires_at,
    )


def accept_invitation(session: Session, actor: Actor | None, invitation_id_or_token: str) -> str:
    """Join the project as an editor; returns the project id."""
    invitation = _respond(session, actor, invitation_id_or_token, InvitationStatus.ACCEPTED)
    membership = session.exec(
        select(ProjectMember).where(ProjectMember.project_id == invitation.project_id,
                                    ProjectMember.user_id == actor.user_id)
    ).first()
    if membership is None:
        membership = ProjectMember(project_id=invitation.project_id, user_id=actor.user_id, role=MemberRole.EDITOR)
    # Someone removed earlier comes back on the same row (one row per person and project).
    membership.role, membership.removed_at, membership.joined_at = MemberRole.EDITOR, None, utcnow()
    session.add(membership)
    record(session, invitation.project_id, actor, "invitation.accepted", invitation_id=invitation.id)
    session.flush()
    return invitation.project_id


def decline_invitation(session: Session, actor: Actor | None, invitation_id_or_token: str) -> None:
    invitation = _respond(session, actor, invitation_id_or_token, InvitationStatus.DECLINED)
    record(session, invitation.project_id, actor, "invitation.declined", invitation_id=invitation.id)
    session.flush()


def revoke_invitation(session: Session, actor: Actor | None, invitation_id: str) -> None:
    invitation = session.get(Invitation, invitation_id) if is_row_id(invitation_id) else None
    if invitation is None:
        require_in_project(actor, Action.INVITE_EDITOR, None)  # the same answer as for a stranger
    access_project(session, actor, invitation.project_id, Action.INVITE_EDITOR)
    if invitation.status != InvitationStatus.PENDING:
        raise InvalidInput("invitation", "This invitation was already answered or revoked.")
    invitation.status, invitation.responded_at = InvitationStatus.REVOKED, utcnow()
    invitation.token_hash = None
    session.add(invitation)
    record(session, invitation.project_id, actor, "invitation.revoked", invitation_id=invitation.id)
    session.flush()


def remove_editor(session: Session, actor: Actor | None, project_id: str, editor_id: str) -> None:
    """The editor loses access at once: every service checks membership on each call."""
    access_project(session, actor, project_id, Action.REMOVE_EDITOR)
    if member_role(session, editor_id, project_id) != MemberRole.EDITOR:
        raise InvalidInput("editor_id", "This editor is not a member of the project.")
    session.execute(
        sa.update(ProjectMember).where(ProjectMember.project_id == project_id, ProjectMember.user_id == editor_id)
        .values(removed_at=utcnow())
    )
    record(session, project_id, actor, MEMBER_REMOVED, user_id=editor_id)
    session.flush()


# -- helpers ---------------------------------------------------------------------------------------


def _invite_account(session: Session, actor: Actor, project_id: str, editor_id: str) -> InvitationView:
    editor = session.get(User, editor_id) if is_row_id(editor_id) else None
    if editor is None or editor.role != Role.EDITOR:
        raise InvalidInput("editor_id", "Choose an editor from the directory.")
    _check_not_invited(session, project_id, editor.id, editor.email_index, field="editor_id")
    invitation = _new_invitation(project_id, actor, invitee_id=editor.id)
    session.add(invitation)
    record(session, project_id, actor, "invitation.sent", invitation_id=invitation.id, invitee_id=editor.id)
    notifications.notify(session, user_ids=[editor.id], kind="invitation", project_id=project_id,
                         actor_id=actor.user_id, subject_id=invitation.id)
    session.flush()
    return _view(invitation, display_names(session, [editor.id])[editor.id])


def _invite_by_email(session: Session, settings: Settings, actor: Actor, project_id: str,
                     email: str) -> InvitationView:
    index = email_index(current_keys().index_key, email)
    account = session.exec(select(User.id).where(User.email_index == index, User.role == Role.EDITOR)).first()
    _check_not_invited(session, project_id, account, index, field="email")
    secret = new_secret()
    invitation = _new_invitation(project_id, actor, invitee_id=account, invitee_email_index=index,
                                 token_hash=hash_secret(secret))
    set_encrypted(invitation, "invitee_email_encrypted", email, data_key=project_key_of(session, project_id))
    session.add(invitation)
    record(session, project_id, actor, "invitation.sent", invitation_id=invitation.id, invitee_id=None)
    session.flush()
    inviter = display_names(session, [actor.user_id])[actor.user_id]
    mailing.mail_after_commit(session, settings, email, mail_templates.invitation(settings, inviter, secret),
                              if_failed=_mail_failed)
    return _view(invitation, email)


def _mail_failed() -> None:
    # The invitation is saved: revoking it and inviting again sends a new link.
    raise InvalidInput("email", MAIL_FAILED)


def _check_not_invited(session: Session, project_id: str, user_id: str | None, index: str, *, field: str) -> None:
    if user_id is not None and member_role(session, user_id, project_id) is not None:
        raise InvalidInput(field, "This person is already a member of the project.")
    who = Invitation.invitee_email_index == index
    if user_id is not None:
        who = sa.or_(who, Invitation.invitee_id == user_id)
    pending = session.exec(
        select(Invitation.id).where(Invitation.project_id == project_id, who,
                                    Invitation.status == InvitationStatus.PENDING, Invitation.expires_at > utcnow())
    ).first()
    if pending is not None:
        raise InvalidInput(field, "This person already has a pending invitation to the project.")


def _new_invitation(project_id: str, actor: Actor, **fields) -> Invitation:
    now = utcnow()
    return Invitation(id=new_id(), project_id=project_id, inviter_id=actor.user_id, status=InvitationStatus.PENDING,
                      created_at=now, expires_at=now + LIFETIME, **fields)


def _bind_email_invitations(session: Session, actor: Actor, now: datetime) -> None:
    index = session.exec(select(User.email_index).where(User.id == actor.user_id)).one()
    session.execute(
        sa.update(Invitation)
        .where(Invitation.invitee_id.is_(None), Invitation.invitee_email_index == index,
               Invitation.status == InvitationStatus.PENDING, Invitation.expires_at > now)
        .values(invitee_id=actor.user_id)
    )


def _respond(session: Session, actor: Actor | None, id_or_token: str, answer: InvitationStatus) -> Invitation:
    actor = require_signed_in(actor)
    if actor.role != Role.EDITOR:
        raise NotAllowed(NOT_YOURS)
    now = utcnow()
    _bind_email_invitations(session, actor, now)
    invitation = _find(session, id_or_token)
    by_token = invitation is not None and not is_row_id(id_or_token)
    # The link proves the mailbox: its holder may take an invitation not yet bound to an account.
    if invitation is None or not (invitation.invitee_id == actor.user_id
                                  or (by_token and invitation.invitee_id is None)):
        raise NotAllowed(NOT_YOURS)
    if invitation.status != InvitationStatus.PENDING:
        raise InvalidInput("invitation", "This invitation was already answered or revoked.")
    if invitation.expires_at <= now:
        raise InvalidInput("invitation", EXPIRED)
    # Conditional on still pending, so two answers racing cannot both count.
    answered = session.execute(
        sa.update(Invitation).where(Invitation.id == invitation.id, Invitation.status == InvitationStatus.PENDING)
        .values(status=answer, responded_at=now, invitee_id=actor.user_id, token_hash=None)
    )
    if answered.rowcount != 1:
        raise InvalidInput("invitation", "This invitation was already answered or revoked.")
    session.refresh(invitation)
    return invitation


def _find(session: Session, id_or_token: object) -> Invitation | None:
    if is_row_id(id_or_token):
        return session.get(Invitation, id_or_token)
    if not isinstance(id_or_token, str) or not id_or_token or len(id_or_token) > 128:
        return None
    return session.exec(select(Invitation).where(Invitation.token_hash == hash_secret(id_or_token))).first()


def _view(invitation: Invitation, invitee: str) -> InvitationView:
    return InvitationView(id=invitation.id, project_id=invitation.project_id, invitee=invitee,
                          status=invitation.status, created_at=invitation.created_at,
                          expires_at=invitation.expires_at)
