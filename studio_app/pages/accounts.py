"""Sign up and sign in: the routes exist now so that links never break; accounts come next."""

import reflex as rx

from studio_app import routes
from studio_app.components.layout import public_page


def accounts_opening_soon(title: str) -> rx.Component:
    return public_page(
        rx.center(
            rx.card(
                rx.vstack(
                    rx.icon("hourglass", size=28, color=rx.color("accent", 10)),
                    rx.heading(title, as_="h1", size="6"),
                    rx.text(
                        "Accounts open with the next release of Azekia Studio. "
                        "Nothing is collected on this page in the meantime.",
                        color_scheme="gray",
                    ),
                    rx.link(rx.button("Back to the home page", variant="soft"), href=routes.HOME),
                    spacing="4",
                    align="center",
                    text_align="center",
                ),
                size="4",
                max_width="28rem",
            ),
            padding_y="5rem",
        )
    )


@rx.page(route=routes.SIGN_UP, title="Sign up · Azekia Studio")
def sign_up() -> rx.Component:
    return accounts_opening_soon("Create your account")


@rx.page(route=routes.SIGN_IN, title="Sign in · Azekia Studio")
def sign_in() -> rx.Component:
    return accounts_opening_soon("Sign in")
