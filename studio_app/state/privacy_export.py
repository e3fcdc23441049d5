"""The privacy center's "Download your data" section: ask for an archive, watch it being built, download it
after entering the password again."""

from __future__ import annotations

import asyncio
import time

import reflex as rx

from studio_app import routes
from studio_app.security.policy import NotAllowed
from studio_app.services import accounts, exports
from studio_app.services.accounts import AccountError
from studio_app.services.validation import InvalidInput
from studio_app.state.live import kick_exports
from studio_app.state.session import SessionMixin, in_transaction

POLL_SECONDS = 0.5
SLOW_POLL_AFTER_SECONDS = 120  # then every few seconds: a queue that waits long needs no half-second updates
SLOW_POLL_SECONDS = 5.0
POLL_MAX_SECONDS = 3600  # a tab left open does not poll forever


def _when(moment) -> str:
    return moment.strftime("%d %b %Y, %H:%M UTC") if moment else ""


def _size(size: int | None) -> str:
    if not size:
        return ""
    for unit in ("bytes", "KB", "MB", "GB"):
        if size < 1000 or unit == "GB":
            return f"{size:.0f} {unit}" if unit == "bytes" else f"{size:.1f} {unit}"
        size /= 1000
    return ""


class PrivacyExportState(SessionMixin, rx.State):
    status: str = ""  # of the latest export: "", queued, running, ready, failed, expired
    progress: int = 0
    requested_at: str = ""
    expires_at: str = ""
    size: str = ""
    failure: str = ""
    download_url: str = ""
    reauthenticated: bool = False
    request_error: str = ""
    password_error: str = ""
    busy: bool = False
    polling: bool = False

    @rx.event
    async def load(self):
        actor = await self._actor()
        if actor is None:
            self._forget()
            return self._to_sign_in()
        await self._refresh(actor)
        if self.status in exports.ACTIVE:
            return PrivacyExportState.watch

    @rx.event
    async def request_archive(self):
        self.request_error, self.busy = "", True
        try:
            actor = await self._actor()
            if actor is None:
                self._forget()
                return self._to_sign_in()
            try:
                await in_transaction(exports.request_export, actor)
            except (InvalidInput, NotAllowed) as error:
                self.request_error = getattr(error, "message", str(error))
            kick_exports()
            await self._refresh(actor)
        finally:
            self.busy = False
        return PrivacyExportState.watch

    @rx.event
    async def confirm_password(self, form: dict):
        self.password_error = ""
        actor = await self._actor()
        if actor is None:
            self._forget()
            return self._to_sign_in()
        try:
            await in_transaction(accounts.reauthenticate, actor, str(form.get("password", "")))
        except (InvalidInput, AccountError) as error:  # a wrong password, or too many attempts
            self.password_error = error.message
            return
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
                actor = await self._actor()
                views = await in_transaction(exports.exports_of, actor) if actor is not None else []
                async with self:
                    self._show(views[0] if views else None)
                    if self.status not in exports.ACTIVE:
                        break
        finally:
            async with self:
                self.polling = False

    async def _refresh(self, actor) -> None:
        views = await in_transaction(exports.exports_of, actor)
        self._show(views[0] if views else None)
        self.reauthenticated = await in_transaction(accounts.recently_reauthenticated, actor)

    def _show(self, view) -> None:
        if view is None:
            self.status, self.progress, self.download_url = "", 0, ""
            self.requested_at = self.expires_at = self.size = self.failure = ""
            return
        self.status = "expired" if view.status == "ready" and not view.downloadable else view.status
        self.progress, self.requested_at = view.progress, _when(view.created_at)
        self.expires_at, self.size, self.failure = _when(view.expires_at), _size(view.size_bytes), view.error
        self.download_url = routes.export_download(view.id) if view.downloadable else ""

    def _forget(self) -> None:
        self._show(None)
        self.reauthenticated, self.request_error, self.password_error = False, "", ""
