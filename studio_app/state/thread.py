"""A project's thread: one page of messages in its own substate, live across tabs and workers.

Only a window of messages lives in state (older pages load on demand). A new, edited or deleted message is
turned into its row once, by the tab that made the change, and pushed as such to the other tabs showing the
project: each receiving tab checks its session (cached) and applies the row, with no database work.

Each draft carries an idempotency key made here and rendered in the form, so a send replayed after a
reconnect or a double click never posts twice; a failed send keeps the draft and says so. Everything in
this state belongs to one project: opening another project keeps the draft with the project it was
written for.
"""

from __future__ import annotations

import bisect
import functools
import uuid

import reflex as rx

from studio_app.errors import UserError
from studio_app.services import threads
from studio_app.services.people import display_names, initials
from studio_app.state.live import (
    WriteBehind,
    presence,
    project_channel,
    push,
    push_later,
    run_in_order,
    user_channel,
)
from studio_app.state.session import SessionMixin, SignedOut, in_transaction, user_action
from studio_app.state.shell import ShellState

WINDOW = 50
MAX_WINDOW = 300  # older pages beyond this are dropped from the top of the window
DRAFTS_KEPT = 20  # drafts of other projects kept for when the person comes back to them


def _when(moment) -> str:
    return moment.strftime("%d %b, %H:%M")


