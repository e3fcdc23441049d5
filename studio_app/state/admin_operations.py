"""The admin console's Operations view (``services/operations.py`` decides who may see it). While the page is
open it reads everything again every few seconds: health, the queue and the counters change without any event
of this tab."""

from __future__ import annotations

import asyncio
import time

import reflex as rx

from studio_app import routes
from studio_app.errors import UserError
from studio_app.jobs.queue import retry_failed_job
from studio_app.services import operations
from studio_app.services.operations import OperationsView
from studio_app.state.admin_jobs import failure_row
from studio_app.state.session import SessionMixin, user_action

REFRESH_SECONDS = 5
WATCH_MAX_SECONDS = 30 * 60  # a tab left open stops refreshing after this long (reload to resume)
TIME = "%d %b %Y, %H:%M:%S UTC"
PART_NAMES = {"database": "Database", "redis": "Redis", "storage": "Storage", "queue": "Job queue"}


def operations_rows(view: OperationsView) -> dict:
    return {
        "parts": [{"name": PART_NAMES.get(part.part, part.part), "state": part.state,
                   "problem": part.problem or ("Not configured (embedded default)." if not part.used else "Working.")}
                  for part in view.parts],
        "queue": {"reachable": view.queue.reachable, "waiting": view.queue.waiting,
                  "scheduled": view.queue.scheduled, "consumers": view.queue.consumers},
        "running": [{"task": job.task_name.rsplit(".", 1)[-1], "task_name": job.task_name,
                     "started": job.started_at.strftime(TIME)} for job in view.queue.running],
        "failures": [failure_row(failure) for failure in view.failures],
        "providers": [{"name": provider.name, "mode": "Sandbox" if provider.is_sandbox else "Real service",
                       "errors": ", ".join(f"{code}: {count}" for code, count in provider.errors) or "none"}
                      for provider in view.providers],
        "mail_failures": view.mail_failures,
        "signin_failures": ", ".join(f"{reason}: {count}" for reason, count in view.signin_failures) or "none",
        "security_events": [{"kind": event.kind, "at": event.at.strftime(TIME), "actor": event.actor or "—"}
                            for event in view.security_events],
    }


class AdminOperationsState(SessionMixin, rx.State):
    allowed: bool = True
    parts: list[dict] = []
    queue: dict = {}
    running: list[dict] = []
    failures: list[dict] = []
    providers: list[dict] = []
    mail_failures: int = 0
    signin_failures: str = ""
    security_events: list[dict] = []
    refreshed: str = ""
    errors: dict[str, str] = {}
    notice: str = ""
    watching: bool = False

    @rx.event
    @user_action
    async def load(self):
        self.notice = ""
        try:
            self._show(await self._call(operations.operations_overview))
        except UserError:  # not an admin: the page says so
            self.allowed = False
            return
        self.allowed = True
        return AdminOperationsState.watch

    @rx.event
    @user_action(scope="retry", fields=False)
    async def retry(self, failure_id: str):
        self.notice = ""

        def retry_and_read(session, actor):
            retry_failed_job(session, actor, failure_id)  # enqueued once this commits
            return operations.operations_overview(session, actor)

        self._show(await self._call(retry_and_read))
        self.notice = "Put back on the queue. If it fails again, it appears here again."

    @rx.event(background=True)
    async def watch(self):
        """One loop per tab, while it shows this page and its session lasts."""
        async with self:
            if self.watching or not self.allowed:
                return
            self.watching = True
        try:
            started = time.monotonic()
            while time.monotonic() - started < WATCH_MAX_SECONDS:
                await asyncio.sleep(REFRESH_SECONDS)
                async with self:
                    if self.router.page.path != routes.ADMIN_OPERATIONS:
                        return
                try:
                    view = await self._call(operations.operations_overview)
                except Exception:  # signed out, no longer an admin, or a failing part: the next load says so
                    return
                async with self:
                    self._show(view)
        finally:
            async with self:
                self.watching = False

    def _show(self, view: OperationsView) -> None:
        rows = operations_rows(view)
        self.parts, self.queue, self.running = rows["parts"], rows["queue"], rows["running"]
        self.failures, self.providers = rows["failures"], rows["providers"]
        self.mail_failures, self.signin_failures = rows["mail_failures"], rows["signin_failures"]
        self.security_events = rows["security_events"]
        self.refreshed = time.strftime("%H:%M:%S UTC", time.gmtime())
