"""The privacy center: what we hold about you, and your consents (given and withdrawn in one click)."""

from __future__ import annotations

import reflex as rx

from studio_app.services import privacy
from studio_app.services.validation import InvalidInput
from studio_app.state.session import SessionMixin, in_transaction


def _day(moment) -> str:
    return moment.strftime("%d %b %Y, %H:%M UTC") if moment else ""


class PrivacyCenterState(SessionMixin, rx.State):
    held: list[dict] = []
    consents: list[dict] = []
    loaded: bool = False

    @rx.event
    async def load(self):
        actor = await self._actor()
        if actor is None:
            self.held, self.consents, self.loaded = [], [], False
            return self._to_sign_in()
        await self._reload(actor)

    @rx.event
    async def give(self, kind: str):
        await self._change(privacy.give_consent, kind)

    @rx.event
    async def withdraw(self, kind: str):
        await self._change(privacy.withdraw_consent, kind)

    async def _change(self, service, kind: str):
        actor = await self._actor()
        if actor is None:
            return
        try:
            await in_transaction(service, actor, kind)
        except InvalidInput:
            return
        await self._reload(actor)

    async def _reload(self, actor) -> None:
        self.held = [
            {"label": held.label, "summary": held.summary, "purposes": "; ".join(held.purposes) or held.summary,
             "basis": held.legal_basis, "retention": held.retention, "recipients": held.recipients}
            for held in await in_transaction(privacy.what_we_hold, actor)
        ]
        self.consents = [
            {"kind": view.kind, "purpose": view.purpose, "active": view.active,
             "history": " · ".join(f"given {_day(given)}" + (f", withdrawn {_day(withdrawn)}" if withdrawn else "")
                                   for given, withdrawn in view.history) or "Never given"}
            for view in await in_transaction(privacy.consents, actor)
        ]
        self.loaded = True
