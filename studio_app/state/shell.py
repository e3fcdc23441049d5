"""What the signed-in frame shows on every page: the member's role (for the menu), unread counts, and the
banner announcing a significant privacy-policy change until the member acknowledges it."""

from __future__ import annotations

import contextlib

import reflex as rx

from studio_app import routes
from studio_app.security.urls import local_path
from studio_app.services import notifications, policies
from studio_app.services.validation import InvalidInput
from studio_app.state.live import presence, user_channel
from studio_app.state.session import SessionMixin, in_transaction


class ShellState(SessionMixin, rx.State):
    role: str = ""
    unread_notifications: int = 0
    policy_notice: dict[str, str] = {}  # version, date, summary, href of a change to acknowledge

    @rx.event
    async def load(self):
        if not await self._show_member():
            return self._to_sign_in()

    @rx.event
    async def recognize(self):
        """Public pages: a signed-in person sees their own menu there too."""
        await self._show_member()

    @rx.event
    async def leave_if_signed_in(self):
        """Signing in or up is done: on to where the person was going, or their dashboard."""
        if await self._actor() is not None:
            target = local_path(self.router.url.query_parameters.get("next"), routes.DASHBOARD)
            return rx.redirect(routes.DASHBOARD if target.startswith((routes.SIGN_IN, routes.SIGN_UP)) else target)

    async def _show_member(self) -> bool:
        actor = await self._actor()
        if actor is None:
            self.role, self.unread_notifications, self.policy_notice = "", 0, {}
            return False
        self.role = actor.role.value
        self.unread_notifications, notice = await in_transaction(_shell_data, actor)
        self._show_notice(notice)
        await presence().join(user_channel(actor.user_id), self.router.session.client_token, actor.user_id)
        return True

    @rx.event
    async def acknowledge_policy(self):
        actor = await self._actor()
        if actor is None or not self.policy_notice:
            return
        with contextlib.suppress(InvalidInput):  # a version that needs no acknowledgement: nothing to record
            await in_transaction(policies.acknowledge, actor, self.policy_notice.get("version", ""))
        self._show_notice(await in_transaction(policies.pending_notice, actor))

    def _show_notice(self, notice: policies.PolicyVersion | None) -> None:
        self.policy_notice = {} if notice is None else {
            "version": str(notice.version), "date": policies.day(notice.published_at), "summary": notice.change_summary,
            "href": routes.policy_version_page(notice.version),
        }

    async def _refresh_from_push(self):
        actor = await self._actor()
        if actor is None:
            self.unread_notifications = 0
            return
        self.unread_notifications = await in_transaction(notifications.unread_notification_count, actor)
        if self.router.url.path.rstrip("/") == routes.DASHBOARD:  # its counts change with the same events
            from studio_app.state.projects import DashboardState  # (that module imports this one)

            await (await self.get_state(DashboardState))._reload(actor)


def _shell_data(session, actor):
    return notifications.unread_notification_count(session, actor), policies.pending_notice(session, actor)
