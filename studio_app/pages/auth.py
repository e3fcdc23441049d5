"""Sign up, sign in, confirm email, forgotten and new password."""

import reflex as rx

from studio_app import routes
from studio_app.components.forms import form_alert, form_card, server_form, submit_button, text_field
from studio_app.components.layout import public_page
from studio_app.services.validation import PASSWORD_MIN
from studio_app.state.auth import EmailLinkState, PasswordResetState, SignInState, SignUpState
from studio_app.state.shell import ShellState


def inbox_notice(title: str, text: rx.Var[str] | str, *actions: rx.Component) -> rx.Component:
    return rx.vstack(
        rx.icon("mail-check", size=32, color=rx.color("accent", 10)),
        rx.heading(title, as_="h2", size="5"),
        rx.text(text, color_scheme="gray"),
        *actions,
        spacing="3",
        align="center",
        text_align="center",
        id="inbox-notice",
    )


def role_choice() -> rx.Component:
    return rx.vstack(
        rx.text("I am a", as_="div", class_name="field-label", id="role-label"),
        rx.radio_group.root(
            rx.flex(
                rx.radio_group.item("Producer (I hire editors)", value="producer"),
                rx.radio_group.item("Video editor", value="editor"),
                direction=rx.breakpoints(initial="column", sm="row"),
                spacing="4",
            ),
            name="role",
            required=True,
            aria_labelledby="role-label",
        ),
        rx.cond(SignUpState.errors["role"], rx.text(SignUpState.errors["role"], size="2", color_scheme="red")),
        spacing="1",
        width="100%",
    )


def consent_boxes() -> rx.Component:
    return rx.vstack(
        # rx.checkbox labels its box with what follows it (a label around it would leave the box unnamed).
        rx.checkbox(
            rx.text("I have read and accept the ", rx.link("privacy policy", href=routes.PRIVACY_POLICY,
                                                             is_external=True), ".", as_="span", size="3"),
            name="accepts_privacy_policy", required=True,
        ),
        rx.cond(
            SignUpState.errors["accepts_privacy_policy"],
            rx.text(SignUpState.errors["accepts_privacy_policy"], size="2", color_scheme="red"),
        ),
        rx.checkbox(rx.text("Send me occasional product news by email (optional, stop any time).", as_="span",
                            size="3"), name="marketing_consent"),
        spacing="2",
        width="100%",
    )


def sign_up_form() -> rx.Component:
    return rx.form(
        rx.vstack(
            text_field("Your name", "display_name", autocomplete="name", error=SignUpState.errors["display_name"],
                       on_blur=SignUpState.review_display_name, max_length=80),
            text_field("Email", "email", input_type="email", autocomplete="email", error=SignUpState.errors["email"],
                       on_blur=SignUpState.review_email, max_length=254),
            text_field("Password", "password", input_type="password", autocomplete="new-password",
                       error=SignUpState.errors["password"], on_change=SignUpState.review_password.debounce(300),
                       hint=f"At least {PASSWORD_MIN} characters; a few unrelated words work well.", max_length=128),
            role_choice(),
            consent_boxes(),
            form_alert(SignUpState.form_error),
            submit_button("Create my account", SignUpState.submitting),
            rx.text("Already have an account? ", rx.link("Sign in", href=routes.SIGN_IN), size="2"),
            spacing="4",
            width="100%",
        ),
        on_submit=SignUpState.submit,
        reset_on_submit=False,
        width="100%",
    )


@rx.page(route=routes.SIGN_UP, title="Sign up · Azekia Studio", on_load=ShellState.leave_if_signed_in)
def sign_up() -> rx.Component:
    return public_page(
        form_card(
            "Create your account",
            "Producers hire editors; editors find projects. Free while we are in preview.",
            rx.cond(
                SignUpState.sent_to != "",
                inbox_notice(
                    "Check your inbox",
                    "We sent a confirmation link to " + SignUpState.sent_to + ". Open it to activate your account.",
                    rx.button("Use another address", variant="soft", on_click=SignUpState.start_over),
                ),
                sign_up_form(),
            ),
        )
    )


def sign_in_form() -> rx.Component:
    return server_form(
        routes.SIGN_IN_POST,
        rx.vstack(
            # No default value from the state: it would arrive after the page, into a field being typed in.
            text_field("Email", "email", input_type="email", autocomplete="username", max_length=254, required=True),
            text_field("Password", "password", input_type="password", autocomplete="current-password",
                       max_length=1024, required=True),
            rx.el.input(type="hidden", name="next", value=SignInState.after),
            rx.link("Forgot your password?", href=routes.FORGOT_PASSWORD, size="2"),
            form_alert(SignInState.error),
            form_alert(SignInState.notice, color="green", icon="mail-check"),
            rx.button("Sign in", type="submit", size="3", width="100%"),
            rx.text("New here? ", rx.link("Create an account", href=routes.SIGN_UP), size="2"),
            spacing="4",
            width="100%",
        ),
        id="sign-in-form",
        width="100%",
    )


