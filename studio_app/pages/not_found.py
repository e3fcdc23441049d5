"""The page shown for an address that leads nowhere: the site's frame, and a way back."""

import reflex as rx

from studio_app import routes
from studio_app.components.layout import public_page


@rx.page(route=routes.NOT_FOUND, title="Page not found · Azekia Studio")
def not_found() -> rx.Component:
    return public_page(
        rx.vstack(
            rx.heading("Page not found", as_="h1", size="7"),
            rx.text("This address leads nowhere: the link may be mistyped, or the page has moved.",
                    color_scheme="gray"),
            rx.link(rx.button("Back to the home page"), href=routes.HOME),
            spacing="4", padding_y=["3rem", "5rem"], align="start",
        ),
    )
