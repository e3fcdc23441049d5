"""A project's thread: one page of messages in its own substate, live across tabs and workers.

Only a window of messages lives in state (older pages load on demand). Each draft carries an
idempotency key made here, so a send replayed after a reconnect never posts twice, and a failed send
keeps the draft and says so.
"""

from __future__ import annotations

import uuid

import reflex as rx

from studio_app.errors import UserError
from studio_app.services import threads
from studio_app.state.live import presence, project_channel, push_later, user_channel
from studio_app.state.session import SessionMixin, SignedOut, user_action
from studio_app.state.shell import ShellState

WINDOW = 50
MAX_WINDOW = 300  # older pages beyond this are dropped from the top of the window


def _when(moment) -> str:
    return moment.strftime("%d %b, %H:%M")


def message_row(view, names: dict[str, str]) -> dict:
    reply = view.reply_to
    return {
        "mentions": " ".join(f"@{names[user_id]}" for user_id in view.mentions if user_id in names),
        "id": view.id,
        "author": view.author_name,
        "initials": view.author_initials,
        "body": view.body or "",
        "time": _when(view.created_at),
        "edited": view.edited,
        "deleted": view.deleted,
        "mine": view.is_mine,
        "reply_author": reply.author_name if reply else "",
        "reply_excerpt": (reply.excerpt or "Message deleted") if reply else "",
    }


def project_id_from_path(path: str) -> str:
    return path.rstrip("/").rsplit("/", 1)[-1]


class ThreadState(SessionMixin, rx.State):
    project_id: str = ""
    messages: list[dict] = []
    has_more: bool = False
    older_cursor: str = ""
    draft: str = ""
    draft_key: str = ""
    compose_key: int = 0  # the message box's key: a new one after each send empties the box
    replying_to: dict = {}
    members: list[dict] = []
    mentions: list[str] = []
    editing_id: str = ""
    send_error: str = ""
    _last_sent: str = ""
    sending: bool = False
    loading_older: bool = False

    @rx.event
    @user_action
    async def open(self):
        self.project_id = project_id_from_path(self.router.url.path)
        self.draft_key = self.draft_key or uuid.uuid4().hex
        self.send_error, self.replying_to, self.editing_id = "", {}, ""
        actor = await self._reload_latest()
        if actor is not None:
            await presence().join(project_channel(self.project_id), self.router.session.client_token, actor.user_id)

    @rx.event
    async def leave(self):
        if self.project_id:
            await presence().leave(project_channel(self.project_id), self.router.session.client_token)

    @rx.event
    def set_draft(self, value: str):
        # The draft is what the person typed in this tab: kept so a failed send loses nothing.
        value = value[:8000] if isinstance(value, str) else ""
        if not self.draft and value and value == self._last_sent:
            return  # the debounced copy of a message already sent, arriving after the send emptied the box
        self.draft = value

    @rx.event
    @user_action
    async def send(self, form: dict):
        # The form carries what the box shows now; the debounced draft may lag a keystroke behind.
        body = str(form.get("body", self.draft))[:8000]
        # A send can arrive before the page's open event (a click right after load): take the project from the URL.
        self.project_id = project_id_from_path(self.router.url.path)
        self.draft_key = self.draft_key or uuid.uuid4().hex
        self.draft = body
        self.sending, self.send_error = True, ""
        yield
        # On an unexpected failure (logged, a plain message shown by @user_action) the draft stays in the box and
        # the same key is reused: retrying cannot post twice.
        try:
            if self.editing_id:
                await self._call(threads.edit_message, self.editing_id, body)
            else:
                await self._call(threads.post_message, self.project_id, body,
                                 idempotency_key=self.draft_key, reply_to_id=self.replying_to.get("id"),
                                 mention_ids=tuple(self.mentions))
        except UserError as error:
            self.send_error = error.message
        else:
            self.draft, self.draft_key, self.replying_to, self.editing_id = "", uuid.uuid4().hex, {}, ""
            self.compose_key += 1
            self.mentions, self._last_sent = [], body
            await self._reload_latest()
            push_later(project_channel(self.project_id), ThreadState, ThreadState._refresh_from_push,
                       skip_token=self.router.session.client_token)
            for member in self.members:  # the other members, just re-read by _reload_latest
                push_later(user_channel(member["id"]), ShellState, ShellState._refresh_from_push)
        finally:
            self.sending = False

    @rx.event
    def toggle_mention(self, user_id: str):
        if any(member["id"] == user_id for member in self.members):
            self.mentions = [other for other in self.mentions if other != user_id] if user_id in self.mentions \
                else [*self.mentions, user_id]

    @rx.event
    def reply_to(self, message_id: str):
        found = next((row for row in self.messages if row["id"] == message_id and not row["deleted"]), None)
        self.replying_to = {"id": found["id"], "author": found["author"], "excerpt": found["body"][:140]} if found \
            else {}
        self.editing_id = ""

    @rx.event
    def start_editing(self, message_id: str):
        found = next((row for row in self.messages if row["id"] == message_id and row["mine"]), None)
        if found is not None:
            self.editing_id, self.replying_to, self.draft = message_id, {}, found["body"]

    @rx.event
    def cancel_compose(self):
        if self.editing_id:
            self.draft = ""
        self.editing_id, self.replying_to, self.send_error = "", {}, ""

    @rx.event
    @user_action
    async def delete(self, message_id: str):
        try:
            await self._call(threads.delete_message, message_id)
        except UserError as error:
            self.send_error = error.message
            return
        await self._reload_latest()
        push_later(project_channel(self.project_id), ThreadState, ThreadState._refresh_from_push,
                   skip_token=self.router.session.client_token)

    @rx.event
    @user_action
    async def load_older(self):
        if not self.has_more:
            return
        self.loading_older = True
        yield
        page = await self._call(threads.thread_page, self.project_id, before=self.older_cursor, limit=WINDOW)
        names = {member["id"]: member["name"] for member in self.members}
        self.messages = ([message_row(view, names) for view in page.messages] + self.messages)[:MAX_WINDOW]
        self.has_more, self.older_cursor, self.loading_older = page.has_more, page.before or "", False

    async def _reload_latest(self):
        """The latest window for this tab's person; returns them, or None when the thread is not theirs to read."""
        try:
            actor, opened = await self._call(
                lambda session, actor: (actor, threads.read_latest(session, actor, self.project_id, limit=WINDOW)))
        except UserError:
            self.messages, self.has_more = [], False
            return None
        names = opened.member_names
        self.members = [{"id": user_id, "name": name} for user_id, name in names.items() if user_id != actor.user_id]
        self.messages = [message_row(view, names) for view in opened.page.messages]
        self.has_more, self.older_cursor = opened.page.has_more, opened.page.before or ""
        if opened.unread_notifications is not None:
            (await self.get_state(ShellState)).unread_notifications = opened.unread_notifications
        return actor

    async def _refresh_from_push(self):
        """Called for another tab when this project's thread changed; it re-checks its own session."""
        if project_id_from_path(self.router.url.path) != self.project_id:
            # The tab moved on to another page: reading the thread now would mark it read unseen.
            await presence().leave(project_channel(self.project_id), self.router.session.client_token)
            return
        try:
            actor = await self._reload_latest()
        except SignedOut:
            actor = None
        if actor is None:
            self.messages = []
            await presence().leave(project_channel(self.project_id), self.router.session.client_token)
