"""Account rules, against a real database (SQLite and PostgreSQL) and the real mail outbox."""

from datetime import timedelta

import pytest
import sqlalchemy as sa
from sqlmodel import select

from studio_app.database import session_scope
from studio_app.integrations.mail import read_outbox
from studio_app.models.accounts import Consent, OneTimeToken, User, UserSession
from studio_app.models.audit import AuditEvent
from studio_app.security.policy import NotAllowed
from studio_app.services import accounts, sessions
from studio_app.services.accounts import AccountError, RateLimited, SignUpForm
from studio_app.services.background import wait_until_idle
from studio_app.services.sessions import ClientInfo
from studio_app.services.validation import InvalidInput
from tests.support.accounts import (
    CLIENT,
    STRONG_PASSWORD,
    last_mail_to,
    link_token,
    sign_up,
    signed_in,
    verified_account,
)


def count(model) -> int:
    with session_scope() as session:
        return session.exec(select(sa.func.count()).select_from(model)).one()


def audit_kinds() -> list[str]:
    with session_scope() as session:
        return list(session.exec(select(AuditEvent.kind).order_by(AuditEvent.sequence)).all())


def test_sign_up_stores_no_plaintext_and_mails_a_link(settings):
    sign_up(settings, "zoe@example.com", name="Zoé Martin", marketing=True)
    mail = last_mail_to(settings, "zoe@example.com")
    assert "/verify?token=" in mail.text
    with session_scope() as session:
        user = session.exec(select(User)).one()
        assert user.email_verified_at is None and user.role == "producer"
        assert b"zoe@example.com" not in user.email_encrypted and b"Martin" not in user.display_name_encrypted
        assert "zoe" not in user.email_index and "zoe" not in user.password_hash
        assert session.exec(select(Consent.kind).where(Consent.user_id == user.id)).all() == ["marketing_email"]
    assert "account.created" in audit_kinds()


def test_marketing_consent_is_off_unless_ticked(sqlite_settings):
    sign_up(sqlite_settings, "zoe@example.com")
    assert count(Consent) == 0


def test_signing_up_twice_reveals_nothing_and_creates_nothing(settings):
    sign_up(settings, "zoe@example.com")
    sign_up(settings, " ZOE@example.com ", name="Somebody Else")  # same answer: no exception
    assert count(User) == 1
    assert "already has one" in last_mail_to(settings, "zoe@example.com", count=2).text


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"email": "not-an-email"}, "email"),
        ({"email": "x" * 250 + "@example.com"}, "email"),
        ({"password": "password1234"}, "password"),
        ({"password": "short"}, "password"),
        ({"password": "zoe.martin@example.com"}, "password"),
        ({"display_name": ""}, "display_name"),
        ({"display_name": "n" * 81}, "display_name"),
        ({"display_name": "bad\u0000name"}, "display_name"),
        ({"role": "admin"}, "role"),
        ({"accepts_privacy_policy": False}, "accepts_privacy_policy"),
    ],
)
def test_bad_sign_up_input_is_refused_with_nothing_created(sqlite_settings, change, field):
    values = {"email": "zoe.martin@example.com", "password": STRONG_PASSWORD, "display_name": "Zoé",
              "role": "editor", "accepts_privacy_policy": True} | change
    with pytest.raises(InvalidInput) as refused, session_scope() as session:
        accounts.sign_up(session, sqlite_settings, SignUpForm(**values), CLIENT)
    assert refused.value.field == field and refused.value.message
    wait_until_idle()
    assert count(User) == 0 and read_outbox(sqlite_settings) == []


def test_a_mail_that_cannot_be_sent_changes_no_answer_and_can_be_asked_again(monkeypatch, tmp_path, caplog):
    from tests.support.app_env import app_environment
    from tests.support.servers import free_port

    smtp = f"smtp://127.0.0.1:{free_port()}"
    with app_environment(monkeypatch, tmp_path / "data", f"sqlite:///{tmp_path / 's.db'}", SMTP_URL=smtp) as settings:
        sign_up(settings, "zoe@example.com")  # the same answer as when the mail leaves: it goes after the answer
        assert count(User) == 1
        assert "background work failed: mail" in caplog.text and "zoe@" not in caplog.text
        with session_scope() as session:  # once the mail server is back, the person asks for the link again
            accounts.resend_verification(session, settings.model_copy(update={"smtp_url": None}), "zoe@example.com",
                                         CLIENT)
        assert "/verify?token=" in last_mail_to(settings, "zoe@example.com").text


