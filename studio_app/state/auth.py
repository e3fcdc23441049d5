"""Sign up, sign in, email links and password reset: thin handlers over services/accounts.py.

Passwords are checked as they are typed but never stored in state (state is pickled to disk or Redis).
"""

from __future__ import annotations

import reflex as rx

from studio_app import routes
from studio_app.errors import UserError
from studio_app.security.urls import local_path
from studio_app.services import accounts
from studio_app.services.accounts import SignUpForm
from studio_app.services.validation import (
    check_display_name,
    check_email,
    check_password,
)
from studio_app.settings import current_settings
from studio_app.state.session import SessionMixin, in_transaction, user_action


def _message_of(check, value, **kwargs) -> str:
    try:
        check(value, **kwargs)
    except UserError as error:
        return error.message
    return ""


class SignUpState(SessionMixin, rx.State):
    display_name: str = ""
    email: str = ""
    errors: dict[str, str] = {}
    form_error: str = ""
    submitting: bool = False
    sent_to: str = ""

    @rx.event
    def review_display_name(self, value: str):
        self.display_name = value if isinstance(value, str) else ""
        self.errors = {**self.errors, "display_name": _message_of(check_display_name, self.display_name)}

    @rx.event
    def review_email(self, value: str):
        self.email = value if isinstance(value, str) else ""
        self.errors = {**self.errors, "email": _message_of(check_email, self.email)}

    @rx.event
    def review_password(self, value: str):
        related = (self.email, self.email.split("@")[0], self.display_name)
        self.errors = {**self.errors, "password": _message_of(check_password, value, related=related)}

    @rx.event
    @user_action(busy="submitting")
    async def submit(self, form: dict):
        self.form_error = ""
        request = SignUpForm(
            email=str(form.get("email", "")),
            password=str(form.get("password", "")),
            display_name=str(form.get("display_name", "")),
            role=str(form.get("role", "")),
            accepts_privacy_policy=form.get("accepts_privacy_policy") == "on",
            marketing_consent=form.get("marketing_consent") == "on",
        )
        try:
            await in_transaction(accounts.sign_up, current_settings(), request, self._client())
        except UserError as error:
            if error.field:
                self.errors = {**self.errors, error.field: error.message}
            self.form_error = "Please fix the highlighted field." if error.field else error.message
        else:
            self.sent_to, self.display_name, self.email, self.errors = request.email.strip(), "", "", {}

    @rx.event
    def start_over(self):
        self.sent_to = ""


SIGN_IN_PROBLEMS = {
    "credentials": accounts.WRONG_CREDENTIALS,
    "unverified": "Please confirm your email address first: open the link we sent you.",
    "suspended": accounts.SUSPENDED,
    "password-changed": "Your password was changed and every session was signed out. Sign in with the new one.",
    "signed-out": "This session was signed out. Please sign in again.",
    "link-sent": accounts.SIGN_IN_LINK_SENT,
    "link-invalid": "This sign-in link is invalid, expired or already used. Sign in below or reset your password.",
}


class SignInState(SessionMixin, rx.State):
    """The sign-in form posts to the HTTP route; this state only explains why the page was shown again.

    It holds no field value: one the state sent back to the page could land in the email field while the person
    is typing in it (the page appears before its state arrives), and the address would sit in the state store.
    """

    error: str = ""
    notice: str = ""
    needs_verification: bool = False
    after: str = ""  # until the page's event fills it, the sign-in route reads the page's own address

    @rx.event
    def show_outcome(self):
        query = self.router.url.query_parameters
        reason = query.get("error", "")
        self.after = local_path(query.get("next"), routes.DASHBOARD)
        self.needs_verification, self.notice = reason == "unverified", ""
        if reason == "limited":
            wait = query.get("wait", "")
            minutes = max(1, -(-int(wait) // 60)) if wait.isdigit() else 15
            self.error = f"Too many attempts. Please try again in {minutes} minute{'s' if minutes > 1 else ''}."
        else:
            self.error = SIGN_IN_PROBLEMS.get(reason, "")

    @rx.event
    @user_action
    async def resend_verification(self, form: dict):
        try:
            await in_transaction(accounts.resend_verification, current_settings(), str(form.get("email", "")),
                                 self._client())
        except UserError as error:
            self.error = error.message
            return
        self.error, self.needs_verification = "", False
        self.notice = "If this address has an unconfirmed account, a new confirmation link is on its way."


class EmailLinkState(SessionMixin, rx.State):
    """Pages opened from a mailed link: the token is in the URL and used once when the page loads."""

    outcome: str = ""  # "", "verified", "email_changed", "failed"
    error: str = ""

    def _token(self) -> str:
        return self.router.url.query_parameters.get("token", "")

    @rx.event
    @user_action
    async def verify_email(self):
        await self._use_link("verified", accounts.verify_email, self._token())

    @rx.event
    @user_action
    async def confirm_email_change(self):
        await self._use_link("email_changed", accounts.confirm_email_change, current_settings(), self._token())

    async def _use_link(self, success: str, service, *args):
        self.outcome, self.error = "", ""
        try:
            await in_transaction(service, *args)
        except UserError as error:
            self.outcome, self.error = "failed", error.message
        else:
            self.outcome = success


class PasswordResetState(SessionMixin, rx.State):
    error: str = ""
    field_error: str = ""
    requested: bool = False
    done: bool = False
    submitting: bool = False

    @rx.event
    def clear(self):
        self.error, self.field_error, self.requested, self.done = "", "", False, False

    @rx.event
    @user_action(busy="submitting")
    async def request_link(self, form: dict):
        self.error = ""
        try:
            await in_transaction(accounts.request_password_reset, current_settings(), str(form.get("email", "")),
                                 self._client())
        except UserError as error:
            self._show_error(error)
        else:
            self.requested, self.field_error = True, ""

    @rx.event
    @user_action(busy="submitting")
    async def choose_password(self, form: dict):
        self.error, self.field_error = "", ""
        password = str(form.get("new_password", ""))
        if password != str(form.get("confirm_password", "")):
            self.field_error = "The two passwords are different."
            return
        try:
            token = self.router.url.query_parameters.get("token", "")
            await in_transaction(accounts.reset_password, token, password)
        except UserError as error:
            self._show_error(error)
        else:
            self.done = True

    def _show_error(self, error: UserError) -> None:
        """This page has one field per form: a field's message goes under it, any other above the button."""
        if error.field:
            self.field_error = error.message
        else:
            self.error = error.message
