"""The admin console's security alerts: the open ones (refreshed while the page is open), one alert's details,
acknowledging and closing. The services refuse anyone but an admin (``services/detection.py``)."""

from __future__ import annotations

import asyncio
import time

import reflex as rx

from studio_app.errors import UserError
from studio_app.services import detection
from studio_app.services.detection import AlertView
from studio_app.state.session import SessionMixin, SignedOut, user_action

REFRESH_SECONDS = 5.0
REFRESH_MAX_SECONDS = 3600  # a tab left open does not poll forever; loading the page again restarts it
SEVERITY_COLORS = {"high": "red", "medium": "orange", "low": "gray"}
STATUS_LABELS = {"open": "Open", "acknowledged": "Acknowledged", "closed": "Closed"}


def _when(moment) -> str:
    return moment.strftime("%d %b %Y, %H:%M UTC") if moment else ""


def alert_row(view: AlertView) -> dict:
    return {"id": view.id, "title": view.title, "severity": view.severity,
            "color": SEVERITY_COLORS.get(view.severity, "gray"), "status": view.status,
            "status_label": STATUS_LABELS.get(view.status, view.status), "summary": view.summary,
            "count": view.count, "opened": _when(view.opened_at), "last_seen": _when(view.last_seen_at),
            "closed": _when(view.closed_at)}


def alert_details(view: AlertView) -> dict:
    facts = [["Rule", view.rule], ["Subject", view.subject_id], ["Times fired", str(view.count)],
             ["Opened", _when(view.opened_at)], ["Last fired", _when(view.last_seen_at)],
             ["Accounts concerned", str(len(view.user_ids))],
             ["Security contact mailed", "yes" if view.mailed else "no"]]
    if view.acknowledged_at:
        facts.append(["Acknowledged", _when(view.acknowledged_at)])
    if view.closed_at:
        facts.append(["Closed", _when(view.closed_at)])
    facts += [[name.replace("_", " ").capitalize(), str(value)] for name, value in sorted(view.details.items())]
    return {**alert_row(view), "facts": facts}


def _read(session, actor, selected_id: str):
    selected = detection.get_alert(session, actor, selected_id) if selected_id else None
    return (detection.open_alerts(session, actor), detection.closed_alerts(session, actor, limit=20), selected)


class AdminAlertsState(SessionMixin, rx.State):
    allowed: bool = True
    open_rows: list[dict] = []
    closed_rows: list[dict] = []
    selected: dict = {}
    errors: dict[str, str] = {}
    notice: str = ""
    refreshing: bool = False

    @rx.event
    @user_action
    async def load(self):
        self.notice, self.errors = "", {}
        # ``?alert=<id>``: an incident links back to the alert it was opened from
        selected_id = self.router.url.query_parameters.get("alert") or self.selected.get("id", "")
        try:
            self._show(*await self._call(_read, selected_id))
        except UserError:  # not an admin (or the selected alert is gone): the page says so
            self.allowed, self.open_rows, self.closed_rows, self.selected = False, [], [], {}
            return
        self.allowed = True
        return AdminAlertsState.refresh

    @rx.event
    @user_action(scope="alert", fields=False)
    async def show(self, alert_id: str):
        self.errors = {}
        self.selected = alert_details(await self._call(detection.get_alert, alert_id))

    @rx.event
    @user_action(scope="alert", fields=False)
    async def acknowledge(self, alert_id: str):
        self.errors = {}
        await self._call(detection.acknowledge, alert_id)
        self._show(*await self._call(_read, alert_id))
        self.notice = "Acknowledged: it stays open, and repeats still count on it, until you close it."

    @rx.event
    @user_action(scope="alert", fields=False)
    async def close(self, alert_id: str):
        self.errors = {}
        await self._call(detection.close, alert_id)
        self._show(*await self._call(_read, alert_id))
        self.notice = "Closed. If its rule fires again, a new alert opens."

    @rx.event
    async def hide(self):
        self.selected = {}

    @rx.event(background=True)
    async def refresh(self):
        """While the page is open, show new alerts and repeats as they come."""
        async with self:
            if self.refreshing or not self.allowed:
                return
            self.refreshing = True
        try:
            started = time.monotonic()
            while time.monotonic() - started < REFRESH_MAX_SECONDS:
                await asyncio.sleep(REFRESH_SECONDS)
                async with self:
                    selected_id = self.selected.get("id", "")
                try:
                    latest = await self._call(_read, selected_id)
                except (SignedOut, UserError):
                    break
                async with self:
                    self._show(*latest)
        finally:
            async with self:
                self.refreshing = False

    def _show(self, open_alerts: list[AlertView], closed: list[AlertView], selected: AlertView | None) -> None:
        self.open_rows = [alert_row(view) for view in open_alerts]
        self.closed_rows = [alert_row(view) for view in closed]
        self.selected = alert_details(selected) if selected else {}
