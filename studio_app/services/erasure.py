"""The right to erasure: deleting one's account, after re-authentication and a clear summary.

What goes: the account row (with the blind index of the email), the data key (crypto-shredding every
value sealed under it, wherever a copy of it lies), sessions, tokens, consents, the editor profile,
notifications and preferences, personal files, exports, and the projects nobody else works in any
more. What stays: the content of projects shared with people who still work in them (sealed under the
project's key, so it stays readable for them, the author shown as "Deleted user"), the anonymized
record that the erasure was requested and honoured, and the security log, which names people only by a
random account id.

Connected providers (TikTok, Discord) append a hook to :data:`REVOCATION_HOOKS`: it runs inside the
erasure, before the data key is shredded, so it can still read and revoke the person's tokens.
"""

from __future__ import annotations

import dataclasses
import logging
from collections.abc import Callable
from datetime import datetime, timedelta

import sqlalchemy as sa
from sqlmodel import Session, select

from studio_app.database import after_commit
from studio_app.models.accounts import Consent, OneTimeToken, User, UserDataKey, UserSession
from studio_app.models.base import utcnow
from studio_app.models.files import StoredFile
from studio_app.models.privacy import DataExport, PrivacyRequest, RequestKind, RequestStatus
from studio_app.models.projects import (
    EditorProfile,
    Invitation,
    Message,
    Notification,
    Project,
    ProjectDataKey,
    ProjectMember,
)
from studio_app.security.fields import get_decrypted
from studio_app.security.policy import Action, Actor, require
from studio_app.services import accounts, audit, files, mail_templates, mailing, privacy_requests, publishing
from studio_app.services.keys import data_key_of, unwrap_project_key
from studio_app.services.people import display_names
from studio_app.services.retention import PROOF_YEARS
from studio_app.services.sessions import announce_ended_sessions
from studio_app.services.validation import InvalidInput
from studio_app.settings import Settings

CONFIRMATION_WORD = "DELETE"
LISTED_PROJECTS_MAX = 50
logger = logging.getLogger(__name__)

# Called as hook(session, user_id) during an erasure, before the person's data key is shredded.
RevocationHook = Callable[[Session, str], None]
REVOCATION_HOOKS: list[RevocationHook] = []


def register_revocation_hook(hook: RevocationHook) -> RevocationHook:
    """For integrations that hold provider tokens: revoke them at the provider when an account is deleted."""
    if hook not in REVOCATION_HOOKS:
        REVOCATION_HOOKS.append(hook)
    return hook


@dataclasses.dataclass(frozen=True)
class ProjectFate:
    id: str
    title: str
    others: tuple[str, ...]  # display names of the other members who keep it (empty: the project is deleted)
    other_ids: tuple[str, ...]
    my_messages: int
    my_files: int
    i_am_producer: bool


@dataclasses.dataclass(frozen=True)
class GoesItem:
    label: str
    detail: str


@dataclasses.dataclass(frozen=True)
class KeptItem:
    label: str
    why: str
    until: str


@dataclasses.dataclass(frozen=True)
class ErasureSummary:
    deleted_projects: tuple[ProjectFate, ...]
    kept_projects: tuple[ProjectFate, ...]
    personal_files: int
    sessions: int
    goes: tuple[GoesItem, ...]
    kept: tuple[KeptItem, ...]
    confirmation_word: str = CONFIRMATION_WORD


@dataclasses.dataclass(frozen=True)
class ErasureReport:
    projects_deleted: int
    projects_kept: int
    files_removed: int
    sessions_ended: int
    # The real-time layer refreshes what the other members have open: these projects, their notifications.
    kept_project_ids: tuple[str, ...]
    other_member_ids: tuple[str, ...]


# -- the summary -----------------------------------------------------------------------------------


