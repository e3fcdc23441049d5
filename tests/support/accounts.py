"""Make accounts the way people do: sign up, read the mail in the outbox, open the link."""

from __future__ import annotations

import re
import time

from studio_app.database import session_scope
from studio_app.integrations.mail import read_outbox
from studio_app.services import accounts
from studio_app.services.accounts import SignUpForm
from studio_app.services.background import wait_until_idle
from studio_app.services.sessions import ClientInfo, resolve_session
from studio_app.settings import Settings

STRONG_PASSWORD = "glacier tangerine orbit 42"
CLIENT = ClientInfo(ip_address="203.0.113.7", user_agent="Mozilla/5.0 (X11; Linux x86_64) Chrome/156.0 Safari/537.36")


def mails_to(settings: Settings, address: str) -> list:
    return [mail for mail in read_outbox(settings) if address.lower() in mail.to.lower()]


def last_mail_to(settings: Settings, address: str, *, containing: str = "", count: int = 1, timeout: float = 15):
    """The newest mail to ``address`` once at least ``count`` arrived and the newest contains ``containing``.

    Account mails leave on a background thread after the service returned: this process's are waited for, an
    app's under test are polled for.
    """
    wait_until_idle()
    deadline = time.monotonic() + timeout
    while True:
        mails = mails_to(settings, address)
        if len(mails) >= count and containing in mails[-1].text:
            return mails[-1]
        assert time.monotonic() < deadline, f"no mail to {address} containing {containing!r} in the outbox"
        time.sleep(0.05)


def link_token(mail, path: str) -> str:
    match = re.search(rf"{re.escape(path)}\?token=([A-Za-z0-9_\-]+)", mail.text)
    assert match, f"no {path} link in: {mail.text}"
    return match.group(1)


def sign_up(settings: Settings, email: str, *, name: str = "Zoé Martin", role: str = "producer",
            password: str = STRONG_PASSWORD, marketing: bool = False, client: ClientInfo = CLIENT) -> None:
    form = SignUpForm(email=email, password=password, display_name=name, role=role, accepts_privacy_policy=True,
                      marketing_consent=marketing)
    with session_scope() as session:
        accounts.sign_up(session, settings, form, client)
    wait_until_idle()  # as the person waits for the mail before anything else


def verified_account(settings: Settings, email: str, **kwargs) -> None:
    sign_up(settings, email, **kwargs)
    token = link_token(last_mail_to(settings, email), "/verify")
    with session_scope() as session:
        accounts.verify_email(session, token)


def signed_in(settings: Settings, email: str, password: str = STRONG_PASSWORD, client: ClientInfo = CLIENT):
    """(session cookie secret, actor) as after a real sign-in."""
    with session_scope() as session:
        secret = accounts.sign_in(session, settings, email, password, client)
    with session_scope() as session:
        return secret, resolve_session(session, settings, secret)
