"""The "Download your data" section of the privacy center."""

from __future__ import annotations

import reflex as rx

from studio_app.components.forms import field_error, form_alert
from studio_app.state.privacy_export import PrivacyExportState

WHAT_IT_HOLDS = (
    "A ZIP archive with one JSON file per kind of data (your account, contact details, sessions, projects and "
    "the messages you wrote, preferences and consents, privacy requests), the files you uploaded, and a README "
    "that explains every file and field. It holds nothing about other people."
)


def request_button(label: str) -> rx.Component:
    return rx.button(label, on_click=PrivacyExportState.request_archive, loading=PrivacyExportState.busy,
                     disabled=PrivacyExportState.busy, id="export-request")


def export_empty() -> rx.Component:
    return rx.vstack(
        rx.text("You have not asked for an archive yet. It takes a minute or two for most accounts; we notify you "
                "when it is ready.", size="2"),
        request_button("Prepare my archive"),
        spacing="2", align="start", id="export-empty",
    )


def export_in_progress() -> rx.Component:
    return rx.vstack(
        rx.hstack(rx.spinner(size="2"),
                  rx.text(rx.cond(PrivacyExportState.status == "queued", "Waiting for its turn…",
                                  "Preparing your archive…"), size="2", weight="medium"),
                  rx.text(PrivacyExportState.progress.to_string() + "%", size="2", color_scheme="gray",
                          id="export-percent"),
                  align="center", spacing="2"),
        rx.progress(value=PrivacyExportState.progress, max=100, width="100%", aria_label="Archive progress"),
        rx.text("You can leave this page: we notify you (in the app and by email) when it is ready.", size="1",
                color_scheme="gray"),
        spacing="2", width="100%", id="export-progress",
    )


def password_form() -> rx.Component:
    return rx.form(
        rx.vstack(
            rx.el.label("Your password", html_for="export-password", class_name="field-label"),
            rx.flex(
                rx.input(id="export-password", name="password", type="password", auto_complete="current-password",
                         size="3", flex="1", aria_describedby="export-password-error", required=True),
                rx.button("Confirm", type="submit", size="3"),
                spacing="2", width="100%", direction=rx.breakpoints(initial="column", sm="row"),
            ),
            field_error(PrivacyExportState.errors["password"], "export-password"),
            spacing="1", width="100%", align="stretch",
        ),
        on_submit=PrivacyExportState.confirm_password,
        reset_on_submit=True,
        width="100%",
    )


def export_ready() -> rx.Component:
    return rx.vstack(
        rx.hstack(rx.icon("circle-check", color=rx.color("green", 10)),
                  rx.text("Your archive is ready", weight="medium", size="2"),
                  rx.text(PrivacyExportState.size, size="2", color_scheme="gray"), align="center", spacing="2"),
        rx.text("Download it before ", rx.text.strong(PrivacyExportState.expires_at),
                "; after that it is deleted and you can ask for a new one.", size="2", id="export-expiry"),
        rx.cond(
            PrivacyExportState.reauthenticated,
            # A whole-document request (not the client router): the route answers with the file itself.
            rx.button(rx.link(rx.icon("download", size=16), "Download my archive", href=PrivacyExportState.download_url,
                              reload_document=True, id="export-download", underline="none", color="inherit"),
                      as_child=True, size="3"),
            rx.vstack(rx.text("For your security, enter your password again to download it.", size="2"),
                      password_form(), spacing="2", width="100%"),
        ),
        spacing="3", width="100%", align="start", id="export-ready",
    )


def export_failed() -> rx.Component:
    return rx.vstack(
        form_alert(PrivacyExportState.failure),
        request_button("Try again"),
        spacing="2", align="start", id="export-failed",
    )


def export_expired() -> rx.Component:
    return rx.vstack(
        rx.text("Your last archive has expired and was deleted. Ask for a new one whenever you like.", size="2"),
        request_button("Prepare a new archive"),
        spacing="2", align="start", id="export-expired",
    )


def download_your_data() -> rx.Component:
    return rx.fragment(
        rx.heading("Download your data", as_="h2", size="5", padding_top="0.5rem"),
        rx.text(WHAT_IT_HOLDS, size="2", color_scheme="gray"),
        rx.card(
            rx.vstack(
                form_alert(PrivacyExportState.errors["request"]),
                rx.match(
                    PrivacyExportState.status,
                    ("queued", export_in_progress()),
                    ("running", export_in_progress()),
                    ("ready", export_ready()),
                    ("failed", export_failed()),
                    ("expired", export_expired()),
                    export_empty(),
                ),
                spacing="3", width="100%",
            ),
            width="100%", id="download-your-data", on_mount=PrivacyExportState.load,
        ),
    )
