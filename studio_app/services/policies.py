"""Versioned privacy policy: the text people read, its versions, publishing a new one, and telling people.

Version 1 is the Markdown file shipped with the app (``studio_app/policies/privacy-v1.md``), whose retention
periods are placeholders filled from the settings (``retention.with_periods``); admins publish the next
versions, which are rows of ``policy_document`` and never edited. The current version is the newest one whose
effective date has come. A *significant* version is announced: a banner in the app until the person
acknowledges it, and one email each.
"""

from __future__ import annotations

import dataclasses
import functools
from collections.abc import Collection
from datetime import UTC, datetime, timedelta
from pathlib import Path

import sqlalchemy as sa
from sqlmodel import Session, select

from studio_app.models.accounts import User
from studio_app.models.base import new_id, utcnow
from studio_app.models.privacy import PolicyDocument, PolicyKind, PolicyNotice
from studio_app.security.policy import Action, Actor, NotAllowed, require
from studio_app.services import audit, mail_templates, mailing, retention
from studio_app.services.mailing import BatchResult
from studio_app.services.sql import serialize_writers, upsert
from studio_app.services.validation import InvalidInput
from studio_app.settings import Settings, current_settings

BUILT_IN_FILE = Path(__file__).resolve().parent.parent / "policies" / "privacy-v1.md"
BUILT_IN_VERSION = 1
# The day version 1 was published and took effect (accounts made before versioning recorded this date).
BUILT_IN_PUBLISHED_AT = datetime(2026, 11, 29, tzinfo=UTC)
BUILT_IN_SUMMARY = "First version."
MAX_BODY = 100_000
MAX_SUMMARY = 300
MAX_EFFECTIVE_DAYS = 366
VERSIONS_SHOWN = 200
# pg_advisory_xact_lock key serializing publishers (any constant distinct from the audit chain's).
PUBLISH_LOCK_ID = 0x504F4C49


@dataclasses.dataclass(frozen=True)
class PolicyVersion:
    version: int
    body_markdown: str
    change_summary: str
    significant: bool
    published_at: datetime
    effective_at: datetime

    def effective(self, now: datetime) -> bool:
        return self.effective_at <= now


def built_in_policy() -> PolicyVersion:
    body = retention.with_periods(_built_in_text(), current_settings())
    return PolicyVersion(version=BUILT_IN_VERSION, body_markdown=body, change_summary=BUILT_IN_SUMMARY,
                         significant=False, published_at=BUILT_IN_PUBLISHED_AT, effective_at=BUILT_IN_PUBLISHED_AT)


@functools.cache
def _built_in_text() -> str:
    return BUILT_IN_FILE.read_text(encoding="utf-8")


def policy_versions(session: Session) -> list[PolicyVersion]:
    """Every version, newest first, the built-in version 1 last."""
    rows = session.exec(select(PolicyDocument).where(PolicyDocument.kind == PolicyKind.PRIVACY)
                        .order_by(PolicyDocument.version.desc()).limit(VERSIONS_SHOWN)).all()
    return [_view(row) for row in rows] + [built_in_policy()]


def policy_version(session: Session, version: object) -> PolicyVersion | None:
    number = _version_number(version)
    if number is None:
        return None
    if number == BUILT_IN_VERSION:
        return built_in_policy()
    row = session.exec(select(PolicyDocument).where(PolicyDocument.kind == PolicyKind.PRIVACY,
                                                    PolicyDocument.version == number)).first()
    return _view(row) if row is not None else None


def current_policy(session: Session, now: datetime | None = None) -> PolicyVersion:
    """The newest version whose effective date has come (version 1 when no other is in effect)."""
    row = session.exec(
        select(PolicyDocument).where(PolicyDocument.kind == PolicyKind.PRIVACY,
                                     PolicyDocument.effective_at <= (now or utcnow()))
        .order_by(PolicyDocument.version.desc()).limit(1)
    ).first()
    return _view(row) if row is not None else built_in_policy()


