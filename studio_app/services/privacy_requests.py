"""Privacy requests: every one, self-served (an export, a deletion) or written by the person, is logged
with its one-month deadline and a status the person can follow; admins answer the others."""

from __future__ import annotations

import dataclasses
import logging
from datetime import datetime, timedelta

from sqlmodel import Session, select

from studio_app.models.base import is_row_id, new_id, utcnow
from studio_app.models.privacy import PrivacyRequest, RequestKind, RequestStatus
from studio_app.security.fields import get_decrypted, set_encrypted
from studio_app.security.policy import Action, Actor, NotAllowed, require
from studio_app.security.rate_limits import current_rate_limiter
from studio_app.services import audit, mail_templates, mailing
from studio_app.services.keys import DataKeyMissing, data_key_of
from studio_app.services.validation import InvalidInput
from studio_app.settings import Settings

logger = logging.getLogger(__name__)

# The GDPR's "one month" (art. 12(3)), counted as 30 days so every deadline is the same length.
RESPONSE_DAYS = 30
MAX_DETAILS = 4000
PAGE_SIZE = 50

KIND_LABELS = {
    RequestKind.ACCESS: "See my data",
    RequestKind.PORTABILITY: "Get a copy of my data",
    RequestKind.CORRECTION: "Correct my data",
    RequestKind.ERASURE: "Delete my account",
    RequestKind.RESTRICTION: "Restrict how my data is used",
    RequestKind.OBJECTION: "Object to how my data is used",
    RequestKind.CONSENT: "Withdrew a consent",
    RequestKind.QUESTION: "Another question",
}
# What a person may write a request about (the others are self-served from the privacy center).
WRITTEN_KINDS = (RequestKind.OBJECTION, RequestKind.RESTRICTION, RequestKind.CORRECTION, RequestKind.ACCESS,
                 RequestKind.QUESTION)


@dataclasses.dataclass(frozen=True)
class RequestView:
    id: str
    kind: str
    label: str
    self_served: bool
    status: str
    details: str
    answer: str
    created_at: datetime
    due_at: datetime
    closed_at: datetime | None
    overdue: bool
    person: str = ""  # "name <email>" of who asked, in the admin's queue only
    by_email: str = ""  # set for a request sent by email (in the admin's queue: whether its sender confirmed it)


def record_self_served(session: Session, user_id: str, kind: RequestKind, *, done: bool = True,
                       what: str = "") -> str:
    """Log a request the person served themselves (export, deletion, consent withdrawal); ``what`` says what
    was done when the kind alone does not ("Withdrew consent: Discord announcements") and is shown as its title."""
    now = utcnow()
    row = PrivacyRequest(id=new_id(), user_id=user_id, kind=str(kind), self_served=True,
                         status=RequestStatus.DONE if done else RequestStatus.OPEN, created_at=now,
                         due_at=now + timedelta(days=RESPONSE_DAYS), closed_at=now if done else None)
    if what:
        set_encrypted(row, "details_encrypted", what, data_key=data_key_of(session, user_id))
    session.add(row)
    return row.id


def close_self_served(session: Session, request_id: str) -> None:
    row = session.get(PrivacyRequest, request_id)
    if row is not None and row.status == RequestStatus.OPEN:
        row.status, row.closed_at = RequestStatus.DONE, utcnow()
        session.add(row)


def submit_request(session: Session, actor: Actor | None, kind: str, details: str) -> RequestView:
    actor = require(actor, Action.EDIT_OWN_ACCOUNT)
    if kind not in WRITTEN_KINDS:
        raise InvalidInput("kind", "Choose what your request is about.")
    details = _check_details(details)
    decision = current_rate_limiter().hit("privacy_request", actor.user_id)
    if not decision.allowed:
        raise InvalidInput("details", "You have sent many requests today. We will answer them; try again tomorrow.")
    now = utcnow()
    row = PrivacyRequest(id=new_id(), user_id=actor.user_id, kind=kind, self_served=False, status=RequestStatus.OPEN,
                         created_at=now, due_at=now + timedelta(days=RESPONSE_DAYS))
    set_encrypted(row, "details_encrypted", details, data_key=data_key_of(session, actor.user_id))
    session.add(row)
    audit.record_event(session, "privacy_request.submitted", actor_id=actor.user_id, subject_id=row.id,
                       details={"kind": kind})
    return _view(session, row)


def my_requests(session: Session, actor: Actor | None) -> list[RequestView]:
    actor = require(actor, Action.VIEW_OWN_ACCOUNT)
    rows = session.exec(select(PrivacyRequest).where(PrivacyRequest.user_id == actor.user_id)
                        .order_by(PrivacyRequest.created_at.desc()).limit(PAGE_SIZE)).all()
    mailed = _mail_requests().sent_by_email(session, [row.id for row in rows])
    return [dataclasses.replace(_view(session, row), by_email="by email" if row.id in mailed else "")
            for row in rows]


def open_requests(session: Session, actor: Actor | None) -> list[RequestView]:
    """The admin's queue: open requests, the nearest deadline first."""
    require(actor, Action.ADMINISTER_PRIVACY)
    rows = session.exec(select(PrivacyRequest).where(PrivacyRequest.status == RequestStatus.OPEN)
                        .order_by(PrivacyRequest.due_at).limit(PAGE_SIZE)).all()
    people = {found.user_id: f"{found.name} <{found.email}>"
              for found in mailing.recipients(session, (row.user_id for row in rows if row.user_id))}
    mails = _mail_requests().mails_of(session, [row.id for row in rows])
    return [_queue_row(session, row, people, mails.get(row.id)) for row in rows]


