"""The page a request's confirmation link opens (a privacy request sent to our address by email)."""

import reflex as rx

from studio_app import routes
from studio_app.components.forms import form_alert, form_card, server_form
from studio_app.components.layout import public_page


def _confirm_form() -> rx.Component:
    # The token is read from the page's URL in the browser; only the button's POST uses it (see api/mail_requests.py).
    token = rx.State.router.url.query_parameters.get("token", "").to(str)
    return server_form(
        routes.MAIL_REQUEST_CONFIRM_POST,
        rx.el.input(type="hidden", name="token", value=token),
        rx.button("Confirm my request", type="submit", size="3", width="100%", disabled=token == ""),
        id="mail-request-confirm-form",
        width="100%",
    )


def _outcome() -> rx.Component:
    outcome = rx.State.router.url.query_parameters.get("outcome", "").to(str)
    return rx.match(
        outcome,
        ("confirmed", rx.vstack(
            rx.icon("mail-check", size=32, color=rx.color("accent", 10)),
            rx.heading("Request confirmed", as_="h2", size="5"),
            rx.text("Thank you. We now handle your request and answer by email within one month.",
                    color_scheme="gray"),
            spacing="3", align="center", text_align="center", id="mail-request-confirmed")),
        ("invalid", rx.vstack(
            form_alert(rx.Var.create("This link does not work any more: it was used, it expired or it is "
                                     "incomplete. Write to us again if you still need something.")),
            spacing="3", width="100%")),
        _confirm_form(),
    )


@rx.page(route=routes.MAIL_REQUEST_CONFIRM, title="Confirm your request · Azekia Studio")
def confirm_mail_request() -> rx.Component:
    return public_page(form_card("Confirm your request",
                                 "You wrote to us about your personal data. Confirm that it was you, and we act on it.",
                                 _outcome()))