def deletion_summary(session: Session, actor: Actor | None) -> ErasureSummary:
    """What deleting the account would remove and what would be kept (why, until when), with the person's counts."""
    actor = require(actor, Action.VIEW_OWN_ACCOUNT)
    user_id = actor.user_id
    deleted, kept = _project_fates(session, user_id)
    personal_files = _count(session, StoredFile, StoredFile.owner_id == user_id, StoredFile.project_id.is_(None))
    sessions = _count(session, UserSession, UserSession.user_id == user_id, UserSession.revoked_at.is_(None),
                      UserSession.absolute_expires_at > utcnow())
    counts = {
        "consents": _count(session, Consent, Consent.user_id == user_id),
        "notifications": _count(session, Notification, Notification.user_id == user_id),
        "requests": _count(session, PrivacyRequest, PrivacyRequest.user_id == user_id),
        "exports": _count(session, DataExport, DataExport.user_id == user_id),
        "profile": _count(session, EditorProfile, EditorProfile.user_id == user_id),
        "publications": publishing.pending_of(session, user_id),
    }
    return ErasureSummary(deleted_projects=tuple(deleted), kept_projects=tuple(kept), personal_files=personal_files,
                          sessions=sessions, goes=_goes(deleted, personal_files, sessions, counts),
                          kept=_kept(kept))


def _goes(deleted: list[ProjectFate], personal_files: int, sessions: int, counts: dict[str, int]
          ) -> tuple[GoesItem, ...]:
    items = [
        GoesItem("Your account", "Your email address, name, password and role. You can no longer sign in, and the "
                 "address can be used for a new account."),
        GoesItem("Your encryption key", "The key that seals your personal data is destroyed, so any copy of it "
                 "(backups included) can no longer be read."),
    ]
    if deleted:
        messages = sum(fate.my_messages for fate in deleted)
        items.append(GoesItem(
            _plural(len(deleted), "project nobody else works in", "projects nobody else works in"),
            f"Deleted with their brief, milestones, {_plural(messages, 'message', 'messages')}, files, derush "
            "selections and review comments."))
    if personal_files:
        items.append(GoesItem(_plural(personal_files, "personal file", "personal files"),
                              "Removed from storage."))
    items.append(GoesItem(_plural(sessions, "signed-in browser", "signed-in browsers"),
                          "Signed out at once, this one included."))
    if counts["profile"]:
        items.append(GoesItem("Your editor profile", "Your headline, links, skills and rate leave the directory."))
    items.append(GoesItem("Consents, notifications and preferences",
                          f"Your consent history{_in_brackets(counts['consents'], 'record', 'records')}, your "
                          "notification choices and "
                          f"{_plural(counts['notifications'], 'notification', 'notifications')}."))
    if counts["requests"]:
        items.append(GoesItem(_plural(counts["requests"], "privacy request", "privacy requests"),
                              "What you wrote and our answers are erased; only the kind of request and its dates stay, "
                              "without your name (see below)."))
    if counts["exports"]:
        items.append(GoesItem(_plural(counts["exports"], "data export", "data exports"), "Deleted with their files."))
    if counts["publications"]:
        items.append(GoesItem(_plural(counts["publications"], "scheduled publication", "scheduled publications"),
                              "Cancelled: they would post with your accounts. What was already published stays "
                              "in the project's history."))
    items.append(GoesItem("Connected accounts", "If you connected TikTok or Discord, the connection is revoked at the "
                          "provider and its tokens are erased."))
    return tuple(items)


def _kept(kept: list[ProjectFate]) -> tuple[KeptItem, ...]:
    items = []
    for fate in kept:
        keeps = ("They keep the project, its brief, milestones, files, derush notes, review comments and the whole "
                 "conversation")
        if fate.i_am_producer:
            keeps += "; the project no longer has a producer, so nobody can invite people or approve stages"
        items.append(KeptItem(
            label=f"“{fate.title}”: {_plural(fate.my_messages, 'message', 'messages')} and "
                  f"{_plural(fate.my_files, 'file', 'files')} you shared",
            why=f"{', '.join(fate.others)} still work{'s' if len(fate.others) == 1 else ''} in this project and "
                f"need its history. Your name is replaced by “Deleted user”. {keeps}.",
            until="As long as they keep the project",
        ))
    items.append(KeptItem(
        label="A record that you asked for this deletion and that we did it",
        why="Proof that we honoured your request, if anyone asks (GDPR art. 5(2) and 17). It holds the kind of "
            "request and its dates only: no name, no email, no account.",
        until=f"{PROOF_YEARS} years, then deleted",
    ))
    items.append(KeptItem(
        label="Security log entries",
        why="The security log records sign-ins and changes to keep every account safe (legitimate interest). Its "
            "entries name people only by a random account number, never an email, a name or an address; once "
            "your account is gone nothing links that number to you.",
        until="As long as the security log: it is append-only and chained, so entries cannot be removed one by one",
    ))
    return tuple(items)


