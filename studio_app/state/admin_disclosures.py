"""The register of disclosures to authorities: record one, list them, link each to the export of what it disclosed
(``services/disclosures.py`` decides who may, and checks every value)."""

from __future__ import annotations

import uuid

import reflex as rx

from studio_app import routes
from studio_app.errors import UserError
from studio_app.services import accounts, disclosures
from studio_app.services.disclosures import CATEGORY_NAMES, DisclosureForm
from studio_app.settings import current_settings
from studio_app.state.session import SessionMixin, user_action


def _checked(form: dict, name: str) -> bool:
    return form.get(name) in (True, "on", "true")


class AdminDisclosuresState(SessionMixin, rx.State):
    allowed: bool = True
    entries: list[dict] = []
    notice: str = ""
    errors: dict[str, str] = {}
    form_key: str = ""

    @rx.event
    @user_action
    async def load(self):
        self.notice, self.form_key = "", uuid.uuid4().hex
        try:
            await self._refresh()
        except UserError:  # not an admin: the page says so
            self.allowed = False
            return
        self.allowed = True

    @rx.event
    @user_action(scope="password", fields=False)
    async def confirm_password(self, form: dict):
        await self._call(accounts.reauthenticate, str(form.get("password", "")))
        self.notice = "Password confirmed: recording and exporting are open for 10 minutes."

    @rx.event
    @user_action
    async def record(self, form: dict):
        self.notice = ""
        entry = DisclosureForm(
            subject_email=str(form.get("subject_email", "")), received_on=str(form.get("received_on", "")),
            authority=form.get("authority", ""), legal_basis=form.get("legal_basis", ""),
            reference=form.get("reference", ""), data_requested=form.get("data_requested", ""),
            categories=tuple(name for name in CATEGORY_NAMES if _checked(form, f"category_{name}")),
            approver=form.get("approver", ""), disclosed_on=str(form.get("disclosed_on", "")),
            inform_user=not _checked(form, "forbids_informing"),
            not_informed_reason=form.get("not_informed_reason", ""))
        view = await self._call(disclosures.record_disclosure, current_settings(), entry)
        await self._refresh()
        self.form_key = uuid.uuid4().hex  # an empty form for the next entry
        self.notice = ("Recorded. The person was told by email and in the app." if view.user_informed else
                       "Recorded. The person was not told, and why is in the register.")

    async def _refresh(self) -> None:
        views = await self._call(disclosures.list_disclosures)
        self.entries = [{
            "id": view.id, "received": view.received_on.isoformat(), "authority": view.authority,
            "basis": view.legal_basis, "reference": view.reference, "requested": view.data_requested,
            "categories": ", ".join(view.categories), "approver": view.approver,
            "disclosed": view.disclosed_on.isoformat(),
            "informed": (f"Told on {view.informed_at:%d %b %Y}" if view.user_informed and view.informed_at
                         else f"Not told: {view.not_informed_reason}"),
            "export": routes.disclosure_export(view.id) if view.subject_id else "",
        } for view in views]
