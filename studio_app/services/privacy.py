"""The privacy center's data: what we hold about a person (from the personal-data register) and consents."""

from __future__ import annotations

import dataclasses
from datetime import datetime

import sqlalchemy as sa
from sqlmodel import Session, select

from studio_app.models.accounts import Consent, ConsentKind, UserSession
from studio_app.models.base import utcnow
from studio_app.models.connections import ConnectedAccount
from studio_app.models.files import StoredFile
from studio_app.models.privacy import PrivacyRequest, RequestKind
from studio_app.models.projects import Message, ProjectMember
from studio_app.security.personal_data import Category, personal_fields
from studio_app.security.policy import Action, Actor, require
from studio_app.services import audit, privacy_requests, retention
from studio_app.services.validation import InvalidInput
from studio_app.settings import current_settings

CONSENT_PURPOSES = {
    ConsentKind.MARKETING_EMAIL: "Occasional product news by email. Account and project emails do not depend on it.",
    ConsentKind.DISCORD_NOTIFICATIONS: "Your notifications also sent to you as Discord direct messages by the studio's "
                                       "bot.",
    ConsentKind.TIKTOK_PUBLICATION: "Publishing the videos you approve on your TikTok account, at the time you choose.",
}
# What each consent is called where it is listed, and in the request that logs its withdrawal.
CONSENT_NAMES = {
    ConsentKind.MARKETING_EMAIL: "Product news by email",
    ConsentKind.DISCORD_NOTIFICATIONS: "Discord messages",
    ConsentKind.TIKTOK_PUBLICATION: "Publishing on your TikTok",
}
# These are given in the provider's own consent screen when you connect the account, not with a button here;
# withdrawing them here works at once like any other.
CONSENTS_GIVEN_ON_CONNECT = {
    ConsentKind.DISCORD_NOTIFICATIONS: "Given on your connected accounts page, once Discord is connected.",
    ConsentKind.TIKTOK_PUBLICATION: "Given when you connect your TikTok account for publishing.",
}


@dataclasses.dataclass(frozen=True)
class CategoryInfo:
    label: str
    legal_basis: str
    retention: str
    recipients: str


# What the privacy policy promises for each category, in one place. Retention periods are placeholders filled
# from the settings and the code that applies them (retention.with_periods).
CATEGORY_INFO = {
    Category.IDENTITY: CategoryInfo("Identity", "Contract (providing the service you signed up for)",
                                    "Until you delete your account", "The people you work with in a project"),
    Category.CONTACT: CategoryInfo("Contact details", "Contract", "Until you delete your account",
                                   "Nobody: we send the emails ourselves"),
    Category.CREDENTIALS: CategoryInfo("Sign-in secrets", "Contract and legitimate interest (security)",
                                       "Until you delete your account", "Nobody"),
    Category.TECHNICAL: CategoryInfo("Technical data", "Legitimate interest (keeping your account safe)",
                                     "Erased after {technical_data_days} days", "Nobody"),
    Category.THIRD_PARTY_IDS: CategoryInfo("Connected accounts", "Consent", "Until you disconnect them",
                                           "The service you connected (TikTok, Discord)"),
    Category.CONTENT: CategoryInfo("Projects and messages", "Contract",
                                   "While the project exists; shared history stays readable for the other members",
                                   "The members of each project"),
    Category.FILES: CategoryInfo("Files", "Contract", "While the project exists; your personal files until you "
                                 "delete them or your account", "The members of the project the file is in"),
    Category.PREFERENCES: CategoryInfo("Preferences", "Contract", "Until you delete your account", "Nobody"),
    Category.REQUESTS: CategoryInfo("Privacy requests", "Legal obligation (answering and proving we answered)",
                                    "{proof_years} years after the answer, without your name once your account is "
                                    "deleted",
                                    "Our privacy team"),
}


@dataclasses.dataclass(frozen=True)
class HeldCategory:
    category: str
    label: str
    purposes: tuple[str, ...]
    legal_basis: str
    retention: str
    recipients: str
    summary: str


@dataclasses.dataclass(frozen=True)
class ConsentView:
    kind: str
    purpose: str
    active: bool
    given_on_connect: str  # empty when it is given with a button in the privacy center
    history: tuple[tuple[datetime, datetime | None], ...]  # (given, withdrawn) newest first


def what_we_hold(session: Session, actor: Actor | None) -> list[HeldCategory]:
    actor = require(actor, Action.VIEW_OWN_ACCOUNT)
    counts = _counts(session, actor.user_id)
    summaries = {
        Category.IDENTITY: "Your display name and role",
        Category.CONTACT: "Your email address (and a pending new one while you change it)",
        Category.CREDENTIALS: "A salted, peppered hash of your password (never the password itself)",
        Category.TECHNICAL: f"{counts['sessions']} signed-in browser(s): approximate address and browser",
        Category.CONTENT: f"{counts['projects']} project(s) and {counts['messages']} message(s) you wrote",
        Category.FILES: f"{counts['files']} file(s) you uploaded",
        Category.PREFERENCES: "Your notification choices and consents",
        Category.REQUESTS: f"{counts['requests']} privacy request(s) and our answers",
        Category.THIRD_PARTY_IDS: f"{counts['connections']} connected account(s) (Discord, TikTok): your id and name "
                                  "there, and the sealed tokens the studio uses within the scopes you granted",
    }
    purposes: dict[Category, list[str]] = {}
    for field in personal_fields():
        purposes.setdefault(field.category, [])
        if field.purpose not in purposes[field.category]:
            purposes[field.category].append(field.purpose)
    settings = current_settings()
    return [
        HeldCategory(category=str(category), label=info.label, purposes=tuple(purposes.get(category, ())),
                     legal_basis=info.legal_basis, retention=retention.with_periods(info.retention, settings),
                     recipients=info.recipients,
                     summary=summaries[category])
        for category, info in CATEGORY_INFO.items() if category in summaries
    ]