def _project_fates(session: Session, user_id: str) -> tuple[list[ProjectFate], list[ProjectFate]]:
    """The person's projects split into those deleted with them and those kept for their other members."""
    mine = select(ProjectMember.project_id).where(ProjectMember.user_id == user_id)
    projects = session.exec(
        select(Project, ProjectDataKey.wrapped_key).join(ProjectDataKey, ProjectDataKey.project_id == Project.id)
        .where(sa.or_(Project.id.in_(mine), Project.producer_id == user_id))
        .order_by(Project.created_at).limit(10_000)
    ).all()
    ids = [project.id for project, _ in projects]
    if not ids:
        return [], []
    others: dict[str, list[str]] = {}
    for project_id, other_id in session.exec(
        select(ProjectMember.project_id, ProjectMember.user_id)
        .where(ProjectMember.project_id.in_(ids), ProjectMember.user_id != user_id, ProjectMember.removed_at.is_(None))
        .order_by(ProjectMember.joined_at)
    ).all():
        others.setdefault(project_id, []).append(other_id)
    names = display_names(session, [user for users in others.values() for user in users])
    messages = _per_project(session, Message, Message.author_id == user_id, Message.deleted_at.is_(None), ids=ids)
    my_files = _per_project(session, StoredFile, StoredFile.owner_id == user_id, ids=ids)
    deleted, kept = [], []
    for project, wrapped in projects:
        title = get_decrypted(project, "title_encrypted", data_key=unwrap_project_key(project.id, wrapped))
        fate = ProjectFate(id=project.id, title=title,
                           others=tuple(names[other] for other in others.get(project.id, ())),
                           other_ids=tuple(others.get(project.id, ())),
                           my_messages=messages.get(project.id, 0), my_files=my_files.get(project.id, 0),
                           i_am_producer=project.producer_id == user_id)
        (kept if fate.others else deleted).append(fate)
    return deleted, kept


# -- the deletion ----------------------------------------------------------------------------------


def delete_account(session: Session, settings: Settings, actor: Actor | None, password: str,
                   confirmation: str) -> ErasureReport:
    """Erase the signed-in person's account, in one transaction; the confirmation mail leaves after commit.

    The password is checked again (rate limited) and the confirmation word typed, both here: any
    websocket client can call the handler with any arguments.
    """
    actor = require(actor, Action.EDIT_OWN_ACCOUNT)
    # Exactly the word, in capitals: typing it is the deliberate act (spaces around it do not count).
    if not isinstance(confirmation, str) or confirmation.strip() != CONFIRMATION_WORD:
        raise InvalidInput("confirmation", f"Type {CONFIRMATION_WORD} to confirm that you want to delete your account.")
    accounts.reauthenticate(session, actor, password)
    user_id = actor.user_id
    user = session.get(User, user_id)
    email = get_decrypted(user, "email_encrypted", data_key=data_key_of(session, user_id))  # read before shredding
    _revoke_provider_tokens(session, user_id)
    publishing.stop_all_of(session, user_id)
    deleted, kept = _project_fates(session, user_id)
    request_id = privacy_requests.record_self_served(session, user_id, RequestKind.ERASURE)
    _close_open_requests(session, user_id)
    privacy_requests.anonymize_requests_of(session, user_id)
    files_removed = _delete_projects(session, [fate.id for fate in deleted])
    files_removed += _delete_personal_files(session, user_id)
    _delete_exports(session, user_id)
    session.execute(sa.delete(Invitation).where(sa.or_(Invitation.invitee_id == user_id,
                                                       Invitation.invitee_email_index == user.email_index)))
    sessions_ended = _count(session, UserSession, UserSession.user_id == user_id)
    announce_ended_sessions(session)  # the database deletes them with the account
    session.execute(sa.delete(UserDataKey).where(UserDataKey.user_id == user_id))  # the crypto-shred
    session.execute(sa.delete(OneTimeToken).where(OneTimeToken.user_id == user_id))  # a pending email's blind index
    # The database cascades the rest of what is theirs: sessions, consents, memberships, read markers, notifications,
    # profile, preferences, policy notices. Shared history (messages, milestones, timeline, invitations they sent,
    # files, derush selections and review comments in kept projects) keeps its rows with the author emptied: it shows
    # "Deleted user".
    session.execute(sa.delete(User).where(User.id == user_id))
    report = ErasureReport(projects_deleted=len(deleted), projects_kept=len(kept), files_removed=files_removed,
                           sessions_ended=sessions_ended, kept_project_ids=tuple(fate.id for fate in kept),
                           other_member_ids=tuple(sorted({other for fate in kept for other in fate.other_ids})))
    counts = {name: value for name, value in dataclasses.asdict(report).items() if isinstance(value, int)}
    audit.record_event(session, "account.deleted", actor_id=user_id, subject_id=user_id,
                       details={"request_id": request_id, **counts})
    session.flush()
    mailing.mail_after_commit(session, settings, email, mail_templates.account_deleted(settings, PROOF_YEARS))
    if session.get_bind().dialect.name == "sqlite":
        after_commit(session, lambda: _truncate_sqlite_log(session.get_bind()))
    return report


