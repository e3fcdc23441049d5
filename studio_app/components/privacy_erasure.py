"""The "Delete your account" section of the privacy center, and the landing page's confirmation."""

from __future__ import annotations

import reflex as rx
from reflex.vars.base import Var

from studio_app import routes
from studio_app.components.forms import form_alert, text_field
from studio_app.state.privacy_erasure import CONFIRMATION_WORD, AccountDeletedNoticeState, PrivacyErasureState

# Compiled into the page (no eval under our CSP): a full navigation, so the HTTP route can clear the cookie.
_LEAVE_FOR_GOOD = Var(f"(() => window.location.assign({routes.ACCOUNT_DELETED!r}))")


def goes_row(item: dict) -> rx.Component:
    return rx.hstack(
        rx.icon("trash-2", size=16, color=rx.color("red", 10), flex_shrink="0", margin_top="0.2rem"),
        rx.text(rx.text.strong(item["label"]), ": ", item["detail"], size="2"),
        align="start", spacing="2", class_name="erasure-goes",
    )


def kept_row(item: dict) -> rx.Component:
    return rx.card(
        rx.vstack(
            rx.text(item["label"], weight="bold", size="2"),
            rx.text(rx.text.strong("Why: "), item["why"], size="1", color_scheme="gray"),
            rx.text(rx.text.strong("Until: "), item["until"], size="1", color_scheme="gray"),
            spacing="1",
        ),
        width="100%", class_name="erasure-kept",
    )


def erasure_summary() -> rx.Component:
    return rx.cond(
        PrivacyErasureState.loaded,
        rx.vstack(
            rx.heading("What is deleted", as_="h3", size="3"),
            rx.vstack(rx.foreach(PrivacyErasureState.goes, goes_row), spacing="2", width="100%"),
            rx.cond(
                PrivacyErasureState.deleted_projects.length() > 0,
                rx.text("Projects deleted with your account: ",
                        rx.text.em(PrivacyErasureState.deleted_projects.join(", ")), size="2",
                        id="erasure-deleted-projects"),
            ),
            rx.heading("What is kept, why, and until when", as_="h3", size="3", padding_top="0.5rem"),
            rx.vstack(rx.foreach(PrivacyErasureState.kept, kept_row), spacing="2", width="100%"),
            spacing="2", width="100%", id="erasure-summary",
        ),
        rx.hstack(rx.spinner(size="2"), rx.text("Preparing your summary…", size="2", color_scheme="gray"),
                  align="center"),
    )


def erasure_form() -> rx.Component:
    return rx.form(
        rx.vstack(
            text_field("Your password", "password", input_type="password", autocomplete="current-password",
                       error=PrivacyErasureState.errors["password"], field_id="erasure-password",
                       hint="For your security, confirm it is you."),
            text_field(f"Type {CONFIRMATION_WORD} to confirm", "confirmation",
                       error=PrivacyErasureState.errors["confirmation"], field_id="erasure-confirmation",
                       hint="This cannot be undone."),
            form_alert(PrivacyErasureState.errors["form"]),
            rx.button(rx.icon("trash-2", size=16), "Delete my account permanently", type="submit",
                      size=rx.breakpoints(initial="2", sm="3"),
                      color_scheme="red", loading=PrivacyErasureState.deleting,
                      disabled=PrivacyErasureState.deleting | ~PrivacyErasureState.loaded, id="erasure-submit"),
            rx.cond(PrivacyErasureState.deleting,
                    rx.text("Deleting your account and its data…", size="2", color_scheme="gray", role="status")),
            spacing="3", width="100%", max_width="28rem",
        ),
        on_submit=PrivacyErasureState.delete_account,
        reset_on_submit=False,
        width="100%",
    )


def privacy_erasure_section() -> rx.Component:
    return rx.box(
        rx.card(
            rx.vstack(
                rx.heading("Delete your account", as_="h2", size="5", color_scheme="red"),
                rx.text("Your account and personal data are erased at once. Read what goes and what the law or the "
                        "people you work with need us to keep.", size="2"),
                erasure_summary(),
                rx.separator(size="4"),
                erasure_form(),
                spacing="3", width="100%",
            ),
            size="3", width="100%", variant="surface",
            style={"border": f"1px solid {rx.color('red', 6)}"},
        ),
        rx.cond(PrivacyErasureState.deleted, rx.box(on_mount=rx.call_function(_LEAVE_FOR_GOOD))),
        on_mount=PrivacyErasureState.load,
        id="delete-account", width="100%", padding_top="1rem",
    )


def account_deleted_notice() -> rx.Component:
    return rx.box(
        rx.cond(
            AccountDeletedNoticeState.shown,
            rx.callout.root(
                rx.callout.icon(rx.icon("circle-check")),
                rx.callout.text("Your account has been deleted. We sent a last email to confirm it. Thank you for "
                                "having worked with us."),
                color_scheme="green", role="status", id="account-deleted", margin_top="1.5rem",
            ),
        ),
        on_mount=AccountDeletedNoticeState.check,
    )