def _queue_row(session: Session, row: PrivacyRequest, people: dict[str, str], mail) -> RequestView:
    if row.user_id is not None or mail is None:  # a person's request (sent by email and confirmed, or written)
        return dataclasses.replace(_view(session, row), person=people.get(row.user_id or "", "Deleted account"),
                                   by_email="confirmed by its sender" if mail is not None else "")
    account = "matches an account" if mail.has_account else "no account matched"
    return dataclasses.replace(
        _view(session, row, mail), person=f"{mail.sender} ({account})",
        by_email="confirmed by its sender" if mail.confirmed else "waiting for its sender to confirm")


def answer_request(session: Session, settings: Settings, actor: Actor | None, request_id: str, status: str,
                   answer: str) -> RequestView:
    """Close a request with a written answer; the person sees it in their privacy center and by email.

    A mail that cannot be sent does not undo the answer: it stays in the person's privacy center."""
    actor = require(actor, Action.ADMINISTER_PRIVACY)
    row = session.get(PrivacyRequest, request_id) if is_row_id(request_id) else None
    if row is None or row.status != RequestStatus.OPEN:
        raise NotAllowed("This request does not exist or is already closed.")
    if status not in (RequestStatus.DONE, RequestStatus.REFUSED):
        raise InvalidInput("status", "Choose whether the request was honoured or refused.")
    answer = _check_details(answer, field="answer")
    # A request sent by email that no confirmed account took over is answered to the address it came from.
    mail = None if row.user_id is not None else _mail_requests().mails_of(session, [row.id]).get(row.id)
    if row.user_id is not None:
        set_encrypted(row, "answer_encrypted", answer, data_key=data_key_of(session, row.user_id))
    elif mail is not None:
        set_encrypted(row, "answer_encrypted", answer, data_key=mail.key)
    row.status, row.closed_at, row.handled_by = status, utcnow(), actor.user_id
    session.add(row)
    audit.record_event(session, "privacy_request.answered", actor_id=actor.user_id, subject_id=row.id,
                       details={"status": status})
    view = _view(session, row, mail)
    if row.user_id is not None:
        _mail_answer(session, settings, row.user_id, view)
    elif mail is not None:
        reply = mail_templates.privacy_answer(settings, "", mail.subject or view.label, view.created_at,
                                              view.status == RequestStatus.DONE, view.answer)
        mailing.mail_after_commit(session, settings, mail.sender, reply)
    return view


def _mail_requests():
    # Imported here: mail_requests builds on this module (its deadline and labels).
    from studio_app.services import mail_requests

    return mail_requests


def anonymize_requests_of(session: Session, user_id: str) -> None:
    """On erasure: keep each request's kind and dates as proof, drop who and what."""
    for row in session.exec(select(PrivacyRequest).where(PrivacyRequest.user_id == user_id)).all():
        row.user_id, row.details_encrypted, row.answer_encrypted = None, None, None
        session.add(row)


def _mail_answer(session: Session, settings: Settings, user_id: str, view: RequestView) -> None:
    found = mailing.recipients(session, [user_id])
    if not found:
        return
    # A mail that fails is logged: the answer is in the privacy center anyway.
    mail = mail_templates.privacy_answer(settings, found[0].name, view.label, view.created_at,
                                         view.status == RequestStatus.DONE, view.answer)
    mailing.mail_after_commit(session, settings, found[0].email, mail)


def _check_details(text: object, *, field: str = "details") -> str:
    if not isinstance(text, str) or not text.strip():
        raise InvalidInput(field, "Say in a few words what you would like us to do.")
    text = text.strip()
    if len(text) > MAX_DETAILS:
        raise InvalidInput(field, f"Use at most {MAX_DETAILS} characters.")
    if any(ord(char) < 32 and char not in "\n\t" for char in text):
        raise InvalidInput(field, "Use letters, numbers, spaces and punctuation only.")
    return text


def _view(session: Session, row: PrivacyRequest, mail=None) -> RequestView:
    """``mail``: the message behind a request sent by email that no account took over (its text, its key)."""
    details = answer = ""
    if mail is not None:
        details = f"{mail.subject}\n\n{mail.body}".strip()
        answer = get_decrypted(row, "answer_encrypted", data_key=mail.key) or ""
    elif row.user_id is not None and (row.details_encrypted is not None or row.answer_encrypted is not None):
        try:
            key = data_key_of(session, row.user_id)
            details = get_decrypted(row, "details_encrypted", data_key=key) or ""
            answer = get_decrypted(row, "answer_encrypted", data_key=key) or ""
        except DataKeyMissing:
            pass
    label = KIND_LABELS.get(RequestKind(row.kind), row.kind)
    if row.self_served and details:  # what the person did, recorded with it
        label, details = details, ""
    return RequestView(id=row.id, kind=row.kind, label=label,
                       self_served=row.self_served, status=row.status, details=details, answer=answer,
                       created_at=row.created_at, due_at=row.due_at, closed_at=row.closed_at,
                       overdue=row.status == RequestStatus.OPEN and row.due_at < utcnow())
