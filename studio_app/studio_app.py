"""Builds the Reflex app: pages, stylesheet, and our HTTP routes mounted in front of Reflex."""

import reflex as rx

from studio_app.api import with_studio_routes
from studio_app.pages import (  # noqa: F401  (each module registers its routes)
    account,
    admin,
    auth,
    cookies,
    hiring,
    landing,
    not_found,
    notifications,
    privacy,
    privacy_center,
    projects,
)
from studio_app.state.live import digest_loop, export_loop

app = rx.App(
    stylesheets=["/styles.css"],
    api_transformer=with_studio_routes,
)
app.register_lifespan_task(digest_loop)
app.register_lifespan_task(export_loop)
