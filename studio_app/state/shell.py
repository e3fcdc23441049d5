"""What the signed-in frame shows on every page: the member's role (for the menu), unread counts, and the
banner announcing a significant privacy-policy change until the member acknowledges it."""

from __future__ import annotations

import contextlib

import reflex as rx

from studio_app import routes
from studio_app.errors import UserError
from studio_app.security.urls import local_path
from studio_app.services import incidents, notifications, policies
from studio_app.services.incidents import clock_words
from studio_app.state.live import presence, user_channel
from studio_app.state.session import SessionMixin, SignedOut, user_action


class ShellState(SessionMixin, rx.State):
    role: str = ""
    unread_notifications: int = 0
    policy_notice: dict[str, str] = {}  # version, date, summary, href of a change to acknowledge
    read_only_notice: str = ""  # breach containment: the studio refuses changes (services/incidents.py)
    incident_clock: dict[str, str] = {}  # admins: the open incident whose authority report is due first

    @rx.event
    @user_action
    async def load(self):
        await self._show_member()

    @rx.event
    @user_action
    async def recognize(self):
        """Public pages: a signed-in person sees their own menu there too (nobody signed in is fine here)."""
        try:
            await self._show_member()
        except SignedOut:
            self.reset()

    @rx.event
    @user_action
    async def leave_if_signed_in(self):
        """Signing in or up is done: on to where the person was going, or their home page."""
        try:
            actor = await self._call(lambda session, actor: actor)
        except SignedOut:
            return None
        home = routes.ADMIN_PRIVACY if actor.is_admin else routes.DASHBOARD
        target = local_path(self.router.url.query_parameters.get("next"), home)
        return rx.redirect(home if target.startswith((routes.SIGN_IN, routes.SIGN_UP)) else target)

    async def _show_member(self) -> None:
        actor, self.unread_notifications, notice, self.read_only_notice, clock = await self._call(_shell_data)
        self.incident_clock = {} if clock is None else {
            "text": clock_words(clock.clock), "href": routes.incident_page(clock.id),
            "overdue": "yes" if clock.clock.overdue else ""}
        self.role = actor.role.value
        self._show_notice(notice)
        await presence().join(user_channel(actor.user_id), self.router.session.client_token, actor.user_id)

    @rx.event
    @user_action
    async def acknowledge_policy(self):
        if self.policy_notice:
            self._show_notice(await self._call(_acknowledge, self.policy_notice.get("version", "")))

    def _show_notice(self, notice: policies.PolicyVersion | None) -> None:
        self.policy_notice = {} if notice is None else {
            "version": str(notice.version), "date": policies.day(notice.published_at), "summary": notice.change_summary,
            "href": routes.policy_version_page(notice.version),
        }

    @user_action
    async def _refresh_from_push(self):
        self.unread_notifications = await self._call(notifications.unread_notification_count)
        if self.router.url.path.rstrip("/") == routes.DASHBOARD:  # its counts change with the same events
            from studio_app.state.projects import DashboardState  # (that module imports this one)

            await (await self.get_state(DashboardState))._reload()


def _shell_data(session, actor):
    return (actor, notifications.unread_notification_count(session, actor), policies.pending_notice(session, actor),
            incidents.read_only_notice(session), incidents.pending_clock(session, actor))


def _acknowledge(session, actor, version: str):
    with contextlib.suppress(UserError):  # a version that needs no acknowledgement: nothing to record
        policies.acknowledge(session, actor, version)
    return policies.pending_notice(session, actor)
