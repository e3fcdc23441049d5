"""The page frame: header (visitor or member menu), content, footer."""

import reflex as rx

from studio_app import routes
from studio_app.state.session import ProblemState
from studio_app.state.shell import ShellState

CONTENT_WIDTH = "72rem"


def brand_mark() -> rx.Component:
    return rx.link(
        rx.hstack(
            rx.icon("clapperboard", size=22, color=rx.color("accent", 10)),
            rx.text("Azekia Studio", weight="bold", size="4", color=rx.color("gray", 12)),
            align="center",
            spacing="2",
        ),
        href=routes.HOME,
        underline="none",
        aria_label="Azekia Studio home",
    )


def visitor_links() -> rx.Component:
    return rx.hstack(
        rx.link("Sign in", href=routes.SIGN_IN, size="2", weight="medium"),
        rx.link(rx.button("Sign up", size="2"), href=routes.SIGN_UP),
        align="center",
        spacing="4",
    )


def nav_link(label: str, href: str, **props) -> rx.Component:
    return rx.link(label, href=href, size="2", weight="medium", **props)


def notifications_link(badge_id: str = "unread-badge") -> rx.Component:
    return rx.link(
        rx.hstack(
            rx.icon("bell", size=18),
            rx.cond(ShellState.unread_notifications > 0,
                    rx.badge(ShellState.unread_notifications, color_scheme="red", radius="full", id=badge_id)),
            spacing="1",
            align="center",
        ),
        href=routes.NOTIFICATIONS,
        # The name holds the count the link shows, so people who speak it can also say it.
        aria_label=rx.cond(ShellState.unread_notifications > 0,
                           f"Notifications, {ShellState.unread_notifications} unread", "Notifications"),
    )


def incident_badge() -> rx.Component:
    """Admins: the 72-hour clock of the open incident whose report to the authority is due first."""
    clock = ShellState.incident_clock
    return rx.cond(clock["text"], rx.link(
        rx.badge(rx.icon("shield-alert", size=14), clock["text"],
                 color_scheme=rx.cond(clock["overdue"], "red", "amber")),
        href=clock["href"].to(str), id="incident-clock-badge", underline="none"))


def read_only_banner() -> rx.Component:
    """While a security incident keeps the studio read-only: why forms refuse changes."""
    return rx.cond(ShellState.read_only_notice, rx.box(
        rx.flex(rx.icon("lock", size=18, flex_shrink="0"), rx.text(ShellState.read_only_notice, size="2", flex="1"),
                align="center", spacing="3", max_width=CONTENT_WIDTH, margin_x="auto", padding_x=["1rem", "1.5rem"],
                padding_y="0.5rem"),
        id="read-only-banner", role="status", background_color=rx.color("orange", 3),
        border_bottom=f"1px solid {rx.color('orange', 6)}"))


def member_menu_items() -> list[tuple[str, str]]:
    return [("Dashboard", routes.DASHBOARD), ("Projects", routes.PROJECTS)]


def member_links() -> rx.Component:
    """A row of links on wide screens; one menu button on a phone."""
    role_link = rx.cond(ShellState.role == "editor", nav_link("My profile", routes.EDITOR_PROFILE),
                        nav_link("Find editors", routes.DIRECTORY))
    return rx.fragment(
        rx.tablet_and_desktop(
            rx.hstack(
                *(nav_link(label, href) for label, href in member_menu_items()),
                role_link,
                nav_link("Invitations", routes.INVITATIONS),
                rx.cond(ShellState.role == "admin", nav_link("Admin", routes.ADMIN_PRIVACY)),
                incident_badge(),
                notifications_link(),
                rx.link(rx.button("Account", size="2", variant="soft"), href=routes.ACCOUNT),
                align="center",
                spacing="4",
            ),
        ),
        rx.mobile_only(
            rx.hstack(
                notifications_link("unread-badge-phone"),
                rx.menu.root(
                    rx.menu.trigger(rx.button(rx.icon("menu", size=18), "Menu", variant="soft", size="2")),
                    rx.menu.content(
                        *(rx.menu.item(rx.link(label, href=href, width="100%")) for label, href in
                          member_menu_items()),
                        rx.menu.item(rx.cond(ShellState.role == "editor",
                                             rx.link("My profile", href=routes.EDITOR_PROFILE, width="100%"),
                                             rx.link("Find editors", href=routes.DIRECTORY, width="100%"))),
                        rx.menu.item(rx.link("Invitations", href=routes.INVITATIONS, width="100%")),
                        rx.cond(ShellState.role == "admin",
                                rx.menu.item(rx.link("Admin", href=routes.ADMIN_PRIVACY, width="100%"))),
                        rx.menu.item(rx.link("Account", href=routes.ACCOUNT, width="100%")),
                    ),
                ),
                align="center",
                spacing="3",
            ),
        ),
    )


