"""Account settings and active sessions (signed-in pages)."""

import reflex as rx

from studio_app import routes
from studio_app.components.forms import form_alert, sign_out_button, text_field
from studio_app.components.layout import public_page
from studio_app.state.account import AccountState, SessionsState


def account_nav() -> rx.Component:
    return rx.hstack(
        rx.link("Account", href=routes.ACCOUNT, weight="medium"),
        rx.link("Active sessions", href=routes.SESSIONS, weight="medium"),
        rx.link("Connected accounts", href=routes.CONNECTIONS, weight="medium"),
        rx.link("Privacy center", href=routes.PRIVACY_CENTER, weight="medium"),
        rx.spacer(),
        sign_out_button(variant="soft", color_scheme="gray", id="sign-out"),
        width="100%",
        align="center",
        spacing="4",
        padding_y="1.5rem",
        wrap="wrap",
    )


def section(title: str, description: str, *children: rx.Component) -> rx.Component:
    return rx.card(
        rx.vstack(rx.heading(title, as_="h2", size="4"), rx.text(description, size="2", color_scheme="gray"),
                  *children, spacing="3", width="100%"),
        size="3",
        width="100%",
    )


def section_feedback(name: str) -> rx.Component:
    return rx.fragment(
        form_alert(AccountState.errors[name]),
        form_alert(AccountState.messages[name], color="green", icon="circle-check"),
    )


def save_button(label: str, name: str) -> rx.Component:
    return rx.button(label, type="submit", loading=AccountState.busy == name, disabled=AccountState.busy != "")


def profile_section() -> rx.Component:
    return section(
        "Profile",
        "Your name is shown to the people you work with.",
        rx.text("Email: ", rx.text.strong(AccountState.email), size="2", id="account-email"),
        rx.text("Role: ", rx.text.strong(AccountState.role), size="2"),
        rx.form(
            rx.vstack(
                text_field("Name", "display_name", default_value=AccountState.display_name, max_length=80,
                           error=AccountState.errors["display_name"], autocomplete="name"),
                section_feedback("profile"),
                save_button("Save name", "profile"),
                spacing="3",
                align="start",
                width="100%",
            ),
            on_submit=AccountState.rename,
            reset_on_submit=False,
            key=AccountState.display_name,
        ),
    )


def password_section() -> rx.Component:
    return section(
        "Password",
        "Changing your password signs you out everywhere, this browser included.",
        rx.form(
            rx.vstack(
                text_field("Current password", "current_password", input_type="password",
                           autocomplete="current-password", error=AccountState.errors["current_password"]),
                text_field("New password", "new_password", input_type="password", autocomplete="new-password",
                           error=AccountState.errors["new_password"], max_length=128),
                text_field("Repeat the new password", "confirm_password", input_type="password",
                           autocomplete="new-password", max_length=128),
                section_feedback("password"),
                save_button("Change password", "password"),
                spacing="3",
                align="start",
                width="100%",
            ),
            on_submit=AccountState.change_password,
        ),
    )


def email_section() -> rx.Component:
    return section(
        "Email address",
        "We send a confirmation link to the new address; the change happens when you open it.",
        rx.form(
            rx.vstack(
                text_field("New email", "new_email", input_type="email", autocomplete="email", max_length=254,
                           error=AccountState.errors["new_email"]),
                text_field("Current password", "current_password", input_type="password",
                           autocomplete="current-password"),
                section_feedback("email"),
                save_button("Change email", "email"),
                spacing="3",
                align="start",
                width="100%",
            ),
            on_submit=AccountState.change_email,
        ),
    )


def loading_placeholder() -> rx.Component:
    return rx.hstack(rx.spinner(), rx.text("Loading your account…"), padding_y="3rem")


@rx.page(route=routes.ACCOUNT, title="Account · Azekia Studio", on_load=AccountState.load)
def account() -> rx.Component:
    return public_page(
        account_nav(),
        rx.cond(
            AccountState.loaded,
            rx.vstack(
                rx.heading("Account settings", as_="h1", size="7"),
                profile_section(),
                email_section(),
                password_section(),
                section("Sign out everywhere", "Ends every session of your account, on all devices.",
                        sign_out_button("Sign out everywhere", everywhere=True, color_scheme="red", variant="soft")),
                spacing="4",
                max_width="40rem",
                width="100%",
            ),
            loading_placeholder(),
        ),
        signed_in=True,
    )


def session_row(row: dict) -> rx.Component:
    return rx.table.row(
        rx.table.cell(rx.vstack(rx.text(row["device"], weight="medium"),
                                rx.cond(row["current"], rx.badge("This browser", color_scheme="green")),
                                spacing="1")),
        rx.table.cell(row["place"]),
        rx.table.cell(row["started"]),
        rx.table.cell(row["last_used"]),
        rx.table.cell(rx.button("Sign out", size="1", variant="soft", color_scheme="red",
                                on_click=SessionsState.revoke(row["id"]))),
    )


def session_card(row: dict) -> rx.Component:
    """A phone has no room for the table's five columns: one card per session instead."""
    return rx.card(
        rx.vstack(
            rx.hstack(rx.text(row["device"], weight="medium"),
                      rx.cond(row["current"], rx.badge("This browser", color_scheme="green")), wrap="wrap"),
            rx.text("Approximate place: ", row["place"], size="2"),
            rx.text("Signed in ", row["started"], " · last active ", row["last_used"], size="1",
                    color_scheme="gray"),
            rx.button("Sign out", size="1", variant="soft", color_scheme="red",
                      on_click=SessionsState.revoke(row["id"])),
            spacing="2", width="100%",
        ),
        width="100%", class_name="session-card",
    )


@rx.page(route=routes.SESSIONS, title="Active sessions · Azekia Studio", on_load=SessionsState.load)
def active_sessions() -> rx.Component:
    return public_page(
        account_nav(),
        rx.heading("Active sessions", as_="h1", size="7"),
        rx.text("Every browser signed in to your account. Sign out any you do not recognise, then change your "
                "password.", color_scheme="gray", padding_y="0.5rem"),
        form_alert(SessionsState.errors["form"]),
        rx.cond(
            SessionsState.loaded,
            rx.fragment(
                rx.tablet_and_desktop(rx.box(
                    rx.table.root(
                        rx.table.header(rx.table.row(
                            rx.table.column_header_cell("Device"), rx.table.column_header_cell("Approximate place"),
                            rx.table.column_header_cell("Signed in"), rx.table.column_header_cell("Last active"),
                            rx.table.column_header_cell(""),
                        )),
                        rx.table.body(rx.foreach(SessionsState.rows, session_row)),
                        width="100%",
                        id="sessions-table",
                    ),
                    overflow_x="auto",
                    width="100%",
                ), width="100%"),
                rx.mobile_only(rx.vstack(rx.foreach(SessionsState.rows, session_card), spacing="2", width="100%",
                                         id="sessions-list"), width="100%"),
            ),
            rx.hstack(rx.spinner(), rx.text("Loading your sessions…"), padding_y="2rem"),
        ),
        rx.box(sign_out_button("Sign out everywhere", everywhere=True, color_scheme="red", variant="soft"),
               margin_top="1.5rem"),
        signed_in=True,
    )