def test_verification_link_works_once(settings):
    sign_up(settings, "zoe@example.com")
    token = link_token(last_mail_to(settings, "zoe@example.com"), "/verify")
    with session_scope() as session:
        accounts.verify_email(session, token)
    with pytest.raises(AccountError, match="invalid, expired or already used"), session_scope() as session:
        accounts.verify_email(session, token)


def test_an_expired_verification_link_is_refused(sqlite_settings):
    sign_up(sqlite_settings, "zoe@example.com")
    token = link_token(last_mail_to(sqlite_settings, "zoe@example.com"), "/verify")
    with session_scope() as session:
        session.execute(sa.update(OneTimeToken).values(expires_at=sa.func.current_timestamp()))
    with pytest.raises(AccountError), session_scope() as session:
        accounts.verify_email(session, token)


def test_sign_in_needs_a_verified_email(sqlite_settings):
    sign_up(sqlite_settings, "zoe@example.com")
    with pytest.raises(AccountError) as refused, session_scope() as session:
        accounts.sign_in(session, sqlite_settings, "zoe@example.com", STRONG_PASSWORD, CLIENT)
    assert refused.value.field == "unverified"


def test_wrong_password_and_unknown_email_get_the_same_answer(sqlite_settings):
    verified_account(sqlite_settings, "zoe@example.com")
    messages = []
    for email, password in (("zoe@example.com", "wrong password here"), ("nobody@example.com", STRONG_PASSWORD)):
        with pytest.raises(AccountError) as refused, session_scope() as session:
            accounts.sign_in(session, sqlite_settings, email, password, CLIENT)
        messages.append(refused.value.message)
    assert messages[0] == messages[1] == accounts.WRONG_CREDENTIALS
    assert audit_kinds().count("signin.failure") == 2


def test_sign_in_opens_a_session_whose_secret_is_not_stored(settings):
    verified_account(settings, "Zoe@Example.com")
    with session_scope() as session:
        secret = accounts.sign_in(session, settings, " zoe@example.COM", STRONG_PASSWORD, CLIENT)
    with session_scope() as session:
        actor = sessions.resolve_session(session, settings, secret)
        row = session.exec(select(UserSession)).one()
    assert actor is not None and actor.session_id == row.id and len(secret) >= 43
    assert row.token_hash != secret and secret not in row.token_hash
    assert b"203.0.113.7" not in row.ip_address_encrypted and b"Chrome" not in row.user_agent_encrypted
    assert "signin.success" in audit_kinds()


def test_signing_in_again_ends_the_browsers_previous_session(sqlite_settings):
    verified_account(sqlite_settings, "zoe@example.com")
    first, _ = signed_in(sqlite_settings, "zoe@example.com")
    with session_scope() as session:
        second = accounts.sign_in(session, sqlite_settings, "zoe@example.com", STRONG_PASSWORD, CLIENT,
                                  previous_secret=first)
    with session_scope() as session:
        assert sessions.resolve_session(session, sqlite_settings, first) is None
        assert sessions.resolve_session(session, sqlite_settings, second) is not None


def wrong_passwords(settings, times: int, client=CLIENT, email: str = "zoe@example.com") -> None:
    for attempt in range(times):
        with pytest.raises(AccountError) as refused, session_scope() as session:
            accounts.sign_in(session, settings, email, f"wrong password {attempt}", client)
        assert refused.value.message == accounts.WRONG_CREDENTIALS


def at(address: str) -> ClientInfo:
    return ClientInfo(ip_address=address, user_agent=None)


def test_failures_from_one_address_stop_that_address_only(sqlite_settings):
    verified_account(sqlite_settings, "zoe@example.com")
    wrong_passwords(sqlite_settings, 10, at("198.51.100.9"))
    with pytest.raises(RateLimited) as limited, session_scope() as session:
        accounts.sign_in(session, sqlite_settings, "zoe@example.com", STRONG_PASSWORD, at("198.51.100.9"))
    assert limited.value.retry_after_seconds > 0 and "try again in" in limited.value.message
    assert signed_in(sqlite_settings, "zoe@example.com", client=at("203.0.113.7"))[1] is not None  # the owner
    assert audit_kinds().count("signin.failure") == 10 and "signin.throttled" in audit_kinds()