def site_header(signed_in: bool) -> rx.Component:
    """Pages that require a session show the member's menu; public pages show it too once they recognize a
    signed-in person, and the sign-in links otherwise."""
    links = member_links() if signed_in else rx.cond(ShellState.role != "", member_links(), visitor_links())
    return rx.el.header(
        rx.hstack(
            brand_mark(),
            rx.spacer(),
            links,
            align="center",
            spacing="4",
            max_width=CONTENT_WIDTH,
            margin_x="auto",
            padding_x=["1rem", "1.5rem"],
            padding_y="0.75rem",
        ),
        border_bottom=f"1px solid {rx.color('gray', 4)}",
        background_color=rx.color("gray", 1),
        position="sticky",
        top="0",
        z_index="10",
        **({} if signed_in else {"on_mount": ShellState.recognize}),
    )


def policy_banner() -> rx.Component:
    """A significant privacy-policy change, shown until the member says they read it (no other way to close it)."""
    notice = ShellState.policy_notice
    return rx.cond(
        notice["version"],
        rx.box(
            rx.flex(
                rx.icon("scroll-text", size=18, flex_shrink="0"),
                rx.text("We updated our privacy policy on ", notice["date"], ": ", notice["summary"], size="2",
                        flex="1"),
                rx.hstack(
                    rx.link("Read it", href=notice["href"].to(str), size="2", weight="medium"),
                    rx.text("·", size="2", color_scheme="gray", aria_hidden="true"),
                    rx.button("I have read it", size="1", variant="soft", on_click=ShellState.acknowledge_policy),
                    align="center", spacing="2",
                ),
                align="center", spacing="3", wrap="wrap", max_width=CONTENT_WIDTH, margin_x="auto",
                padding_x=["1rem", "1.5rem"], padding_y="0.5rem",
            ),
            id="policy-banner", role="region", aria_label="Privacy policy update",
            background_color=rx.color("amber", 3), border_bottom=f"1px solid {rx.color('amber', 6)}",
        ),
    )


def problem_banner() -> rx.Component:
    """What a failed handler says (details go to the log only), on every page, until dismissed."""
    return rx.cond(
        ProblemState.message,
        rx.box(
            rx.flex(
                rx.icon("triangle-alert", size=18, flex_shrink="0"),
                rx.text(ProblemState.message, size="2", flex="1"),
                rx.button("Dismiss", size="1", variant="soft", color_scheme="red", on_click=ProblemState.dismiss),
                align="center", spacing="3", max_width=CONTENT_WIDTH, margin_x="auto",
                padding_x=["1rem", "1.5rem"], padding_y="0.5rem",
            ),
            id="problem-banner", role="alert", position="sticky", top="3.5rem", z_index="9",
            background_color=rx.color("red", 3), border_bottom=f"1px solid {rx.color('red', 6)}",
        ),
    )


def site_footer() -> rx.Component:
    return rx.el.footer(
        rx.flex(
            rx.text("© Azekia Studio", size="2", color_scheme="gray"),
            rx.spacer(),
            rx.hstack(
                rx.link("Privacy policy", href=routes.PRIVACY_POLICY, size="2", color_scheme="gray"),
                rx.link("Cookies", href=routes.COOKIES, size="2", color_scheme="gray"),
                spacing="4",
            ),
            direction=rx.breakpoints(initial="column", sm="row"),
            spacing="2",
            max_width=CONTENT_WIDTH,
            margin_x="auto",
            padding_x=["1rem", "1.5rem"],
            padding_y="1.5rem",
        ),
        border_top=f"1px solid {rx.color('gray', 4)}",
        margin_top="4rem",
    )


def public_page(*children: rx.Component, signed_in: bool = False) -> rx.Component:
    """The page frame; ``signed_in`` pages (those that require a session) show account links in the header."""
    return rx.flex(
        rx.link("Skip to content", href="#main", class_name="skip-link"),
        site_header(signed_in),
        problem_banner(),
        policy_banner() if signed_in else rx.fragment(),
        read_only_banner() if signed_in else rx.fragment(),
        rx.el.main(
            *children,
            id="main",
            width="100%",
            max_width=CONTENT_WIDTH,
            margin_x="auto",
            padding_x=["1rem", "1.5rem"],
            flex="1",
        ),
        site_footer(),
        direction="column",
        min_height="100vh",
    )
