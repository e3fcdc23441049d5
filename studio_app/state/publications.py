"""The "Publish" composer of an approved version and the live timeline of its publications.

The composer asks TikTok's creator info when the producer opens it (TikTok requires it before each post) and offers
only what it allows. The timeline is read again every two seconds while one of the version's publications is not
finished (the job runs in a consumer process: nothing here is told when a step ends).
"""

from __future__ import annotations

import asyncio
import time
from datetime import datetime
from zoneinfo import ZoneInfo

import reflex as rx

from studio_app import routes
from studio_app.errors import UserError
from studio_app.services import publications
from studio_app.services.publications import TikTokSettings
from studio_app.state.media_page import ids_from_path
from studio_app.state.review import ReviewState
from studio_app.state.session import SessionMixin, SignedOut, user_action
from studio_app.state.thread import project_id_from_path

POLL_SECONDS = 2.0
POLL_MAX_SECONDS = 3600
ACTIVE = ("scheduled", "running")
STATUS_WORDS = {"scheduled": "Scheduled", "running": "Publishing", "done": "Published",
                "partly_failed": "Partly failed", "failed": "Failed", "cancelled": "Cancelled",
                "waiting": "Waiting", "retrying": "Retrying", "needs_reconnect": "Needs reconnect"}
STEP_WORDS = {"creator_info": "TikTok account", "init": "Upload started", "upload": "Upload",
              "status": "TikTok processing", "announce": "Discord announcement"}
PRIVACY_WORDS = {"PUBLIC_TO_EVERYONE": "Everyone", "MUTUAL_FOLLOW_FRIENDS": "Friends",
                 "FOLLOWER_OF_CREATOR": "Followers", "SELF_ONLY": "Only me"}
TIME_ZONES = publications.time_zones()


def _local(moment: datetime, zone: str) -> str:
    try:
        return moment.astimezone(ZoneInfo(zone)).strftime("%d %b %Y, %H:%M") + f" ({zone})"
    except (KeyError, ValueError):
        return moment.strftime("%d %b %Y, %H:%M UTC")


def publication_row(view: publications.PublicationView) -> dict:
    return {
        "id": view.id, "status": view.status, "status_label": STATUS_WORDS.get(view.status, view.status),
        "version": f"v{view.version_number}" if view.version_number else "", "caption": view.caption,
        "when": _local(view.scheduled_for, view.time_zone), "can_change": view.can_change,
        "destinations": [{
            "id": destination.id, "name": "TikTok" if destination.destination == "tiktok" else "Discord",
            "status": destination.status, "status_label": "Announced" if destination.destination == "discord"
            and destination.status == "done" else STATUS_WORDS.get(destination.status, destination.status),
            "sandbox": destination.sandbox, "reason": destination.failure_reason or "",
            "link": destination.post_url or "",
            "steps": [{"label": STEP_WORDS.get(step.name, step.name), "status": step.status, "detail": step.detail,
                       "progress": f"{step.done_units}/{step.total_units}"
                       if step.total_units and step.status == "started" else ""}
                      for step in destination.steps],
        } for destination in view.destinations],
    }


