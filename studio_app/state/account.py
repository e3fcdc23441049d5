"""Account settings and active sessions. Every handler resolves the session again: a revoked one stops at once."""

from __future__ import annotations

import reflex as rx

from studio_app import routes
from studio_app.services import accounts, people, sessions
from studio_app.settings import current_settings
from studio_app.state.people import push_new_name
from studio_app.state.session import SessionMixin, user_action


def _when(moment) -> str:
    return moment.strftime("%d %b %Y, %H:%M UTC")


class AccountState(SessionMixin, rx.State):
    loaded: bool = False
    email: str = ""
    display_name: str = ""
    role: str = ""
    messages: dict[str, str] = {}
    errors: dict[str, str] = {}
    busy: str = ""  # the form being sent

    @rx.event
    @user_action
    async def load(self):
        view = await self._call(accounts.account_view)
        self.email, self.display_name, self.role, self.loaded = view.email, view.display_name, view.role, True

    @rx.event
    @user_action(scope="profile", busy=("busy", "profile"))
    async def rename(self, form: dict):
        self.messages = {}
        self.display_name, seen = await self._call(_rename, str(form.get("display_name", "")))
        self.messages = {"profile": "Your name is saved."}
        push_new_name(seen)  # the pages others have open show it at once

    @rx.event
    @user_action(scope="password", busy=("busy", "password"))
    async def change_password(self, form: dict):
        self.messages = {}
        if form.get("new_password") != form.get("confirm_password"):
            self.errors = {"new_password": "The two new passwords are different."}
            return None
        await self._call(accounts.change_password, str(form.get("current_password", "")),
                         str(form.get("new_password", "")))
        # Changing the password signed every session out, this one included.
        self.reset()
        return rx.redirect(f"{routes.SIGN_IN}?error=password-changed")

    @rx.event
    @user_action(scope="email", busy=("busy", "email"))
    async def change_email(self, form: dict):
        self.messages = {}
        await self._call(accounts.request_email_change, current_settings(), str(form.get("current_password", "")),
                         str(form.get("new_email", "")))
        self.messages = {"email": "We sent a link to the new address. Your email changes once you open it."}


class SessionsState(SessionMixin, rx.State):
    rows: list[dict[str, str]] = []
    errors: dict[str, str] = {}
    loaded: bool = False

    @rx.event
    @user_action
    async def load(self):
        self._show(await self._call(sessions.list_sessions))

    def _show(self, views) -> None:
        self.rows = [
            {
                "id": view.id,
                "device": view.device,
                "place": view.approximate_ip,
                "started": _when(view.created_at),
                "last_used": _when(view.last_used_at),
                "current": "yes" if view.is_current else "",
            }
            for view in views
        ]
        self.loaded = True

    @rx.event
    @user_action
    async def revoke(self, session_id: str):
        def revoke_and_list(session, actor):
            sessions.revoke_session(session, actor, session_id)
            return None if session_id == actor.session_id else sessions.list_sessions(session, actor)

        views = await self._call(revoke_and_list)
        if views is None:  # this very session
            self.reset()
            return rx.redirect(f"{routes.SIGN_IN}?error=signed-out")
        self._show(views)
        return None


def _rename(session, actor, display_name: str):
    return accounts.rename(session, actor, display_name), people.seen_by(session, actor)
