"""Product news: written by an admin, mailed by the periodic round only to people whose marketing consent
is active at the moment each batch is sent (a withdrawal stops the next mail), never twice to anyone."""

from __future__ import annotations

import dataclasses
from collections.abc import Collection
from datetime import datetime

import sqlalchemy as sa
from sqlmodel import Session, select

from studio_app.models.accounts import ConsentKind, User
from studio_app.models.base import new_id, utcnow
from studio_app.models.privacy import Announcement, AnnouncementDelivery
from studio_app.security.policy import Action, Actor, require
from studio_app.services import audit, mail_templates, mailing, privacy
from studio_app.services.mailing import BatchResult
from studio_app.services.validation import InvalidInput
from studio_app.settings import Settings

MAX_SUBJECT = 150
MAX_BODY = 20_000
LISTED = 50


@dataclasses.dataclass(frozen=True)
class AnnouncementView:
    id: str
    subject: str
    body_markdown: str
    created_at: datetime
    sent_at: datetime | None
    recipients: int


def create_announcement(session: Session, actor: Actor | None, subject: object, body_markdown: object
                        ) -> AnnouncementView:
    """Queue product news; the next mailing round sends it."""
    actor = require(actor, Action.ADMINISTER_PRIVACY)
    subject, body = _check_subject(subject), _check_body(body_markdown)
    row = Announcement(id=new_id(), subject=subject, body_markdown=body, created_by=actor.user_id)
    session.add(row)
    audit.record_event(session, "announcement.created", actor_id=actor.user_id, subject_id=row.id)
    return AnnouncementView(id=row.id, subject=subject, body_markdown=body, created_at=row.created_at, sent_at=None,
                            recipients=0)


def announcements(session: Session, actor: Actor | None) -> list[AnnouncementView]:
    """Newest first, each with how many people received it (one grouped query)."""
    require(actor, Action.ADMINISTER_PRIVACY)
    received = (select(AnnouncementDelivery.announcement_id, sa.func.count().label("total"))
                .group_by(AnnouncementDelivery.announcement_id).subquery())
    rows = session.exec(
        select(Announcement, sa.func.coalesce(received.c.total, 0))
        .outerjoin(received, received.c.announcement_id == Announcement.id)
        .order_by(Announcement.created_at.desc(), Announcement.id).limit(LISTED)
    ).all()
    return [AnnouncementView(id=row.id, subject=row.subject, body_markdown=row.body_markdown,
                             created_at=row.created_at, sent_at=row.sent_at, recipients=total)
            for row, total in rows]


def mail_announcement_batch(session: Session, settings: Settings, *, skip: Collection[str] = (),
                            batch_size: int = mailing.BATCH_SIZE) -> BatchResult:
    """Send the oldest unsent announcement to the next batch of people who consent *now* and have not
    received it; when nobody is left (and nobody failed this round), it is marked sent."""
    row = session.exec(select(Announcement).where(Announcement.sent_at.is_(None))
                       .order_by(Announcement.created_at, Announcement.id).limit(1)).first()
    if row is None:
        return BatchResult.nobody()
    delivered = select(AnnouncementDelivery.user_id).where(AnnouncementDelivery.announcement_id == row.id,
                                                           AnnouncementDelivery.user_id == User.id)
    candidates = session.exec(
        select(User.id).where(User.email_verified_at.is_not(None), ~sa.exists(delivered), mailing.has_data_key(),
                              privacy.consent_is_active(User.id, ConsentKind.MARKETING_EMAIL),
                              User.id.not_in(sorted(skip)))
        .order_by(User.id).limit(batch_size)
    ).all()
    if not candidates:
        if not skip:
            row.sent_at = utcnow()
            session.add(row)
            return BatchResult.nobody(had_candidates=True)  # the next batch moves to the next one
        return BatchResult.nobody()
    claimed = mailing.claim(session, AnnouncementDelivery, candidates, announcement_id=row.id, sent_at=utcnow())
    announcement_id, subject, body = row.id, row.subject, row.body_markdown

    def not_delivered(session: Session, user_ids: list[str]) -> None:  # tried again next round
        session.execute(sa.delete(AnnouncementDelivery).where(AnnouncementDelivery.announcement_id == announcement_id,
                                                              AnnouncementDelivery.user_id.in_(user_ids)))

    sending = mailing.send_each(
        session, settings, claimed, release=not_delivered,
        compose=lambda person: mail_templates.announcement(settings, person.name, subject, body))
    return BatchResult(sending, had_candidates=True)


def _check_subject(subject: object) -> str:
    if not isinstance(subject, str) or not subject.strip():
        raise InvalidInput("subject", "Write the subject of the email.")
    subject = " ".join(subject.split())
    if len(subject) > MAX_SUBJECT:
        raise InvalidInput("subject", f"Keep the subject under {MAX_SUBJECT} characters.")
    return subject


def _check_body(body: object) -> str:
    if not isinstance(body, str) or not body.strip():
        raise InvalidInput("body_markdown", "Write the news.")
    body = body.strip().replace("\r\n", "\n")
    if len(body) > MAX_BODY:
        raise InvalidInput("body_markdown", f"Use at most {MAX_BODY:,} characters.")
    if any(ord(char) < 32 and char not in "\n\t" for char in body):
        raise InvalidInput("body_markdown", "Remove the invisible control characters from the text.")
    return body
