"""Pieces of the connected-accounts page and the project's Discord channel card."""

import reflex as rx

from studio_app import routes
from studio_app.components.forms import form_alert, server_form
from studio_app.components.providers import sandbox_badge
from studio_app.state.connections import ProjectChannelState


def connect_form(provider: rx.Var[str] | str, label: str, *, purpose: str = "account",
                 project_id: rx.Var[str] | str = "") -> rx.Component:
    """A plain form post to the start route (same origin, session cookie): it answers with the provider's page."""
    return server_form(
        routes.CONNECTION_START.replace("{provider}", f"{provider}"),
        rx.el.input(type="hidden", name="purpose", value=purpose),
        rx.el.input(type="hidden", name="project_id", value=project_id),
        rx.button(label, type="submit"),
    )


def project_channel_card() -> rx.Component:
    """Where the project's announcements go on Discord; producers connect or disconnect it."""
    state = ProjectChannelState
    return rx.card(
        rx.hstack(rx.heading("Discord channel", as_="h2", size="4"), rx.cond(state.sandbox, sandbox_badge()),
                  spacing="2", align="center"),
        rx.cond(state.notice, form_alert(state.notice, color=rx.cond(state.notice_ok, "green", "red"))),
        form_alert(state.errors["channel"]),
        rx.cond(
            state.connected,
            rx.vstack(
                rx.text("Announcements are posted through the webhook ", rx.text.strong(state.name), ".", size="2"),
                rx.cond(state.dead, form_alert(state.dead_reason + " Connect a channel again.", color="orange")),
                spacing="2",
            ),
            rx.text("No channel yet: publications are not announced on Discord.", size="2", color_scheme="gray"),
        ),
        rx.cond(
            state.can_manage,
            rx.hstack(
                connect_form("discord", rx.cond(state.connected, "Connect another channel", "Connect a channel"),
                             purpose="project_channel", project_id=state.project_id),
                rx.cond(state.connected, rx.button("Disconnect", variant="soft", color_scheme="red",
                                                   loading=state.busy, disabled=state.busy,
                                                   on_click=state.disconnect)),
                spacing="3", wrap="wrap", padding_top="0.5rem",
            ),
        ),
        # Mounted only once the project page found the project: a visitor who may not see it never asks.
        width="100%", id="project-channel", on_mount=state.load,
    )
