"""Every mail the app sends, subject and body, in one place; links are built from ``routes``.

One function per mail, returning a :class:`Mail`. Services choose who gets which mail and send it after
their transaction commits (``services/mailing.py``). To add a mail, add a function here.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from datetime import datetime

from studio_app import routes
from studio_app.settings import Settings


@dataclasses.dataclass(frozen=True)
class Mail:
    subject: str
    text: str


def _link(settings: Settings, path: str, **query: str) -> str:
    return routes.absolute(settings.public_url, path, **query)


def _day(moment: datetime) -> str:
    return f"{moment.day} {moment.strftime('%B %Y')}"


# -- accounts --------------------------------------------------------------------------------------


def verify_email(settings: Settings, secret: str) -> Mail:
    return Mail("Confirm your email address for Azekia Studio",
                "Welcome to Azekia Studio!\n\nConfirm your email address to finish creating your account "
                f"(the link works once, for 24 hours):\n{_link(settings, routes.VERIFY_EMAIL, token=secret)}\n\n"
                "If you did not sign up, ignore this email and no account will be activated.\n")


def already_registered(settings: Settings) -> Mail:
    return Mail("You already have an Azekia Studio account",
                "Someone (probably you) tried to create an Azekia Studio account with this email address, "
                "but it already has one.\n\n"
                f"Sign in: {_link(settings, routes.SIGN_IN)}\n"
                f"Forgot your password? {_link(settings, routes.FORGOT_PASSWORD)}\n\n"
                "If it was not you, you can ignore this email.\n")


def reset_password(settings: Settings, secret: str) -> Mail:
    return Mail("Reset your Azekia Studio password",
                "Someone asked to reset the password of your Azekia Studio account.\n\n"
                "If it was you, choose a new password here (the link works once, for one hour):\n"
                f"{_link(settings, routes.RESET_PASSWORD, token=secret)}\n\n"
                "If it was not you, ignore this email: your password stays as it is.\n")


def sign_in_link(settings: Settings, secret: str) -> Mail:
    return Mail("Sign in to Azekia Studio with a one-time link",
                "Someone tried many wrong passwords on your Azekia Studio account, so signing in with a password is "
                "paused for a few minutes.\n\n"
                "If you want to sign in now, use this link instead (it works once, for 15 minutes):\n"
                f"{_link(settings, routes.SIGN_IN_LINK, token=secret)}\n\n"
                "If the attempts were not yours, your password held: nobody signed in. Choosing a longer password "
                "makes such guessing hopeless.\n")


def confirm_new_email(settings: Settings, secret: str) -> Mail:
    return Mail("Confirm your new email address",
                "Confirm that this is the new email address of your Azekia Studio account:\n"
                f"{_link(settings, routes.CONFIRM_EMAIL_CHANGE, token=secret)}\n\nThe link works once, for 24 hours.\n")


def email_changed(settings: Settings) -> Mail:
    return Mail("Your Azekia Studio email address was changed",
                "The email address of your Azekia Studio account was just changed.\n"
                "If you did not do this, reset your password and contact us from the privacy center.\n")


def account_deleted(settings: Settings, proof_years: int) -> Mail:
    return Mail("Your Azekia Studio account is deleted",
                "Your Azekia Studio account was deleted, as you asked.\n\n"
                "Your personal data is erased. Messages and files you shared in projects that other people still "
                "work in stay there for them, shown as written by \"Deleted user\". An anonymized record that you "
                f"asked for this deletion is kept {proof_years} years as proof.\n\n"
                "This is the last email we send to this address. If you did not ask for this, reply to it.\n")


# -- projects --------------------------------------------------------------------------------------


def invitation(settings: Settings, inviter: str, secret: str) -> Mail:
    return Mail("You are invited to a video project on Azekia Studio",
                f"{inviter} invites you to edit a video project on Azekia Studio.\n\n"
                "See the invitation and accept or decline it here (the link works once, for 14 days):\n"
                f"{_link(settings, routes.invitation_page(secret))}\n\n"
                f"If you do not know {inviter}, ignore this email.\n")


def digest(settings: Settings, name: str, items: Sequence[tuple[str, str]], total: int) -> Mail:
    """``items``: (what happened, the path of the page that shows it), newest first; ``total`` may be more."""
    subject = "1 new notification on Azekia Studio" if total == 1 else f"{total} new notifications on Azekia Studio"
    lines = [f"Hello {name},", "", "Here is what happened in your projects while you were away:", ""]
    for text, path in items:
        lines += [f"- {text}", f"  {_link(settings, path)}"]
    if total > len(items):
        lines += ["", f"And {total - len(items)} more: {_link(settings, routes.NOTIFICATIONS)}"]
    settings_link = routes.absolute(settings.public_url, routes.ACCOUNT, section="notifications")
    lines += ["", f"Choose which notifications reach you by email: {settings_link}", ""]
    return Mail(subject, "\n".join(lines))


# -- privacy ---------------------------------------------------------------------------------------


def privacy_answer(settings: Settings, name: str, label: str, asked_at: datetime, done: bool, answer: str) -> Mail:
    """``name`` empty: the answer to a message sent by email from an address no confirmed account took over."""
    outcome = "We did what you asked." if done else "We could not do what you asked."
    where = (f"All your requests and our answers are in your privacy center: {_link(settings, routes.PRIVACY_CENTER)}"
             if name else f"Reply to {settings.privacy_contact} if you have a question about it.")
    return Mail("We answered your privacy request", "\n".join([
        f"Hello {name}," if name else "Hello,", "",
        f"We answered your privacy request \"{label}\" of {asked_at:%d %B %Y}. {outcome}", "",
        "Our answer:", answer, "", where, "",
    ]))


def privacy_mail_received(settings: Settings, secret: str, valid_days: int) -> Mail:
    """The one answer to every message sent to the privacy address, in the same words whether or not the address
    has an account: what the sender learns is only that we received it."""
    return Mail("We received your message about your personal data", "\n".join([
        "Hello,", "",
        f"We received your message to {settings.privacy_contact} and logged it as a privacy request. We answer "
        "within one month, by email.", "",
        "Before we act on it, confirm that you sent it: follow this link and press the button on the page (the link "
        f"works once, for {valid_days} days):",
        _link(settings, routes.MAIL_REQUEST_CONFIRM, token=secret), "",
        "Nothing is done before you confirm. If you did not write to us, ignore this email.", "",
    ]))


def policy_notice(settings: Settings, name: str, version: int, published_at: datetime, effective_at: datetime,
                  change_summary: str) -> Mail:
    return Mail("We updated our privacy policy", "\n".join([
        f"Hello {name},", "",
        f"We published a new version of the Azekia Studio privacy policy on {_day(published_at)}. "
        f"It applies from {_day(effective_at)}.", "",
        "What changed:", change_summary, "",
        f"Read it: {_link(settings, routes.policy_version_page(version))}",
        f"Earlier versions stay readable at {_link(settings, routes.PRIVACY_POLICY)}", "",
        "You can tell us you have read it from the banner in the app. If you disagree with the change, you can "
        f"write to us or delete your account from your privacy center: {_link(settings, routes.PRIVACY_CENTER)}", "",
    ]))


def announcement(settings: Settings, name: str, subject: str, body: str) -> Mail:
    return Mail(subject, "\n".join([
        f"Hello {name},", "", body, "", "--",
        "You receive product news because you agreed to it. To stop, withdraw that consent in your privacy "
        f"center (it takes effect at once): {_link(settings, routes.PRIVACY_CENTER)}", "",
    ]))


# -- operations ------------------------------------------------------------------------------------


def security_alert(settings: Settings, title: str, severity: str, summary: str) -> Mail:
    """To the security contact; the alert's own words only (they hold no personal data)."""
    return Mail(f"Security alert ({severity}): {title}", "\n".join([
        "A detection rule opened an alert on Azekia Studio.", "",
        f"{title} ({severity} severity)", summary, "",
        f"See it and acknowledge it in the admin console: {_link(settings, routes.ADMIN_ALERTS)}",
        "Repeats count on the same alert and send no further mail while it stays open.", "",
    ]))
