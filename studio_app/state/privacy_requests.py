"""The privacy center's "Your requests": every request of the person, and the form to write one."""

from __future__ import annotations

import reflex as rx

from studio_app.security.policy import NotAllowed
from studio_app.services import privacy_requests
from studio_app.services.privacy_requests import RequestView
from studio_app.services.validation import InvalidInput
from studio_app.state.session import SessionMixin, in_transaction

STATUS_LABELS = {"open": "Waiting for our answer", "done": "Done", "refused": "Refused"}


def day(moment) -> str:
    return f"{moment.day} {moment.strftime('%b %Y')}" if moment else ""


def request_row(view: RequestView) -> dict:
    return {"id": view.id, "label": view.label, "status": view.status,
            "status_label": STATUS_LABELS.get(view.status, view.status),
            "self_served": "Done by you in the privacy center" if view.self_served else "Written request",
            "created": day(view.created_at), "due": day(view.due_at), "closed": day(view.closed_at),
            "details": view.details, "answer": view.answer, "overdue": view.overdue, "person": view.person}


class PrivacyRequestsState(SessionMixin, rx.State):
    requests: list[dict] = []
    errors: dict[str, str] = {}
    confirmation: str = ""
    sending: bool = False
    form_key: int = 0  # a new key after a request is sent empties the form
    loaded: bool = False

    @rx.event
    async def load(self):
        self.errors, self.confirmation = {}, ""
        actor = await self._actor()
        if actor is None:
            self.requests, self.loaded = [], False
            return
        await self._reload(actor)

    @rx.event
    async def submit(self, form: dict):
        actor = await self._actor()
        if actor is None:
            yield self._to_sign_in()
            return
        self.sending, self.errors, self.confirmation = True, {}, ""
        yield
        try:
            view = await in_transaction(privacy_requests.submit_request, actor, str(form.get("kind", "")),
                                        str(form.get("details", "")))
        except InvalidInput as invalid:
            self.errors = {invalid.field: invalid.message}
        except NotAllowed as refused:
            self.errors = {"form": str(refused)}
        else:
            self.confirmation = f"Request sent. We will answer by {day(view.due_at)} at the latest."
            self.form_key += 1
            await self._reload(actor)
        finally:
            self.sending = False

    async def _reload(self, actor) -> None:
        self.requests = [request_row(view) for view in await in_transaction(privacy_requests.my_requests, actor)]
        self.loaded = True
