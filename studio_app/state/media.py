"""The project page's media: its rushes and versions with their processing status, live.

Uploads and processing happen outside this process (the tus route, the queue worker), so nothing here is told when
an asset changes. Each worker runs ``media_watch_loop``: about every second it reads the assets changed since its
last look, only for the projects its own connected tabs show (nothing at all when none do), turns them into rows
once and pushes them to those tabs, which check their session and membership and merge the rows.
"""

from __future__ import annotations

import asyncio
import dataclasses
import functools
import logging
from datetime import datetime, timedelta

import reflex as rx

from studio_app import routes
from studio_app.errors import UserError
from studio_app.models.base import utcnow
from studio_app.services import media_library
from studio_app.state.formatting import file_size
from studio_app.state.live import presence, project_channel, push
from studio_app.state.session import SessionMixin, in_transaction, user_action
from studio_app.state.thread import project_id_from_path

logger = logging.getLogger(__name__)

WATCH_INTERVAL_SECONDS = 1.0
# Rows are read again for this long after a look: a change committed late with an earlier ``updated_at`` (a long
# transaction, another machine's clock a little behind) is still seen. Rows already pushed are skipped.
LOOKBACK = timedelta(seconds=5)
STATUS_LABELS = {"queued": "Queued", "processing": "Processing", "ready": "Ready", "failed": "Failed"}


def _duration(milliseconds: int | None) -> str:
    if not milliseconds:
        return ""
    seconds = round(milliseconds / 1000)
    hours, rest = divmod(seconds, 3600)
    return f"{hours}:{rest // 60:02d}:{rest % 60:02d}" if hours else f"{rest // 60}:{rest % 60:02d}"


def media_row(view: media_library.MediaView) -> dict:
    version = f"v{view.version_number}" if view.version_number else ""
    resolution = f"{view.width}\N{MULTIPLICATION SIGN}{view.height}" if view.width and view.height else ""
    details = [part for part in (_duration(view.duration_ms), resolution, file_size(view.size_bytes),
                                 f"by {view.uploader_name}") if part]
    return {
        "id": view.id, "kind": view.kind, "version": version, "name": view.name,
        "title": f"{version} · {view.name}" if version else view.name,
        "status": view.status, "status_label": STATUS_LABELS.get(view.status, view.status),
        "progress": view.progress, "failure": view.failure_reason or "", "can_retry": view.can_retry,
        "sha256": view.sha256,
        "poster": routes.media_original(view.poster_file_id) if view.poster_file_id else "",
        # Ready media open in the rush viewer (derushing) or the version review page.
        "href": "" if view.status != "ready" else (routes.version_page if view.kind == "version"
                                                   else routes.rush_page)(view.project_id, view.id),
        "details": " · ".join(details),
        # Rushes newest first, versions in number order.
        "order": view.version_number or 0 if view.kind == "version" else -view.created_at.timestamp(),
    }


def _merged(rows: list[dict], changed: list[dict]) -> list[dict]:
    by_id = {row["id"]: row for row in rows} | {row["id"]: row for row in changed}
    return sorted(by_id.values(), key=lambda row: (row["order"], row["id"]))


