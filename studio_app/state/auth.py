"""Sign up, sign in, email links and password reset: thin handlers over services/accounts.py.

Passwords are checked as they are typed but never stored in state (state is pickled to disk or Redis).
"""

from __future__ import annotations

import json
from urllib.parse import quote

import reflex as rx

from studio_app import routes
from studio_app.security.urls import local_path
from studio_app.services import accounts
from studio_app.services.accounts import AccountError, SignUpForm
from studio_app.services.validation import (
    InvalidInput,
    check_display_name,
    check_email,
    check_password,
)
from studio_app.settings import current_settings
from studio_app.state.session import SessionMixin, in_transaction


def navigate_to_server(url: str):
    """A full page load (not a client-side route change), so our HTTP route sets or clears the cookie."""
    return rx.call_script(f"window.location.assign({json.dumps(url)})")


def _message_of(check, value, **kwargs) -> str:
    try:
        check(value, **kwargs)
    except InvalidInput as invalid:
        return invalid.message
    return ""


class SignUpState(SessionMixin, rx.State):
    display_name: str = ""
    email: str = ""
    errors: dict[str, str] = {}
    form_error: str = ""
    submitting: bool = False
    sent_to: str = ""

    @rx.event
    def check_display_name(self, value: str):
        self.display_name = value if isinstance(value, str) else ""
        self.errors = {**self.errors, "display_name": _message_of(check_display_name, self.display_name)}

    @rx.event
    def check_email(self, value: str):
        self.email = value if isinstance(value, str) else ""
        self.errors = {**self.errors, "email": _message_of(check_email, self.email)}

    @rx.event
    def check_password(self, value: str):
        related = (self.email, self.email.split("@")[0], self.display_name)
        self.errors = {**self.errors, "password": _message_of(check_password, value, related=related)}

    @rx.event
    async def submit(self, form: dict):
        self.submitting, self.form_error = True, ""
        yield
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
        except InvalidInput as invalid:
            self.errors = {**self.errors, invalid.field: invalid.message}
            self.form_error = "Please fix the highlighted field."
        except AccountError as error:
            self.form_error = error.message
        else:
            self.sent_to, self.display_name, self.email, self.errors = request.email.strip(), "", "", {}
        finally:
            self.submitting = False

    @rx.event
    def start_over(self):
        self.sent_to = ""


class SignInState(SessionMixin, rx.State):
    error: str = ""
    needs_verification: bool = False
    notice: str = ""
    submitting: bool = False

    @rx.event
    def show_redirect_reason(self):
        reason = self.router.url.query_parameters.get("error", "")
        self.error = {
            "expired": "Your sign-in took too long or was already used. Please sign in again.",
            "cross-site": "For your safety, please sign in from this page.",
        }.get(reason, "")
        self.notice, self.needs_verification = "", False

    @rx.event
    async def submit(self, form: dict):
        self.submitting, self.error, self.notice = True, "", ""
        yield
        try:
            ticket = await in_transaction(
                accounts.authenticate, str(form.get("email", "")), str(form.get("password", "")), self._client()
            )
        except AccountError as error:
            self.error, self.needs_verification = error.message, error.field == "unverified"
            self.submitting = False
            return
        after = local_path(self.router.url.query_parameters.get("next"), routes.ACCOUNT)
        yield navigate_to_server(f"{routes.SIGN_IN_EXCHANGE}?ticket={quote(ticket)}&next={quote(after)}")

    @rx.event
    async def resend_verification(self, form: dict):
        try:
            await in_transaction(accounts.resend_verification, current_settings(), str(form.get("email", "")),
                                 self._client())
        except (AccountError, InvalidInput) as error:
            self.error = getattr(error, "message", str(error))
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
    async def verify_email(self):
        await self._use_link("verified", accounts.verify_email, self._token())

    @rx.event
    async def confirm_email_change(self):
        await self._use_link("email_changed", accounts.confirm_email_change, current_settings(), self._token())

    async def _use_link(self, success: str, service, *args):
        self.outcome, self.error = "", ""
        try:
            await in_transaction(service, *args)
        except AccountError as error:
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
    async def request_link(self, form: dict):
        self.submitting, self.error = True, ""
        yield
        try:
            await in_transaction(accounts.request_password_reset, current_settings(), str(form.get("email", "")),
                                 self._client())
        except InvalidInput as invalid:
            self.field_error = invalid.message
        except AccountError as error:
            self.error = error.message
        else:
            self.requested, self.field_error = True, ""
        finally:
            self.submitting = False

    @rx.event
    async def choose_password(self, form: dict):
        self.submitting, self.error, self.field_error = True, "", ""
        yield
        password = str(form.get("new_password", ""))
        if password != str(form.get("confirm_password", "")):
            self.field_error, self.submitting = "The two passwords are different.", False
            return
        try:
            token = self.router.url.query_parameters.get("token", "")
            await in_transaction(accounts.reset_password, token, password)
        except InvalidInput as invalid:
            self.field_error = invalid.message
        except AccountError as error:
            self.error = error.message
        else:
            self.done = True
        finally:
            self.submitting = False
