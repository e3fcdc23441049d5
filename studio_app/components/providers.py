"""Marks for what goes through a provider: the "Sandbox" badge next to an emulated connection or publication."""

import reflex as rx


def sandbox_badge(**props) -> rx.Component:
    """Shown next to a connection or publication made with the local provider sandbox: nothing reached the real
    Discord or TikTok. Its words say so to screen readers too."""
    return rx.badge(
        rx.icon("flask-conical", size=12, aria_hidden="true"), "Sandbox",
        color_scheme="amber", variant="soft", title="Made with the local provider sandbox, not the real service",
        aria_label="Sandbox: made with the local provider sandbox, not the real service",
        class_name="sandbox-badge", **props,
    )
