"""Notifications: the in-app center, each person's preferences per kind, and batched email for who is offline.

A notification stores references only (kind, project, actor, subject); its text is rendered when shown,
so a project renamed or an account erased reads correctly everywhere, including old notifications.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import aliased
from sqlmodel import Session, select

from studio_app import routes
from studio_app.models.base import is_row_id, new_id, utcnow
from studio_app.models.projects import (
    UNREAD_THREAD_NOTIFICATION,
    Milestone,
    Notification,
    NotificationPreference,
    Project,
)
from studio_app.security.crypto import DataKey
from studio_app.security.fields import get_decrypted
from studio_app.security.policy import Action, Actor, require
from studio_app.services import discord_messages, mail_templates, mailing
from studio_app.services.keys import project_keys_of
from studio_app.services.people import display_names, name_of
from studio_app.services.sql import upsert
from studio_app.services.validation import InvalidInput
from studio_app.settings import Settings

KINDS = ("message", "mention", "invitation", "stage_change", "milestone_due", "review_requested", "export_ready",
         "review_comment", "version_approved", "changes_requested", "published", "publication_failed",
         "reconnect_needed", "channel_dead", "disclosure", "incident_notice")
CHANNELS = ("in_app", "email", "none")
# "email" means in-app and email. Messages come often: by email only when someone asks for it.
# A disclosure is mailed on its own (services/disclosures.py): a digest would say it twice.
DEFAULT_CHANNELS = {kind: "email" for kind in KINDS} | {"message": "in_app", "review_comment": "in_app",
                                                        "disclosure": "in_app", "incident_notice": "in_app"}
# The notice of a breach that affects the person (GDPR art. 34) reaches them whatever they chose; it is mailed on
# its own (services/incidents.py), never in a digest.
MANDATORY_KINDS = frozenset({"incident_notice"})
CENTER_MAX = 100
UNREAD_CAP = 100  # the badge shows "99+" beyond; counting further would cost a scan for nothing
MARK_MAX = 200
DIGEST_ITEMS_MAX = 20
DIGEST_USERS_PER_QUERY = 200
UNTITLED = "a project"

_TEXTS = {
    "message": "{actor} posted in “{title}”",
    "messages": "{count} new messages in “{title}”, the latest from {actor}",
    "mention": "{actor} mentioned you in “{title}”",
    "invitation": "{actor} invited you to “{title}”",
    "stage_change": "{actor} moved “{title}” to {stage}",
    "milestone_due": "“{milestone}” is due in “{title}”",
    "milestone_due_unnamed": "A milestone of “{title}” is due",  # deleted since
    "review_requested": "{actor} asked for your review on “{title}”",
    "export_ready": "Your data archive is ready to download from your privacy center",
    "review_comment": "{actor} commented on a version of “{title}”",
    "version_approved": "{actor} approved a version of “{title}”",
    "changes_requested": "{actor} asked for changes to a version of “{title}”",
    "published": "A video of “{title}” was published",
    "publication_failed": "A publication of “{title}” failed: open the project to see why",
    # subject_id names the provider
    "reconnect_needed": "Reconnect your {provider} account: the studio can no longer use it",
    "channel_dead": "The Discord channel of “{title}” no longer accepts announcements: connect it again",
    "disclosure": "We had to disclose some of your data to an authority: our email tells you which and why",
    "incident_notice": "A security incident affected your data: we emailed you what happened and what to do",
}
PROVIDER_NAMES = {"discord": "Discord", "tiktok": "TikTok"}
# Review notifications name the version (``subject_id``, a media asset id): they lead to its review page.
_VERSION_KINDS = frozenset({"review_comment", "version_approved", "changes_requested"})
# Where a notification leads when it is about no project (the archive itself is never linked: only the page).
_PAGES = {"export_ready": routes.PRIVACY_CENTER, "reconnect_needed": routes.CONNECTIONS,
          "disclosure": routes.PRIVACY_CENTER, "incident_notice": routes.NOTIFICATIONS}


@dataclasses.dataclass(frozen=True)
class NotificationView:
    id: str
    kind: str
    text: str
    link: str
    created_at: datetime
    read: bool


@dataclasses.dataclass(frozen=True)
class NotificationCenter:
    items: tuple[NotificationView, ...]
    unread_count: int


def notify(session: Session, *, user_ids: Iterable[str], kind: str, project_id: str | None = None,
           actor_id: str | None = None, subject_id: str | None = None) -> int:
    """Write one notification per recipient in a single insert; returns how many were written.

    The actor is never notified of their own act, and people who chose "none" for this kind get nothing.
    """
    if kind not in KINDS:
        raise ValueError(f"unknown notification kind {kind!r}")
    recipients = sorted({user_id for user_id in user_ids if user_id and user_id != actor_id})
    if not recipients:
        return 0
    silenced = set() if kind in MANDATORY_KINDS else set(session.exec(
        select(NotificationPreference.user_id).where(
            NotificationPreference.user_id.in_(recipients), NotificationPreference.kind == kind,
            NotificationPreference.channel == "none",
        ).limit(len(recipients))
    ).all())
    now = utcnow()
    rows = [
        {"id": new_id(), "user_id": user_id, "kind": kind, "project_id": project_id, "actor_id": actor_id,
         "subject_id": subject_id, "created_at": now}
        for user_id in recipients if user_id not in silenced
    ]
    if rows and kind == "message" and project_id:
        # One unread notification per thread: a new message counts on it and brings it to the top (and into the
        # next email summary), until the person reads the thread.
        upsert(session, Notification, rows, key=("user_id", "project_id"), key_where=UNREAD_THREAD_NOTIFICATION,
               update={"count": Notification.count + 1, "created_at": now, "actor_id": actor_id,
                       "subject_id": subject_id, "emailed_at": None})
    elif rows:
        session.execute(sa.insert(Notification), rows)
    if rows:
        _also_on_discord(session, rows)
    return len(rows)


def set_preference(session: Session, actor: Actor | None, kind: str, channel: str) -> None:
    actor = require(actor, Action.EDIT_OWN_ACCOUNT)
    if kind not in KINDS or kind in MANDATORY_KINDS:
        raise InvalidInput("kind", "Choose one of the kinds of notification listed.")
    if channel not in CHANNELS:
        raise InvalidInput("channel", "Choose in the app, by email too, or not at all.")
    upsert(session, NotificationPreference, {"user_id": actor.user_id, "kind": kind, "channel": channel},
           key=("user_id", "kind"), update={"channel": channel})


def preferences(session: Session, actor: Actor | None) -> dict[str, str]:
    """The channel of every kind one may choose, defaults included."""
    actor = require(actor, Action.VIEW_OWN_ACCOUNT)
    chosen = session.exec(
        select(NotificationPreference.kind, NotificationPreference.channel)
        .where(NotificationPreference.user_id == actor.user_id).limit(len(KINDS))
    ).all()
    choosable = {kind: channel for kind, channel in DEFAULT_CHANNELS.items() if kind not in MANDATORY_KINDS}
    return choosable | {kind: channel for kind, channel in chosen if kind in choosable}


def notification_center(session: Session, actor: Actor | None, *, limit: int = 30) -> NotificationCenter:
    """The actor's latest notifications, newest first, rendered in plain words."""
    actor = require(actor, Action.VIEW_OWN_ACCOUNT)
    if not isinstance(limit, int) or not 1 <= limit <= CENTER_MAX:
        raise InvalidInput("limit", f"Ask for 1 to {CENTER_MAX} notifications.")
    rows = session.exec(
        select(Notification).where(Notification.user_id == actor.user_id)
        .order_by(Notification.created_at.desc(), Notification.id.desc()).limit(limit)
    ).all()
    texts = _render(session, rows)
    items = tuple(
        NotificationView(id=row.id, kind=row.kind, text=texts[row.id], link=_link(row), created_at=row.created_at,
                         read=row.read_at is not None)
        for row in rows
    )
    return NotificationCenter(items=items, unread_count=unread_notification_count(session, actor))


