"""Privacy requests that arrive by email (the policy's "write to us").

Each message becomes a request in the admin queue with its one-month deadline, its sender, subject and text sealed
under a data key of its own. Every sender gets the same acknowledgment with a confirmation link, whether or not the
address has an account, so the answer tells nobody which addresses do; where it matches an account, the link goes to
that account's address. Nothing is done for an account before its link is followed (the policy's "we may verify
your identity"): then the request becomes that person's, shows in their privacy center, and a consent withdrawal is
carried out at once. Replies, to the account or to the sender, go out by email.
"""

from __future__ import annotations

import dataclasses
import hashlib
import logging
import re
from datetime import timedelta
from email import policy
from email.message import EmailMessage
from email.parser import BytesParser
from email.utils import parseaddr

import sqlalchemy as sa
from sqlmodel import Session, select

from studio_app.database import session_scope
from studio_app.models.accounts import ConsentKind, User
from studio_app.models.base import new_id, utcnow
from studio_app.models.mail_requests import InboundMail
from studio_app.models.privacy import PrivacyRequest, RequestKind, RequestStatus
from studio_app.security.blind_index import email_index, normalize_email
from studio_app.security.crypto import DataKey, new_data_key, unwrap_data_key
from studio_app.security.fields import get_decrypted, set_encrypted
from studio_app.security.keyring import current_keys
from studio_app.services import audit, mail_templates, mailing, privacy
from studio_app.services.keys import data_key_of
from studio_app.services.privacy_requests import RESPONSE_DAYS
from studio_app.services.tokens import hash_secret, new_secret
from studio_app.services.validation import InvalidInput
from studio_app.settings import Settings

logger = logging.getLogger(__name__)

CONFIRM_DAYS = 7
MAX_SUBJECT = 300
MAX_BODY = 20_000
# Answers one address receives in a day at most: two autoresponders answering each other stop here.
REPLIES_PER_ADDRESS_PER_DAY = 3
ACK_BATCH = 50

# The first kind whose words appear wins; the policy names the subject "Withdrawing Consent" (English and French).
_KIND_WORDS: tuple[tuple[RequestKind, tuple[str, ...]], ...] = (
    (RequestKind.CONSENT, ("withdrawing consent", "withdraw my consent", "withdraw consent", "retrait du consentement",
                           "retirer mon consentement", "unsubscribe")),
    (RequestKind.ERASURE, ("delete", "deletion", "erase", "erasure", "remove my", "right to be forgotten",
                           "supprimer", "suppression", "effacer", "effacement")),
    (RequestKind.PORTABILITY, ("portability", "copy of my data", "export my data", "portabilité", "portabilite")),
    (RequestKind.CORRECTION, ("correct", "rectif", "update my", "wrong", "inaccurate")),
    (RequestKind.ACCESS, ("access", "what data", "which data", "see my data", "what you hold", "hold about me",
                          "accès", "acces")),
)
# Loop and bulk markers (RFC 3834 Auto-Submitted; Precedence and the X-Auto* headers of common autoresponders).
_AUTOMATIC_PRECEDENCE = {"bulk", "junk", "list", "auto_reply"}
_AUTOMATIC_HEADERS = ("x-autoreply", "x-autorespond", "list-id", "list-unsubscribe", "x-loop")
_NOBODY = re.compile(r"^(mailer-daemon|postmaster|no-?reply|do-?not-?reply)(\+.*)?@", re.IGNORECASE)
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f]")


# What became of one message.
CREATED, DUPLICATE, IGNORED, REJECTED = "created", "duplicate", "ignored", "rejected"


@dataclasses.dataclass(frozen=True)
class Letter:
    message_key: str
    sender: str
    subject: str
    body: str


@dataclasses.dataclass(frozen=True)
class MailFacts:
    """What the admin queue shows of a request that came by email."""

    request_id: str
    sender: str
    subject: str
    body: str
    has_account: bool
    confirmed: bool
    key: DataKey = dataclasses.field(repr=False)


