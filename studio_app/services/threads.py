"""Project threads: the chat-style conversation of a project's members.

Bodies are sealed under the project's data key, so they stay readable for the other members when their
author erases their account; the author's name is then shown as "Deleted user".
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Iterable, Sequence
from datetime import UTC, datetime, timedelta

import sqlalchemy as sa
from sqlmodel import Session, select

from studio_app.models.base import is_row_id, utcnow
from studio_app.models.projects import Message, ProjectDataKey, ProjectMember, ThreadReadMarker
from studio_app.security.crypto import DataKey
from studio_app.security.fields import get_decrypted, set_encrypted
from studio_app.security.policy import Action, Actor, NotAllowed, require_in_project, require_signed_in
from studio_app.services import notifications
from studio_app.services.keys import project_key_of, unwrap_project_key
from studio_app.services.people import display_names, initials, name_of
from studio_app.services.sql import greatest, insert_missing, upsert
from studio_app.services.validation import InvalidInput

BODY_MAX = 8_000
QUOTE_MAX = 140
PAGE_DEFAULT = 50
PAGE_MAX = 100
MENTIONS_MAX = 50
MEMBERS_MAX = 500
PROJECTS_MAX = 1_000
IDEMPOTENCY_KEY = re.compile(r"[A-Za-z0-9_-]{1,64}")
NOT_A_MEMBER = "This project does not exist or you are not one of its members."
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


@dataclasses.dataclass(frozen=True)
class QuoteView:
    id: str
    author_name: str
    excerpt: str | None  # None when the quoted message was deleted


@dataclasses.dataclass(frozen=True)
class MessageView:
    id: str
    project_id: str
    author_id: str | None
    author_name: str
    author_initials: str
    body: str | None  # None when deleted
    created_at: datetime
    edited: bool
    deleted: bool
    reply_to: QuoteView | None
    mentions: tuple[str, ...]
    is_mine: bool
    cursor: str  # orders messages as the thread does (creation time, then id) and pages from here


@dataclasses.dataclass(frozen=True)
class ThreadPage:
    messages: tuple[MessageView, ...]  # oldest first
    before: str | None  # cursor for the next older page, None when there is none
    has_more: bool


@dataclasses.dataclass(frozen=True)
class Posted:
    """What the real-time layer needs of a new message: the tab that sent it already holds its text."""

    message_id: str
    created_at: datetime
    cursor: str
    member_ids: tuple[str, ...]  # the project's current members: whom the real-time layer tells


def post_message(session: Session, actor: Actor | None, project_id: str, body: str, *, idempotency_key: str,
                 reply_to_id: str | None = None, mention_ids: Iterable[str] = ()) -> MessageView:
    """Post to the project's thread; sending the same draft again (same key) returns the first message."""
    posted = post_to_thread(session, actor, project_id, body, idempotency_key=idempotency_key,
                            reply_to_id=reply_to_id, mention_ids=mention_ids)
    return _views(session, actor, project_key_of(session, project_id), [session.get(Message, posted.message_id)])[0]


# Built once: SQLAlchemy remembers a statement object's cache key, where building the statement again per post cost
# more than running it.
_MEMBERS_AND_KEY = (
    select(ProjectMember.user_id, ProjectMember.role, ProjectDataKey.wrapped_key)
    .join(ProjectDataKey, ProjectDataKey.project_id == ProjectMember.project_id)
    .where(ProjectMember.project_id == sa.bindparam("project_id"), ProjectMember.removed_at.is_(None))
    .order_by(ProjectMember.joined_at).limit(MEMBERS_MAX)
)


