"""A bare chat with the push shape of a project thread: a window of 50 rows in one substate; ``send`` appends
the row and pushes it to the room's other tabs through ``app.modify_state``. No database, no session, no
encryption: what a Reflex app costs for the same traffic."""

from __future__ import annotations

import asyncio
import time

import reflex as rx
from reflex_base.registry import RegistrationContext

WINDOW = 50
ROOMS: dict[str, dict[str, str]] = {}  # room -> {client token: user}
_tasks: set[asyncio.Task] = set()


def row(body: str, author: str) -> dict:
    now = time.time()
    return {"mentions": "", "id": f"{now:.6f}-{body}", "order": f"{int(now * 1e6):020d}", "author": author,
            "initials": author[:2].upper(), "body": body, "time": time.strftime("%d %b, %H:%M"), "edited": False,
            "deleted": False, "mine": False, "reply_id": "", "reply_author": "", "reply_excerpt": ""}


class ChatState(rx.State):
    room: str = ""
    user: str = ""
    messages: list[dict] = []

    @rx.event
    def join(self, room: str, user: str):
        self.room, self.user = room, user
        ROOMS.setdefault(room, {})[self.router.session.client_token] = user

    @rx.event
    def send(self, body: str):
        made = row(body, self.user)
        self._append(made)
        task = asyncio.create_task(_push(self.room, made, self.router.session.client_token))
        _tasks.add(task)
        task.add_done_callback(_tasks.discard)

    def _append(self, made: dict) -> None:
        self.messages = [*self.messages, {**made, "mine": made["author"] == self.user}][-WINDOW:]


async def _push(room: str, made: dict, sender: str) -> None:
    app = RegistrationContext.get().app

    async def one(token: str) -> None:
        async with app.modify_state(rx.BaseStateToken(ident=token, cls=ChatState)) as root:
            (await root.get_state(ChatState))._append(made)

    await asyncio.gather(*(one(token) for token in ROOMS.get(room, {}) if token != sender))


app = rx.App()