class MediaState(SessionMixin, rx.State):
    project_id: str = ""
    rushes: list[dict] = []
    versions: list[dict] = []
    loaded: bool = False
    errors: dict[str, str] = {}
    retrying: str = ""  # the asset whose retry is being sent

    @rx.event
    @user_action
    async def open(self):
        project_id = project_id_from_path(self.router.url.path)
        if project_id != self.project_id:
            self.reset()
            self.project_id = project_id
        actor = await self._reload()
        if actor is not None:
            token = self.router.session.client_token
            watched_tabs[token] = self.project_id
            await presence().join(project_channel(self.project_id), token, actor.user_id)

    @rx.event
    @user_action
    async def uploaded(self, count: int):
        """The upload zone finished a batch: the new assets show now, before the watcher's next look."""
        await self._reload()

    @rx.event
    @user_action(scope="media", fields=False)
    async def retry(self, asset_id: str):
        self.retrying = str(asset_id)[:32]
        yield
        try:
            self._show([media_row(await self._call(media_library.retry_processing, asset_id))])
        finally:
            self.retrying = ""

    async def _reload(self):
        """The project's media for this tab's person; returns them, or None when the project is not theirs."""
        try:
            actor, views = await self._call(
                lambda session, actor: (actor, media_library.list_project_media(session, actor, self.project_id)))
        except UserError:
            self.rushes, self.versions, self.loaded = [], [], True
            return None
        self.rushes, self.versions = [], []
        self._show([media_row(view) for view in views])
        self.loaded = True
        return actor

    def _show(self, rows: list[dict]) -> None:
        rushes = [row for row in rows if row["kind"] == "rush"]
        versions = [row for row in rows if row["kind"] == "version"]
        if rushes:
            self.rushes = _merged(self.get_value("rushes"), rushes)
        if versions:
            self.versions = _merged(self.get_value("versions"), versions)

    async def _receive(self, change: MediaChange) -> bool:
        """The watcher saw assets of this project change: merge their rows if this tab still shows the project and
        its session is still a member's."""
        token = self.router.session.client_token
        if project_id_from_path(self.router.url.path) != self.project_id or self.project_id != change.project_id:
            watched_tabs.pop(token, None)
            return False
        actor = await self._actor()
        if actor is None or actor.user_id not in change.members:
            self.rushes, self.versions = [], []
            watched_tabs.pop(token, None)
            return False
        self._show(list(change.rows))
        return True


@dataclasses.dataclass(frozen=True)
class MediaChange:
    project_id: str
    rows: tuple[dict, ...]
    members: frozenset[str]


# The tabs of this worker showing a project's media: client token -> project id. Kept per worker on purpose: each
# worker watches for the tabs whose socket it holds, so no two workers push the same change.
watched_tabs: dict[str, str] = {}


class MediaWatcher:
    """One worker's view of what changed: a moving ``since`` and the rows already pushed."""

    def __init__(self) -> None:
        self._since: datetime = utcnow() - LOOKBACK
        self._pushed: dict[str, datetime] = {}  # asset id -> the updated_at last pushed

    async def look(self, app: rx.App) -> int:
        """Push what changed since the last look to this worker's tabs; returns how many rows were pushed."""
        connected_here = app.event_namespace._token_manager.token_to_sid
        for token in [token for token in watched_tabs if token not in connected_here]:
            watched_tabs.pop(token, None)
        project_ids = set(watched_tabs.values())
        started = utcnow()
        if not project_ids:
            self._since, self._pushed = started - LOOKBACK, {}
            return 0
        views, members = await in_transaction(media_library.media_changes, project_ids, self._since)
        fresh = [view for view in views if self._pushed.get(view.id) != view.updated_at]
        # A full page: continue after its last row next time, however long ago that was.
        self._since = views[-1].updated_at - timedelta(microseconds=1) if len(views) >= media_library.CHANGES_MAX \
            else started - LOOKBACK
        self._pushed = {asset_id: at for asset_id, at in self._pushed.items() if at > self._since}
        self._pushed.update((view.id, view.updated_at) for view in fresh)
        by_project: dict[str, list[dict]] = {}
        for view in fresh:
            by_project.setdefault(view.project_id, []).append(media_row(view))
        await asyncio.gather(*(
            push(project_channel(project_id), MediaState,
                 functools.partial(MediaState._receive, change=MediaChange(project_id, tuple(rows),
                                                                           members.get(project_id, frozenset()))),
                 users=members.get(project_id, frozenset()), local_only=True, app=app)
            for project_id, rows in by_project.items()))
        return len(fresh)


async def media_watch_loop(app: rx.App):
    """Lifespan task of every worker: pushes media status changes made by other processes to this worker's tabs."""
    watcher = MediaWatcher()
    while True:
        await asyncio.sleep(WATCH_INTERVAL_SECONDS)
        try:
            await watcher.look(app)
        except Exception:  # the next look tries again
            logger.exception("media watch failed")