class NotALetter(ValueError):
    """A file or message we cannot read as an email from one sender."""


class Automatic(ValueError):
    """An auto-reply, a bounce, a list message or our own mail: answering it could start a loop."""


def read_letter(raw: bytes, settings: Settings) -> Letter:
    """The sender, subject and text of a message; raises NotALetter or Automatic."""
    try:
        message = BytesParser(policy=policy.default).parsebytes(raw)
        senders = message["From"].addresses if message["From"] is not None else ()
    except (ValueError, TypeError, AttributeError, IndexError) as error:
        raise NotALetter(type(error).__name__) from None
    if message.defects and not senders:
        raise NotALetter("unreadable headers")
    if len(senders) != 1 or not senders[0].addr_spec or "@" not in senders[0].addr_spec:
        raise NotALetter("a message needs exactly one sender address")
    sender = normalize_email(senders[0].addr_spec)
    _refuse_automatic(message, sender, settings)
    return Letter(message_key=_message_key(message, raw), sender=sender,
                  subject=_clean(str(message["Subject"] or ""))[:MAX_SUBJECT], body=_text_of(message)[:MAX_BODY])


def guess_kind(subject: str, body: str) -> RequestKind:
    """The subject decides when it names a kind, else the text does; otherwise it is a question."""
    for text in (subject.lower(), body.lower()):
        for kind, words in _KIND_WORDS:
            if any(word in text for word in words):
                return kind
    return RequestKind.QUESTION


def take_in(session: Session, settings: Settings, letter: Letter) -> str:
    """Record ``letter`` as a request (the caller commits); a message already taken in is a DUPLICATE."""
    if session.exec(select(InboundMail.id).where(InboundMail.message_key == letter.message_key)).first():
        return DUPLICATE
    now, mail_id = utcnow(), new_id()
    request = PrivacyRequest(id=new_id(), user_id=None, kind=guess_kind(letter.subject, letter.body),
                             self_served=False, status=RequestStatus.OPEN, created_at=now,
                             due_at=now + timedelta(days=RESPONSE_DAYS))
    key, wrapped = new_data_key(current_keys().keyring, owner_id=_owner(mail_id))
    index = email_index(current_keys().index_key, letter.sender)
    account = session.exec(select(User.id).where(User.email_index == index)).first()
    row = InboundMail(id=mail_id, message_key=letter.message_key, request_id=request.id, user_id=account,
                      sender_index=index, wrapped_key=wrapped, received_at=now)
    for column, value in (("sender_encrypted", letter.sender), ("subject_encrypted", letter.subject),
                          ("body_encrypted", letter.body)):
        set_encrypted(row, column, value, data_key=key)
    try:
        # A second poller that read the same message loses here, and its request goes with the savepoint.
        with session.begin_nested():
            session.add(request)
            session.flush()
            session.add(row)
            session.flush()
    except sa.exc.IntegrityError:
        return DUPLICATE
    audit.record_event(session, "privacy_request.received_by_mail", subject_id=request.id,
                       details={"kind": request.kind})
    return CREATED


def send_acknowledgments(settings: Settings) -> int:
    """Mail the acknowledgment with its confirmation link for every message that has none yet; returns how many
    were claimed. Each is claimed in a transaction of its own before its mail leaves (two pollers never send one
    twice); a mail that fails is released for the next poll."""
    with session_scope() as session:
        waiting = session.exec(select(InboundMail.id).where(InboundMail.acknowledged_at.is_(None))
                               .order_by(InboundMail.received_at).limit(ACK_BATCH)).all()
    claimed = 0
    for mail_id in waiting:
        with session_scope() as session:
            claimed += _acknowledge(session, settings, mail_id)
    return claimed


