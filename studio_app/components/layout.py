"""The public layout: header, content, footer, shared by every public page."""

import reflex as rx

from studio_app import routes

CONTENT_WIDTH = "72rem"


def brand_mark() -> rx.Component:
    return rx.link(
        rx.hstack(
            rx.icon("clapperboard", size=22, color=rx.color("accent", 10)),
            rx.text("Azekia Studio", weight="bold", size="4", color=rx.color("gray", 12)),
            align="center",
            spacing="2",
        ),
        href=routes.HOME,
        underline="none",
        aria_label="Azekia Studio home",
    )


def visitor_links() -> rx.Component:
    return rx.hstack(
        rx.link("Sign in", href=routes.SIGN_IN, size="2", weight="medium"),
        rx.link(rx.button("Sign up", size="2"), href=routes.SIGN_UP),
        align="center",
        spacing="4",
    )


def member_links() -> rx.Component:
    return rx.link(rx.button("My account", size="2", variant="soft"), href=routes.ACCOUNT)


def site_header(signed_in: bool) -> rx.Component:
    return rx.el.header(
        rx.hstack(
            brand_mark(),
            rx.spacer(),
            member_links() if signed_in else visitor_links(),
            align="center",
            spacing="4",
            max_width=CONTENT_WIDTH,
            margin_x="auto",
            padding_x=["1rem", "1.5rem"],
            padding_y="0.75rem",
        ),
        border_bottom=f"1px solid {rx.color('gray', 4)}",
        background_color=rx.color("gray", 1),
        position="sticky",
        top="0",
        z_index="10",
    )


def site_footer() -> rx.Component:
    return rx.el.footer(
        rx.flex(
            rx.text("© Azekia Studio", size="2", color_scheme="gray"),
            rx.spacer(),
            rx.hstack(
                rx.link("Privacy policy", href=routes.PRIVACY_POLICY, size="2", color_scheme="gray"),
                spacing="4",
            ),
            direction=rx.breakpoints(initial="column", sm="row"),
            spacing="2",
            max_width=CONTENT_WIDTH,
            margin_x="auto",
            padding_x=["1rem", "1.5rem"],
            padding_y="1.5rem",
        ),
        border_top=f"1px solid {rx.color('gray', 4)}",
        margin_top="4rem",
    )


def public_page(*children: rx.Component, signed_in: bool = False) -> rx.Component:
    """The page frame; ``signed_in`` pages (those that require a session) show account links in the header."""
    return rx.flex(
        rx.link("Skip to content", href="#main", class_name="skip-link"),
        site_header(signed_in),
        rx.el.main(
            *children,
            id="main",
            width="100%",
            max_width=CONTENT_WIDTH,
            margin_x="auto",
            padding_x=["1rem", "1.5rem"],
            flex="1",
        ),
        site_footer(),
        direction="column",
        min_height="100vh",
    )
