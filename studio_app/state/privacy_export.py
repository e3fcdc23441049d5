"""The privacy center's "Download your data" section: ask for an archive, watch it being built, download it
after entering the password again."""

from __future__ import annotations

import asyncio
import time

import reflex as rx

from studio_app import routes
from studio_app.jobs import exports as export_jobs
from studio_app.services import accounts, exports
from studio_app.state.formatting import file_size
from studio_app.state.session import SessionMixin, SignedOut, user_action

POLL_SECONDS = 0.5
SLOW_POLL_AFTER_SECONDS = 120  # then every few seconds: a queue that waits long needs no half-second updates
SLOW_POLL_SECONDS = 5.0
POLL_MAX_SECONDS = 3600  # a tab left open does not poll forever


def _when(moment) -> str:
    return moment.strftime("%d %b %Y, %H:%M UTC") if moment else ""


class PrivacyExportState(SessionMixin, rx.State):
    status: str = ""  # of the latest export: "", queued, running, ready, failed, expired
    progress: int = 0
    requested_at: str = ""
    expires_at: str = ""
    size: str = ""
    failure: str = ""
    download_url: str = ""
    reauthenticated: bool = False
    errors: dict[str, str] = {}  # "request" (asking for an archive), "password" (entering it again)
    busy: bool = False
    polling: bool = False

    @rx.event
    @user_action
    async def load(self):
        self._show(*await self._call(_latest))
        if self.status in exports.ACTIVE:
            return PrivacyExportState.watch
        return None

    @rx.event
    @user_action(scope="request", busy="busy")
    async def request_archive(self):
        def request_and_read(session, actor):
            export_jobs.request_export(session, actor)  # a consumer starts building it once this commits
            return _latest(session, actor)

        self._show(*await self._call(request_and_read))
        return PrivacyExportState.watch

    @rx.event
    @user_action(scope="password", fields=False)
    async def confirm_password(self, form: dict):
        await self._call(accounts.reauthenticate, str(form.get("password", "")))  # a wrong one, too many: shown
        self.reauthenticated = True

    @rx.event(background=True)
    async def watch(self):
        """While the archive is queued or being built, refresh its progress every half second."""
        async with self:
            if self.polling or self.status not in exports.ACTIVE:
                return
            self.polling = True
        try:
            started = time.monotonic()
            while (waited := time.monotonic() - started) < POLL_MAX_SECONDS:
                await asyncio.sleep(POLL_SECONDS if waited < SLOW_POLL_AFTER_SECONDS else SLOW_POLL_SECONDS)
                try:
                    latest = await self._call(_latest)
                except SignedOut:
                    latest = (None, False)
                async with self:
                    self._show(*latest)
                    if self.status not in exports.ACTIVE:
                        break
        finally:
            async with self:
                self.polling = False

    def _show(self, view, reauthenticated: bool) -> None:
        self.reauthenticated = reauthenticated
        if view is None:
            self.status, self.progress, self.download_url = "", 0, ""
            self.requested_at = self.expires_at = self.size = self.failure = ""
            return
        self.status = "expired" if view.status == "ready" and not view.downloadable else view.status
        self.progress, self.requested_at = view.progress, _when(view.created_at)
        self.expires_at, self.size, self.failure = _when(view.expires_at), file_size(view.size_bytes), view.error
        self.download_url = routes.export_download(view.id) if view.downloadable else ""


def _latest(session, actor):
    """The newest archive (or None) and whether the password was entered again recently."""
    views = exports.exports_of(session, actor)
    return (views[0] if views else None), accounts.recently_reauthenticated(session, actor)
