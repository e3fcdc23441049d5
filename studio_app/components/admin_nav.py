"""The admin console's own navigation, the same on each of its pages."""

from __future__ import annotations

import reflex as rx

from studio_app import routes

CONSOLE_PAGES = (
    ("Privacy requests, policy and news", routes.ADMIN_PRIVACY),
    ("Operations", routes.ADMIN_OPERATIONS),
    ("Failed background jobs", routes.ADMIN_JOBS),
    ("Security alerts", routes.ADMIN_ALERTS),
    ("Incidents", routes.ADMIN_INCIDENTS),
    ("People", routes.ADMIN_PEOPLE),
    ("Disclosures to authorities", routes.ADMIN_DISCLOSURES),
    ("Provider sandbox", routes.ADMIN_SANDBOX),
)


def admin_nav(current: str) -> rx.Component:
    """A link to every console page; the page showing is marked as the current one (``aria-current``)."""
    return rx.el.nav(
        rx.flex(
            *(rx.link(label, href=href, size="2", weight="bold" if href == current else "regular",
                      aria_current="page" if href == current else None)
              for label, href in CONSOLE_PAGES),
            spacing="4", wrap="wrap",
        ),
        aria_label="Admin console",
    )