def upcoming_policy(session: Session, now: datetime | None = None) -> PolicyVersion | None:
    """A published version that is not in effect yet, if any (the page announces it)."""
    row = session.exec(
        select(PolicyDocument).where(PolicyDocument.kind == PolicyKind.PRIVACY,
                                     PolicyDocument.effective_at > (now or utcnow()))
        .order_by(PolicyDocument.version.desc()).limit(1)
    ).first()
    return _view(row) if row is not None else None


def publish_policy(session: Session, actor: Actor | None, body_markdown: object, change_summary: object,
                   significant: object, effective_at: datetime | None = None) -> PolicyVersion:
    """Publish the next version. Two admins publishing at once get two consecutive numbers: publishers
    are serialized by a lock, and the unique (kind, version) constraint stays the last guard."""
    actor = require(actor, Action.ADMINISTER_PRIVACY)
    body = _check_body(body_markdown)
    summary = _check_summary(change_summary)
    if not isinstance(significant, bool):
        raise InvalidInput("significant", "Say whether this change is significant.")
    now = utcnow()
    effective = _check_effective(effective_at, now)
    serialize_writers(session, PUBLISH_LOCK_ID, PolicyDocument.version)
    latest = session.exec(select(sa.func.max(PolicyDocument.version))
                          .where(PolicyDocument.kind == PolicyKind.PRIVACY)).one()
    row = PolicyDocument(id=new_id(), kind=PolicyKind.PRIVACY, version=(latest or BUILT_IN_VERSION) + 1,
                         body_markdown=body, change_summary=summary, significant=significant, published_at=now,
                         effective_at=effective, published_by=actor.user_id)
    session.add(row)
    try:
        session.flush()
    except sa.exc.IntegrityError:
        raise NotAllowed("Another version was published at the same moment. Reload the page and try again.") from None
    audit.record_event(session, "policy.published", actor_id=actor.user_id, subject_id=row.id,
                       details={"version": row.version, "significant": significant})
    return _view(row)


def pending_notice(session: Session, actor: Actor | None) -> PolicyVersion | None:
    """The newest significant version published after the one the person accepted, if not acknowledged yet."""
    if actor is None:
        return None
    user = session.get(User, actor.user_id)
    if user is None:
        return None
    row = session.exec(
        select(PolicyDocument).where(PolicyDocument.kind == PolicyKind.PRIVACY, PolicyDocument.significant.is_(True),
                                     PolicyDocument.version > accepted_version(user))
        .order_by(PolicyDocument.version.desc()).limit(1)
    ).first()
    if row is None:
        return None
    notice = session.get(PolicyNotice, (row.id, actor.user_id))
    if notice is not None and notice.acknowledged_at is not None:
        return None
    return _view(row)


def acknowledge(session: Session, actor: Actor | None, version: object) -> None:
    """Record that the person read a significant version (idempotent)."""
    actor = require(actor, Action.EDIT_OWN_ACCOUNT)
    number = _version_number(version)
    row = session.exec(select(PolicyDocument).where(PolicyDocument.kind == PolicyKind.PRIVACY,
                                                    PolicyDocument.version == number)).first() if number else None
    if row is None or not row.significant:
        raise InvalidInput("version", "This policy version does not exist or needs no acknowledgement.")
    notice = session.get(PolicyNotice, (row.id, actor.user_id))
    if notice is not None and notice.acknowledged_at is not None:
        return
    # An upsert: the mailing round may be writing this person's notice row at the same moment.
    # The first acknowledgement is the one recorded.
    upsert(session, PolicyNotice, {"document_id": row.id, "user_id": actor.user_id, "acknowledged_at": utcnow()},
           key=("document_id", "user_id"),
           update={"acknowledged_at": lambda proposed: sa.func.coalesce(PolicyNotice.acknowledged_at,
                                                                        proposed.acknowledged_at)})
    audit.record_event(session, "policy.acknowledged", actor_id=actor.user_id, subject_id=row.id,
                       details={"version": row.version})


def accepted_version(user: User) -> int:
    """Accounts made before versioning recorded a date: they accepted version 1."""
    return _version_number(user.privacy_policy_version) or BUILT_IN_VERSION


