"""Websocket events and open tabs, for the metrics (``metrics.py``)."""

from __future__ import annotations

import asyncio
import logging
import time

import reflex as rx
from reflex.middleware.middleware import Middleware

from studio_app import metrics

logger = logging.getLogger(__name__)
TABS_SAMPLE_SECONDS = 5


def handler_label(event_name: str) -> str:
    """``reflex___state____state.studio_app___state___thread____thread_state.send`` -> ``thread_state.send``.
    Reflex resolves the handler before middlewares run, so only names the app registered get here: a bounded set
    whatever a client sends."""
    state, _, handler = event_name.rpartition(".")
    return f"{state.rpartition('____')[2]}.{handler}"


class EventMetrics(Middleware):
    """Each event is processed in a task of its own: its end is the end of the handler, deltas sent included."""

    async def preprocess(self, app, state, event):
        task = asyncio.current_task()
        if task is not None:
            started, label = time.perf_counter(), handler_label(event.name)
            task.add_done_callback(lambda _task: metrics.observe_event(label, time.perf_counter() - started))
        return None


async def connected_tabs_loop(app: rx.App):
    """Lifespan task of every worker: how many tabs have a socket on this worker (the server adds the workers)."""
    while True:
        try:
            metrics.set_connected_tabs(len(app.event_namespace._token_manager.token_to_sid))
        except Exception:
            logger.exception("counting connected tabs failed")
        await asyncio.sleep(TABS_SAMPLE_SECONDS)
