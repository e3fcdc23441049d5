"""What the signed-in frame shows on every page: the member's role (for the menu) and unread counts."""

from __future__ import annotations

import reflex as rx

from studio_app.services import notifications
from studio_app.state.live import presence, user_channel
from studio_app.state.session import SessionMixin, in_transaction


class ShellState(SessionMixin, rx.State):
    role: str = ""
    unread_notifications: int = 0

    @rx.event
    async def load(self):
        actor = await self._actor()
        if actor is None:
            self.role, self.unread_notifications = "", 0
            return self._to_sign_in()
        self.role = actor.role.value
        self.unread_notifications = await in_transaction(notifications.unread_notification_count, actor)
        await presence().join(user_channel(actor.user_id), self.router.session.client_token, actor.user_id)

    async def _refresh_from_push(self):
        actor = await self._actor()
        if actor is None:
            self.unread_notifications = 0
            return
        self.unread_notifications = await in_transaction(notifications.unread_notification_count, actor)
