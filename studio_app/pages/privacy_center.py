"""The privacy center page."""

import reflex as rx

from studio_app import routes
from studio_app.components.forms import form_alert, text_field
from studio_app.components.privacy_erasure import privacy_erasure_section
from studio_app.components.privacy_export import download_your_data
from studio_app.components.privacy_requests import your_requests
from studio_app.pages.projects import signed_in_page
from studio_app.services.privacy import CONSENT_NAMES
from studio_app.state.privacy_center import PrivacyCenterState
from studio_app.state.shell import ShellState

CONSENT_LABELS = {str(kind): name for kind, name in CONSENT_NAMES.items()}


def detail_row(label: str, field: str, value: rx.Var[str], editor: rx.Component) -> rx.Component:
    """One correctable field: its value and an Edit button, or the form that corrects it in place."""
    return rx.box(
        rx.cond(
            PrivacyCenterState.editing == field,
            editor,
            rx.flex(
                rx.vstack(rx.text(label, size="1", color_scheme="gray"),
                          rx.text(value, weight="medium", class_name=f"detail-{field}"), spacing="0", flex="1"),
                rx.button("Edit", variant="soft", size="2", on_click=PrivacyCenterState.edit(field),
                          aria_label=f"Edit your {label.lower()}", id=f"edit-{field}"),
                align="center", spacing="3", width="100%",
            ),
        ),
        width="100%", padding_y="0.5rem",
    )


def edit_buttons() -> rx.Component:
    return rx.hstack(
        rx.button("Save", type="submit", loading=PrivacyCenterState.busy),
        rx.button("Cancel", type="button", variant="soft", color_scheme="gray",
                  on_click=PrivacyCenterState.cancel_edit),
    )


def name_editor() -> rx.Component:
    return rx.form(
        rx.vstack(
            text_field("Display name", "display_name", error=PrivacyCenterState.errors["display_name"],
                       default_value=PrivacyCenterState.display_name, autocomplete="name", auto_focus=True,
                       field_id="correct-display-name"),
            edit_buttons(), spacing="2", width="100%",
        ),
        on_submit=PrivacyCenterState.save_name, reset_on_submit=False, width="100%",
    )


def email_editor() -> rx.Component:
    return rx.form(
        rx.vstack(
            text_field("New email address", "new_email", error=PrivacyCenterState.errors["new_email"],
                       input_type="email", autocomplete="email", auto_focus=True, field_id="correct-email",
                       hint="We send a link to the new address; your email changes once you open it."),
            text_field("Current password", "current_password", error=PrivacyCenterState.errors["current_password"],
                       input_type="password", autocomplete="current-password", field_id="correct-email-password"),
            form_alert(PrivacyCenterState.errors["email"]),
            edit_buttons(), spacing="2", width="100%",
        ),
        on_submit=PrivacyCenterState.save_email, reset_on_submit=False, width="100%",
    )


def your_details() -> rx.Component:
    return rx.card(
        rx.vstack(
            detail_row("Display name", "display_name", PrivacyCenterState.display_name, name_editor()),
            rx.separator(size="4"),
            detail_row("Email address", "email", PrivacyCenterState.email, email_editor()),
            rx.cond(
                PrivacyCenterState.role == "editor",
                rx.fragment(
                    rx.separator(size="4"),
                    rx.text("Your public profile (headline, links, skills, rate) is corrected on ",
                            rx.link("your editor profile", href=routes.EDITOR_PROFILE), ".", size="2"),
                ),
            ),
            form_alert(PrivacyCenterState.notice, color="green", icon="circle-check"),
            spacing="1", width="100%",
        ),
        width="100%", id="your-details",
    )


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
                    rx.cond(row["on_connect"],
                            rx.text(row["on_connect"], size="1", color_scheme="gray", max_width="16rem"),
                            rx.button("Give consent", variant="soft",
                                      on_click=PrivacyCenterState.give(row["kind"])))),
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
        rx.heading("Your details", as_="h2", size="5", padding_top="0.5rem"),
        rx.text("Correct anything that is wrong; changes apply everywhere at once.", size="2", color_scheme="gray"),
        your_details(),
        rx.heading("Your consents", as_="h2", size="5", padding_top="0.5rem"),
        rx.text("Withdrawing takes effect at once; the history stays here as proof.", size="2", color_scheme="gray"),
        rx.vstack(rx.foreach(PrivacyCenterState.consents, consent_card), width="100%", spacing="2"),
        download_your_data(),
        rx.heading("What we hold about you", as_="h2", size="5", padding_top="0.5rem"),
        rx.grid(rx.foreach(PrivacyCenterState.held, held_card), columns=rx.breakpoints(initial="1", md="2"),
                spacing="3", width="100%"),
        your_requests(),
        privacy_erasure_section(),
    )