def post_to_thread(session: Session, actor: Actor | None, project_id: str, body: str, *, idempotency_key: str,
                   reply_to_id: str | None = None, mention_ids: Iterable[str] = (), watching: Iterable[str] = ()
                   ) -> Posted:
    """``post_message`` for the chat's hot path: one query checks membership, lists the members and reads the
    project's key; the row is inserted without the ORM's unit of work, and nothing is read back.

    ``watching``: the members whose open tab shows the thread now (the real-time layer's view). They will see the
    message arrive, so they get no "new message" notification; the real-time layer writes one for any of them whose
    tab turns out not to show it (``notify_missed``). Mentions notify every mentioned member."""
    actor = require_signed_in(actor)
    rows = session.exec(_MEMBERS_AND_KEY, params={"project_id": project_id}).all() if is_row_id(project_id) else []
    roles = {user_id: role for user_id, role, _ in rows}
    actor = require_in_project(actor, Action.POST_MESSAGE, roles.get(actor.user_id))
    members = tuple(roles)
    body = _check_body(body)
    key = _check_idempotency_key(idempotency_key)
    mentions = _check_mentions(mention_ids, members)
    if reply_to_id is not None:
        _check_reply_to(session, project_id, reply_to_id)
    message = Message(project_id=project_id, author_id=actor.user_id, reply_to_id=reply_to_id, mentions=mentions,
                      idempotency_key=key, created_at=utcnow())
    set_encrypted(message, "body_encrypted", body, data_key=unwrap_project_key(project_id, rows[0][2]))
    # A draft sent again (same key, by a retry or another tab at the same moment) inserts nothing: the first
    # message stands, and nothing else of the caller's transaction is undone.
    if not insert_missing(session, Message, [{column.name: getattr(message, column.name)
                                              for column in Message.__table__.columns}],
                          key=("author_id", "idempotency_key"), returning=Message.id):
        existing = _existing_message(session, actor, key)
        if existing.project_id != project_id:
            raise InvalidInput("idempotency_key", "This draft was already sent to another project.")
        return Posted(existing.id, existing.created_at, _encode_cursor(existing), members)
    # Mentioned members hear about it as a mention (mailed by default); the others as a new message.
    told_live = set(watching)
    notifications.notify(session, user_ids=[member for member in members if member not in mentions
                                            and member not in told_live],
                         kind="message", project_id=project_id, actor_id=actor.user_id, subject_id=message.id)
    notifications.notify(session, user_ids=mentions, kind="mention", project_id=project_id, actor_id=actor.user_id,
                         subject_id=message.id)
    return Posted(message.id, message.created_at, _encode_cursor(message), members)


def edit_message(session: Session, actor: Actor | None, message_id: str, body: str) -> MessageView:
    actor, message = _own_message(session, actor, message_id)
    if message.deleted_at is not None:
        raise NotAllowed("This message was deleted: it can no longer be edited.")
    body = _check_body(body)
    project_key = project_key_of(session, message.project_id)
    set_encrypted(message, "body_encrypted", body, data_key=project_key)
    message.edited_at = utcnow()
    session.add(message)
    session.flush()
    return _views(session, actor, project_key, [message])[0]


def delete_message(session: Session, actor: Actor | None, message_id: str) -> MessageView:
    """The row stays, without its body, so replies keep their place and quote "Message deleted"."""
    actor, message = _own_message(session, actor, message_id)
    if message.deleted_at is None:
        message.deleted_at = utcnow()
        message.body_encrypted = None
        session.add(message)
        session.flush()
    return _views(session, actor, project_key_of(session, message.project_id), [message])[0]


def thread_page(session: Session, actor: Actor | None, project_id: str, *, before: str | None = None,
                limit: int = PAGE_DEFAULT) -> ThreadPage:
    """The ``limit`` messages just older than the ``before`` cursor (the latest ones without it).

    Keyset pagination on (created_at, id) over ix_message_project_time: a page costs the same few
    queries however long the thread is.
    """
    actor = _require_member(session, actor, Action.VIEW_PROJECT, project_id)
    if not isinstance(limit, int) or not 1 <= limit <= PAGE_MAX:
        raise InvalidInput("limit", f"Ask for 1 to {PAGE_MAX} messages.")
    query = select(Message).where(Message.project_id == project_id)
    if before is not None:
        query = query.where(sa.tuple_(Message.created_at, Message.id) < _decode_cursor(before))
    newest_first = session.exec(
        query.order_by(Message.created_at.desc(), Message.id.desc()).limit(limit + 1)
    ).all()
    has_more = len(newest_first) > limit
    page = list(reversed(newest_first[:limit]))
    views = _views(session, actor, project_key_of(session, project_id), page) if page else []
    return ThreadPage(messages=tuple(views), before=_encode_cursor(page[0]) if has_more else None, has_more=has_more)