def _acknowledge(session: Session, settings: Settings, mail_id: str) -> int:
    now, secret = utcnow(), new_secret()
    won = session.execute(sa.update(InboundMail).where(InboundMail.id == mail_id, InboundMail.acknowledged_at.is_(None))
                          .values(acknowledged_at=now, confirm_token_hash=hash_secret(secret),
                                  confirm_expires_at=now + timedelta(days=CONFIRM_DAYS))).rowcount
    if won != 1:
        return 0
    row = session.get(InboundMail, mail_id)
    recent = session.exec(select(sa.func.count()).select_from(InboundMail).where(
        InboundMail.sender_index == row.sender_index, InboundMail.id != row.id,
        InboundMail.acknowledged_at > now - timedelta(days=1), InboundMail.confirm_token_hash.is_not(None))).one()
    if recent >= REPLIES_PER_ADDRESS_PER_DAY:
        # Still a request in the queue; only the automatic answer stops (and its link is not issued).
        row.confirm_token_hash = row.confirm_expires_at = None
        session.add(row)
        logger.info("mail request not acknowledged: too many from one address today",
                    extra={"event": "mail request ack skipped"})
        return 1
    # The account's own address, else the From address; never Reply-To, which anyone can point at a victim.
    to = _account_address(session, row.user_id) or get_decrypted(row, "sender_encrypted", data_key=_key(row))
    mail = mail_templates.privacy_mail_received(settings, secret, CONFIRM_DAYS)

    def release() -> None:
        with session_scope() as retry:
            retry.execute(sa.update(InboundMail).where(InboundMail.id == mail_id)
                          .values(acknowledged_at=None, confirm_token_hash=None, confirm_expires_at=None))

    mailing.mail_after_commit(session, settings, to, mail, if_failed=release)
    return 1


def confirm(session: Session, settings: Settings, secret: object) -> None:
    """The mailed link was followed (its page's button): the sender controls the address. For an account, the request
    becomes that person's and a consent withdrawal happens now. Raises InvalidInput for a link that does not work,
    in the same words whether it never existed, was used or expired."""
    if not isinstance(secret, str) or not 0 < len(secret) <= 128:
        raise InvalidInput("token", _LINK_INVALID)
    now, token_hash = utcnow(), hash_secret(secret)
    claimed = session.execute(sa.update(InboundMail).where(
        InboundMail.confirm_token_hash == token_hash, InboundMail.confirmed_at.is_(None),
        InboundMail.confirm_expires_at > now).values(confirmed_at=now)).rowcount
    if claimed != 1:
        raise InvalidInput("token", _LINK_INVALID)
    row = session.exec(select(InboundMail).where(InboundMail.confirm_token_hash == token_hash)).one()
    request = session.get(PrivacyRequest, row.request_id)
    audit.record_event(session, "privacy_request.mail_confirmed", subject_id=request.id,
                       details={"kind": request.kind, "account": row.user_id is not None})
    if row.user_id is None or request.status != RequestStatus.OPEN:
        return
    _give_to_account(session, row, request)
    if request.kind == RequestKind.CONSENT:
        _withdraw_consents(session, settings, row.user_id, request)


_LINK_INVALID = "This link does not work any more: it was used, it expired or it is incomplete. Write to us again."


def mails_of(session: Session, request_ids: list[str]) -> dict[str, MailFacts]:
    """The messages behind these requests (those that came by email), one query."""
    if not request_ids:
        return {}
    rows = session.exec(select(InboundMail).where(InboundMail.request_id.in_(request_ids))
                        .limit(len(request_ids))).all()
    facts = {}
    for row in rows:
        key = _key(row)
        facts[row.request_id] = MailFacts(
            request_id=row.request_id, key=key, has_account=row.user_id is not None,
            confirmed=row.confirmed_at is not None,
            sender=get_decrypted(row, "sender_encrypted", data_key=key),
            subject=get_decrypted(row, "subject_encrypted", data_key=key),
            body=get_decrypted(row, "body_encrypted", data_key=key))
    return facts


def sent_by_email(session: Session, request_ids: list[str]) -> set[str]:
    if not request_ids:
        return set()
    return set(session.exec(select(InboundMail.request_id).where(InboundMail.request_id.in_(request_ids))
                            .limit(len(request_ids))).all())


