"""The connected accounts page: Discord and TikTok, their scopes, the Discord name and message choices."""

from __future__ import annotations

import reflex as rx

from studio_app.services import connections, project_channels
from studio_app.state.session import SessionMixin, user_action
from studio_app.state.thread import project_id_from_path


def _row(view: connections.ConnectionView) -> dict:
    return {
        "provider": view.provider, "name": view.name, "connected": view.connected, "handle": view.handle,
        "needs_reconnect": view.status == "needs_reconnect", "problem": view.problem, "dm_problem": view.dm_problem,
        "scopes": [{"name": scope.name, "use": scope.use} for scope in view.scopes], "sandbox": view.sandbox,
        "share_handle": view.share_handle,
        "since": view.connected_at.strftime("%d %b %Y") if view.connected_at else "",
    }


class ConnectionsState(SessionMixin, rx.State):
    rows: list[dict] = []
    discord_connected: bool = False
    share_handle: bool = False
    discord_messages: bool = False
    loaded: bool = False
    notice: str = ""  # what the last connection attempt or disconnection did
    notice_ok: bool = True
    errors: dict[str, str] = {}
    busy: str = ""

    @rx.event
    @user_action
    async def load(self):
        query = self.router.url.query_parameters
        outcome = connections.outcome_message(query.get("outcome"), query.get("provider"))
        if outcome:
            self.notice, self.notice_ok = outcome, query.get("outcome") == "connected"
        self._show(await self._call(connections.connections_page))

    def _show(self, page: connections.ConnectionsPage) -> None:
        self.rows = [_row(view) for view in page.connections]
        discord = next(view for view in page.connections if view.provider == "discord")
        self.discord_connected, self.share_handle = discord.connected, discord.share_handle
        self.discord_messages = page.discord_messages
        self.loaded = True

    @rx.event
    @user_action(busy=("busy", "disconnect"))
    async def disconnect(self, provider: str):
        self.notice, page = await self._call(_disconnect, provider)
        self.notice_ok = True
        self._show(page)

    @rx.event
    @user_action(scope="share_handle")
    async def set_share_handle(self, share: bool):
        self._show(await self._call(_then_page, connections.set_share_handle, share))

    @rx.event
    @user_action(scope="discord_messages")
    async def set_discord_messages(self, enabled: bool):
        self._show(await self._call(_then_page, connections.set_discord_messages, enabled))


def _disconnect(session, actor, provider):
    return connections.disconnect(session, actor, provider), connections.connections_page(session, actor)


def _then_page(session, actor, service, value):
    service(session, actor, value)
    return connections.connections_page(session, actor)


class ProjectChannelState(SessionMixin, rx.State):
    """The Discord channel card of the project page."""

    project_id: str = ""
    connected: bool = False
    name: str = ""
    dead: bool = False
    dead_reason: str = ""
    sandbox: bool = False
    can_manage: bool = False
    notice: str = ""
    notice_ok: bool = True
    errors: dict[str, str] = {}
    busy: bool = False

    @rx.event
    @user_action(scope="channel")
    async def load(self):
        self.project_id = project_id_from_path(self.router.url.path)
        query = self.router.url.query_parameters
        self.notice = connections.outcome_message(query.get("outcome"), query.get("provider"))
        self.notice_ok = query.get("outcome") == "channel_connected"
        self._show(await self._call(project_channels.project_channel, self.project_id))

    def _show(self, view: project_channels.ChannelView) -> None:
        self.connected, self.name, self.dead, self.dead_reason = view.connected, view.name, view.dead, view.dead_reason
        self.sandbox, self.can_manage = view.sandbox, view.can_manage

    @rx.event
    @user_action(scope="channel", busy="busy")
    async def disconnect(self):
        self.notice, view = await self._call(_disconnect_channel, self.project_id)
        self.notice_ok = True
        self._show(view)


def _disconnect_channel(session, actor, project_id):
    return (project_channels.disconnect_channel(session, actor, project_id),
            project_channels.project_channel(session, actor, project_id))