def mark_thread_read(session: Session, actor: Actor | None, project_id: str, up_to: str | None = None) -> None:
    """Mark the thread read up to the message ``up_to`` (everything so far without it); never moves back."""
    actor = _require_member(session, actor, Action.VIEW_PROJECT, project_id)
    read_at = utcnow()
    if up_to is not None:
        read_at = session.exec(
            select(Message.created_at).where(Message.id == up_to, Message.project_id == project_id).limit(1)
        ).first() if is_row_id(up_to) else None
        if read_at is None:
            raise InvalidInput("up_to", "This message is not part of this thread.")
    upsert(session, ThreadReadMarker, {"project_id": project_id, "user_id": actor.user_id, "last_read_at": read_at},
           key=("project_id", "user_id"),
           update={"last_read_at": lambda proposed: greatest(ThreadReadMarker.last_read_at, proposed.last_read_at)})


@dataclasses.dataclass(frozen=True)
class SeenLive:
    """A member's open tab showed a project's new message as it arrived."""

    project_id: str
    user_id: str
    created_at: datetime  # the message's


def mark_seen_live(session: Session, seen: Iterable[SeenLive]) -> None:
    """The threads count as read up to the messages the members' open tabs just showed (the real-time layer reports
    them, several projects at once), as if each tab had read them; people who are no longer members are ignored.

    Read up to that message, not up to now: one posted since, still on its way to the tab, stays unread.
    """
    read_up_to: dict[tuple[str, str], datetime] = {}
    for item in seen:
        if is_row_id(item.project_id):
            key = (item.project_id, item.user_id)
            read_up_to[key] = max(item.created_at, read_up_to.get(key, item.created_at))
    projects = {project_id for project_id, _ in read_up_to}
    if not projects:
        return
    members = set(session.exec(
        select(ProjectMember.project_id, ProjectMember.user_id)
        .where(ProjectMember.project_id.in_(projects), ProjectMember.removed_at.is_(None))
        .limit(len(projects) * MEMBERS_MAX)
    ).all())
    markers = [{"project_id": project_id, "user_id": user_id, "last_read_at": read_at}
               for (project_id, user_id), read_at in sorted(read_up_to.items()) if (project_id, user_id) in members]
    if not markers:
        return
    upsert(session, ThreadReadMarker, markers, key=("project_id", "user_id"),
           update={"last_read_at": lambda proposed: greatest(ThreadReadMarker.last_read_at, proposed.last_read_at)})
    notifications.mark_message_notifications_read(session, [(marker["project_id"], marker["user_id"])
                                                            for marker in markers])


def notify_missed(session: Session, project_id: str, user_ids: Iterable[str], author_id: str | None,
                  message_id: str) -> None:
    """The "new message" notification of members who were thought to be watching the thread (``post_to_thread``'s
    ``watching``) but whose tab did not show the message; people who are no longer members are ignored."""
    members = set(thread_members(session, project_id))
    notifications.notify(session, user_ids=[user_id for user_id in user_ids if user_id in members], kind="message",
                         project_id=project_id, actor_id=author_id, subject_id=message_id)


