"""The public landing page: what Azekia Studio is, for producers and for editors."""

import reflex as rx

from studio_app import routes
from studio_app.components.layout import public_page
from studio_app.components.privacy_erasure import account_deleted_notice
from studio_app.state.landing import LandingState
from studio_app.state.shell import ShellState
from studio_app.state.signed_out import SignedOutState

WORKFLOW = (
    ("file-text", "Brief", "Goals, format, platforms and deadline in one place."),
    ("upload", "Rushes", "Upload multi-gigabyte footage that resumes if the line drops."),
    ("scissors", "Derush", "Mark the usable parts of the raw footage, shot by shot."),
    ("film", "Edit", "Versions side by side, every change in the project thread."),
    ("message-square-text", "Review", "Time-coded comments, replies and one-click approval."),
    ("send", "Publish", "Scheduled on TikTok, announced on Discord, automatically."),
)

BENEFITS = {
    "producers": (
        "Find editors by skill, language, software, rate and availability.",
        "Brief once: milestones, deadlines and stages everyone can see.",
        "Review with comments pinned to the exact frame, then approve.",
        "Schedule the post on TikTok and announce it on Discord.",
    ),
    "editors": (
        "A profile that shows your craft, your software and your rate.",
        "Receive rushes without cloud links that expire or leak.",
        "Derush, upload versions and get precise, time-coded notes.",
        "Export review markers (CSV, EDL) straight into your editor.",
    ),
}


def hero() -> rx.Component:
    return rx.vstack(
        rx.badge("For video creators and the editors they hire", size="2", radius="full"),
        rx.heading(
            "From raw footage to published video, together.",
            as_="h1",
            size=rx.breakpoints(initial="8", md="9"),
            weight="bold",
        ),
        rx.text(
            "Azekia Studio is where producers hire video editors and run every video with them: "
            "briefs, rushes, derushing, time-coded review, approval and scheduled publication.",
            size=rx.breakpoints(initial="4", md="5"),
            color_scheme="gray",
            max_width="44rem",
        ),
        rx.cond(
            ShellState.role != "",
            rx.cond(ShellState.role == "admin",  # an admin has no dashboard: their page is the admin console
                    rx.link(rx.button("Open the admin console", size="3"), href=routes.ADMIN_PRIVACY),
                    rx.link(rx.button("Open your dashboard", size="3"), href=routes.DASHBOARD)),
            rx.flex(
                rx.link(rx.button("Create your account", size="3"), href=routes.SIGN_UP),
                rx.link(rx.button("Sign in", size="3", variant="soft"), href=routes.SIGN_IN),
                spacing="3",
                wrap="wrap",
            ),
        ),
        spacing="5",
        padding_y=["3rem", "5rem"],
        align="start",
    )


def workflow_step(icon: str, title: str, text: str) -> rx.Component:
    return rx.card(
        rx.vstack(
            rx.icon(icon, size=22, color=rx.color("accent", 10)),
            rx.heading(title, as_="h3", size="4"),
            rx.text(text, size="2", color_scheme="gray"),
            spacing="2",
        ),
        size="2",
    )


def workflow() -> rx.Component:
    return rx.vstack(
        rx.heading("One place for the whole video", as_="h2", size="6"),
        rx.grid(
            *(workflow_step(*step) for step in WORKFLOW),
            columns=rx.breakpoints(initial="1", sm="2", md="3"),
            spacing="4",
            width="100%",
        ),
        spacing="4",
        padding_y="2rem",
    )


def benefit_line(text: str) -> rx.Component:
    return rx.hstack(
        rx.icon("check", size=18, color=rx.color("accent", 10), flex_shrink="0", margin_top="3px"),
        rx.text(text, size="3"),
        align="start",
    )


def benefit_list(audience: str) -> rx.Component:
    return rx.vstack(
        *(benefit_line(text) for text in BENEFITS[audience]),
        spacing="3",
        id=f"benefits-{audience}",
    )


def audience_switch() -> rx.Component:
    return rx.vstack(
        rx.heading("Made for both sides of the edit", as_="h2", size="6"),
        rx.segmented_control.root(
            rx.segmented_control.item("For producers", value="producers"),
            rx.segmented_control.item("For editors", value="editors"),
            value=LandingState.audience,
            on_change=LandingState.show_audience,
            size="2",
        ),
        rx.card(
            rx.cond(LandingState.audience == "editors", benefit_list("editors"), benefit_list("producers")),
            size="3",
            width="100%",
        ),
        spacing="4",
        padding_y="2rem",
        width="100%",
    )


def privacy_promise() -> rx.Component:
    return rx.callout.root(
        rx.callout.icon(rx.icon("shield-check")),
        rx.callout.text(
            "Your personal data and connected accounts are encrypted at rest, never sold and never shared "
            "for advertising. Access, correct, export or delete your data yourself from the privacy center. ",
            rx.link("Read the privacy policy", href=routes.PRIVACY_POLICY),
            ".",
        ),
        size="2",
        margin_y="2rem",
    )


@rx.page(
    route=routes.HOME,
    on_load=SignedOutState.forget,
    title="Azekia Studio: video creators and editors, from rushes to publication",
    description="Hire video editors and run every video with them, from raw footage to scheduled publication.",
)
def landing() -> rx.Component:
    return public_page(account_deleted_notice(), hero(), workflow(), audience_switch(), privacy_promise())
