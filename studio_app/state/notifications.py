"""The notification center and the per-kind delivery preferences."""

from __future__ import annotations

import reflex as rx

from studio_app.services import notifications
from studio_app.state.session import SessionMixin, user_action
from studio_app.state.shell import ShellState

KIND_LABELS = {
    "message": "New messages in your projects",
    "mention": "Someone mentions you in a thread",
    "invitation": "Invitations to projects",
    "stage_change": "A project moves to another stage",
    "milestone_due": "A milestone is due",
    "review_requested": "A version is ready for review",
    "export_ready": "Your data archive is ready",
    "review_comment": "Comments on a version",
    "version_approved": "A version is approved",
    "changes_requested": "Changes are requested on a version",
    "published": "A video is published",
    "publication_failed": "A publication failed",
    "reconnect_needed": "A connected account needs reconnecting",
    "channel_dead": "A project's Discord channel stopped working",
    "disclosure": "We had to disclose your data to an authority",
}


class NotificationsState(SessionMixin, rx.State):
    items: list[dict] = []
    preferences: list[dict] = []
    loaded: bool = False

    @rx.event
    @user_action
    async def load(self):
        center, chosen = await self._call(_center)
        self.items = [
            {"id": item.id, "text": item.text, "link": item.link, "read": item.read,
             "time": item.created_at.strftime("%d %b, %H:%M")}
            for item in center.items
        ]
        self.preferences = [{"kind": kind, "label": KIND_LABELS[kind], "channel": chosen[kind]}
                            for kind in notifications.KINDS if kind in chosen]
        self.loaded = True

    @rx.event
    @user_action
    async def mark_all_read(self):
        await self._call(notifications.mark_notifications_read)
        self.items = [{**item, "read": True} for item in self.items]
        (await self.get_state(ShellState)).unread_notifications = 0

    @rx.event
    @user_action
    async def choose(self, kind: str, channel: str):
        await self._call(notifications.set_preference, kind, channel)
        self.preferences = [{**row, "channel": channel} if row["kind"] == kind else row for row in self.preferences]


def _center(session, actor):
    return notifications.notification_center(session, actor), notifications.preferences(session, actor)
