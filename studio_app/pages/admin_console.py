"""The frame of every admin console page: its heading and the console's navigation for admins, a plain refusal for
anyone else (the page's state says which: ``allowed``)."""

from __future__ import annotations

import reflex as rx

from studio_app import routes
from studio_app.components.admin_nav import admin_nav
from studio_app.pages.projects import empty_state, signed_in_page


def not_an_admin() -> rx.Component:
    return empty_state("This page is for administrators.", rx.link("Back to your dashboard", href=routes.DASHBOARD))


def console_page(allowed: rx.Var, title: str, current: str, *children: rx.Component, **props) -> rx.Component:
    return signed_in_page(
        rx.cond(
            allowed,
            rx.vstack(rx.heading(title, as_="h1", size="7"), admin_nav(current), *children, **props),
            not_an_admin(),
        ),
    )