def unread_counts(session: Session, actor: Actor | None) -> dict[str, int]:
    """Unread messages by others in each of the actor's projects (0 included), in one query."""
    actor = require_signed_in(actor)
    marker = sa.and_(ThreadReadMarker.project_id == ProjectMember.project_id,
                     ThreadReadMarker.user_id == ProjectMember.user_id)
    unread = sa.and_(
        Message.project_id == ProjectMember.project_id,
        Message.deleted_at.is_(None),
        sa.or_(Message.author_id.is_(None), Message.author_id != actor.user_id),
        sa.or_(ThreadReadMarker.last_read_at.is_(None), Message.created_at > ThreadReadMarker.last_read_at),
    )
    rows = session.exec(
        select(ProjectMember.project_id, sa.func.count(Message.id))
        .outerjoin(ThreadReadMarker, marker)
        .outerjoin(Message, unread)
        .where(ProjectMember.user_id == actor.user_id, ProjectMember.removed_at.is_(None))
        .group_by(ProjectMember.project_id)
        .limit(PROJECTS_MAX)
    ).all()
    return dict(rows)


@dataclasses.dataclass(frozen=True)
class OpenedThread:
    page: ThreadPage
    member_names: dict[str, str]  # every current member, in the order they joined
    unread_notifications: int | None  # the new count when reading the thread read some notifications


def read_latest(session: Session, actor: Actor | None, project_id: str, *, limit: int) -> OpenedThread:
    """What a tab showing the thread needs, in one transaction: the newest page and the members' names;
    the thread and its message notifications count as read from now on."""
    page = thread_page(session, actor, project_id, limit=limit)
    member_ids = thread_members(session, project_id)
    names = display_names(session, member_ids)
    mark_thread_read(session, actor, project_id)
    read_some = notifications.mark_thread_notifications_read(session, actor, project_id)
    return OpenedThread(
        page=page,
        member_names={user_id: names[user_id] for user_id in member_ids if user_id in names},
        unread_notifications=notifications.unread_notification_count(session, actor) if read_some else None,
    )


def thread_members(session: Session, project_id: str) -> list[str]:
    """User ids of the project's current members: whom the real-time layer tells about a new message."""
    return list(_member_roles(session, project_id))


def _member_roles(session: Session, project_id: object) -> dict[str, str]:
    """The current members' roles, in the order they joined."""
    if not is_row_id(project_id):
        return {}
    return dict(session.exec(
        select(ProjectMember.user_id, ProjectMember.role)
        .where(ProjectMember.project_id == project_id, ProjectMember.removed_at.is_(None))
        .order_by(ProjectMember.joined_at).limit(MEMBERS_MAX)
    ).all())


# -- helpers ---------------------------------------------------------------------------------------


def _member_role(session: Session, actor: Actor, project_id: str) -> str | None:
    return session.exec(
        select(ProjectMember.role).where(ProjectMember.project_id == project_id,
                                         ProjectMember.user_id == actor.user_id,
                                         ProjectMember.removed_at.is_(None)).limit(1)
    ).first()


def _require_member(session: Session, actor: Actor | None, action: Action, project_id: object) -> Actor:
    actor = require_signed_in(actor)
    if not is_row_id(project_id):
        raise NotAllowed(NOT_A_MEMBER)
    return require_in_project(actor, action, _member_role(session, actor, project_id))


def _own_message(session: Session, actor: Actor | None, message_id: object) -> tuple[Actor, Message]:
    """The message, if the actor is a member of its project and its author; a stranger learns nothing."""
    actor = require_signed_in(actor)
    if not is_row_id(message_id):
        raise NotAllowed(NOT_A_MEMBER)
    found = session.exec(
        select(Message, ProjectMember.role)
        .outerjoin(ProjectMember, sa.and_(ProjectMember.project_id == Message.project_id,
                                          ProjectMember.user_id == actor.user_id,
                                          ProjectMember.removed_at.is_(None)))
        .where(Message.id == message_id).limit(1)
    ).first()
    message, role = found if found is not None else (None, None)
    require_in_project(actor, Action.EDIT_MESSAGE, role, author_id=message.author_id if message else None)
    return actor, message


