"""The admin console's people page: find an account by email, act on it, read one of its projects with a reason.

Which account the page acts on is the one the last search found (kept server-side in ``_user_id``), never an id
sent by the browser; the services check everything again (admin, recent password, reason)."""

from __future__ import annotations

import reflex as rx

from studio_app.errors import UserError
from studio_app.services import accounts, admin_projects, admin_users
from studio_app.state.session import SessionMixin, user_action

ROLE_LABELS = {"producer": "Producer", "editor": "Editor", "admin": "Admin"}


def _when(moment) -> str:
    return moment.strftime("%d %b %Y, %H:%M UTC") if moment else "never"


class AdminPeopleState(SessionMixin, rx.State):
    allowed: bool = True
    searched: bool = False
    found: bool = False
    user: dict[str, str] = {}
    is_suspended: bool = False
    is_admin: bool = False
    is_me: bool = False
    sessions: list[dict[str, str]] = []
    connections: list[dict[str, str]] = []
    projects: list[dict[str, str]] = []
    requests: list[dict] = []
    project: dict[str, str] = {}
    messages: list[dict[str, str]] = []
    members: list[dict[str, str]] = []
    notice: str = ""
    errors: dict[str, str] = {}
    _user_id: str = ""

    @rx.event
    @user_action
    async def load(self):
        self.notice = ""
        try:
            await self._refresh_requests()
        except UserError:  # not an admin: the page says so
            self.allowed = False
            return
        self.allowed = True

    @rx.event
    @user_action(scope="find", fields=False)
    async def find(self, form: dict):
        self.notice, self.project, self.messages, self.members = "", {}, [], []
        user_id = await self._call(admin_users.find_user, str(form.get("email", "")))
        self.searched, self._user_id = True, user_id or ""
        await self._show()

    @rx.event
    @user_action(scope="password", fields=False)
    async def confirm_password(self, form: dict):
        await self._call(accounts.reauthenticate, str(form.get("password", "")))
        self.notice = "Password confirmed: sensitive actions are open for 10 minutes."

    @rx.event
    @user_action(scope="suspend", fields=False)
    async def suspend(self, form: dict):
        await self._call(admin_users.suspend_user, self._user_id, form.get("reason", ""))
        await self._done("Account suspended: it is signed out everywhere and cannot sign in.")

    @rx.event
    @user_action(scope="restore", fields=False)
    async def restore(self, form: dict):
        await self._call(admin_users.restore_user, self._user_id, form.get("reason", ""))
        await self._done("Account restored: it can sign in again.")

    @rx.event
    @user_action(scope="sign_out", fields=False)
    async def sign_out(self, form: dict):
        ended = await self._call(admin_users.sign_out_everywhere, self._user_id, form.get("reason", ""))
        await self._done(f"Signed out everywhere: {ended} session{'s' if ended != 1 else ''} ended.")

    @rx.event
    @user_action(scope="role", fields=False)
    async def grant_admin(self):
        granted = await self._call(admin_users.grant_admin, self._user_id)
        await self._done("This account is now an admin." if granted else
                         "Request made: another admin must approve it before the role is granted.")

    @rx.event
    @user_action(scope="role", fields=False)
    async def remove_admin(self, form: dict):
        await self._call(admin_users.remove_admin, self._user_id, form.get("new_role", ""))
        await self._done("The admin role was removed.")

    @rx.event
    @user_action(scope="requests", fields=False)
    async def approve(self, request_id: str):
        await self._call(admin_users.approve_admin_request, request_id)
        await self._done("Request approved: the account is now an admin.")

    @rx.event
    @user_action(scope="requests", fields=False)
    async def cancel(self, request_id: str):
        await self._call(admin_users.cancel_admin_request, request_id)
        await self._done("Request cancelled.")

    @rx.event
    @user_action(scope="read", fields=False)
    async def read_project(self, form: dict):
        project_id = str(form.get("project_id", ""))
        if project_id not in {row["id"] for row in self.projects}:
            raise UserError("Choose one of this account's projects.")
        view = await self._call(admin_projects.read_project, project_id, form.get("reason", ""))
        self.project = {"id": view.id, "title": view.title, "brief": view.brief_markdown, "stage": view.stage}
        self.members = [{"name": name, "role": ROLE_LABELS.get(role, role)} for name, role in view.members]
        self.messages = [{"author": line.author_name, "body": line.body, "when": _when(line.created_at)}
                         for line in view.messages]
        self.notice = "The project's members see this reading, with your reason, in its activity."

    @rx.event
    def close_project(self):
        self.project, self.messages, self.members = {}, [], []

    async def _done(self, notice: str) -> None:
        await self._show()
        self.notice = notice

    async def _show(self) -> None:
        await self._refresh_requests()
        if not self._user_id:
            self.found, self.user, self.sessions, self.connections, self.projects = False, {}, [], [], []
            return
        view = await self._call(admin_users.user_details, self._user_id)
        self.found, self.is_suspended, self.is_admin, self.is_me = (True, view.suspended_at is not None,
                                                                    view.role == "admin", view.is_me)
        self.user = {"email": view.email, "name": view.display_name, "role": ROLE_LABELS.get(view.role, view.role),
                     "created": _when(view.created_at), "verified": "yes" if view.verified else "not yet",
                     "status": f"Suspended since {_when(view.suspended_at)}" if view.suspended_at else "Active",
                     "reason": view.suspension_reason, "live_sessions": str(view.live_sessions),
                     "last_seen": _when(view.last_seen_at),
                     "pending": "yes" if view.pending_admin_request else ""}
        self.sessions = [{"device": row.device, "place": row.approximate_ip, "since": _when(row.created_at),
                          "last": _when(row.last_used_at)} for row in view.sessions]
        self.connections = [{"provider": row.provider.title(), "status": row.status.replace("_", " "),
                             "since": _when(row.connected_at)} for row in view.connections]
        self.projects = [{"id": row.id, "role": ROLE_LABELS.get(row.role, row.role), "stage": row.stage,
                          "created": _when(row.created_at)} for row in view.projects]

    async def _refresh_requests(self) -> None:
        views = await self._call(admin_users.pending_role_requests)
        self.requests = [{"id": view.id, "user": view.user_name, "by": view.requested_by_name,
                          "when": _when(view.requested_at), "mine": view.mine} for view in views]
