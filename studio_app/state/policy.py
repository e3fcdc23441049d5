"""The public privacy-policy pages: the version in effect, an earlier one, and the list of versions."""

from __future__ import annotations

import reflex as rx

from studio_app import routes
from studio_app.services import policies
from studio_app.state.session import in_transaction


def policy_link(version: int) -> str:
    return routes.policy_version_page(version)


class PolicyState(rx.State):
    """Public: no actor needed; everything shown here is published text."""

    found: bool = True
    shown_version: int = 0
    current_version: int = 0
    body: str = ""
    summary: str = ""
    published: str = ""
    effective: str = ""
    in_effect: bool = True
    upcoming: dict = {}
    versions: list[dict] = []

    @rx.event
    async def load_current(self):
        await self._load(None)

    @rx.event
    async def load_version(self):
        await self._load(self.router.url.path.rstrip("/").rsplit("/", 1)[-1])

    async def _load(self, wanted: str | None) -> None:
        shown, current, upcoming, versions = await in_transaction(_read, wanted)
        self.found = shown is not None
        self.current_version = current.version
        self.versions = [
            {"version": view.version, "label": f"Version {view.version}", "href": policy_link(view.version),
             "published": policies.day(view.published_at), "effective": policies.day(view.effective_at),
             "summary": view.change_summary, "current": view.version == current.version}
            for view in versions
        ]
        self.upcoming = ({"version": upcoming.version, "href": policy_link(upcoming.version),
                          "effective": policies.day(upcoming.effective_at), "summary": upcoming.change_summary}
                         if upcoming is not None and wanted is None else {})
        if shown is None:
            self.shown_version, self.body, self.summary, self.published, self.effective = 0, "", "", "", ""
            return
        self.shown_version, self.body, self.summary = shown.version, shown.body_markdown, shown.change_summary
        self.published, self.effective = policies.day(shown.published_at), policies.day(shown.effective_at)
        self.in_effect = shown.version <= current.version


def _read(session, wanted: str | None):
    current = policies.current_policy(session)
    shown = current if wanted is None else policies.policy_version(session, wanted)
    return shown, current, policies.upcoming_policy(session), policies.policy_versions(session)
