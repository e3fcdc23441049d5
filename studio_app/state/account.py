"""Account settings and active sessions. Every handler resolves the session again: a revoked one stops at once."""

from __future__ import annotations

import reflex as rx

from studio_app import routes
from studio_app.security.policy import NotAllowed
from studio_app.services import accounts, sessions
from studio_app.services.accounts import AccountError
from studio_app.services.validation import InvalidInput
from studio_app.settings import current_settings
from studio_app.state.auth import SignInState
from studio_app.state.people import push_new_name
from studio_app.state.session import SessionMixin, in_transaction


def _when(moment) -> str:
    return moment.strftime("%d %b %Y, %H:%M UTC")


class AccountState(SessionMixin, rx.State):
    loaded: bool = False
    email: str = ""
    display_name: str = ""
    role: str = ""
    messages: dict[str, str] = {}
    errors: dict[str, str] = {}
    busy: str = ""

    @rx.event
    async def load(self):
        actor = await self._actor()
        if actor is None:
            self._forget()
            return self._to_sign_in()
        view = await in_transaction(accounts.account_view, actor)
        self.email, self.display_name, self.role, self.loaded = view.email, view.display_name, view.role, True
        # The address typed on the sign-in page has done its job: it does not stay in this tab's state.
        (await self.get_state(SignInState)).email = ""

    @rx.event
    async def rename(self, form: dict):
        return await self._run("profile", self._rename, str(form.get("display_name", "")))

    @rx.event
    async def change_password(self, form: dict):
        if form.get("new_password") != form.get("confirm_password"):
            self.errors = {"new_password": "The two new passwords are different."}
            return
        return await self._run("password", self._change_password, str(form.get("current_password", "")),
                               str(form.get("new_password", "")))

    @rx.event
    async def change_email(self, form: dict):
        return await self._run("email", self._change_email, str(form.get("current_password", "")),
                        str(form.get("new_email", "")))

    async def _run(self, section: str, work, *args):
        """Resolve the session again, run ``work``, and turn domain errors into messages next to the form."""
        self.messages, self.errors, self.busy = {}, {}, section
        try:
            actor = await self._actor()
            if actor is None:
                self._forget()
                return self._to_sign_in()
            return await work(actor, *args)
        except InvalidInput as invalid:
            self.errors = {invalid.field: invalid.message}
        except (AccountError, NotAllowed) as error:
            self.errors = {section: getattr(error, "message", str(error))}
        finally:
            self.busy = ""

    async def _rename(self, actor, display_name: str):
        self.display_name = await in_transaction(accounts.rename, actor, display_name)
        self.messages = {"profile": "Your name is saved."}
        await push_new_name(actor)

    async def _change_password(self, actor, current: str, new: str):
        await in_transaction(accounts.change_password, actor, current, new)
        # Changing the password signed every session out, this one included.
        self._forget()
        return rx.redirect(f"{routes.SIGN_IN}?error=password-changed")

    async def _change_email(self, actor, current: str, new_email: str):
        await in_transaction(accounts.request_email_change, current_settings(), actor, current, new_email)
        self.messages = {"email": "We sent a link to the new address. Your email changes once you open it."}

    def _forget(self):
        """Personal data leaves the state as soon as nobody is signed in."""
        self.loaded, self.email, self.display_name, self.role = False, "", "", ""


class SessionsState(SessionMixin, rx.State):
    rows: list[dict[str, str]] = []
    error: str = ""
    loaded: bool = False

    @rx.event
    async def load(self):
        actor = await self._actor()
        if actor is None:
            self.rows, self.loaded = [], False
            return self._to_sign_in()
        views = await in_transaction(sessions.list_sessions, actor)
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
        self.loaded, self.error = True, ""

    @rx.event
    async def revoke(self, session_id: str):
        actor = await self._actor()
        if actor is None:
            self.rows = []
            return self._to_sign_in()
        try:
            await in_transaction(sessions.revoke_session, actor, session_id)
        except (LookupError, NotAllowed) as error:
            self.error = str(error)
            return
        if session_id == actor.session_id:
            self.rows = []
            return rx.redirect(f"{routes.SIGN_IN}?error=signed-out")
        return SessionsState.load