def unread_notification_count(session: Session, actor: Actor | None) -> int:
    """Unread notifications of the actor, counted up to ``UNREAD_CAP``."""
    actor = require(actor, Action.VIEW_OWN_ACCOUNT)
    unread = (
        select(Notification.id).where(Notification.user_id == actor.user_id, Notification.read_at.is_(None))
        .limit(UNREAD_CAP).subquery()
    )
    return session.exec(select(sa.func.count()).select_from(unread)).one()


def mark_notifications_read(session: Session, actor: Actor | None, ids: Iterable[str] | None = None) -> int:
    """Mark the given notifications (all when ``ids`` is None) read; others' notifications are never touched."""
    actor = require(actor, Action.VIEW_OWN_ACCOUNT)
    statement = sa.update(Notification).where(Notification.user_id == actor.user_id,
                                              Notification.read_at.is_(None))
    if ids is not None:
        wanted = list(ids) if not isinstance(ids, str) else [ids]
        if len(wanted) > MARK_MAX or not all(is_row_id(value) for value in wanted):
            raise InvalidInput("ids", "Some of these notifications cannot be found.")
        statement = statement.where(Notification.id.in_(wanted))
    return session.execute(statement.values(read_at=utcnow())).rowcount


def mark_thread_notifications_read(session: Session, actor: Actor | None, project_id: str) -> int:
    """Reading a project's thread reads its message notifications too (nothing to email about afterwards)."""
    actor = require(actor, Action.VIEW_OWN_ACCOUNT)
    return mark_message_notifications_read(session, [(project_id, actor.user_id)])


