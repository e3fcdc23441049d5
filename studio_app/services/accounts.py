"""Accounts: sign-up, email verification, sign-in, password reset and change, email change.

Messages never tell whether an email has an account: unknown and known addresses get the same
answer, and the mail (sent only to the address's owner) is what differs. Timing does not tell either:
both paths do the same work before answering (a password hash at sign-up, a look-up and an audit event
at reset), and what differs (creating the account, writing a token, every mail) runs after the commit
on the background thread of services/background.py, so the answer never waits for it.
"""

from __future__ import annotations

import dataclasses
import functools

from sqlmodel import Session, select

from studio_app.errors import UserError
from studio_app.integrations.mail import send_mail
from studio_app.models.accounts import Consent, ConsentKind, OneTimeToken, Role, TokenPurpose, User, UserSession
from studio_app.models.base import new_id, utcnow
from studio_app.security.blind_index import email_index
from studio_app.security.fields import get_decrypted, set_encrypted
from studio_app.security.keyring import current_keys
from studio_app.security.passwords import hash_password, verify_password
from studio_app.security.policy import Action, Actor, require
from studio_app.security.rate_limits import current_rate_limiter
from studio_app.services import audit, background, detection, mail_templates, policies, sessions
from studio_app.services.keys import create_data_key, data_key_of
from studio_app.services.sessions import ClientInfo
from studio_app.services.tokens import consume_token, issue_token
from studio_app.services.validation import (
    InvalidInput,
    check_display_name,
    check_email,
    check_password,
    check_signup_role,
)
from studio_app.settings import Settings

WRONG_CREDENTIALS = "This email and password do not match an account. Check both and try again."
LINK_INVALID = "This link is invalid, expired or already used. Ask for a new one."
SIGN_IN_LINK_SENT = ("Too many attempts to sign in to this account. If it is yours, check your inbox: we sent its "
                     "address a link to sign in without the password.")
SUSPENDED = ("This account is suspended. If you think this is a mistake, write to us from the address of the "
             "account.")
REAUTHENTICATION_MINUTES = 10
REAUTHENTICATION_NEEDED = "For your security, enter your password again to continue."


class AccountError(UserError):
    """Something about the account the person can act on; the message is safe to show."""

    def __init__(self, message: str, *, field: str | None = None):
        super().__init__(message, field)


