"""The review page of a version: the version stack, an optional second version side by side (synchronised), the
time-coded comments following the playhead, and the producer's decision. Comments, replies, resolves and decisions
are pushed to the other tabs showing the version, which read the page again with their own session."""

from __future__ import annotations

import reflex as rx

from studio_app import routes
from studio_app.errors import UserError
from studio_app.services import review
from studio_app.state.live import push_later
from studio_app.state.media_page import MediaPageMixin, media_channel
from studio_app.state.session import user_action
from studio_app.state.shell import ShellState

STAGE_WORDS = {"approved": "Approved", "editing": "Changes requested", "review": "In review"}


def clock(ms: int) -> str:
    """m:ss.t, or h:mm:ss.t past an hour: what a reviewer reads next to a comment."""
    seconds, tenths = divmod(ms // 100, 10)
    minutes, seconds = divmod(seconds, 60)
    hours, minutes = divmod(minutes, 60)
    return (f"{hours}:{minutes:02d}" if hours else f"{minutes}") + f":{seconds:02d}.{tenths}"


def comment_row(view: review.CommentView) -> dict:
    return {"id": view.id, "reply": view.parent_id is not None, "parent": view.parent_id or view.id,
            "at_ms": view.at_ms, "at": clock(view.at_ms), "until": clock(view.end_ms) if view.end_ms else "",
            "body": view.body, "author": view.author_name, "initials": view.author_initials,
            "resolved": view.resolved, "resolved_by": view.resolved_by_name or "", "mine": view.is_mine,
            "when": view.created_at.strftime("%d %b, %H:%M")}


def version_row(view: review.VersionView, project_id: str, current_id: str) -> dict:
    return {"id": view.id, "label": f"v{view.number}", "href": routes.version_page(project_id, view.id),
            "approved": view.approved, "current": view.id == current_id, "ready": view.status == "ready",
            "src": routes.media_proxy(view.file_id)}


class ReviewState(MediaPageMixin, rx.State):
    loaded: bool = False
    missing: str = ""
    label: str = ""
    src: str = ""
    thumbnails: str = ""
    frame_rate: float = 25.0
    duration_ms: int = 0
    approved: bool = False
    stage: str = ""
    my_role: str = ""
    versions: list[dict] = []
    compare_id: str = ""
    comments: list[dict] = []
    playhead_ms: int = 0
    range_start_ms: int = -1
    replying_to: str = ""
    compose_key: int = 0
    seek: dict = {"at": 0.0, "n": 0}
    notice: str = ""
    errors: dict[str, str] = {}

    @rx.var
    def active_comment(self) -> str:
        """The latest top-level comment at or before the playhead: the list highlights it as the video plays."""
        active = ""
        for row in self.comments:
            if not row["reply"] and row["at_ms"] <= self.playhead_ms:
                active = row["id"]
        return active

    @rx.var
    def compare(self) -> dict:
        return next((row for row in self.versions if row["id"] == self.compare_id), {})

    @rx.var
    def playhead(self) -> str:
        return clock(self.playhead_ms)

    @rx.var
    def range_start(self) -> str:
        return clock(self.range_start_ms) if self.range_start_ms >= 0 else ""

    @rx.event
    def playhead_at(self, seconds: float):
        if isinstance(seconds, int | float) and seconds >= 0:
            self.playhead_ms = int(seconds * 1000)

    @rx.event
    def seek_to(self, at_ms: int):
        if isinstance(at_ms, int) and at_ms >= 0:
            self.seek = {"at": at_ms / 1000, "n": self.seek.get("n", 0) + 1}

    @rx.event
    def start_range(self, _frame: int = 0):
        """I (or the button): the comment being written covers from here to where the playhead is when it is sent."""
        self.range_start_ms = self.playhead_ms

    @rx.event
    def clear_range(self):
        self.range_start_ms = -1

    @rx.event
    def choose_compare(self, version_id: str):
        self.compare_id = version_id if version_id != self.asset_id and any(
            row["id"] == version_id for row in self.versions) else ""

    @rx.event
    def reply_to(self, comment_id: str):
        self.replying_to = comment_id if any(row["id"] == comment_id for row in self.comments) else ""

    @rx.event
    def cancel_reply(self):
        self.replying_to = ""

    @rx.event
    @user_action(fields=False)
    async def send_comment(self, form: dict):
        body = str(form.get("body", ""))
        start, end = (self.range_start_ms, self.playhead_ms) if 0 <= self.range_start_ms < self.playhead_ms \
            else (self.playhead_ms, None)
        await self._change(review.add_comment, self.asset_id, body, at_ms=start, end_ms=end)
        self.range_start_ms, self.compose_key = -1, self.compose_key + 1

    @rx.event
    @user_action(fields=False)
    async def send_reply(self, form: dict):
        await self._change(review.reply_to_comment, str(form.get("comment", "")), str(form.get("body", "")))
        self.replying_to, self.compose_key = "", self.compose_key + 1

    @rx.event
    @user_action(fields=False)
    async def resolve(self, comment_id: str):
        await self._change(review.resolve_comment, comment_id)

    @rx.event
    @user_action(fields=False)
    async def reopen(self, comment_id: str):
        await self._change(review.reopen_comment, comment_id)

    @rx.event
    @user_action(fields=False)
    async def approve(self):
        await self._change(review.approve_version, self.asset_id)
        self.notice = f"{self.label} is approved: the project is now approved."

    @rx.event
    @user_action(fields=False)
    async def request_changes(self):
        await self._change(review.request_changes, self.asset_id)
        self.notice = "Changes requested: the project is back in editing."

    async def _change(self, work, *args, **kwargs) -> None:
        await self._call(work, *args, **kwargs)
        await self._reload()
        push_later(media_channel(self.asset_id), ReviewState, ReviewState._refresh_from_push,
                   skip_token=self.router.session.client_token)

    async def _reload(self):
        try:
            actor, page = await self._call(lambda session, actor: (actor, review.review_page(session, actor,
                                                                                              self.asset_id)))
        except UserError as error:
            self.comments, self.versions, self.missing, self.loaded = [], [], error.message, True
            return None
        version = page.version
        self.label, self.approved, self.stage, self.my_role = f"v{version.number}", version.approved, page.stage, \
            page.my_role
        self.duration_ms, self.frame_rate = version.duration_ms or 0, _rate(version.frame_rate)
        self.versions = [version_row(view, self.project_id, self.asset_id) for view in page.versions]
        self.comments = [comment_row(view) for view in page.comments]
        if not self.loaded or self.missing:
            self.src = routes.media_proxy(version.file_id)
            self.thumbnails = routes.thumbnails_vtt(version.id)
        self.missing, self.loaded = "", True
        return actor

    def _forget(self) -> None:
        self.comments = []

    async def _refresh_from_push(self):
        """A comment or a decision of another member: the page, and this person's unread badge."""
        if await self._reread():
            await (await self.get_state(ShellState))._refresh_from_push()


def _rate(frame_rate: str | None) -> float:
    try:
        numerator, _, denominator = (frame_rate or "25").partition("/")
        return float(numerator) / float(denominator or 1)
    except (ValueError, ZeroDivisionError):
        return 25.0
