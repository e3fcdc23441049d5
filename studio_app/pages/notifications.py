"""The notification center: what happened in your projects, and how you want to hear about it."""

import reflex as rx

from studio_app import routes
from studio_app.components.layout import public_page
from studio_app.state.notifications import NotificationsState
from studio_app.state.shell import ShellState

CHANNEL_CHOICES = {"in_app": "In the app", "email": "In the app and by email", "none": "Not at all"}


def notification_row(item: dict) -> rx.Component:
    return rx.link(
        rx.hstack(
            rx.cond(item["read"], rx.icon("circle", size=10, color=rx.color("gray", 6)),
                    rx.icon("circle", size=10, fill=rx.color("accent", 9), color=rx.color("accent", 9))),
            rx.text(item["text"], size="2", weight=rx.cond(item["read"], "regular", "bold")),
            rx.spacer(),
            rx.text(item["time"], size="1", color_scheme="gray"),
            align="center",
            width="100%",
            padding_y="0.5rem",
        ),
        href=item["link"],
        underline="none",
        color=rx.color("gray", 12),
        width="100%",
    )


def preference_row(row: dict) -> rx.Component:
    return rx.flex(
        rx.text(row["label"], size="2", flex="1"),
        rx.select.root(
            rx.select.trigger(aria_label=row["label"]),
            rx.select.content(*(rx.select.item(label, value=value) for value, label in CHANNEL_CHOICES.items())),
            value=row["channel"],
            on_change=lambda channel: NotificationsState.choose(row["kind"], channel),
            size="2",
        ),
        direction=rx.breakpoints(initial="column", sm="row"),
        spacing="2",
        align=rx.breakpoints(initial="start", sm="center"),
        width="100%",
    )


@rx.page(route=routes.NOTIFICATIONS, title="Notifications · Azekia Studio",
         on_load=[ShellState.load, NotificationsState.load])
def notifications_page() -> rx.Component:
    return public_page(
        rx.vstack(
            rx.hstack(
                rx.heading("Notifications", as_="h1", size="7"),
                rx.spacer(),
                rx.button("Mark all as read", variant="soft", on_click=NotificationsState.mark_all_read),
                width="100%",
                align="center",
            ),
            rx.card(
                rx.cond(
                    NotificationsState.items.length() > 0,
                    rx.vstack(rx.foreach(NotificationsState.items, notification_row), spacing="0", width="100%",
                              id="notification-list"),
                    rx.text("Nothing new. Messages, invitations and stage changes of your projects appear here.",
                            color_scheme="gray", size="2"),
                ),
                width="100%",
            ),
            rx.heading("How to tell you", as_="h2", size="4", padding_top="1rem"),
            rx.text("Emails are grouped: at most one summary while you are away.", size="2", color_scheme="gray"),
            rx.card(rx.vstack(rx.foreach(NotificationsState.preferences, preference_row), spacing="3",
                              width="100%"), width="100%"),
            spacing="3",
            width="100%",
            max_width="48rem",
            padding_y="1.5rem",
        ),
        signed_in=True,
    )