def test_the_account_ceiling_mails_a_one_time_sign_in_link_instead_of_locking(sqlite_settings):
    verified_account(sqlite_settings, "zoe@example.com")
    for attacker in ("198.51.100.1", "198.51.100.2", "198.51.100.3"):
        wrong_passwords(sqlite_settings, 10, at(attacker))
    mail = last_mail_to(sqlite_settings, "zoe@example.com", containing="/signin/link?token=")
    # Past the ceiling, the password waits, from any address, and the answer tells to look for the link.
    for _ in range(2):
        with pytest.raises(accounts.SignInLinkOffered), session_scope() as session:
            accounts.sign_in(session, sqlite_settings, "zoe@example.com", STRONG_PASSWORD, at("203.0.113.7"))
    wait_until_idle()
    assert len([m for m in read_outbox(sqlite_settings) if "/signin/link" in m.text]) == 1  # the live link stays
    token = link_token(mail, "/signin/link")
    with session_scope() as session:
        secret = accounts.sign_in_with_link(session, sqlite_settings, token, at("203.0.113.7"))
    with session_scope() as session:
        assert sessions.resolve_session(session, sqlite_settings, secret) is not None
    with pytest.raises(AccountError, match="invalid, expired or already used"), session_scope() as session:
        accounts.sign_in_with_link(session, sqlite_settings, token, at("203.0.113.7"))
    kinds = audit_kinds()
    assert kinds.count("signin.failure") == 30 and kinds.count("signin.link_sent") == 1
    assert {"signin.ceiling_reached", "signin.throttled", "signin.link_used", "signin.link_refused"} <= set(kinds)


def test_unknown_addresses_reach_the_ceiling_with_the_same_answer_and_no_mail(sqlite_settings):
    for attacker in ("198.51.100.1", "198.51.100.2", "198.51.100.3"):
        wrong_passwords(sqlite_settings, 10, at(attacker), email="nobody@example.com")
    with pytest.raises(accounts.SignInLinkOffered), session_scope() as session:
        accounts.sign_in(session, sqlite_settings, "nobody@example.com", STRONG_PASSWORD, at("203.0.113.7"))
    wait_until_idle()
    assert read_outbox(sqlite_settings) == []


def test_password_reset_link_changes_the_password_once_and_signs_out_everywhere(settings):
    verified_account(settings, "zoe@example.com")
    old_session, _ = signed_in(settings, "zoe@example.com")
    with session_scope() as session:
        accounts.request_password_reset(session, settings, "zoe@example.com", CLIENT)
        accounts.request_password_reset(session, settings, "nobody@example.com", CLIENT)  # no error, no mail
    token = link_token(last_mail_to(settings, "zoe@example.com"), "/reset")
    assert not [mail for mail in read_outbox(settings) if "nobody@example.com" in mail.to]
    new_password = "velvet harbour comet 77"
    with session_scope() as session:
        accounts.reset_password(session, token, new_password)
    with pytest.raises(AccountError), session_scope() as session:
        accounts.reset_password(session, token, "another fine phrase 99")
    with session_scope() as session:
        assert sessions.resolve_session(session, settings, old_session) is None
    with pytest.raises(AccountError), session_scope() as session:
        accounts.sign_in(session, settings, "zoe@example.com", STRONG_PASSWORD, CLIENT)
    assert signed_in(settings, "zoe@example.com", new_password)[1] is not None
    assert {"password.reset_requested", "password.reset", "session.revoked_all"} <= set(audit_kinds())


def test_change_password_needs_the_current_one_and_ends_every_session(sqlite_settings):
    verified_account(sqlite_settings, "zoe@example.com")
    secret, actor = signed_in(sqlite_settings, "zoe@example.com")
    with pytest.raises(InvalidInput) as refused, session_scope() as session:
        accounts.change_password(session, actor, "not my password", "velvet harbour comet 77")
    assert refused.value.field == "current_password"
    with session_scope() as session:
        accounts.change_password(session, actor, STRONG_PASSWORD, "velvet harbour comet 77")
    with session_scope() as session:
        assert sessions.resolve_session(session, sqlite_settings, secret) is None
    with pytest.raises(NotAllowed), session_scope() as session:
        accounts.change_password(session, None, STRONG_PASSWORD, "velvet harbour comet 77")


