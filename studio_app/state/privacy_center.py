"""The privacy center: your details (corrected in place), what we hold about you, and your consents."""

from __future__ import annotations

import reflex as rx

from studio_app.security.policy import NotAllowed
from studio_app.services import accounts, privacy
from studio_app.services.accounts import AccountError
from studio_app.services.validation import InvalidInput
from studio_app.settings import current_settings
from studio_app.state.people import push_new_name
from studio_app.state.privacy_requests import PrivacyRequestsState
from studio_app.state.session import SessionMixin, in_transaction


def _day(moment) -> str:
    return moment.strftime("%d %b %Y, %H:%M UTC") if moment else ""


CORRECTABLE_FIELDS = ("display_name", "email")


class PrivacyCenterState(SessionMixin, rx.State):
    held: list[dict] = []
    consents: list[dict] = []
    display_name: str = ""
    email: str = ""
    role: str = ""
    editing: str = ""
    errors: dict[str, str] = {}
    notice: str = ""
    busy: bool = False
    loaded: bool = False

    @rx.event
    async def load(self):
        actor = await self._actor()
        if actor is None:
            self._forget()
            return self._to_sign_in()
        self.editing, self.errors, self.notice = "", {}, ""
        await self._reload(actor)

    @rx.event
    def edit(self, field: str):
        self.editing = field if field in CORRECTABLE_FIELDS else ""
        self.errors, self.notice = {}, ""

    @rx.event
    def cancel_edit(self):
        self.editing, self.errors = "", {}

    @rx.event
    async def save_name(self, form: dict):
        name = str(form.get("display_name", ""))
        actor = await self._correct(lambda session, actor: accounts.rename(session, actor, name),
                                    done="Your name is corrected everywhere it is shown.")
        if actor is not None:  # and the pages others have open show it at once
            await push_new_name(actor)

    @rx.event
    async def save_email(self, form: dict):
        password, new_email = str(form.get("current_password", "")), str(form.get("new_email", ""))
        await self._correct(
            lambda session, actor: accounts.request_email_change(session, current_settings(), actor, password,
                                                                 new_email),
            done="We sent a link to the new address. Your email changes once you open it.")

    async def _correct(self, work, *, done: str):
        """Run ``work(db_session, actor)`` for the signed-in person; errors go next to the field being edited.
        Returns the actor once it is done."""
        actor = await self._actor()
        if actor is None:
            self._forget()
            return None
        self.busy, self.errors, self.notice = True, {}, ""
        try:
            await in_transaction(work, actor)
        except InvalidInput as invalid:
            self.errors = {invalid.field: invalid.message}
            return None
        except (AccountError, NotAllowed) as error:
            self.errors = {self.editing or "form": getattr(error, "message", str(error))}
            return None
        finally:
            self.busy = False
        self.editing, self.notice = "", done
        await self._reload(actor)
        return actor

    def _forget(self):
        self.held, self.consents, self.loaded = [], [], False
        self.display_name = self.email = self.role = self.editing = self.notice = ""
        self.errors = {}

    @rx.event
    async def give(self, kind: str):
        await self._change(privacy.give_consent, kind)

    @rx.event
    async def withdraw(self, kind: str):
        await self._change(privacy.withdraw_consent, kind)
        return PrivacyRequestsState.load  # the withdrawal is logged with the person's requests

    async def _change(self, service, kind: str):
        actor = await self._actor()
        if actor is None:
            return
        try:
            await in_transaction(service, actor, kind)
        except InvalidInput:
            return
        await self._reload(actor)

    async def _reload(self, actor) -> None:
        account = await in_transaction(accounts.account_view, actor)
        self.display_name, self.email, self.role = account.display_name, account.email, account.role
        self.held = [
            {"label": held.label, "summary": held.summary, "purposes": "; ".join(held.purposes) or held.summary,
             "basis": held.legal_basis, "retention": held.retention, "recipients": held.recipients}
            for held in await in_transaction(privacy.what_we_hold, actor)
        ]
        self.consents = [
            {"kind": view.kind, "purpose": view.purpose, "active": view.active, "on_connect": view.given_on_connect,
             "history": " · ".join(f"given {_day(given)}" + (f", withdrawn {_day(withdrawn)}" if withdrawn else "")
                                   for given, withdrawn in view.history) or "Never given"}
            for view in await in_transaction(privacy.consents, actor)
        ]
        self.loaded = True
