"""Builds the Reflex app: pages, stylesheet, and our HTTP routes mounted in front of Reflex."""

import asyncio
import gc

import reflex as rx

from studio_app import logs
from studio_app.api import with_studio_routes
from studio_app.pages import (  # noqa: F401  (each module registers its routes)
    account,
    admin,
    admin_alerts,
    admin_incidents,
    admin_operations,
    admin_people,
    auth,
    connections,
    cookies,
    hiring,
    landing,
    mail_requests,
    media,
    not_found,
    notifications,
    privacy,
    privacy_center,
    projects,
)
from studio_app.state.errors import backend_exception_handler, install_safe_logging
from studio_app.state.event_metrics import EventMetrics, connected_tabs_loop
from studio_app.state.live import presence_publish_loop
from studio_app.state.log_context import EventLogContext
from studio_app.state.media import media_watch_loop
from studio_app.state.store import sealed_state_manager
from studio_app.state.tabs import SessionGuard, session_end_loop


async def freeze_startup_objects():
    """Start-up builds most of the heap (compiled pages, Reflex's registries) and none of it ever becomes garbage:
    frozen, it leaves the collector's sight, and a full collection walks only what the tabs hold. Unfrozen, each
    one paused every socket for about 300 ms (load_chat: p99 post-to-seen at 50 msg/s 600 ms, 200 ms frozen).
    Only start-up objects: a tab's state forms reference cycles that must stay collectable."""
    await asyncio.sleep(0)  # once the server has started
    gc.collect()
    gc.freeze()


# Nothing personal in any log line, Reflex's included, whoever makes an event fail (state/errors.py).
install_safe_logging()
# Every server worker imports this module after granian has set up its own logging: ours replaces it (logs.py).
logs.setup("app")
app = rx.App(
    stylesheets=["/styles.css"],
    api_transformer=with_studio_routes,
    backend_exception_handler=backend_exception_handler,
)
# Our sealed state store in place of the one Reflex built from rxconfig (state/store.py).
app._state_manager = sealed_state_manager()
# Every socket proves its session before its first event, the hydration included (state/tabs.py).
app.add_middleware(SessionGuard())
# After it: the event's log lines carry an id and the pseudonym of the signed-in person (logs.py).
app.add_middleware(EventLogContext())
# Event latency by handler, for the metrics (metrics.py).
app.add_middleware(EventMetrics())
# Background work runs on the job queue's consumers (jobs/queue.py), not here. What stays in the web process needs
# what only it holds: who has a socket open (published for the queue's digest round), and the tabs' Reflex states
# (the sweep of ended sessions resets them through app.modify_state, which a consumer cannot reach).
app.register_lifespan_task(presence_publish_loop)
app.register_lifespan_task(session_end_loop)
app.register_lifespan_task(media_watch_loop)
app.register_lifespan_task(connected_tabs_loop)
app.register_lifespan_task(freeze_startup_objects)
