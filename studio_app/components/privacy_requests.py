"""The privacy center's "Your requests" section: the person's requests with their deadline, and the form."""

import reflex as rx

from studio_app.components.forms import field_error, form_alert, form_key_input
from studio_app.services.privacy_requests import KIND_LABELS, WRITTEN_KINDS
from studio_app.state.privacy_requests import PrivacyRequestsState

STATUS_COLORS = {"open": "amber", "done": "green", "refused": "red"}


def status_badge(row: dict) -> rx.Component:
    return rx.match(
        row["status"],
        *((status, rx.badge(row["status_label"], color_scheme=color, variant="soft")) for status, color in
          STATUS_COLORS.items()),
        rx.badge(row["status_label"]),
    )


def request_card(row: dict) -> rx.Component:
    return rx.card(
        rx.vstack(
            rx.flex(rx.text(row["label"], weight="bold"), status_badge(row), spacing="2", align="center", wrap="wrap"),
            rx.text(row["self_served"], " · sent ", row["created"],
                    rx.cond(row["status"] == "open",
                            rx.text.span(" · answer due by ", row["due"], class_name="request-due"),
                            rx.text.span(" · closed ", row["closed"])),
                    size="1", color_scheme="gray"),
            rx.cond(row["details"], rx.text(row["details"], size="2", white_space="pre-wrap")),
            rx.cond(row["answer"],
                    rx.box(rx.text("Our answer", size="1", weight="bold"),
                           rx.text(row["answer"], size="2", white_space="pre-wrap", class_name="request-answer"),
                           border_left=f"3px solid {rx.color('accent', 7)}", padding_left="0.6rem", width="100%")),
            spacing="1", width="100%",
        ),
        width="100%", class_name="privacy-request",
    )


def request_form() -> rx.Component:
    errors = PrivacyRequestsState.errors
    return rx.form(
        rx.vstack(
            rx.el.label("What is your request about?", html_for="request-kind", class_name="field-label"),
            rx.el.select(
                rx.el.option("Choose…", value=""),
                *(rx.el.option(KIND_LABELS[kind], value=str(kind)) for kind in WRITTEN_KINDS),
                id="request-kind", name="kind", class_name="native-select", aria_describedby="request-kind-error",
            ),
            field_error(errors["kind"], "request-kind"),
            rx.el.label("Your request", html_for="request-details", class_name="field-label"),
            rx.text_area(id="request-details", name="details", rows="4", max_length=4000, width="100%",
                         placeholder="Say what you would like us to do, or your question.",
                         aria_describedby="request-details-error"),
            field_error(errors["details"], "request-details"),
            form_alert(errors["form"]),
            form_key_input(PrivacyRequestsState.form_key),
            rx.button("Send my request", type="submit", loading=PrivacyRequestsState.sending,
                      disabled=PrivacyRequestsState.sending),
            spacing="2", width="100%", align="start",
        ),
        on_submit=PrivacyRequestsState.submit, reset_on_submit=False, key=PrivacyRequestsState.sent,
        width="100%",
    )


def your_requests() -> rx.Component:
    return rx.vstack(
        rx.heading("Your requests", as_="h2", size="5", padding_top="0.5rem"),
        rx.text("Every request, the ones you served yourself here and the ones you wrote to us, with its status. "
                "We answer within one month.", size="2", color_scheme="gray"),
        rx.cond(PrivacyRequestsState.privacy_contact,
                rx.text("You can also write to ", rx.link(PrivacyRequestsState.privacy_contact,
                                                           href="mailto:" + PrivacyRequestsState.privacy_contact,
                                                           id="privacy-contact"),
                        " from your account's address (with the subject \"Withdrawing Consent\" to withdraw your "
                        "consents): we send a link to confirm it is you before we act.", size="2",
                        color_scheme="gray")),
        rx.cond(
            PrivacyRequestsState.requests.length() > 0,
            rx.vstack(rx.foreach(PrivacyRequestsState.requests, request_card), width="100%", spacing="2",
                      id="your-requests"),
            rx.text("No request yet. To object, ask for a restriction or ask us anything, write below.",
                    size="2", color_scheme="gray"),
        ),
        rx.card(
            rx.vstack(
                rx.heading("Write a request", as_="h3", size="3"),
                rx.text("For anything the privacy center does not do by itself.", size="1", color_scheme="gray"),
                form_alert(PrivacyRequestsState.confirmation, color="green", icon="circle-check"),
                request_form(),
                spacing="2", width="100%",
            ),
            width="100%", max_width="40rem",
        ),
        spacing="3", width="100%", id="requests", on_mount=PrivacyRequestsState.load,
    )