def test_email_change_is_confirmed_from_the_new_address(settings):
    verified_account(settings, "zoe@example.com")
    _, actor = signed_in(settings, "zoe@example.com")
    with session_scope() as session:
        accounts.request_email_change(session, settings, actor, STRONG_PASSWORD, "zoe@studio.example")
    token = link_token(last_mail_to(settings, "zoe@studio.example"), "/verify-email-change")
    with session_scope() as session:
        assert accounts.account_view(session, actor).email == "zoe@example.com"  # not before confirmation
        accounts.confirm_email_change(session, settings, token)
    with session_scope() as session:
        assert accounts.account_view(session, actor).email == "zoe@studio.example"
    assert "was just changed" in last_mail_to(settings, "zoe@example.com").text
    assert signed_in(settings, "zoe@studio.example")[1] is not None
    with pytest.raises(AccountError), session_scope() as session:
        accounts.sign_in(session, settings, "zoe@example.com", STRONG_PASSWORD, CLIENT)


def test_email_change_to_a_taken_address_reveals_nothing(sqlite_settings):
    verified_account(sqlite_settings, "zoe@example.com")
    verified_account(sqlite_settings, "sam@example.com", name="Sam")
    _, actor = signed_in(sqlite_settings, "zoe@example.com")
    mails_before = len(read_outbox(sqlite_settings))
    with session_scope() as session:
        accounts.request_email_change(session, sqlite_settings, actor, STRONG_PASSWORD, "sam@example.com")
    wait_until_idle()
    assert len(read_outbox(sqlite_settings)) == mails_before


def test_rename_keeps_the_name_encrypted(sqlite_settings):
    verified_account(sqlite_settings, "zoe@example.com")
    _, actor = signed_in(sqlite_settings, "zoe@example.com")
    with session_scope() as session:
        assert accounts.rename(session, actor, "  Zoé M. ") == "Zoé M."
    with session_scope() as session:
        assert accounts.account_view(session, actor).display_name == "Zoé M."
        assert b"Zo" not in session.exec(select(User.display_name_encrypted)).one()


def test_admin_is_created_verified(sqlite_settings):
    with session_scope() as session:
        user_id = accounts.create_admin(session, "boss@example.com", STRONG_PASSWORD, "Admin")
    with session_scope() as session:
        user = session.get(User, user_id)
        assert user.role == "admin" and user.email_verified_at is not None
    assert signed_in(sqlite_settings, "boss@example.com")[1].is_admin


def test_sessions_expire_when_idle_and_at_their_absolute_limit(sqlite_settings):
    verified_account(sqlite_settings, "zoe@example.com")
    for column in ("idle_expires_at", "absolute_expires_at"):
        secret, _ = signed_in(sqlite_settings, "zoe@example.com")
        with session_scope() as session:
            row = session.exec(select(UserSession).where(UserSession.revoked_at.is_(None))
                               .order_by(UserSession.created_at.desc())).first()
            setattr(row, column, row.created_at - timedelta(seconds=1))
            session.add(row)
        with session_scope() as session:
            assert sessions.resolve_session(session, sqlite_settings, secret) is None


@pytest.mark.real_password_hashing
def test_sign_in_upgrades_a_hash_made_with_older_parameters(sqlite_settings):
    from argon2 import PasswordHasher

    from studio_app.security.keyring import current_keys
    from studio_app.security.passwords import hash_password

    verified_account(sqlite_settings, "zoe@example.com")
    weaker = PasswordHasher(time_cost=2, memory_cost=19_456, parallelism=1)
    old_hash = hash_password(STRONG_PASSWORD, pepper=current_keys().password_pepper, hasher=weaker)
    with session_scope() as session:
        session.execute(sa.update(User).values(password_hash=old_hash))
    signed_in(sqlite_settings, "zoe@example.com")
    with session_scope() as session:
        new_hash = session.exec(select(User.password_hash)).one()
    assert new_hash != old_hash and "m=65536" in new_hash and "m=19456" in old_hash
