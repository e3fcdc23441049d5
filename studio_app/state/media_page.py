"""What the rush viewer and the version review page share: the rush or version a page shows (from its address), and
the open tabs showing it, to which the changes one person makes are pushed."""

from __future__ import annotations

import reflex as rx

from studio_app.state.live import presence
from studio_app.state.session import SessionMixin, SignedOut, user_action


def media_channel(asset_id: str) -> str:
    """The open tabs showing one rush or version (not the project's channel: the thread's pushes leave that one
    when the tab shows another page of the project)."""
    return f"media:{asset_id}"


def ids_from_path(path: str) -> tuple[str, str]:
    """(project id, asset id) of ``/projects/<project>/rushes/<asset>`` or ``.../versions/<asset>``."""
    parts = path.strip("/").split("/")
    return (parts[1], parts[3]) if len(parts) == 4 else ("", "")


class MediaPageMixin(SessionMixin, mixin=True):
    """A page of one asset. ``_reload`` reads it for the signed-in person and returns them (None when they may not
    see it); ``_forget`` drops what the page shows of it."""

    project_id: str = ""
    asset_id: str = ""

    @rx.event
    @user_action(fields=False)
    async def open(self):
        project_id, asset_id = ids_from_path(self.router.url.path)
        if asset_id != self.asset_id:
            self.reset()
            self.project_id, self.asset_id = project_id, asset_id
        actor = await self._reload()
        if actor is not None:
            await presence().join(media_channel(asset_id), self.router.session.client_token, actor.user_id)

    @rx.event
    async def leave(self):
        if self.asset_id:
            await self._leave()

    async def _reread(self) -> bool:
        """Another member changed the asset's page: read it again with this tab's own session if the tab still
        shows it; True when it did."""
        if ids_from_path(self.router.url.path)[1] != self.asset_id:
            await self._leave()
            return False
        try:
            actor = await self._reload()
        except SignedOut:
            actor = None
        if actor is None:
            self._forget()
            await self._leave()
            return False
        return True

    async def _leave(self) -> None:
        await presence().leave(media_channel(self.asset_id), self.router.session.client_token)

    async def _reload(self):
        raise NotImplementedError

    def _forget(self) -> None:
        raise NotImplementedError