def consents(session: Session, actor: Actor | None) -> list[ConsentView]:
    actor = require(actor, Action.VIEW_OWN_ACCOUNT)
    rows = session.exec(
        select(Consent).where(Consent.user_id == actor.user_id).order_by(Consent.given_at.desc()).limit(200)
    ).all()
    views = []
    for kind, purpose in CONSENT_PURPOSES.items():
        history = tuple((row.given_at, row.withdrawn_at) for row in rows if row.kind == kind)
        views.append(ConsentView(kind=str(kind), purpose=purpose, active=any(w is None for _, w in history),
                                 history=history, given_on_connect=CONSENTS_GIVEN_ON_CONNECT.get(kind, "")))
    return views


def give_consent(session: Session, actor: Actor | None, kind: str) -> None:
    actor = require(actor, Action.EDIT_OWN_ACCOUNT)
    kind = _check_kind(kind)
    if kind in CONSENTS_GIVEN_ON_CONNECT:
        raise InvalidInput("kind", CONSENTS_GIVEN_ON_CONNECT[kind])
    record_consent(session, actor.user_id, kind)


def record_consent(session: Session, user_id: str, kind: str) -> None:
    """Record a consent given (with a button here, or in a provider's consent screen when connecting it)."""
    kind = _check_kind(kind)
    if _active(session, user_id, kind) is None:
        session.add(Consent(user_id=user_id, kind=kind))
        audit.record_event(session, "consent.given", actor_id=user_id, details={"kind": kind})


def withdraw_consent(session: Session, actor: Actor | None, kind: str) -> None:
    """Takes effect at once: whatever checks the consent next sees it withdrawn. The row stays as proof."""
    actor = require(actor, Action.EDIT_OWN_ACCOUNT)
    kind = _check_kind(kind)
    if end_consent(session, actor.user_id, kind):
        privacy_requests.record_self_served(session, actor.user_id, RequestKind.CONSENT,
                                            what=f"Withdrew consent: {CONSENT_NAMES[ConsentKind(kind)]}")


def end_consent(session: Session, user_id: str, kind: str, *, cause: str = "person") -> bool:
    """The consent stops (``cause`` says who stopped it: the person, or e.g. a provider refusing to deliver);
    returns whether one was active. The row stays as proof."""
    active = _active(session, user_id, _check_kind(kind))
    if active is None:
        return False
    active.withdrawn_at = utcnow()
    session.add(active)
    audit.record_event(session, "consent.withdrawn", actor_id=user_id, details={"kind": kind, "cause": cause})
    return True


def has_consent(session: Session, user_id: str, kind: str) -> bool:
    return _active(session, user_id, kind) is not None


def consent_is_active(user_id: str | sa.ColumnElement, kind: str) -> sa.ColumnElement[bool]:
    """The same rule as ``has_consent`` as an SQL condition, for jobs choosing many people at once."""
    return sa.exists(select(Consent.id).where(*_active_where(user_id, kind)))


def _active(session: Session, user_id: str, kind: str) -> Consent | None:
    return session.exec(select(Consent).where(*_active_where(user_id, kind))).first()


def _active_where(user_id: str | sa.ColumnElement, kind: str) -> tuple[sa.ColumnElement[bool], ...]:
    return Consent.user_id == user_id, Consent.kind == kind, Consent.withdrawn_at.is_(None)


def _check_kind(kind: object) -> str:
    if kind not in CONSENT_PURPOSES:
        raise InvalidInput("kind", "This consent does not exist.")
    return str(kind)


def _counts(session: Session, user_id: str) -> dict[str, int]:
    now = utcnow()
    sessions_count = session.exec(select(sa.func.count()).select_from(UserSession).where(
        UserSession.user_id == user_id, UserSession.revoked_at.is_(None), UserSession.absolute_expires_at > now)).one()
    projects_count = session.exec(select(sa.func.count()).select_from(ProjectMember).where(
        ProjectMember.user_id == user_id, ProjectMember.removed_at.is_(None))).one()
    messages_count = session.exec(select(sa.func.count()).select_from(Message).where(
        Message.author_id == user_id, Message.deleted_at.is_(None))).one()
    files_count = session.exec(select(sa.func.count()).select_from(StoredFile).where(
        StoredFile.owner_id == user_id)).one()
    requests_count = session.exec(select(sa.func.count()).select_from(PrivacyRequest).where(
        PrivacyRequest.user_id == user_id)).one()
    connections_count = session.exec(select(sa.func.count()).select_from(ConnectedAccount).where(
        ConnectedAccount.user_id == user_id)).one()
    return {"connections": connections_count, "sessions": sessions_count, "projects": projects_count,
            "messages": messages_count, "files": files_count, "requests": requests_count}