def mail_notice_batch(session: Session, settings: Settings, *, skip: Collection[str] = (),
                      batch_size: int = mailing.BATCH_SIZE) -> BatchResult:
    """Mail the newest significant version to the next people who were not told yet; each gets it once
    (the notice row records when). Unverified addresses are not written to."""
    document = session.exec(
        select(PolicyDocument).where(PolicyDocument.kind == PolicyKind.PRIVACY, PolicyDocument.significant.is_(True))
        .order_by(PolicyDocument.version.desc()).limit(1)
    ).first()
    if document is None:
        return BatchResult.nobody()
    later = session.exec(select(PolicyDocument.version).where(PolicyDocument.kind == PolicyKind.PRIVACY,
                                                              PolicyDocument.version >= document.version)).all()
    told = select(PolicyNotice.user_id).where(PolicyNotice.document_id == document.id,
                                              PolicyNotice.user_id == User.id)
    candidates = session.exec(
        select(User.id).where(User.email_verified_at.is_not(None), ~sa.exists(told), mailing.has_data_key(),
                              User.privacy_policy_version.not_in([str(number) for number in later]),
                              User.id.not_in(sorted(skip)))
        .order_by(User.id).limit(batch_size)
    ).all()
    if not candidates:
        return BatchResult.nobody()
    view = _view(document)
    claimed = mailing.claim(session, PolicyNotice, candidates, document_id=document.id, emailed_at=utcnow())

    def not_told(session: Session, user_ids: list[str]) -> None:  # tried again next round
        session.execute(sa.delete(PolicyNotice).where(PolicyNotice.document_id == document.id,
                                                      PolicyNotice.user_id.in_(user_ids),
                                                      PolicyNotice.acknowledged_at.is_(None)))

    sending = mailing.send_each(
        session, settings, claimed, release=not_told,
        compose=lambda person: mail_templates.policy_notice(settings, person.name, view.version, view.published_at,
                                                            view.effective_at, view.change_summary))
    return BatchResult(sending, had_candidates=True)


def day(moment: datetime) -> str:
    return f"{moment.day} {moment.strftime('%B %Y')}"


def _view(row: PolicyDocument) -> PolicyVersion:
    return PolicyVersion(version=row.version, body_markdown=row.body_markdown, change_summary=row.change_summary,
                         significant=row.significant, published_at=row.published_at, effective_at=row.effective_at)


def _version_number(value: object) -> int | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value if 0 < value < 1_000_000 else None
    if isinstance(value, str) and value.isascii() and value.isdigit() and len(value) <= 6:
        return int(value) or None
    return None


def _check_body(text: object) -> str:
    if not isinstance(text, str) or not text.strip():
        raise InvalidInput("body_markdown", "Write the text of the policy.")
    text = text.strip().replace("\r\n", "\n")
    if len(text) > MAX_BODY:
        raise InvalidInput("body_markdown", f"Use at most {MAX_BODY:,} characters.")
    if any(ord(char) < 32 and char not in "\n\t" for char in text):
        raise InvalidInput("body_markdown", "Remove the invisible control characters from the text.")
    return text


def _check_summary(text: object) -> str:
    if not isinstance(text, str) or not text.strip():
        raise InvalidInput("change_summary", "Say in one sentence what changed: people read it in the banner.")
    text = " ".join(text.split())
    if len(text) > MAX_SUMMARY:
        raise InvalidInput("change_summary", f"Keep the summary under {MAX_SUMMARY} characters.")
    return text


def _check_effective(effective_at: object, now: datetime) -> datetime:
    if effective_at is None:
        return now
    if not isinstance(effective_at, datetime) or effective_at.tzinfo is None:
        raise InvalidInput("effective_at", "Choose the date the new version applies from.")
    if effective_at < now - timedelta(days=1):
        raise InvalidInput("effective_at", "The new version cannot apply from a date in the past.")
    if effective_at > now + timedelta(days=MAX_EFFECTIVE_DAYS):
        raise InvalidInput("effective_at", "Choose a date within the next year.")
    return max(effective_at, now)
