"""The privacy policy: the version in effect (public), each earlier version at its own address."""

import reflex as rx

from studio_app import routes
from studio_app.components.layout import public_page
from studio_app.components.thread import SAFE_LINK
from studio_app.state.policy import PolicyState


def policy_dates() -> rx.Component:
    return rx.flex(
        rx.text(rx.text.strong("Version "), PolicyState.shown_version, size="2", color_scheme="gray"),
        rx.text(rx.text.strong("Last updated: "), rx.el.span(PolicyState.published, id="policy-published"),
                size="2", color_scheme="gray"),
        rx.text(rx.text.strong("Effective: "), rx.el.span(PolicyState.effective, id="policy-effective"),
                size="2", color_scheme="gray"),
        spacing="4", wrap="wrap", id="policy-dates",
    )


def older_version_notice() -> rx.Component:
    return rx.cond(
        PolicyState.shown_version != PolicyState.current_version,
        rx.callout.root(
            rx.callout.icon(rx.icon("history")),
            rx.callout.text(
                rx.cond(PolicyState.in_effect, "This is an earlier version of our privacy policy. ",
                        "This version is published but not in effect yet. "),
                rx.link("Read the version in effect", href=routes.PRIVACY_POLICY), ".",
            ),
            color_scheme="amber", size="1", id="older-version",
        ),
    )


def upcoming_notice() -> rx.Component:
    return rx.cond(
        PolicyState.upcoming["href"],
        rx.callout.root(
            rx.callout.icon(rx.icon("calendar-clock")),
            rx.callout.text("A new version applies from ", PolicyState.upcoming["effective"], ": ",
                            PolicyState.upcoming["summary"], " ",
                            rx.link("Read it now", href=PolicyState.upcoming["href"].to(str)), "."),
            size="1",
        ),
    )


def version_row(row: dict) -> rx.Component:
    return rx.el.li(
        rx.flex(
            rx.link(row["label"], href=row["href"], weight="medium"),
            rx.cond(row["current"], rx.badge("In effect", color_scheme="green", variant="soft")),
            rx.text("published ", row["published"], ", effective ", row["effective"], size="1", color_scheme="gray"),
            spacing="2", align="center", wrap="wrap",
        ),
        rx.text(row["summary"], size="1", color_scheme="gray"),
        padding_y="0.35rem",
    )


def version_list() -> rx.Component:
    return rx.box(
        rx.heading("All versions", as_="h2", size="4"),
        rx.text("Every version stays readable. Significant changes are announced in the app and by email.",
                size="1", color_scheme="gray"),
        rx.el.ul(rx.foreach(PolicyState.versions, version_row), id="policy-versions", padding_left="1.2rem"),
        border_top=f"1px solid {rx.color('gray', 5)}", padding_top="1.5rem", margin_top="2rem", width="100%",
    )


def policy_text() -> rx.Component:
    # use_raw=False: the Markdown may not carry raw HTML (admins write it; the page stays script-free).
    # Its tables scroll sideways on a phone: a region that scrolls is reachable by keyboard.
    return rx.box(rx.markdown(PolicyState.body, use_raw=False, component_map=SAFE_LINK), id="policy-text",
                  class_name="policy-text", width="100%", overflow_x="auto", tab_index=0, role="region",
                  aria_label="Policy text")


def policy_page(*, earlier: bool) -> rx.Component:
    return public_page(
        rx.vstack(
            rx.cond(
                PolicyState.found,
                rx.vstack(
                    older_version_notice() if earlier else upcoming_notice(),
                    policy_dates(),
                    policy_text(),
                    version_list(),
                    spacing="3", width="100%",
                ),
                rx.vstack(rx.heading("This version does not exist", as_="h1", size="6"),
                          rx.link("Read the privacy policy", href=routes.PRIVACY_POLICY), spacing="2"),
            ),
            max_width="48rem", padding_y="3rem", width="100%",
        )
    )


@rx.page(route=routes.PRIVACY_POLICY, title="Privacy policy · Azekia Studio", on_load=PolicyState.load_current)
def privacy_policy() -> rx.Component:
    return policy_page(earlier=False)


@rx.page(route=routes.PRIVACY_POLICY_VERSION, title="Privacy policy version · Azekia Studio",
         on_load=PolicyState.load_version)
def privacy_policy_version() -> rx.Component:
    return policy_page(earlier=True)
