"""The admin console's privacy page: the request queue, publishing a policy version, product news.

Every handler asks the services, which refuse anyone but an admin; the page only hides what they refuse.
"""

from __future__ import annotations

from datetime import UTC, datetime

import reflex as rx

from studio_app.errors import UserError
from studio_app.services import announcements, policies, privacy_requests
from studio_app.services.validation import InvalidInput
from studio_app.settings import current_settings
from studio_app.state.privacy_requests import day, request_row
from studio_app.state.session import SessionMixin, user_action


def _effective_date(value: str) -> datetime | None:
    if not value:
        return None
    try:
        return datetime.strptime(value, "%Y-%m-%d").replace(tzinfo=UTC)
    except ValueError:
        raise InvalidInput("effective_at", "Choose the date the new version applies from.") from None


class AdminPrivacyState(SessionMixin, rx.State):
    allowed: bool = True
    requests: list[dict] = []
    news: list[dict] = []
    newest_version: int = 0
    draft_body: str = ""
    preview: str = ""
    errors: dict[str, str] = {}
    notice: str = ""
    today: str = ""  # the effective-date field's default
    policy_form_key: int = 0  # a new one empties the form after a version is published
    news_form_key: int = 0

    @rx.event
    @user_action
    async def load(self):
        self.notice = ""
        self.today = datetime.now(UTC).date().isoformat()
        try:
            self._show(*await self._call(_console_data))
        except UserError:  # not an admin: the page says so
            self.allowed, self.requests, self.news, self.draft_body, self.preview = False, [], [], "", ""
            return
        self.allowed = True
        # The editor shows the text just loaded through its default value, which never replaces what was typed;
        # remounting it (a new key) here would, if the admin started typing before this arrived.
        self.preview = self.draft_body

    @rx.event
    def set_preview(self, text: str):
        self.preview = text[:policies.MAX_BODY] if isinstance(text, str) else ""

    @rx.event
    @user_action(scope=lambda form: f"answer:{form.get('request_id', '') if isinstance(form, dict) else ''}",
                 qualified=True)
    async def answer(self, form: dict):
        request_id, status, answer = (str(form.get(name, "")) for name in ("request_id", "status", "answer"))
        settings = current_settings()
        await self._act(
            lambda session, actor: privacy_requests.answer_request(session, settings, actor, request_id, status,
                                                                   answer),
            done="Answer sent. The person was mailed and sees it in their privacy center.")

    @rx.event
    @user_action(scope="policy", qualified=True)
    async def publish(self, form: dict):
        effective = _effective_date(str(form.get("effective_at", "")))
        body, summary = str(form.get("body_markdown", "")), str(form.get("change_summary", ""))
        significant = form.get("significant") == "on"
        await self._act(
            lambda session, actor: policies.publish_policy(session, actor, body, summary, significant, effective),
            done="New version published.")
        self.policy_form_key += 1
        self.preview = self.draft_body

    @rx.event
    @user_action(scope="news", qualified=True)
    async def send_news(self, form: dict):
        subject, body = str(form.get("subject", "")), str(form.get("body_markdown", ""))
        await self._act(
            lambda session, actor: announcements.create_announcement(session, actor, subject, body),
            done="Queued: the next mailing round sends it to everyone who agreed to product news.")
        self.news_form_key += 1

    async def _act(self, work, *, done: str) -> None:
        """``work(db_session, actor)``, then the console read again, in one transaction."""
        self.notice = ""

        def act_and_read(session, actor):
            work(session, actor)
            return _console_data(session, actor)

        self._show(*await self._call(act_and_read))
        self.notice = done

    def _show(self, queue, news, newest) -> None:
        self.requests = [request_row(view) | {"form_id": f"answer-{view.id}"} for view in queue]
        self.news = [{"subject": view.subject, "created": day(view.created_at),
                      "status": f"Sent {day(view.sent_at)}" if view.sent_at else "Queued",
                      "recipients": f"{view.recipients} received it"} for view in news]
        # The editor starts from the newest published text (it may not be in effect yet).
        self.newest_version, self.draft_body = newest.version, newest.body_markdown


def _console_data(session, actor):
    return (privacy_requests.open_requests(session, actor), announcements.announcements(session, actor),
            policies.policy_versions(session)[0])
