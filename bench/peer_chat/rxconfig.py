"""The load_chat benchmark's peer: a bare Reflex app, configured like ours (prod, disk state manager)."""

import os

import reflex as rx

config = rx.Config(
    app_name="peer_chat",
    cors_allowed_origins=[os.environ["PEER_CHAT_ORIGIN"]],
    state_manager_mode="disk",
    telemetry_enabled=False,
    show_built_with_reflex=False,
    disable_plugins=[rx.plugins.SitemapPlugin],
)
