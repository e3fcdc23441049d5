"""Pieces of the connected-accounts page and the project's Discord channel card."""

import reflex as rx

from studio_app import routes
from studio_app.components.forms import server_form


def sandbox_badge() -> rx.Component:
    return rx.badge("Sandbox", color_scheme="amber", variant="surface",
                    title="A local stand-in for the provider: nothing reaches the real Discord or TikTok")


def connect_form(provider: rx.Var[str] | str, label: str, *, purpose: str = "account",
                 project_id: rx.Var[str] | str = "") -> rx.Component:
    """A plain form post to the start route (same origin, session cookie): it answers with the provider's page."""
    return server_form(
        routes.CONNECTION_START.replace("{provider}", f"{provider}"),
        rx.el.input(type="hidden", name="purpose", value=purpose),
        rx.el.input(type="hidden", name="project_id", value=project_id),
        rx.button(label, type="submit"),
    )
