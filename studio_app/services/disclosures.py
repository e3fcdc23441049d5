"""The register of disclosures to authorities (the privacy policy's "necessary disclosures").

Each entry records the request (date received, authority, legal basis and reference, data requested), what was
handed over (the export categories of services/exports, so the export is rebuilt from exactly these), who
approved it and when, and whether the person was told: by email and in-app notification, unless the request
forbids it, in which case the reason is recorded instead. The entry's text is sealed under its own data key: the
register is the studio's legal record and outlives the person's account.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable
from datetime import date, datetime
from typing import BinaryIO

from sqlmodel import Session, select

from studio_app.errors import NotFound, UserError
from studio_app.models.accounts import User
from studio_app.models.admin import LegalDisclosure
from studio_app.models.base import is_row_id, new_id, utcnow
from studio_app.security.blind_index import email_index
from studio_app.security.crypto import new_data_key, unwrap_data_key
from studio_app.security.fields import get_decrypted, set_encrypted
from studio_app.security.keyring import current_keys
from studio_app.security.policy import Action, Actor, require
from studio_app.services import audit, mail_templates, notifications
from studio_app.services.accounts import require_recent_reauthentication
from studio_app.services.admin_users import check_reason
from studio_app.services.exports import FILES, write_archive
from studio_app.services.keys import DataKeyMissing, data_key_of, disclosure_owner
from studio_app.services.mailing import mail_after_commit
from studio_app.services.validation import InvalidInput, check_email, check_line
from studio_app.settings import Settings

TEXT_MAX = 2_000
LINE_MAX = 200
LIST_MAX = 200
CATEGORY_NAMES = {
    "identity": "your account (name, role, sign-up date)", "profile": "your editor profile",
    "contact": "your email address", "technical": "your sessions (when, from which network, which browser)",
    "content": "your projects, messages and comments", "files": "the files you uploaded",
    "preferences": "your preferences and consents", "requests": "your privacy requests",
    "connections": "your connected Discord and TikTok accounts (never their tokens)",
}


@dataclasses.dataclass(frozen=True)
class DisclosureForm:
    subject_email: str
    received_on: date | str
    authority: str
    legal_basis: str
    reference: str
    data_requested: str
    categories: tuple[str, ...]
    approver: str
    disclosed_on: date | str
    inform_user: bool
    not_informed_reason: str = ""


@dataclasses.dataclass(frozen=True)
class DisclosureView:
    id: str
    subject_id: str | None  # None once the person's account was erased
    received_on: date
    authority: str
    legal_basis: str
    reference: str
    data_requested: str
    categories: tuple[str, ...]
    approver: str
    disclosed_on: date
    user_informed: bool
    not_informed_reason: str
    informed_at: datetime | None
    created_at: datetime


class _Progress:
    total = 0

    def advance(self, units: int) -> None:
        pass


def record_disclosure(session: Session, actor: Actor | None, settings: Settings, form: DisclosureForm
                      ) -> DisclosureView:
    actor = require(actor, Action.ADMINISTER_DISCLOSURES)
    require_recent_reauthentication(session, actor)
    subject = _subject(session, form.subject_email)
    received_on = _day(form.received_on, "received_on")
    disclosed_on = _day(form.disclosed_on, "disclosed_on")
    if disclosed_on < received_on:
        raise InvalidInput("disclosed_on", "Data is disclosed on or after the day the request was received.")
    texts = {
        "authority_encrypted": check_line(form.authority, field="authority", max_length=LINE_MAX,
                                          missing="Name the authority that asked."),
        "legal_basis_encrypted": check_line(form.legal_basis, field="legal_basis", max_length=LINE_MAX,
                                            missing="Name the law or order the request rests on."),
        "reference_encrypted": check_line(form.reference, field="reference", max_length=LINE_MAX,
                                          missing="Give the request's reference (case or file number)."),
        "data_requested_encrypted": _text(form.data_requested, "data_requested", "Say what data was requested."),
        "approver_encrypted": check_line(form.approver, field="approver", max_length=LINE_MAX,
                                         missing="Name who approved the disclosure."),
    }
    categories = check_categories(form.categories)
    if not isinstance(form.inform_user, bool):
        raise InvalidInput("inform_user", "Say whether the person is told.")
    not_informed = None if form.inform_user else check_reason(form.not_informed_reason, "not_informed_reason")
    entry = LegalDisclosure(id=new_id(), subject_id=subject.id, received_on=received_on, disclosed_on=disclosed_on,
                            categories=list(categories), user_informed=form.inform_user, recorded_by=actor.user_id,
                            wrapped_key=b"")
    key, entry.wrapped_key = new_data_key(current_keys().keyring, owner_id=disclosure_owner(entry.id))
    for column, value in {**texts, "not_informed_reason_encrypted": not_informed}.items():
        set_encrypted(entry, column, value, data_key=key)
    if form.inform_user:
        entry.informed_at = utcnow()
        _inform(session, settings, subject, entry, texts)
    session.add(entry)
    session.flush()
    audit.record_event(session, "disclosure.recorded", actor_id=actor.user_id, subject_id=subject.id,
                       details={"disclosure_id": entry.id, "categories": list(categories),
                                "user_informed": form.inform_user})
    return _view(entry, key)


def list_disclosures(session: Session, actor: Actor | None) -> list[DisclosureView]:
    require(actor, Action.ADMINISTER_DISCLOSURES)
    rows = session.exec(select(LegalDisclosure).order_by(LegalDisclosure.created_at.desc()).limit(LIST_MAX)).all()
    return [_view(row, _key(row)) for row in rows]


def write_disclosure_export(session: Session, actor: Actor | None, disclosure_id: str, target: BinaryIO, *,
                            public_url: str) -> str:
    """Write to ``target`` a ZIP of exactly the entry's categories of the person's data (the person's own export,
    restricted); returns the file name to give it."""
    actor = require(actor, Action.ADMINISTER_DISCLOSURES)
    require_recent_reauthentication(session, actor)
    entry = session.get(LegalDisclosure, disclosure_id) if is_row_id(disclosure_id) else None
    if entry is None:
        raise NotFound("This register entry does not exist.")
    try:
        user_key = data_key_of(session, entry.subject_id) if entry.subject_id else None
    except DataKeyMissing:
        user_key = None
    if user_key is None:
        raise UserError("The person's account was erased since: their data no longer exists to export.")
    view = _view(entry, _key(entry))
    write_archive(session, entry.subject_id, user_key, target, _Progress(), public_url=public_url,
                  only=entry.categories, readme_text=_readme(view))
    audit.record_event(session, "disclosure.exported", actor_id=actor.user_id, subject_id=entry.subject_id,
                       details={"disclosure_id": entry.id})
    return f"disclosure-{entry.disclosed_on.isoformat()}-{entry.id[:8]}.zip"


def check_categories(categories: object) -> tuple[str, ...]:
    if isinstance(categories, str) or not isinstance(categories, Iterable):
        raise InvalidInput("categories", "Choose the data disclosed.")
    chosen = set(categories)
    if not chosen or not chosen <= set(FILES):
        raise InvalidInput("categories", "Choose the data disclosed from the list.")
    return tuple(name for name in FILES if name in chosen)


def _inform(session: Session, settings: Settings, subject: User, entry: LegalDisclosure, texts: dict) -> None:
    email = get_decrypted(subject, "email_encrypted", data_key=data_key_of(session, subject.id))
    mail = mail_templates.disclosure_notice(
        settings, authority=texts["authority_encrypted"], legal_basis=texts["legal_basis_encrypted"],
        disclosed_on=entry.disclosed_on, categories=[CATEGORY_NAMES[name] for name in entry.categories])
    mail_after_commit(session, settings, email, mail)
    notifications.notify(session, user_ids=[subject.id], kind="disclosure", subject_id=entry.id)


def _subject(session: Session, email: object) -> User:
    email = check_email(email, field="subject_email")
    user = session.exec(select(User).where(User.email_index == email_index(current_keys().index_key, email))).first()
    if user is None:
        raise InvalidInput("subject_email", "No account has this email address.")
    return user


def _day(value: object, field: str) -> date:
    if isinstance(value, str):
        try:
            value = date.fromisoformat(value)
        except ValueError:
            raise InvalidInput(field, "Give a date like 2027-01-31.") from None
    if isinstance(value, datetime) or not isinstance(value, date):
        raise InvalidInput(field, "Give a date like 2027-01-31.")
    if value > utcnow().date():
        raise InvalidInput(field, "This date is in the future.")
    return value


def _text(value: object, field: str, missing: str) -> str:
    if not isinstance(value, str) or not value.strip():
        raise InvalidInput(field, missing)
    if len(value) > TEXT_MAX or "\x00" in value:
        raise InvalidInput(field, f"Use at most {TEXT_MAX:,} characters.")
    return value.strip()


def _key(entry: LegalDisclosure):
    return unwrap_data_key(current_keys().keyring, bytes(entry.wrapped_key), owner_id=disclosure_owner(entry.id))


def _view(entry: LegalDisclosure, key) -> DisclosureView:
    def text(column: str) -> str:
        return get_decrypted(entry, column, data_key=key) or ""

    return DisclosureView(
        id=entry.id, subject_id=entry.subject_id, received_on=entry.received_on, authority=text("authority_encrypted"),
        legal_basis=text("legal_basis_encrypted"), reference=text("reference_encrypted"),
        data_requested=text("data_requested_encrypted"), categories=tuple(entry.categories),
        approver=text("approver_encrypted"), disclosed_on=entry.disclosed_on, user_informed=entry.user_informed,
        not_informed_reason=text("not_informed_reason_encrypted"), informed_at=entry.informed_at,
        created_at=entry.created_at)


def _readme(view: DisclosureView) -> str:
    return "\n".join([
        "# Disclosure to an authority", "",
        f"- Register entry: {view.id}", f"- Request received: {view.received_on.isoformat()}",
        f"- Authority: {view.authority}", f"- Legal basis: {view.legal_basis}", f"- Reference: {view.reference}",
        f"- Data requested: {view.data_requested}", f"- Approved by: {view.approver}",
        f"- Disclosed on: {view.disclosed_on.isoformat()}",
        f"- Categories disclosed (one JSON file each): {', '.join(view.categories)}", "",
        "Each JSON file has the format of the person's own data export (see its documentation). Nothing outside "
        "these categories is included.", "",
    ])