def _give_to_account(session: Session, row: InboundMail, request: PrivacyRequest) -> None:
    """The request joins the person's others (privacy center, export, erasure), its text sealed under their key."""
    key = _key(row)
    subject = get_decrypted(row, "subject_encrypted", data_key=key)
    body = get_decrypted(row, "body_encrypted", data_key=key)
    request.user_id = row.user_id
    set_encrypted(request, "details_encrypted", f"By email: {subject}\n\n{body}".strip(),
                  data_key=data_key_of(session, row.user_id))
    session.add(request)


def _withdraw_consents(session: Session, settings: Settings, user_id: str, request: PrivacyRequest) -> None:
    withdrawn = [privacy.CONSENT_NAMES[ConsentKind(kind)] for kind in privacy.CONSENT_NAMES
                 if privacy.end_consent(session, user_id, kind, cause="email request")]
    answer = ("We withdrew your consents: " + ", ".join(withdrawn) + ". This took effect at once."
              if withdrawn else "You had no consent to withdraw: none of your consents was active.")
    set_encrypted(request, "answer_encrypted", answer, data_key=data_key_of(session, user_id))
    request.status, request.closed_at = RequestStatus.DONE, utcnow()
    session.add(request)
    found = mailing.recipients(session, [user_id])
    if found:
        mail = mail_templates.privacy_answer(settings, found[0].name, "Withdrawing Consent", request.created_at,
                                             True, answer)
        mailing.mail_after_commit(session, settings, found[0].email, mail)


def _account_address(session: Session, user_id: str | None) -> str | None:
    if user_id is None:
        return None
    found = mailing.recipients(session, [user_id])
    return found[0].email if found else None


def _owner(mail_id: str) -> str:
    # Wrapped keys are bound to their owner; the prefix keeps mail, project and user ids apart.
    return f"mail:{mail_id}"


def _key(row: InboundMail) -> DataKey:
    return unwrap_data_key(current_keys().keyring, bytes(row.wrapped_key), owner_id=_owner(row.id))


def _message_key(message: EmailMessage, raw: bytes) -> str:
    message_id = str(message["Message-ID"] or "").strip()
    if message_id:
        return hashlib.sha256(b"id\0" + message_id.encode("utf-8", "replace")).hexdigest()
    return hashlib.sha256(b"raw\0" + raw).hexdigest()


def _refuse_automatic(message: EmailMessage, sender: str, settings: Settings) -> None:
    auto_submitted = str(message["Auto-Submitted"] or "no").strip().lower()
    if auto_submitted != "no":
        raise Automatic("Auto-Submitted")
    if str(message["Precedence"] or "").strip().lower() in _AUTOMATIC_PRECEDENCE:
        raise Automatic("Precedence")
    if any(message[header] is not None for header in _AUTOMATIC_HEADERS):
        raise Automatic("autoresponder header")
    if str(message["Return-Path"] or "").strip() == "<>":
        raise Automatic("bounce")
    ours = {normalize_email(settings.privacy_contact), normalize_email(parseaddr(settings.mail_from)[1])}
    if sender in ours or _NOBODY.match(sender):
        raise Automatic("our own or a no-reply address")


def _text_of(message: EmailMessage) -> str:
    part = message.get_body(preferencelist=("plain", "html"))
    if part is None:
        return ""
    try:
        text = part.get_content()
    except (LookupError, ValueError):
        return ""
    if part.get_content_subtype() == "html":
        text = re.sub(r"<(script|style)[^>]*>.*?</\1>", " ", text, flags=re.DOTALL | re.IGNORECASE)
        text = re.sub(r"<br\s*/?>|</p>", "\n", text, flags=re.IGNORECASE)
        text = re.sub(r"<[^>]+>", "", text)
    return _clean(text).strip()


def _clean(text: str) -> str:
    return _CONTROL.sub("", text.replace("\r\n", "\n"))