def _check_body(body: object) -> str:
    if not isinstance(body, str) or not body.strip():
        raise InvalidInput("body", "Write a message first.")
    body = body.strip()
    if len(body) > BODY_MAX:
        raise InvalidInput("body", f"A message has at most {BODY_MAX:,} characters; this one has {len(body):,}.")
    return body


def _check_idempotency_key(key: object) -> str:
    if not isinstance(key, str) or not IDEMPOTENCY_KEY.fullmatch(key):
        raise InvalidInput("idempotency_key", "This draft has no valid key: reload the page and send it again.")
    return key


def _check_mentions(mention_ids: Iterable[str], members: Sequence[str]) -> list[str]:
    wanted = [mention_ids] if isinstance(mention_ids, str) else list(mention_ids or ())
    if len(wanted) > MENTIONS_MAX:
        raise InvalidInput("mention_ids", f"Mention at most {MENTIONS_MAX} people.")
    if any(user_id not in members for user_id in wanted):
        raise InvalidInput("mention_ids", "Only members of this project can be mentioned.")
    return list(dict.fromkeys(wanted))


def _check_reply_to(session: Session, project_id: str, reply_to_id: object) -> None:
    found = is_row_id(reply_to_id) and session.exec(
        select(Message.id).where(Message.id == reply_to_id, Message.project_id == project_id).limit(1)
    ).first()
    if not found:
        raise InvalidInput("reply_to_id", "The message you reply to is not in this thread.")


def _existing_message(session: Session, actor: Actor, key: str) -> Message | None:
    return session.exec(
        select(Message).where(Message.author_id == actor.user_id, Message.idempotency_key == key).limit(1)
    ).first()


def _views(session: Session, actor: Actor, project_key: DataKey, messages: Sequence[Message]) -> list[MessageView]:
    """Views of messages of one project: one query for the quoted messages not in hand, one for all names."""
    by_id = {message.id: message for message in messages}
    missing = sorted({m.reply_to_id for m in messages if m.reply_to_id and m.reply_to_id not in by_id})
    quoted = {m.id: m for m in session.exec(
        select(Message).where(Message.id.in_(missing)).limit(len(missing))
    ).all()} if missing else {}
    quoted |= by_id
    names = display_names(session, [m.author_id for m in messages] + [m.author_id for m in quoted.values()])
    views = []
    for message in messages:
        name = name_of(names, message.author_id)
        views.append(MessageView(
            id=message.id,
            project_id=message.project_id,
            author_id=message.author_id,
            author_name=name,
            author_initials=initials(name),
            body=_body(message, project_key),
            created_at=message.created_at,
            edited=message.edited_at is not None,
            deleted=message.deleted_at is not None,
            reply_to=_quote(quoted.get(message.reply_to_id), names, project_key),
            mentions=tuple(message.mentions),
            is_mine=message.author_id == actor.user_id,
            cursor=_encode_cursor(message),
        ))
    return views


def _body(message: Message, project_key: DataKey) -> str | None:
    if message.deleted_at is not None:
        return None
    return get_decrypted(message, "body_encrypted", data_key=project_key)


def _quote(message: Message | None, names: dict[str, str], project_key: DataKey) -> QuoteView | None:
    if message is None:
        return None
    body = _body(message, project_key)
    return QuoteView(id=message.id, author_name=name_of(names, message.author_id),
                     excerpt=body[:QUOTE_MAX] if body is not None else None)


def _encode_cursor(message: Message) -> str:
    # Zero-padded: cursors compare as text in the same order as the thread.
    return f"{(message.created_at - _EPOCH) // timedelta(microseconds=1):020d}-{message.id}"


def _decode_cursor(cursor: object) -> tuple[datetime, str]:
    micros, _, message_id = cursor.partition("-") if isinstance(cursor, str) else ("", "", "")
    try:
        if micros.isdigit() and is_row_id(message_id):
            return _EPOCH + timedelta(microseconds=int(micros[:20])), message_id
    except OverflowError:
        pass
    raise InvalidInput("before", "This page of the thread cannot be found: reload the thread.")
