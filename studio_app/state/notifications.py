"""The notification center and the per-kind delivery preferences."""

from __future__ import annotations

import reflex as rx

from studio_app.services import notifications
from studio_app.services.validation import InvalidInput
from studio_app.state.session import SessionMixin, in_transaction
from studio_app.state.shell import ShellState

KIND_LABELS = {
    "message": "New messages in your projects",
    "mention": "Someone mentions you in a thread",
    "invitation": "Invitations to projects",
    "stage_change": "A project moves to another stage",
    "milestone_due": "A milestone is due",
    "review_requested": "A version is ready for review",
    "export_ready": "Your data archive is ready",
}


class NotificationsState(SessionMixin, rx.State):
    items: list[dict] = []
    preferences: list[dict] = []
    loaded: bool = False

    @rx.event
    async def load(self):
        actor = await self._actor()
        if actor is None:
            self.items, self.loaded = [], False
            return self._to_sign_in()
        center = await in_transaction(notifications.notification_center, actor)
        chosen = await in_transaction(notifications.preferences, actor)
        self.items = [
            {"id": item.id, "text": item.text, "link": item.link, "read": item.read,
             "time": item.created_at.strftime("%d %b, %H:%M")}
            for item in center.items
        ]
        self.preferences = [{"kind": kind, "label": KIND_LABELS[kind], "channel": chosen[kind]}
                            for kind in notifications.KINDS]
        self.loaded = True

    @rx.event
    async def mark_all_read(self):
        actor = await self._actor()
        if actor is None:
            return self._to_sign_in()
        await in_transaction(notifications.mark_notifications_read, actor)
        self.items = [{**item, "read": True} for item in self.items]
        (await self.get_state(ShellState)).unread_notifications = 0

    @rx.event
    async def choose(self, kind: str, channel: str):
        actor = await self._actor()
        if actor is None:
            return self._to_sign_in()
        try:
            await in_transaction(notifications.set_preference, actor, kind, channel)
        except InvalidInput:
            return
        self.preferences = [{**row, "channel": channel} if row["kind"] == kind else row for row in self.preferences]
