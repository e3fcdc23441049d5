"""The admin console's provider sandbox panel (``services/sandbox_admin.py`` decides who may use it)."""

from __future__ import annotations

import reflex as rx

from studio_app.errors import UserError
from studio_app.services import sandbox_admin
from studio_app.services.sandbox_admin import SandboxOverview
from studio_app.state.session import SessionMixin, user_action

FAULT_WORDS = {
    "rate_limit": "Rate limit (429)", "server_error": "Server error (5xx)", "timeout": "No answer (time-out)",
    "drop_connection": "Connection dropped", "expired_token": "Expired token", "revoked_token": "Revoked token",
    "publish_failed": "Publication fails (TikTok status FAILED)",
}


class AdminSandboxState(SessionMixin, rx.State):
    allowed: bool = True
    uses_sandbox: bool = True
    problem: str = ""
    providers: list[dict] = []
    calls: list[dict] = []
    faults: list[dict] = []
    routes: list[str] = []
    kinds: list[list[str]] = []
    errors: dict[str, str] = {}
    notice: str = ""

    @rx.event
    @user_action
    async def load(self):
        self.notice = ""
        try:
            self._show(await self._call(sandbox_admin.sandbox_overview))
        except UserError:  # not an admin: the page says so
            self.allowed = False
            return
        self.allowed = True

    @rx.event
    @user_action
    async def inject(self, form: dict):
        self.notice = ""
        self._show(await self._call(sandbox_admin.inject_fault, form.get("route"), form.get("kind"),
                                    form.get("times")))
        self.notice = "Fault armed: the next matching calls get it."

    @rx.event
    @user_action(scope="clear", fields=False)
    async def clear(self):
        self.notice = ""
        self._show(await self._call(sandbox_admin.clear_faults))
        self.notice = "Every fault cleared."

    def _show(self, overview: SandboxOverview) -> None:
        self.uses_sandbox, self.problem = overview.uses_sandbox, overview.problem
        self.providers = [{"name": mode.name, "mode": "Sandbox" if mode.is_sandbox else "Real service"}
                          for mode in overview.providers]
        self.calls = [{"route": call["route"], "method": call["method"], "status": str(call["status"])}
                      for call in overview.calls]
        self.faults = [{"route": fault["route"], "kind": FAULT_WORDS.get(fault["kind"], fault["kind"]),
                        "times": str(fault["times"])} for fault in overview.faults]
        self.routes = list(overview.routes)
        self.kinds = [[kind, FAULT_WORDS.get(kind, kind)] for kind in overview.kinds]