# -- disclosures to authorities ----------------------------------------------------------------------


def disclosure_notice(settings: Settings, authority: str, legal_basis: str, disclosed_on, categories) -> Mail:
    listed = "\n".join(f"- {category}" for category in categories)
    return Mail("We disclosed some of your data to an authority",
                f"On {disclosed_on.day} {disclosed_on.strftime('%B %Y')}, Azekia Studio handed some of your data to "
                f"{authority}, which asked for it under {legal_basis}. We disclose only what the law obliges us to, "
                f"and only the data asked for:\n\n{listed}\n\n"
                "You can see everything we hold about you, and ask us questions, from your privacy center:\n"
                f"{_link(settings, routes.PRIVACY_CENTER)}\n")


# -- breach response -------------------------------------------------------------------------------


def incident_notice(settings: Settings, nature: str, consequences: str, measures: str, advice: str) -> Mail:
    """The notice of a breach to the people it affects, in plain words (GDPR art. 34(2)), the same for each."""
    return Mail("A security incident affected your Azekia Studio data", "\n".join([
        "Hello,", "",
        "We are writing because a security incident affected data we hold about you.", "",
        "What happened:", nature, "",
        "What could happen to you:", consequences, "",
        "What we did about it:", measures, "",
        "What you should do:", advice, "",
        f"Questions: write to {settings.privacy_contact}. Your privacy center: "
        f"{_link(settings, routes.PRIVACY_CENTER)}", "",
    ]))