def message_row(view, names: dict[str, str]) -> dict:
    reply = view.reply_to
    return {
        "mentions": " ".join(f"@{names[user_id]}" for user_id in view.mentions if user_id in names),
        "id": view.id,
        "order": view.cursor,
        "author": view.author_name,
        "initials": view.author_initials,
        "body": view.body or "",
        "time": _when(view.created_at),
        "edited": view.edited,
        "deleted": view.deleted,
        "mine": view.is_mine,
        "reply_id": reply.id if reply else "",
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
    compose_key: int = 0  # the message box's key: a new one after each send or project change empties or refills it
    replying_to: dict = {}
    members: list[dict] = []
    mentions: list[str] = []
    editing_id: str = ""
    send_error: str = ""
    _last_sent: str = ""
    _last_sent_key: str = ""
    _my_name: str = ""
    _older_loaded: bool = False
    _drafts: dict[str, str] = {}  # unsent text of the other projects this tab showed
    sending: bool = False
    loading_older: bool = False

    @rx.event
    @user_action
    async def open(self):
        self._show_project(project_id_from_path(self.router.url.path))
        self.send_error, self.replying_to, self.editing_id = "", {}, ""
        actor = await self._reload_latest()
        if actor is not None:
            await presence().join(project_channel(self.project_id), self.router.session.client_token, actor.user_id)

    @rx.event
    async def leave(self):
        if self.project_id:
            await presence().leave(project_channel(self.project_id), self.router.session.client_token)

    @rx.event
    def set_draft(self, value: str, project_id: str = ""):
        # The draft is what the person typed in this tab: kept so a failed send loses nothing.
        value = value[:8000] if isinstance(value, str) else ""
        if isinstance(project_id, str) and project_id and project_id != self.project_id:
            self._keep_draft(project_id, value)  # a late copy of the box of a project the tab has left
            return
        if not self.draft and value and value == self._last_sent:
            return  # the debounced copy of a message already sent, arriving after the send emptied the box
        self.draft = value

    @rx.event
    @user_action
    async def send(self, form: dict):
        # The form carries what the box shows now (the debounced draft may lag a keystroke behind), the key and
        # the project it was rendered with: a double click sends the same key twice, so it posts once.
        body = str(form.get("body", self.draft))[:8000]
        written_for, key = str(form.get("project") or ""), str(form.get("key") or "")
        # A send can arrive before the page's open event (a click right after load): the URL names the project.
        project_id = project_id_from_path(self.router.url.path)
        self._show_project(project_id)
        if written_for and written_for != project_id:
            return  # the box still showed another project's draft: it stays with that project, nothing is sent
        if not key:  # a form rendered before the page's first event: a repeat of the last send is that send
            key = self._last_sent_key if body == self._last_sent else self.draft_key
        form_key = key  # what the box was rendered with: a second click on the same message carries it again
        if key == self._last_sent_key:
            if body == self._last_sent:
                return  # the second click of a double click: that draft is already sent
            key = uuid.uuid4().hex  # another message, typed into the box before the last send had renewed its key
        # The box empties as soon as the send is taken, not when it is posted: what the person types next, while
        # this one is being posted, is a new message that the end of this one must not wipe.
        self.draft, self.compose_key, self.sending, self.send_error = "", self.compose_key + 1, True, ""
        yield
        posted = False
        try:
            if self.editing_id:
                user_id, view, members = await self._call(_edit, self.editing_id, body)
                change = self._change("edit", view, members)
            else:
                watching = frozenset((await presence().tabs(project_channel(project_id))).values())
                user_id, posted, my_name = await self._call(
                    _post, project_id, body, not self._my_name, idempotency_key=key,
                    reply_to_id=self.replying_to.get("id"), mention_ids=tuple(self.mentions), watching=watching)
                self._my_name = my_name or self._my_name
                change = self._new_message(posted, body, user_id, watching)
        except UserError as error:
            self.send_error = error.message
        else:
            posted = True
            self.draft_key, self.replying_to, self.editing_id = uuid.uuid4().hex, {}, ""
            self.mentions, self._last_sent, self._last_sent_key = [], body, form_key
            self._tell(change, user_id)
        finally:
            self.sending = False
            if not posted:
                # Refused, or an unexpected failure (logged, a plain message shown by @user_action): the text comes
                # back into the box with the same key, so sending it again cannot post twice.
                self.draft, self.compose_key = body, self.compose_key + 1

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
            self.compose_key += 1

    @rx.event
    def cancel_compose(self):
        if self.editing_id:
            self.draft = ""
            self.compose_key += 1
        self.editing_id, self.replying_to, self.send_error = "", {}, ""

    @rx.event
    @user_action
    async def delete(self, message_id: str):
        try:
            user_id, view, members = await self._call(_delete, message_id)
        except UserError as error:
            self.send_error = error.message
            return
        self._tell(self._change("delete", view, members), user_id)

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
        self._older_loaded = True

    def _show_project(self, project_id: str) -> None:
        """Everything shown belongs to one project: moving to another keeps this one's draft for later and
        starts from that one's own."""
        if project_id == self.project_id:
            self.draft_key = self.draft_key or uuid.uuid4().hex
            return
        drafts = dict(self._drafts)
        if self.project_id and self.draft:
            drafts[self.project_id] = self.draft
        # A tab that showed no project yet: its box holds what is being typed for this one (the page appears before
        # its state), so it keeps both the text and the box (a new box under the cursor would drop a click on Send).
        fresh = not self.project_id
        draft = self.draft if fresh else drafts.pop(project_id, "")
        compose_key = self.compose_key + (0 if fresh else 1)
        self.reset()
        self.project_id, self.draft, self.compose_key, self.draft_key = project_id, draft, compose_key, uuid.uuid4().hex
        self._drafts = dict(list(drafts.items())[-DRAFTS_KEPT:])

    def _keep_draft(self, project_id: str, value: str) -> None:
        drafts = {other: text for other, text in self._drafts.items() if other != project_id}
        if value:
            drafts[project_id] = value
        self._drafts = dict(list(drafts.items())[-DRAFTS_KEPT:])

    def _change(self, kind: str, view, members) -> dict:
        names = {member["id"]: member["name"] for member in self.members}
        return {"kind": kind, "project_id": view.project_id, "row": message_row(view, names),
                "author_id": view.author_id, "members": frozenset(members)}

    def _new_message(self, posted, body: str, user_id: str, watching: frozenset[str]) -> dict:
        """The row of a message this tab just posted, made from what the tab sent: nothing is read back."""
        names = {member["id"]: member["name"] for member in self.members}
        quoted = self.replying_to
        row = {
            "mentions": " ".join(f"@{names[member]}" for member in self.mentions if member in names),
            "id": posted.message_id, "order": posted.cursor, "author": self._my_name,
            "initials": initials(self._my_name), "body": body.strip(), "time": _when(posted.created_at),
            "edited": False, "deleted": False, "mine": True, "reply_id": quoted.get("id", ""),
            "reply_author": quoted.get("author", ""), "reply_excerpt": quoted.get("excerpt", ""),
        }
        return {"kind": "new", "project_id": self.project_id, "row": row, "author_id": user_id,
                "members": frozenset(posted.member_ids), "created_at": posted.created_at, "watching": watching}

    def _tell(self, change: dict, user_id: str) -> None:
        """Show the change here, then push its row (built once) to the project's other tabs, in posting order."""
        self._apply(change, user_id)
        deliver = functools.partial(_deliver, change, user_id, self.router.session.client_token)
        run_in_order(project_channel(change["project_id"]), deliver)

    def _apply(self, change: dict, user_id: str) -> None:
        row = {**change["row"], "mine": change["author_id"] == user_id}
        # The plain rows (through the state, each row read would be wrapped to watch for changes): rows are replaced,
        # never changed in place, and assigning the list marks it changed.
        rows = list(self.get_value("messages"))
        if change["kind"] != "new":  # the replies quoting an edited or deleted message quote what it says now
            excerpt = "Message deleted" if row["deleted"] else row["body"][:threads.QUOTE_MAX]
            rows = [{**other, "reply_excerpt": excerpt} if other["reply_id"] == row["id"] else other for other in rows]
        at = next((index for index in range(len(rows) - 1, -1, -1) if rows[index]["id"] == row["id"]), None)
        if at is not None:
            rows[at] = row
        elif change["kind"] == "new":
            rows.insert(bisect.bisect([other["order"] for other in rows], row["order"]), row)
            limit = MAX_WINDOW if self._older_loaded else WINDOW
            if len(rows) > limit:  # the window keeps its size: the oldest rows go back to "load older"
                rows = rows[len(rows) - limit:]
                self.has_more, self.older_cursor = True, rows[0]["order"]
        self.messages = rows

    async def _receive(self, change: dict) -> bool:
        """Another tab changed this project's thread: apply its row if this tab still shows the project and its
        session is still one of the members'. True when the person saw it."""
        if project_id_from_path(self.router.url.path) != self.project_id or self.project_id != change["project_id"]:
            # The tab moved on to another page: it stops receiving this project.
            await presence().leave(project_channel(change["project_id"]), self.router.session.client_token)
            return False
        actor = await self._actor()
        if actor is None or actor.user_id not in change["members"]:
            self.messages, self.has_more = [], False
            await presence().leave(project_channel(self.project_id), self.router.session.client_token)
            return False
        self._apply(change, actor.user_id)
        return True

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
        self._my_name = names.get(actor.user_id, "")
        self.messages = [message_row(view, names) for view in opened.page.messages]
        self.has_more, self.older_cursor = opened.page.has_more, opened.page.before or ""
        self._older_loaded = False
        if opened.unread_notifications is not None:
            (await self.get_state(ShellState)).unread_notifications = opened.unread_notifications
        return actor

    async def _refresh_from_push(self):
        """Re-read the whole window (after an erasure renamed an author): with this tab's own session."""
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


# The works below (for ``self._call``) also return who did it: the pushes name the author.
def _post(session, actor, project_id: str, body: str, needs_name: bool, **options):
    """The poster, the posted message, and their name when the tab does not know it yet (a send before it
    opened)."""
    posted = threads.post_to_thread(session, actor, project_id, body, **options)
    return actor.user_id, posted, display_names(session, [actor.user_id])[actor.user_id] if needs_name else None


def _edit(session, actor, message_id: str, body: str):
    view = threads.edit_message(session, actor, message_id, body)
    return actor.user_id, view, threads.thread_members(session, view.project_id)


def _delete(session, actor, message_id: str):
    view = threads.delete_message(session, actor, message_id)
    return actor.user_id, view, threads.thread_members(session, view.project_id)


# A new message counts as read for the members whose tab showed it: written a moment later, several at once.
_seen_live = WriteBehind(threads.mark_seen_live, gather_seconds=0.2)


async def _deliver(change: dict, author_id: str, skip_token: str) -> None:
    """Push the change to the members' other tabs. A new message counts as read for those who saw it; those thought
    to be watching who did not see it (their tab had gone) get the notification the others got when it was posted,
    and then every member who did not see it has their unread badge refreshed."""
    project_id = change["project_id"]
    seen = await push(project_channel(project_id), ThreadState, functools.partial(ThreadState._receive, change=change),
                      skip_token=skip_token, users=change["members"])
    if change["kind"] != "new":
        return
    if seen:
        _seen_live.add(*(threads.SeenLive(project_id, user_id, change["created_at"]) for user_id in seen))
    if missed := (change["watching"] & change["members"]) - seen - {author_id}:
        await in_transaction(threads.notify_missed, project_id, missed, author_id, change["row"]["id"])
    for member in change["members"] - seen - {author_id}:
        push_later(user_channel(member), ShellState, ShellState._refresh_from_push)
