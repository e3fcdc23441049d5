"""Each websocket event's log lines carry an id of their own and the pseudonym of the person who sent it."""

from __future__ import annotations

from reflex.middleware.middleware import Middleware

from studio_app.logs import bind_event
from studio_app.state.tabs import TabSession


class EventLogContext(Middleware):
    """After ``SessionGuard``: the tab is bound to its session by then. The context variables set here last for
    the task that processes the event (and the tasks it starts)."""

    async def preprocess(self, app, state, event):
        tab = await state.get_state(TabSession)
        bind_event(tab._user_id or None)
        return None
