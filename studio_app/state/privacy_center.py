"""The privacy center: your details (corrected in place), what we hold about you, and your consents."""

from __future__ import annotations

import reflex as rx

from studio_app.services import accounts, people, privacy
from studio_app.settings import current_settings
from studio_app.state.people import push_new_name
from studio_app.state.privacy_requests import PrivacyRequestsState
from studio_app.state.session import SessionMixin, user_action


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
    @user_action
    async def load(self):
        self.editing, self.notice = "", ""
        self._show(*await self._call(_center))

    @rx.event
    def edit(self, field: str):
        self.editing = field if field in CORRECTABLE_FIELDS else ""
        self.errors, self.notice = {}, ""

    @rx.event
    def cancel_edit(self):
        self.editing, self.errors = "", {}

    @rx.event
    @user_action(scope="display_name", busy="busy")
    async def save_name(self, form: dict):
        name = str(form.get("display_name", ""))
        seen = await self._correct(lambda session, actor: _rename(session, actor, name),
                                   done="Your name is corrected everywhere it is shown.")
        push_new_name(seen)  # and the pages others have open show it at once

    @rx.event
    @user_action(scope="email", busy="busy")
    async def save_email(self, form: dict):
        password, new_email = str(form.get("current_password", "")), str(form.get("new_email", ""))
        await self._correct(
            lambda session, actor: accounts.request_email_change(session, current_settings(), actor, password,
                                                                 new_email),
            done="We sent a link to the new address. Your email changes once you open it.")

    async def _correct(self, work, *, done: str):
        """``work(db_session, actor)`` and the page read again, in one transaction; returns what ``work`` did."""
        self.notice = ""
        done_work, center = await self._call(_after, work)
        self._show(*center)
        self.editing, self.notice = "", done
        return done_work

    @rx.event
    @user_action
    async def give(self, kind: str):
        await self._consent(privacy.give_consent, kind)

    @rx.event
    @user_action
    async def withdraw(self, kind: str):
        await self._consent(privacy.withdraw_consent, kind)
        return PrivacyRequestsState.load  # the withdrawal is logged with the person's requests

    async def _consent(self, service, kind: str) -> None:
        self._show(*(await self._call(_after, lambda session, actor: service(session, actor, kind)))[1])

    def _show(self, account, held, consents) -> None:
        self.display_name, self.email, self.role = account.display_name, account.email, account.role
        self.held = [
            {"label": held.label, "summary": held.summary, "purposes": "; ".join(held.purposes) or held.summary,
             "basis": held.legal_basis, "retention": held.retention, "recipients": held.recipients}
            for held in held
        ]
        self.consents = [
            {"kind": view.kind, "purpose": view.purpose, "active": view.active, "on_connect": view.given_on_connect,
             "history": " · ".join(f"given {_day(given)}" + (f", withdrawn {_day(withdrawn)}" if withdrawn else "")
                                   for given, withdrawn in view.history) or "Never given"}
            for view in consents
        ]
        self.loaded = True


def _center(session, actor):
    return accounts.account_view(session, actor), privacy.what_we_hold(session, actor), privacy.consents(session, actor)


def _after(session, actor, work):
    return work(session, actor), _center(session, actor)


def _rename(session, actor, display_name: str):
    """The name corrected, and where it shows to others (to refresh their open pages)."""
    accounts.rename(session, actor, display_name)
    return people.seen_by(session, actor)
