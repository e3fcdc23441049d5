"""Form pieces with the same look everywhere: labelled fields, inline errors, busy buttons."""

from __future__ import annotations

import reflex as rx

from studio_app import routes


def field_error(message: rx.Var[str], field_id: str) -> rx.Component:
    # A missing key of an errors dict is undefined, not "": test truthiness so both hide the message.
    return rx.cond(
        message,
        rx.text(message, id=f"{field_id}-error", size="2", color_scheme="red", role="alert"),
    )


def text_field(
    label: str,
    name: str,
    *,
    error: rx.Var[str] | str = "",
    input_type: str = "text",
    autocomplete: str = "off",
    hint: str | rx.Var[str] = "",
    field_id: str = "",
    **input_props,
) -> rx.Component:
    field_id = field_id or f"field-{name}"
    return rx.vstack(
        rx.el.label(label, html_for=field_id, class_name="field-label"),
        rx.input(
            id=field_id,
            name=name,
            type=input_type,
            auto_complete=autocomplete,
            size="3",
            width="100%",
            aria_describedby=f"{field_id}-error",
            **input_props,
        ),
        rx.cond(rx.Var.create(hint), rx.text(hint, size="1", color_scheme="gray")),
        field_error(rx.Var.create(error), field_id),
        spacing="1",
        width="100%",
        align="stretch",
    )


def form_alert(message: rx.Var[str], *, color: str = "red", icon: str = "triangle-alert") -> rx.Component:
    return rx.cond(
        message,
        rx.callout.root(
            rx.callout.icon(rx.icon(icon)),
            rx.callout.text(message),
            color_scheme=color,
            role="alert",
            size="1",
        ),
    )


def submit_button(label: str, busy: rx.Var[bool], **props) -> rx.Component:
    return rx.button(label, type="submit", size="3", loading=busy, disabled=busy, width="100%", **props)


def form_key_input(key: rx.Var[str]) -> rx.Component:
    """The key of a create form (made when it appeared): sending the form twice creates once."""
    return rx.el.input(type="hidden", name="form_key", value=key)


def form_card(title: str, subtitle: str, *children: rx.Component) -> rx.Component:
    return rx.center(
        rx.card(
            rx.vstack(
                rx.heading(title, as_="h1", size="6"),
                rx.text(subtitle, color_scheme="gray", size="2"),
                *children,
                spacing="4",
                width="100%",
            ),
            size="4",
            width="100%",
            max_width="28rem",
        ),
        padding_y=["2rem", "4rem"],
    )


def server_form(action: str, *children: rx.Component, **props) -> rx.Component:
    """A plain HTML form posted to one of our HTTP routes (used where the response must set a cookie)."""
    form = rx.el.form(*children, action=action, method="post", **props)
    # Reflex gives every form a submit handler that calls preventDefault; this one must reach the server.
    form.event_triggers.pop("on_submit", None)
    return form


def sign_out_button(label: str = "Sign out", *, everywhere: bool = False, **button_props) -> rx.Component:
    action = routes.SIGN_OUT_POST + ("?everywhere=1" if everywhere else "")
    return server_form(action, rx.button(label, type="submit", **button_props))
