"""The cookies page, generated from the one register of cookies in security/cookies.py."""

import reflex as rx

from studio_app import routes
from studio_app.components.layout import public_page
from studio_app.security.cookies import cookie_register
from studio_app.settings import current_settings

BROWSER_HELP = (
    ("Chrome and Edge", "Settings → Privacy and security → Third-party cookies / Cookies and site data."),
    ("Firefox", "Settings → Privacy & Security → Cookies and Site Data → Manage Data."),
    ("Safari", "Settings → Privacy → Manage Website Data."),
    ("On a phone", "Android: Chrome → Settings → Site settings → Cookies. iPhone: Settings → Safari → Advanced → "
                   "Website Data."),
)


def cookie_row(name: str, purpose: str, lifetime: str, flags: str) -> rx.Component:
    return rx.table.row(
        rx.table.row_header_cell(rx.code(name)),
        rx.table.cell(purpose),
        rx.table.cell(lifetime),
        rx.table.cell(rx.code(flags)),
    )


@rx.page(route=routes.COOKIES, title="Cookies · Azekia Studio")
def cookies() -> rx.Component:
    register = cookie_register(current_settings())
    return public_page(
        rx.vstack(
            rx.heading("Cookies", as_="h1", size="7"),
            rx.text("Azekia Studio sets only the cookies it needs to work: no advertising, analytics or tracking "
                    "cookies, and none from other sites. That is why we do not ask for cookie consent.",
                    size="3"),
            rx.box(
                rx.table.root(
                    rx.table.header(rx.table.row(
                        rx.table.column_header_cell("Name"), rx.table.column_header_cell("Why"),
                        rx.table.column_header_cell("How long"), rx.table.column_header_cell("Flags"))),
                    rx.table.body(*(cookie_row(spec.name, spec.purpose, spec.lifetime, spec.flags)
                                    for spec in register)),
                    id="cookie-table",
                ),
                overflow_x="auto",
                width="100%",
            ),
            rx.heading("Managing cookies in your browser", as_="h2", size="5", padding_top="1rem"),
            rx.text("You can see and delete cookies at any time. Deleting the session cookie signs you out.",
                    size="2", color_scheme="gray"),
            rx.vstack(*(rx.text(rx.text.strong(browser), ": ", help_text, size="2") for browser, help_text in
                        BROWSER_HELP), spacing="2"),
            spacing="3",
            max_width="52rem",
            padding_y="2rem",
        )
    )
