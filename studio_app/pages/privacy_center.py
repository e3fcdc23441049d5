"""The privacy center page."""

import reflex as rx

from studio_app import routes
from studio_app.components.privacy_erasure import privacy_erasure_section
from studio_app.pages.projects import signed_in_page
from studio_app.state.privacy_center import PrivacyCenterState
from studio_app.state.shell import ShellState

CONSENT_LABELS = {"marketing_email": "Product news by email"}


def held_card(row: dict) -> rx.Component:
    return rx.card(
        rx.vstack(
            rx.heading(row["label"], as_="h3", size="3"),
            rx.text(row["summary"], size="2"),
            rx.text(rx.text.strong("Why: "), row["purposes"], size="1", color_scheme="gray"),
            rx.text(rx.text.strong("Legal basis: "), row["basis"], size="1", color_scheme="gray"),
            rx.text(rx.text.strong("Kept: "), row["retention"], size="1", color_scheme="gray"),
            rx.text(rx.text.strong("Shared with: "), row["recipients"], size="1", color_scheme="gray"),
            spacing="1",
        ),
        width="100%",
    )


def consent_card(row: dict) -> rx.Component:
    return rx.card(
        rx.flex(
            rx.vstack(
                rx.hstack(rx.text(rx.match(row["kind"], *CONSENT_LABELS.items(), row["kind"]), weight="bold"),
                          rx.cond(row["active"], rx.badge("Given", color_scheme="green"),
                                  rx.badge("Not given", color_scheme="gray"))),
                rx.text(row["purpose"], size="2"),
                rx.text(row["history"], size="1", color_scheme="gray", class_name="consent-history"),
                spacing="1", flex="1",
            ),
            rx.cond(row["active"],
                    rx.button("Withdraw", variant="soft", color_scheme="red",
                              on_click=PrivacyCenterState.withdraw(row["kind"])),
                    rx.button("Give consent", variant="soft", on_click=PrivacyCenterState.give(row["kind"]))),
            direction=rx.breakpoints(initial="column", sm="row"), spacing="3", align="center", width="100%",
        ),
        width="100%", class_name="consent",
    )


@rx.page(route=routes.PRIVACY_CENTER, title="Privacy center · Azekia Studio",
         on_load=[ShellState.load, PrivacyCenterState.load])
def privacy_center() -> rx.Component:
    return signed_in_page(
        rx.heading("Privacy center", as_="h1", size="7"),
        rx.text("Everything we hold about you and why, and the choices that are yours. ",
                rx.link("Read the privacy policy", href=routes.PRIVACY_POLICY), ".", size="2"),
        rx.heading("Your consents", as_="h2", size="5", padding_top="0.5rem"),
        rx.text("Withdrawing takes effect at once; the history stays here as proof.", size="2", color_scheme="gray"),
        rx.vstack(rx.foreach(PrivacyCenterState.consents, consent_card), width="100%", spacing="2"),
        rx.heading("What we hold about you", as_="h2", size="5", padding_top="0.5rem"),
        rx.grid(rx.foreach(PrivacyCenterState.held, held_card), columns=rx.breakpoints(initial="1", md="2"),
                spacing="3", width="100%"),
        privacy_erasure_section(),
    )