def purge_old_proofs(session: Session, *, now: datetime | None = None) -> int:
    """The retention round: anonymized privacy requests closed more than PROOF_YEARS ago are deleted."""
    cutoff = (now or utcnow()) - timedelta(days=365 * PROOF_YEARS)
    return session.execute(
        sa.delete(PrivacyRequest).where(PrivacyRequest.user_id.is_(None), PrivacyRequest.closed_at < cutoff)
    ).rowcount


def _revoke_provider_tokens(session: Session, user_id: str) -> None:
    for hook in list(REVOCATION_HOOKS):
        try:
            with session.begin_nested():  # a failing hook undoes its own writes only
                hook(session, user_id)
        except Exception:  # a provider that is down must not keep the person's data; their tokens are shredded
            logger.exception("a provider revocation hook failed during an erasure")


def _close_open_requests(session: Session, user_id: str) -> None:
    """Requests still open have nobody to answer once the account is gone: the erasure settles them."""
    session.execute(
        sa.update(PrivacyRequest).where(PrivacyRequest.user_id == user_id, PrivacyRequest.status == RequestStatus.OPEN)
        .values(status=RequestStatus.DONE, closed_at=utcnow())
    )


def _delete_projects(session: Session, project_ids: list[str]) -> int:
    """Projects nobody else works in: their files go through the files service (blob removed after commit);
    the database cascades the rest (key, members, messages, milestones, invitations, timeline)."""
    if not project_ids:
        return 0
    rows = session.exec(select(StoredFile).where(StoredFile.project_id.in_(project_ids))).all()
    for row in rows:
        files.delete_file(session, row)
    session.flush()
    session.execute(sa.delete(Project).where(Project.id.in_(project_ids)))
    return len(rows)


def _delete_personal_files(session: Session, user_id: str) -> int:
    rows = session.exec(
        select(StoredFile).where(StoredFile.owner_id == user_id, StoredFile.project_id.is_(None))
    ).all()
    for row in rows:
        files.delete_file(session, row)
    session.flush()
    return len(rows)


def _delete_exports(session: Session, user_id: str) -> None:
    keys = session.exec(
        select(DataExport.storage_key).where(DataExport.user_id == user_id, DataExport.storage_key.is_not(None))
    ).all()
    session.execute(sa.delete(DataExport).where(DataExport.user_id == user_id))
    for key in keys:
        files.delete_blob_after_commit(session, key)


def _truncate_sqlite_log(engine: sa.Engine) -> None:
    """Old page images in SQLite's write-ahead log could still hold the shredded key: empty the log now."""
    try:
        with engine.connect() as connection:
            connection.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
    except sa.exc.SQLAlchemyError:
        logger.warning("could not truncate the SQLite write-ahead log after an erasure")



# -- helpers ---------------------------------------------------------------------------------------


def _count(session: Session, model, *where) -> int:
    return session.exec(select(sa.func.count()).select_from(model).where(*where)).one()


def _per_project(session: Session, model, *where, ids: list[str]) -> dict[str, int]:
    return dict(session.exec(
        select(model.project_id, sa.func.count()).where(model.project_id.in_(ids), *where).group_by(model.project_id)
    ).all())


def _in_brackets(count: int, one: str, many: str) -> str:
    return f" ({_plural(count, one, many)})" if count else ""


def _plural(count: int, one: str, many: str) -> str:
    return f"{count} {one if count == 1 else many}"


# Providers register their revocation hooks when imported: importing them here means no erasure runs without them.
from studio_app.services import connections  # noqa: E402,F401