class PublicationState(SessionMixin, rx.State):
    project_id: str = ""
    asset_id: str = ""
    rows: list[dict] = []
    composing: bool = False
    options_loaded: bool = False
    tiktok_ok: bool = False
    tiktok_sandbox: bool = False
    tiktok_problem: str = ""
    nickname: str = ""
    privacy_options: list[list[str]] = []  # [value, words]
    comment_disabled: bool = False
    duet_disabled: bool = False
    stitch_disabled: bool = False
    max_duration: int = 0
    discord_ok: bool = False
    discord_sandbox: bool = False
    discord_channel: str = ""
    to_tiktok: bool = False
    to_discord: bool = False
    privacy: str = ""
    allow_comment: bool = False
    allow_duet: bool = False
    allow_stitch: bool = False
    disclose: bool = False
    brand_organic: bool = False
    brand_content: bool = False
    caption: str = ""
    cover_ms: int = 0
    cover_seconds: str = "0"
    when: str = ""  # "" publishes now
    time_zone: str = "UTC"
    consent: bool = False
    rescheduling: str = ""  # the publication whose new time is being chosen
    notice: str = ""
    errors: dict[str, str] = {}
    busy: bool = False
    polling: bool = False

    @rx.var
    def consent_words(self) -> str:
        # Wording required by TikTok's content sharing guidelines (commercial content disclosure).
        if self.to_tiktok and self.disclose and self.brand_content:
            return "By posting, you agree to TikTok's Branded Content Policy and Music Usage Confirmation."
        return "By posting, you agree to TikTok's Music Usage Confirmation." if self.to_tiktok else \
            "I confirm that this version may be announced in the project's Discord channel."

    @rx.var
    def label_words(self) -> str:
        if not (self.disclose and self.to_tiktok):
            return ""
        return "Your video will be labeled as “Paid partnership”." if self.brand_content else (
            "Your video will be labeled as “Promotional content”." if self.brand_organic else "")

    @rx.event
    @user_action(fields=False)
    async def open(self):
        project_id, asset_id = ids_from_path(self.router.url.path)
        if asset_id != self.asset_id:
            self.reset()
            self.project_id, self.asset_id = project_id, asset_id
        await self._reload()
        return PublicationState.watch

    @rx.event
    @user_action(scope="form", busy="busy")
    async def start_composing(self):
        options = await self._call(publications.compose_options, self.project_id, self.asset_id)
        self.composing, self.options_loaded = True, True
        self.tiktok_ok, self.tiktok_sandbox, self.tiktok_problem = options.tiktok_connected, options.tiktok_sandbox, \
            options.tiktok_problem
        self.nickname, self.max_duration = options.creator_nickname, options.max_duration_sec
        self.privacy_options = [[value, PRIVACY_WORDS.get(value, value)] for value in options.privacy_level_options]
        self.comment_disabled, self.duet_disabled = options.comment_disabled, options.duet_disabled
        self.stitch_disabled = options.stitch_disabled
        self.discord_ok, self.discord_sandbox = options.discord_connected, options.discord_sandbox
        self.discord_channel = options.discord_channel
        # Nothing preselected that TikTok forbids preselecting (privacy, interactions, disclosure).
        self.to_tiktok, self.to_discord = False, False
        self.privacy, self.allow_comment, self.allow_duet, self.allow_stitch = "", False, False, False
        self.disclose = self.brand_organic = self.brand_content = self.consent = False
        self.errors = {}

    @rx.event
    def close_composer(self):
        self.composing = False

    @rx.event
    def set_field(self, name: str, value):
        """The composer's inputs; only its own fields, checked again by the service when it is sent."""
        if name in ("to_tiktok", "to_discord", "allow_comment", "allow_duet", "allow_stitch", "disclose",
                    "brand_organic", "brand_content", "consent"):
            setattr(self, name, bool(value))
        elif name in ("privacy", "caption", "when", "time_zone") and isinstance(value, str):
            setattr(self, name, value[:5000])
        elif name == "cover_seconds" and isinstance(value, str):
            self.cover_seconds = value[:20]
            try:
                self.cover_ms = max(0, round(float(value or 0) * 1000))
                self.errors = {key: words for key, words in self.errors.items() if key != "cover_ms"}
            except ValueError:
                self.errors = self.errors | {"cover_ms": "Give the cover frame's time in seconds, e.g. 2.5."}

    @rx.event
    async def use_current_frame(self):
        """The cover is the frame under the review player's playhead."""
        review = await self.get_state(ReviewState)
        self.cover_ms = max(0, review.playhead_ms)
        self.cover_seconds = f"{self.cover_ms / 1000:g}"

    @rx.event
    @user_action(fields=True, busy="busy")
    async def publish(self):
        destinations = [name for name, chosen in (("tiktok", self.to_tiktok), ("discord", self.to_discord)) if chosen]
        tiktok = TikTokSettings(privacy_level=self.privacy, allow_comment=self.allow_comment,
                                allow_duet=self.allow_duet, allow_stitch=self.allow_stitch,
                                brand_organic=self.disclose and self.brand_organic,
                                brand_content=self.disclose and self.brand_content)
        view = await self._call(publications.schedule, self.project_id, self.asset_id, destinations=destinations,
                                caption=self.caption, when=self.when, time_zone=self.time_zone,
                                cover_ms=self.cover_ms, tiktok=tiktok, consent=self.consent)
        self.notice = "Scheduled for " + _local(view.scheduled_for, view.time_zone) + "." if self.when \
            else "Publishing now: follow it below."
        self.composing, self.caption, self.when, self.consent = False, "", "", False
        self.cover_ms, self.cover_seconds = 0, "0"
        await self._reload()
        return PublicationState.watch

    @rx.event
    def choose_reschedule(self, publication_id: str):
        self.rescheduling = publication_id if any(row["id"] == publication_id for row in self.rows) else ""

    @rx.event
    @user_action(scope="list", fields=False)
    async def reschedule(self, form: dict):
        await self._call(publications.reschedule, self.rescheduling, when=str(form.get("when", "")),
                         time_zone=str(form.get("time_zone", self.time_zone)))
        self.rescheduling, self.notice = "", "Rescheduled."
        await self._reload()

    @rx.event
    @user_action(scope="list", fields=False)
    async def cancel(self, publication_id: str):
        await self._call(publications.cancel, publication_id)
        self.notice = "Cancelled: it will not be published."
        await self._reload()

    @rx.event(background=True)
    async def watch(self):
        """While a publication of this version is scheduled or running, read the timeline again."""
        async with self:
            if self.polling or not any(row["status"] in ACTIVE for row in self.rows):
                return
            self.polling = True
        try:
            started = time.monotonic()
            while time.monotonic() - started < POLL_MAX_SECONDS:
                await asyncio.sleep(POLL_SECONDS)
                try:
                    views = await self._call(publications.project_publications, self.project_id)
                except (SignedOut, UserError):
                    break
                async with self:
                    self._show(views)
                    if not any(row["status"] in ACTIVE for row in self.rows):
                        break
        finally:
            async with self:
                self.polling = False

    async def _reload(self) -> None:
        try:
            self._show(await self._call(publications.project_publications, self.project_id))
        except UserError:
            self.rows = []

    def _show(self, views: list[publications.PublicationView]) -> None:
        self.rows = [publication_row(view) for view in views if view.asset_id == self.asset_id]
        if views and self.time_zone == "UTC":
            self.time_zone = views[0].time_zone  # the zone the producer chose last


class ProjectPublicationsState(SessionMixin, rx.State):
    """The project page's list of its publications, each linking to its version's timeline."""

    rows: list[dict] = []
    errors: dict[str, str] = {}

    @rx.event
    @user_action(scope="publications", fields=False)
    async def load(self):
        project_id = project_id_from_path(self.router.url.path)
        views = await self._call(publications.project_publications, project_id)
        self.rows = [publication_row(view) | {"href": routes.version_page(project_id, view.asset_id)
                                                      + "#publications-panel"} for view in views]
