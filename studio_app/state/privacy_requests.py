"""The privacy center's "Your requests": every request of the person, and the form to write one."""

from __future__ import annotations

import uuid

import reflex as rx

from studio_app.services import forms, privacy_requests
from studio_app.services.privacy_requests import RequestView
from studio_app.settings import current_settings
from studio_app.state.session import SessionMixin, user_action

STATUS_LABELS = {"open": "Waiting for our answer", "done": "Done", "refused": "Refused"}


def day(moment) -> str:
    return f"{moment.day} {moment.strftime('%b %Y')}" if moment else ""


def request_row(view: RequestView) -> dict:
    return {"id": view.id, "label": view.label, "status": view.status,
            "status_label": STATUS_LABELS.get(view.status, view.status),
            "self_served": "Done by you in the privacy center" if view.self_served else
                           "Sent by email" if view.by_email else "Written request",
            "created": day(view.created_at), "due": day(view.due_at), "closed": day(view.closed_at),
            "details": view.details, "answer": view.answer, "overdue": view.overdue, "person": view.person,
            "by_email": view.by_email}


class PrivacyRequestsState(SessionMixin, rx.State):
    requests: list[dict] = []
    errors: dict[str, str] = {}
    confirmation: str = ""
    sending: bool = False
    form_key: str = ""  # made when the form appears, a new one after each request sent: a double click sends once
    sent: int = 0  # the form's React key: a new one after a request is sent empties the form
    loaded: bool = False
    privacy_contact: str = ""  # the address people may also write to (STUDIO_PRIVACY_CONTACT)

    @rx.event
    @user_action
    async def load(self):
        self.confirmation, self.form_key = "", uuid.uuid4().hex
        self.privacy_contact = current_settings().privacy_contact
        self._show(await self._call(privacy_requests.my_requests))

    @rx.event
    @user_action(busy="sending")
    async def submit(self, form: dict):
        self.confirmation = ""
        kind, details = str(form.get("kind", "")), str(form.get("details", ""))
        form_key = str(form.get("form_key") or self.form_key)

        def submit_and_list(session, actor):
            view = forms.once(session, actor, form_key,
                              lambda: privacy_requests.submit_request(session, actor, kind, details))
            return view, privacy_requests.my_requests(session, actor)

        view, requests = await self._call(submit_and_list)
        self._show(requests)
        if view is not None:  # None: the same form sent again (a double click), already confirmed
            self.confirmation = f"Request sent. We will answer by {day(view.due_at)} at the latest."
            self.form_key, self.sent = uuid.uuid4().hex, self.sent + 1

    def _show(self, views) -> None:
        self.requests = [request_row(view) for view in views]
        self.loaded = True