def mark_message_notifications_read(session: Session, read: Iterable[tuple[str, str]]) -> int:
    """The message notifications of these (project, person) pairs read (their tab showed the thread)."""
    pairs = sorted({(project_id, user_id) for project_id, user_id in read if is_row_id(project_id)})
    if not pairs:
        return 0
    return session.execute(
        sa.update(Notification)
        .where(sa.tuple_(Notification.project_id, Notification.user_id).in_(pairs),
               Notification.kind == "message", Notification.read_at.is_(None))
        .values(read_at=utcnow())
    ).rowcount


def send_email_digests(session: Session, settings: Settings, *, offline_user_ids: Iterable[str],
                       now: datetime | None = None) -> mailing.Sending:
    """Mail each offline user one summary of their unread, not yet emailed notifications, once the transaction
    commits (``.sent`` counts them then).

    Only kinds whose channel is "email" (by preference or default) are mailed. A mail that fails leaves
    its notifications un-emailed, so the next run tries again; the others are still sent.
    """
    now = now or utcnow()
    users = sorted({user_id for user_id in offline_user_ids if is_row_id(user_id)})
    outgoing = []
    for start in range(0, len(users), DIGEST_USERS_PER_QUERY):
        outgoing += _digest_batch(session, settings, users[start:start + DIGEST_USERS_PER_QUERY], now)

    def not_emailed(session: Session, user_ids: list[str]) -> None:
        session.execute(sa.update(Notification).values(emailed_at=None)
                        .where(Notification.user_id.in_(user_ids), Notification.emailed_at == now))

    return mailing.send_all(session, settings, outgoing, release=not_emailed)


def users_awaiting_digest(session: Session, *, created_before: datetime, limit: int = 1000) -> list[str]:
    """People with unread, un-emailed notifications of a mailed kind older than ``created_before``."""
    candidates = _digest_candidates_for_everyone(created_before).with_only_columns(Notification.user_id).distinct()
    return list(session.exec(candidates.order_by(Notification.user_id).limit(limit)).all())


# -- helpers ---------------------------------------------------------------------------------------


def _also_on_discord(session: Session, rows: list[dict]) -> None:
    """People who consented to Discord messages get each notification as a direct message too, queued in this
    transaction (a rollback sends nothing)."""
    recipients = discord_messages.consenting_recipients(session, [row["user_id"] for row in rows])
    if not recipients:
        return
    wanted = [Notification(**row) for row in rows if row["user_id"] in recipients]
    texts = _render(session, wanted)
    discord_messages.queue_messages(session, [(row.user_id, row.kind, texts[row.id], _link(row)) for row in wanted])



def _render(session: Session, rows: Iterable[Notification]) -> dict[str, str]:
    rows = list(rows)
    keys = project_keys_of(session, {row.project_id for row in rows if row.project_id})
    titles = _project_titles(session, keys)
    milestones = _milestone_titles(session, {row.subject_id for row in rows if row.kind == "milestone_due"}, keys)
    names = display_names(session, (row.actor_id for row in rows))
    return {
        row.id: _TEXTS[_text_key(row, milestones)].format(
            actor=name_of(names, row.actor_id), count=row.count, title=titles.get(row.project_id, UNTITLED),
            stage=_stage(row), milestone=milestones.get(row.subject_id),
            provider=PROVIDER_NAMES.get(row.subject_id or "", "connected"))
        if row.kind in _TEXTS else "Something happened in one of your projects"
        for row in rows
    }


