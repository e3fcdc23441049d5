"""The admin console's background jobs page: jobs that failed after every retry, and putting one back on the queue.

The services refuse anyone but an admin (``services/job_failures.py``); the page only hides what they refuse.
"""

from __future__ import annotations

import reflex as rx

from studio_app.errors import UserError
from studio_app.jobs.queue import retry_failed_job
from studio_app.services import job_failures
from studio_app.services.job_failures import FailureView
from studio_app.state.session import SessionMixin, user_action


def failure_row(view: FailureView) -> dict:
    return {"id": view.id, "task": view.task_name.rsplit(".", 1)[-1], "task_name": view.task_name,
            "arguments": ", ".join(str(argument) for argument in view.arguments) or "none",
            "error": f"{view.error_type}: {view.error_message}" if view.error_message else view.error_type,
            "attempts": view.attempts, "failed": view.failed_at.strftime("%d %b %Y, %H:%M UTC"),
            "retried": view.retried_at is not None}


class AdminJobsState(SessionMixin, rx.State):
    allowed: bool = True
    failures: list[dict] = []
    errors: dict[str, str] = {}
    notice: str = ""

    @rx.event
    @user_action
    async def load(self):
        self.notice = ""
        try:
            self._show(await self._call(job_failures.failed_jobs))
        except UserError:  # not an admin: the page says so
            self.allowed, self.failures = False, []
            return
        self.allowed = True

    @rx.event
    @user_action(scope="retry", fields=False)
    async def retry(self, failure_id: str):
        self.notice = ""

        def retry_and_read(session, actor):
            retry_failed_job(session, actor, failure_id)  # enqueued once this commits
            return job_failures.failed_jobs(session, actor)

        self._show(await self._call(retry_and_read))
        self.notice = "Put back on the queue. If it fails again, it appears here again."

    def _show(self, failures: list[FailureView]) -> None:
        self.failures = [failure_row(view) for view in failures]
