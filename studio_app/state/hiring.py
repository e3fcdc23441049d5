"""The editor's own profile and the producers' editor directory (with invitations to a project)."""

from __future__ import annotations

import reflex as rx

from studio_app.services import invitations, profiles, projects
from studio_app.services.validation import InvalidInput
from studio_app.settings import current_settings
from studio_app.state.live import DIRECTORY_CHANNEL, presence
from studio_app.state.session import SessionMixin, user_action

AVAILABILITY_LABELS = {"available": "Available", "limited": "Limited availability", "unavailable": "Not available"}


def _rate(cents: int | None, currency: str) -> str:
    return f"{cents / 100:,.0f} {currency} / day" if cents is not None else "Rate on request"


def _rate_cents(raw: object) -> int | None:
    text = str(raw or "").strip().replace(",", ".")
    if not text:
        return None
    try:
        return round(float(text) * 100)
    except ValueError:
        raise InvalidInput("day_rate_cents", "Enter the day rate as a number, like 350.") from None


class ProfileState(SessionMixin, rx.State):
    headline: str = ""
    skills: list[str] = []
    languages: str = ""
    software: list[str] = []
    links: str = ""
    day_rate: str = ""
    currency: str = "EUR"
    availability: str = "available"
    listed: bool = True
    errors: dict[str, str] = {}
    saved: str = ""
    loaded: bool = False

    @rx.event
    @user_action
    async def load(self):
        view = await self._call(lambda session, actor: profiles.own_editor_profile(session, actor))
        if view is not None:
            self.headline, self.skills, self.software = view.headline, list(view.skills), list(view.software)
            self.languages, self.links = ", ".join(view.languages), "\n".join(view.portfolio_links)
            self.day_rate = "" if view.day_rate_cents is None else f"{view.day_rate_cents / 100:g}"
            self.currency, self.availability, self.listed = view.currency, view.availability, view.listed
        self.loaded, self.saved = True, ""

    @rx.event
    @user_action
    async def save(self, form: dict):
        self.saved = ""
        view = await self._call(
            lambda session, actor: profiles.save_editor_profile(
                session, actor,
                headline=str(form.get("headline", "")),
                skills=[skill for skill in profiles.SKILLS if form.get(f"skill_{skill}") == "on"],
                languages=[code.strip().lower() for code in str(form.get("languages", "")).split(",")
                           if code.strip()],
                software=[name for name in profiles.SOFTWARE if form.get(f"software_{name}") == "on"],
                portfolio_links=[line.strip() for line in str(form.get("links", "")).splitlines() if line.strip()],
                day_rate_cents=_rate_cents(form.get("day_rate")),
                currency=str(form.get("currency", "EUR")),
                availability=str(form.get("availability", "available")),
                listed=form.get("listed") == "on",
            ))
        self.skills, self.software, self.listed = list(view.skills), list(view.software), view.listed
        self.saved = "Profile saved." + ("" if view.listed else " It is hidden from the directory.")


def directory_row(entry) -> dict:
    return {"id": entry.editor_id, "name": entry.display_name, "headline": entry.headline,
            "skills": ", ".join(entry.skills), "languages": ", ".join(entry.languages).upper(),
            "software": ", ".join(entry.software), "rate": _rate(entry.day_rate_cents, entry.currency),
            "availability": AVAILABILITY_LABELS.get(entry.availability, entry.availability)}


class DirectoryState(SessionMixin, rx.State):
    """Its page has one place for messages: every error goes to ``errors["form"]``."""

    rows: list[dict] = []
    next_cursor: str = ""
    filters: dict[str, str] = {}
    my_projects: list[dict] = []
    target_project: str = ""
    message: str = ""
    errors: dict[str, str] = {}
    loaded: bool = False

    @rx.event
    @user_action(fields=False)
    async def load(self):
        filters, after = self._query(reset=True)

        def projects_and_page(session, actor):
            mine = projects.list_my_projects(session, actor)
            return actor, mine, profiles.browse_directory(session, actor, **filters, after=after)

        actor, open_projects, page = await self._call(projects_and_page)
        self.my_projects = [{"id": row.id, "title": row.title} for row in open_projects if row.my_role == "producer"]
        self.target_project = self.target_project or (self.my_projects[0]["id"] if self.my_projects else "")
        self._show(page, reset=True)
        await presence().join(DIRECTORY_CHANNEL, self.router.session.client_token, actor.user_id)

    @user_action(fields=False)
    async def _refresh_from_push(self):
        """An editor erased their account: this open directory reads again, so it no longer shows them."""
        if self.loaded:
            await self._search(reset=True)

    @rx.event
    @user_action(fields=False)
    async def search(self, form: dict):
        self.filters = {key: str(value) for key, value in form.items() if str(value or "").strip()}
        await self._search(reset=True)

    @rx.event
    @user_action(fields=False)
    async def more(self):
        await self._search(reset=False)

    @rx.event
    def choose_project(self, project_id: str):
        if any(row["id"] == project_id for row in self.my_projects):
            self.target_project = project_id

    @rx.event
    @user_action(fields=False)
    async def invite(self, editor_id: str):
        self.message, settings = "", current_settings()
        await self._call(lambda session, actor: invitations.invite_editor(
            session, settings, actor, self.target_project, editor_id=editor_id))
        self.message = "Invitation sent."

    def _query(self, *, reset: bool) -> tuple[dict, str | None]:
        filters = {"skill": self.filters.get("skill"), "language": self.filters.get("language"),
                   "software": self.filters.get("software"), "max_day_rate_cents": _rate_cents(
                       self.filters.get("max_rate")), "availability": self.filters.get("availability")}
        return filters, None if reset else self.next_cursor or None

    async def _search(self, *, reset: bool) -> None:
        filters, after = self._query(reset=reset)
        self._show(await self._call(lambda session, actor: profiles.browse_directory(
            session, actor, **filters, after=after)), reset=reset)

    def _show(self, page, *, reset: bool) -> None:
        rows = [directory_row(entry) for entry in page.entries]
        self.rows = rows if reset else self.rows + rows
        self.next_cursor, self.loaded = page.next_cursor or "", True