def _stage(row: Notification) -> str:
    """A stage change's subject is the stage moved to (older ones have none)."""
    return row.subject_id.capitalize() if row.kind == "stage_change" and row.subject_id else "another stage"


def _text_key(row: Notification, milestones: dict[str, str]) -> str:
    if row.kind == "milestone_due" and row.subject_id not in milestones:
        return "milestone_due_unnamed"
    return "messages" if row.kind == "message" and row.count > 1 else row.kind


def _project_titles(session: Session, keys: dict[str, DataKey]) -> dict[str, str]:
    if not keys:
        return {}
    projects = session.exec(select(Project).where(Project.id.in_(sorted(keys))).limit(len(keys))).all()
    return {project.id: get_decrypted(project, "title_encrypted", data_key=keys[project.id]) for project in projects}


def _milestone_titles(session: Session, milestone_ids: set[str], keys: dict[str, DataKey]) -> dict[str, str]:
    if not milestone_ids:
        return {}
    milestones = session.exec(
        select(Milestone).where(Milestone.id.in_(sorted(milestone_ids))).limit(len(milestone_ids))
    ).all()
    return {milestone.id: get_decrypted(milestone, "title_encrypted", data_key=keys[milestone.project_id])
            for milestone in milestones if milestone.project_id in keys}


def _link(row: Notification) -> str:
    if row.project_id and row.kind in _VERSION_KINDS and is_row_id(row.subject_id):
        return routes.version_page(row.project_id, row.subject_id)
    if row.project_id:
        return routes.project_page(row.project_id)
    return _PAGES.get(row.kind, routes.NOTIFICATIONS)


def _mailed_kinds_condition():
    """True where the recipient's channel for the notification's kind is "email", default included."""
    default = sa.case(*[(Notification.kind == kind, channel) for kind, channel in DEFAULT_CHANNELS.items()],
                      else_="none")
    return sa.func.coalesce(NotificationPreference.channel, default) == "email"


def _digest_candidates(user_ids: list[str], now: datetime):
    return _digest_candidates_for_everyone(now).where(Notification.user_id.in_(user_ids))


def _digest_candidates_for_everyone(now: datetime):
    return (
        select(Notification)
        .outerjoin(NotificationPreference, sa.and_(NotificationPreference.user_id == Notification.user_id,
                                                   NotificationPreference.kind == Notification.kind))
        .where(Notification.read_at.is_(None), Notification.emailed_at.is_(None), Notification.created_at <= now,
               _mailed_kinds_condition())
    )


def _digest_batch(session: Session, settings: Settings, user_ids: list[str], now: datetime
                  ) -> list[mailing.Outgoing]:
    """The digest of each of these users who has something to read, their notifications marked as emailed."""
    candidates = _digest_candidates(user_ids, now).add_columns(
        sa.func.row_number().over(partition_by=Notification.user_id,
                                  order_by=(Notification.created_at.desc(), Notification.id.desc())).label("rank"),
        sa.func.count().over(partition_by=Notification.user_id).label("total"),
    ).subquery()
    listed = aliased(Notification, candidates)
    rows = session.exec(
        select(listed, candidates.c.total).where(candidates.c.rank <= DIGEST_ITEMS_MAX)
        .order_by(candidates.c.user_id, candidates.c.created_at.desc(), candidates.c.id.desc())
        .limit(DIGEST_ITEMS_MAX * len(user_ids))
    ).all()
    if not rows:
        return []
    by_user: dict[str, list[Notification]] = {}
    totals: dict[str, int] = {}
    for row, total in rows:
        by_user.setdefault(row.user_id, []).append(row)
        totals[row.user_id] = total
    texts = _render(session, (row for row, _ in rows))
    outgoing = []
    for person in mailing.recipients(session, by_user):  # an erased account has nobody to write to
        items = [(texts[item.id], _link(item)) for item in by_user[person.user_id]]
        mail = mail_templates.digest(settings, person.name, items, totals[person.user_id])
        outgoing.append(mailing.Outgoing(person.user_id, person.email, mail))
        _mark_emailed(session, person.user_id, now)
    return outgoing


def _mark_emailed(session: Session, user_id: str, now: datetime) -> None:
    # Everything the mail summed up, including the items beyond the listed ones ("And N more").
    summed_up = _digest_candidates([user_id], now).with_only_columns(Notification.id)
    session.execute(
        sa.update(Notification).where(Notification.id.in_(summed_up)).values(emailed_at=now)
        .execution_options(synchronize_session=False)
    )