def resend_form() -> rx.Component:
    return rx.cond(
        SignInState.needs_verification,
        rx.form(
            rx.vstack(
                rx.text("Lost the confirmation email?", size="2", weight="medium"),
                text_field("Email", "email", input_type="email", autocomplete="email", max_length=254,
                           field_id="resend-email"),
                rx.button("Send the link again", type="submit", variant="soft", width="100%"),
                spacing="2",
                width="100%",
            ),
            on_submit=SignInState.resend_verification,
            width="100%",
        ),
    )


@rx.page(route=routes.SIGN_IN, title="Sign in · Azekia Studio",
         on_load=[ShellState.leave_if_signed_in, SignInState.show_outcome])
def sign_in() -> rx.Component:
    return public_page(form_card("Sign in", "Welcome back to Azekia Studio.", sign_in_form(), resend_form()))


def sign_in_link_form() -> rx.Component:
    # The token is read from the page's URL, in the browser; only the button's POST uses it up (see api/auth.py).
    token = rx.State.router.url.query_parameters.get("token", "").to(str)
    return server_form(
        routes.SIGN_IN_LINK_POST,
        rx.el.input(type="hidden", name="token", value=token),
        rx.button("Sign in", type="submit", size="3", width="100%", disabled=token == ""),
        id="sign-in-link-form",
        width="100%",
    )


@rx.page(route=routes.SIGN_IN_LINK, title="Sign in with a link · Azekia Studio")
def sign_in_link() -> rx.Component:
    return public_page(form_card("Sign in with your link",
                                 "This link signs you in once, without your password, for 15 minutes after we sent it.",
                                 sign_in_link_form()))


def link_outcome(success_title: str, success_text: str) -> rx.Component:
    return rx.match(
        EmailLinkState.outcome,
        ("failed", rx.vstack(form_alert(EmailLinkState.error),
                             rx.link(rx.button("Go to sign in", variant="soft"), href=routes.SIGN_IN), spacing="3")),
        ("", rx.hstack(rx.spinner(), rx.text("Checking your link…"), align="center")),
        inbox_notice(success_title, success_text, rx.link(rx.button("Sign in"), href=routes.SIGN_IN)),
    )


@rx.page(route=routes.VERIFY_EMAIL, title="Confirm your email · Azekia Studio", on_load=EmailLinkState.verify_email)
def verify_email() -> rx.Component:
    return public_page(
        form_card("Confirm your email", "One click and your account is ready.",
                  link_outcome("Email confirmed", "Your account is active. You can sign in now."))
    )


@rx.page(route=routes.CONFIRM_EMAIL_CHANGE, title="Confirm your new email · Azekia Studio",
         on_load=EmailLinkState.confirm_email_change)
def confirm_email_change() -> rx.Component:
    return public_page(
        form_card("Confirm your new email", "Your account's email changes once this link is checked.",
                  link_outcome("Email changed", "From now on, sign in with your new address."))
    )


@rx.page(route=routes.FORGOT_PASSWORD, title="Forgot your password · Azekia Studio", on_load=PasswordResetState.clear)
def forgot_password() -> rx.Component:
    return public_page(
        form_card(
            "Forgot your password?",
            "Enter your account's email and we will send you a link to choose a new password.",
            rx.cond(
                PasswordResetState.requested,
                inbox_notice("Check your inbox",
                             "If an account uses this address, a reset link is on its way. It works for one hour."),
                rx.form(
                    rx.vstack(
                        text_field("Email", "email", input_type="email", autocomplete="email", max_length=254,
                                   error=PasswordResetState.field_error, required=True),
                        form_alert(PasswordResetState.error),
                        submit_button("Send me a link", PasswordResetState.submitting),
                        spacing="4",
                        width="100%",
                    ),
                    on_submit=PasswordResetState.request_link,
                    width="100%",
                ),
            ),
        )
    )


@rx.page(route=routes.RESET_PASSWORD, title="Choose a new password · Azekia Studio", on_load=PasswordResetState.clear)
def reset_password() -> rx.Component:
    return public_page(
        form_card(
            "Choose a new password",
            "After this, every device signed in to your account is signed out.",
            rx.cond(
                PasswordResetState.done,
                inbox_notice("Password changed", "You can sign in with your new password.",
                             rx.link(rx.button("Sign in"), href=routes.SIGN_IN)),
                rx.form(
                    rx.vstack(
                        text_field("New password", "new_password", input_type="password",
                                   autocomplete="new-password", max_length=128, required=True,
                                   error=PasswordResetState.field_error),
                        text_field("Repeat the new password", "confirm_password", input_type="password",
                                   autocomplete="new-password", max_length=128, required=True),
                        form_alert(PasswordResetState.error),
                        submit_button("Save my new password", PasswordResetState.submitting),
                        spacing="4",
                        width="100%",
                    ),
                    on_submit=PasswordResetState.choose_password,
                    width="100%",
                ),
            ),
        )
    )