class RateLimited(AccountError):
    def __init__(self, retry_after_seconds: int):
        minutes = max(1, -(-retry_after_seconds // 60))
        super().__init__(f"Too many attempts. Please try again in {minutes} minute{'s' if minutes > 1 else ''}.")
        self.retry_after_seconds = retry_after_seconds


class SignInLinkOffered(AccountError):
    """The account is past its ceiling of failed sign-ins: passwords wait, its owner has a mailed link."""

    def __init__(self):
        super().__init__(SIGN_IN_LINK_SENT)


@dataclasses.dataclass(frozen=True)
class SignUpForm:
    email: str
    password: str
    display_name: str
    role: str
    accepts_privacy_policy: bool
    marketing_consent: bool = False


@dataclasses.dataclass(frozen=True)
class AccountView:
    user_id: str
    email: str
    display_name: str
    role: str
    email_verified: bool
    marketing_consent: bool


def sign_up(session: Session, settings: Settings, form: SignUpForm, client: ClientInfo) -> None:
    """Create an unverified account and mail its verification link, after the answer.

    An address that already has an account gets a "you already have an account" mail instead,
    and the caller sees the same outcome, after the same work, either way.
    """
    _limit("signup_address", client.ip_address or "unknown")
    email, display_name = check_email(form.email), check_display_name(form.display_name)
    role = check_signup_role(form.role)
    check_password(form.password, related=(email, email.split("@")[0], display_name))
    if form.accepts_privacy_policy is not True:
        raise InvalidInput("accepts_privacy_policy", "Please read and accept the privacy policy to continue.")
    keys = current_keys()
    index = email_index(keys.index_key, email)
    _limit("verification_mail", index)  # counted on both paths, or the limit itself would tell them apart
    # The slow part, on both paths (thrown away for a taken address); nothing is written before the answer.
    account = _NewAccount(email=email, index=index, display_name=display_name, role=Role(role),
                          password_hash=hash_password(form.password, pepper=keys.password_pepper),
                          marketing_consent=form.marketing_consent is True)
    taken = _user_by_index(session, index) is not None
    background.after_response(session, lambda later: (_tell_already_registered if taken else _open_account)(
        later, settings, account), "sign-up")


@dataclasses.dataclass(frozen=True)
class _NewAccount:
    email: str
    index: str
    display_name: str
    role: Role
    password_hash: str = dataclasses.field(repr=False)
    marketing_consent: bool


def _open_account(session: Session, settings: Settings, account: _NewAccount) -> None:
    if _user_by_index(session, account.index) is not None:  # signed up twice at once: the second is the taken path
        _tell_already_registered(session, settings, account)
        return
    user = _create_user(session, email=account.email, index=account.index, display_name=account.display_name,
                        role=account.role, password_hash=account.password_hash)
    if account.marketing_consent:
        session.add(Consent(user_id=user.id, kind=ConsentKind.MARKETING_EMAIL))
    audit.record_event(session, "account.created", actor_id=user.id, subject_id=user.id,
                       details={"role": str(account.role)})
    _send_verification(session, settings, user, account.email)


def _tell_already_registered(session: Session, settings: Settings, account: _NewAccount) -> None:
    existing = _user_by_index(session, account.index)
    audit.record_event(session, "signup.existing_account", subject_id=existing.id if existing else None)
    _mail(session, settings, account.email, mail_templates.already_registered(settings))


def create_admin(session: Session, email: str, password: str, display_name: str) -> str:
    email, display_name = check_email(email), check_display_name(display_name)
    check_password(password, related=(email, email.split("@")[0], display_name))
    index = email_index(current_keys().index_key, email)
    if _user_by_index(session, index) is not None:
        raise InvalidInput("email", "An account with this email already exists.")
    user = _create_user(session, email=email, index=index, display_name=display_name, role=Role.ADMIN,
                        password_hash=hash_password(password, pepper=current_keys().password_pepper))
    user.email_verified_at = utcnow()
    audit.record_event(session, "account.admin_created", subject_id=user.id)
    return user.id


def resend_verification(session: Session, settings: Settings, email: str, client: ClientInfo) -> None:
    email = check_email(email)
    index = email_index(current_keys().index_key, email)
    _limit("verification_mail", index)
    user = _user_by_index(session, index)
    if user is not None and user.email_verified_at is None:
        user_id = user.id

        def send_link(later: Session) -> None:
            if (user := later.get(User, user_id)) is not None:  # unless erased in between
                _send_verification(later, settings, user, email)

        background.after_response(session, send_link, "verification link")


def verify_email(session: Session, secret: str) -> None:
    token = consume_token(session, secret, TokenPurpose.VERIFY_EMAIL)
    if token is None:
        raise AccountError(LINK_INVALID)
    user = session.get(User, token.user_id)
    user.email_verified_at = user.email_verified_at or utcnow()
    session.add(user)
    audit.record_event(session, "email.verified", actor_id=user.id, subject_id=user.id)


def sign_in(session: Session, settings: Settings, email: str, password: str, client: ClientInfo,
            previous_secret: str | None = None) -> str:
    """Check credentials and open a new session; returns the cookie secret.

    The browser's previous session (if any) ends: signing in always rotates the token, so a value
    planted in the browser beforehand (session fixation) is never the one that gets signed in.
    """
    user = _authenticate(session, settings, email, password, client)
    sessions.end_session(session, previous_secret)
    audit.record_event(session, "signin.success", actor_id=user.id, subject_id=user.id)
    detection.signed_in(session, user, client)
    return sessions.create_session(session, settings, user, client)


def sign_in_with_link(session: Session, settings: Settings, secret: str, client: ClientInfo,
                      previous_secret: str | None = None) -> str:
    """Open a session from a mailed one-time sign-in link (see :func:`_offer_sign_in_link`); returns the cookie secret.

    The link proves control of the mailbox, so it also verifies the address, as a password reset does.
    """
    token = consume_token(session, secret if isinstance(secret, str) else "", TokenPurpose.SIGN_IN)
    if token is None:
        audit.record_event(session, "signin.link_refused")
        _keep_security_events(session)
        raise AccountError(LINK_INVALID, field="link")
    user = session.get(User, token.user_id)
    _refuse_suspended(session, user)
    user.email_verified_at = user.email_verified_at or utcnow()
    session.add(user)
    sessions.end_session(session, previous_secret)
    audit.record_event(session, "signin.link_used", actor_id=user.id, subject_id=user.id)
    detection.signed_in(session, user, client)
    return sessions.create_session(session, settings, user, client)


def _authenticate(session: Session, settings: Settings, email: str, password: str, client: ClientInfo) -> User:
    """Failures count per address, per account and address, and per account (see RATE_LIMITS): an address past its
    limits waits; an account past its ceiling takes no password for a while and its owner gets a sign-in link."""
    if not isinstance(email, str) or not isinstance(password, str) or not email.strip() or not password:
        raise AccountError("Enter your email and password.")
    keys = current_keys()
    attempt = _SignInAttempt(index=email_index(keys.index_key, email[:254]), address=client.ip_address or "unknown")
    limiter = current_rate_limiter()
    for name, key in attempt.address_limits():
        decision = limiter.check(name, key)
        if not decision.allowed:
            _refuse(session, name, attempt)
            raise RateLimited(decision.retry_after_seconds)
    if not limiter.check("signin_account", attempt.index).allowed:
        _refuse(session, "signin_account", attempt, offer_link_with=settings)
        raise SignInLinkOffered()
    user = _user_by_index(session, attempt.index)
    stored_hash = user.password_hash if user is not None else _decoy_hash()
    matches, upgraded_hash = verify_password(stored_hash, password[:1024], pepper=keys.password_pepper)
    if user is None or not matches:
        _count_failure(session, settings, limiter, attempt, user)
        raise AccountError(WRONG_CREDENTIALS)
    if user.email_verified_at is None:
        raise AccountError("Please confirm your email address first: open the link we sent you.", field="unverified")
    _refuse_suspended(session, user)
    if upgraded_hash:
        user.password_hash = upgraded_hash
        session.add(user)
    limiter.reset("signin_account_address", attempt.account_at_address)
    return user


def _refuse_suspended(session: Session, user: User) -> None:
    """Only after the password (or link) proved who it is: a suspension is no oracle for strangers."""
    if user.suspended_at is not None:
        audit.record_event(session, "signin.suspended", subject_id=user.id)
        _keep_security_events(session)
        raise AccountError(SUSPENDED, field="suspended")


@dataclasses.dataclass(frozen=True)
class _SignInAttempt:
    index: str  # the email's blind index
    address: str

    @property
    def account_at_address(self) -> str:
        return f"{self.index} {self.address}"

    def address_limits(self) -> tuple[tuple[str, str], ...]:
        return ("signin_address", self.address), ("signin_account_address", self.account_at_address)


def request_password_reset(session: Session, settings: Settings, email: str, client: ClientInfo) -> None:
    """Mail a reset link to the address's account, if any; the answer and its timing are the same either way."""
    email = check_email(email)
    index = email_index(current_keys().index_key, email)
    _limit("reset_mail_address", client.ip_address or "unknown")
    _limit("reset_mail_account", index)
    user = _user_by_index(session, index)
    # Unknown addresses are logged too (subject empty): many of them from one place is an enumeration attempt.
    audit.record_event(session, "password.reset_requested", subject_id=user.id if user else None)
    if user is not None:
        user_id = user.id
        background.after_response(session, lambda later: _mail_reset_link(later, settings, user_id, email),
                                  "password reset link")


def _mail_reset_link(session: Session, settings: Settings, user_id: str, email: str) -> None:
    user = session.get(User, user_id)
    if user is None:  # erased in between
        return
    secret, _ = issue_token(session, user, TokenPurpose.RESET_PASSWORD)
    _mail(session, settings, email, mail_templates.reset_password(settings, secret))


def reset_password(session: Session, secret: str, new_password: str) -> None:
    token = consume_token(session, secret, TokenPurpose.RESET_PASSWORD)
    if token is None:
        raise AccountError(LINK_INVALID)
    user = session.get(User, token.user_id)
    _set_password(session, user, new_password, related=_related_words(session, user))
    # The reset proves control of the mailbox, which also verifies the address.
    user.email_verified_at = user.email_verified_at or utcnow()
    sessions.revoke_all_sessions(session, user.id, actor_id=user.id)
    audit.record_event(session, "password.reset", actor_id=user.id, subject_id=user.id)


def change_password(session: Session, actor: Actor | None, current_password: str, new_password: str) -> None:
    actor = require(actor, Action.EDIT_OWN_ACCOUNT)
    user = session.get(User, actor.user_id)
    _require_password(user, current_password)
    _set_password(session, user, new_password, related=_related_words(session, user))
    sessions.revoke_all_sessions(session, user.id, actor_id=user.id)
    audit.record_event(session, "password.changed", actor_id=user.id, subject_id=user.id)


def request_email_change(session: Session, settings: Settings, actor: Actor | None, current_password: str,
                         new_email: str) -> None:
    actor = require(actor, Action.EDIT_OWN_ACCOUNT)
    user = session.get(User, actor.user_id)
    _require_password(user, current_password)
    new_email = check_email(new_email, field="new_email")
    new_index = email_index(current_keys().index_key, new_email)
    _limit("verification_mail", new_index)
    audit.record_event(session, "email.change_requested", actor_id=user.id, subject_id=user.id)
    if _user_by_index(session, new_index) is not None:
        return  # same answer, and timing, as success: the other account's owner is not revealed
    user_id = user.id
    background.after_response(
        session, lambda later: _mail_email_change_link(later, settings, user_id, new_email, new_index),
        "email change link")


def _mail_email_change_link(session: Session, settings: Settings, user_id: str, new_email: str,
                            new_index: str) -> None:
    user = session.get(User, user_id)
    if user is None:  # erased in between
        return
    secret, token = issue_token(session, user, TokenPurpose.CHANGE_EMAIL, new_email_index=new_index)
    set_encrypted(token, "new_email_encrypted", new_email, data_key=data_key_of(session, user.id))
    session.add(token)
    _mail(session, settings, new_email, mail_templates.confirm_new_email(settings, secret))


def confirm_email_change(session: Session, settings: Settings, secret: str) -> None:
    token = consume_token(session, secret, TokenPurpose.CHANGE_EMAIL)
    if token is None:
        raise AccountError(LINK_INVALID)
    user = session.get(User, token.user_id)
    key = data_key_of(session, user.id)
    if _user_by_index(session, token.new_email_index) is not None:
        raise AccountError("This address is now used by another account. Choose another one.")
    old_email = get_decrypted(user, "email_encrypted", data_key=key)
    user.email_index = token.new_email_index
    set_encrypted(user, "email_encrypted", get_decrypted(token, "new_email_encrypted", data_key=key), data_key=key)
    user.email_verified_at = utcnow()
    session.add(user)
    audit.record_event(session, "email.changed", actor_id=user.id, subject_id=user.id)
    _mail(session, settings, old_email, mail_templates.email_changed(settings))


def account_view(session: Session, actor: Actor | None) -> AccountView:
    actor = require(actor, Action.VIEW_OWN_ACCOUNT)
    user = session.get(User, actor.user_id)
    key = data_key_of(session, user.id)
    marketing = session.exec(
        select(Consent.id).where(Consent.user_id == user.id, Consent.kind == ConsentKind.MARKETING_EMAIL,
                                 Consent.withdrawn_at.is_(None))
    ).first()
    return AccountView(
        user_id=user.id,
        email=get_decrypted(user, "email_encrypted", data_key=key),
        display_name=get_decrypted(user, "display_name_encrypted", data_key=key),
        role=user.role,
        email_verified=user.email_verified_at is not None,
        marketing_consent=marketing is not None,
    )


def rename(session: Session, actor: Actor | None, display_name: str) -> str:
    actor = require(actor, Action.EDIT_OWN_ACCOUNT)
    display_name = check_display_name(display_name)
    user = session.get(User, actor.user_id)
    set_encrypted(user, "display_name_encrypted", display_name, data_key=data_key_of(session, user.id))
    session.add(user)
    audit.record_event(session, "account.renamed", actor_id=user.id, subject_id=user.id)
    return display_name


# -- helpers ---------------------------------------------------------------------------------------


def reauthenticate(session: Session, actor: Actor | None, password: str) -> None:
    """Confirm the password of the signed-in person; sensitive actions then work for a few minutes."""
    actor = require(actor, Action.EDIT_OWN_ACCOUNT)
    _limit("reauthenticate", actor.user_id)
    user = session.get(User, actor.user_id)
    try:
        _require_password(user, password)
    except InvalidInput:
        audit.record_event(session, "reauthentication.failure", actor_id=user.id, subject_id=user.id)
        _keep_security_events(session)
        raise InvalidInput("password", "This password is not right.") from None
    row = session.get(UserSession, actor.session_id)
    row.reauthenticated_at = utcnow()
    session.add(row)
    audit.record_event(session, "reauthentication.success", actor_id=user.id, subject_id=user.id)


def recently_reauthenticated(session: Session, actor: Actor) -> bool:
    row = session.get(UserSession, actor.session_id)
    moment = row.reauthenticated_at if row is not None else None
    return moment is not None and (utcnow() - moment).total_seconds() < REAUTHENTICATION_MINUTES * 60


def require_recent_reauthentication(session: Session, actor: Actor) -> None:
    if not recently_reauthenticated(session, actor):
        raise AccountError(REAUTHENTICATION_NEEDED, field="password")


def _create_user(session: Session, *, email: str, index: str, display_name: str, role: Role,
                 password_hash: str) -> User:
    # The version the person accepts is the one in effect, the one /privacy shows them at sign-up.
    accepted = str(policies.current_policy(session).version)
    user = User(id=new_id(), email_index=index, role=role, privacy_policy_version=accepted,
                password_hash=password_hash)
    data_key = create_data_key(session, user.id)
    set_encrypted(user, "email_encrypted", email, data_key=data_key)
    set_encrypted(user, "display_name_encrypted", display_name, data_key=data_key)
    session.add(user)
    session.flush()
    return user


def _user_by_index(session: Session, index: str) -> User | None:
    return session.exec(select(User).where(User.email_index == index)).first()


def _send_verification(session: Session, settings: Settings, user: User, email: str) -> None:
    secret, _ = issue_token(session, user, TokenPurpose.VERIFY_EMAIL)
    _mail(session, settings, email, mail_templates.verify_email(settings, secret))


def _mail(session: Session, settings: Settings, to: str, mail: mail_templates.Mail) -> None:
    """Send once the transaction commits (never for a rolled-back one, never inside it), after the answer: its
    timing does not tell whether a mail went out. A mail that fails is logged; the person can ask again."""
    background.after_response(session, lambda _: send_mail(settings, to, mail.subject, mail.text),
                              f"mail {mail.subject!r}")


def _limit(name: str, key: str) -> None:
    decision = current_rate_limiter().hit(name, key)
    if not decision.allowed:
        raise RateLimited(decision.retry_after_seconds)


def _count_failure(session: Session, settings: Settings, limiter, attempt: _SignInAttempt, user: User | None) -> None:
    for name, key in (*attempt.address_limits(), ("signin_account", attempt.index)):
        limiter.hit(name, key)
    audit.record_event(session, "signin.failure", subject_id=user.id if user else None,
                       details={"reason": "wrong_password" if user else "unknown_account"})
    detection.signin_failed(session, user_id=user.id if user else None, account_index=attempt.index,
                            address=attempt.address)
    if not limiter.check("signin_account", attempt.index).allowed:
        if user is not None:
            audit.record_event(session, "signin.ceiling_reached", subject_id=user.id)
        _offer_sign_in_link(session, settings, user)
    _keep_security_events(session)


def _refuse(session: Session, limit: str, attempt: _SignInAttempt, *, offer_link_with: Settings | None = None) -> None:
    """Log a refused attempt (they feed detection rules); past the account's ceiling, offer its owner a link."""
    user = _user_by_index(session, attempt.index)
    audit.record_event(session, "signin.throttled", subject_id=user.id if user else None, details={"limit": limit})
    detection.signin_failed(session, user_id=user.id if user else None, account_index=attempt.index,
                            address=attempt.address)
    if offer_link_with is not None:
        _offer_sign_in_link(session, offer_link_with, user)
    _keep_security_events(session)


def _offer_sign_in_link(session: Session, settings: Settings, user: User | None) -> None:
    if user is not None:
        user_id = user.id
        background.after_response(session, lambda later: _mail_sign_in_link(later, settings, user_id),
                                  "sign-in link")


def _mail_sign_in_link(session: Session, settings: Settings, user_id: str) -> None:
    """Mail the owner a one-time sign-in link, unless a live one is already on its way (an attacker's next attempts
    must not replace the link the owner is about to open) or a few were sent this hour."""
    user = session.get(User, user_id)
    if user is None or _has_live_token(session, user.id, TokenPurpose.SIGN_IN):
        return
    if not current_rate_limiter().hit("signin_link_mail", user.email_index).allowed:
        return
    secret, _ = issue_token(session, user, TokenPurpose.SIGN_IN)
    email = get_decrypted(user, "email_encrypted", data_key=data_key_of(session, user.id))
    audit.record_event(session, "signin.link_sent", subject_id=user.id)
    _mail(session, settings, email, mail_templates.sign_in_link(settings, secret))


def _has_live_token(session: Session, user_id: str, purpose: TokenPurpose) -> bool:
    return session.exec(
        select(OneTimeToken.id).where(OneTimeToken.user_id == user_id, OneTimeToken.purpose == purpose,
                                      OneTimeToken.used_at.is_(None), OneTimeToken.expires_at > utcnow()).limit(1)
    ).first() is not None


def _keep_security_events(session: Session) -> None:
    """A refused attempt raises, which rolls the caller's transaction back: commit its audit events first."""
    session.commit()


def _require_password(user: User, password: str) -> None:
    matches, _ = verify_password(user.password_hash, password if isinstance(password, str) else "",
                                 pepper=current_keys().password_pepper)
    if not matches:
        raise InvalidInput("current_password", "Your current password is not right.")


def _set_password(session: Session, user: User, new_password: str, *, related: tuple[str, ...]) -> None:
    check_password(new_password, related=related, field="new_password")
    user.password_hash = hash_password(new_password, pepper=current_keys().password_pepper)
    user.password_changed_at = utcnow()
    session.add(user)


def _related_words(session: Session, user: User) -> tuple[str, ...]:
    key = data_key_of(session, user.id)
    email = get_decrypted(user, "email_encrypted", data_key=key)
    return email, email.split("@")[0], get_decrypted(user, "display_name_encrypted", data_key=key)


@functools.cache
def _decoy_hash() -> str:
    """Unknown emails cost one argon2 verification too, so timing does not reveal which exist."""
    return hash_password("decoy password that matches nothing", pepper=current_keys().password_pepper)
