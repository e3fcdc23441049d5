"""The admin console's security alerts (``/admin/alerts``): what the detection rules found, live."""

import reflex as rx

from studio_app import routes
from studio_app.components.forms import form_alert
from studio_app.pages.admin_console import console_page
from studio_app.pages.projects import empty_state
from studio_app.state.admin_alerts import AdminAlertsState
from studio_app.state.shell import ShellState

STATE = AdminAlertsState


def _actions(row: dict) -> rx.Component:
    return rx.hstack(
        rx.button("Details", size="1", variant="soft", on_click=STATE.show(row["id"]),
                  aria_label="Details of " + row["title"].to(str)),
        rx.cond(row["status"] == "open",
                rx.button("Acknowledge", size="1", on_click=STATE.acknowledge(row["id"]),
                          aria_label="Acknowledge " + row["title"].to(str))),
        spacing="2", wrap="wrap",
    )


def open_item(row: dict) -> rx.Component:
    return rx.table.row(
        rx.table.cell(rx.badge(row["severity"], color_scheme=row["color"])),
        rx.table.cell(rx.text(row["title"], weight="bold"), rx.text(row["summary"], size="1", color_scheme="gray")),
        rx.table.cell(row["count"]),
        rx.table.cell(row["last_seen"]),
        rx.table.cell(row["status_label"]),
        rx.table.cell(_actions(row)),
    )


def closed_item(row: dict) -> rx.Component:
    return rx.table.row(
        rx.table.cell(rx.text(row["title"], weight="bold"), rx.text(row["summary"], size="1", color_scheme="gray")),
        rx.table.cell(row["opened"]),
        rx.table.cell(row["closed"]),
        rx.table.cell(rx.button("Details", size="1", variant="soft", on_click=STATE.show(row["id"]),
                                aria_label="Details of " + row["title"].to(str))),
    )


def _table(headers: tuple[str, ...], rows, item, *, table_id: str) -> rx.Component:
    return rx.box(rx.table.root(
        rx.table.header(rx.table.row(*(rx.table.column_header_cell(name) for name in headers))),
        rx.table.body(rx.foreach(rows, item)), width="100%", size="1",
    ), width="100%", overflow_x="auto", id=table_id)


def details_panel() -> rx.Component:
    row = STATE.selected
    return rx.cond(
        row.contains("id"),
        rx.card(rx.vstack(
            rx.hstack(rx.heading(row["title"].to(str), as_="h2", size="4"),
                      rx.badge(row["severity"].to(str), color_scheme=row["color"].to(str)),
                      rx.badge(row["status_label"].to(str), color_scheme="gray"), align="center", wrap="wrap"),
            rx.text(row["summary"].to(str), size="2"),
            rx.data_list.root(rx.foreach(row["facts"].to(list[list[str]]), lambda fact: rx.data_list.item(
                rx.data_list.label(fact[0]), rx.data_list.value(fact[1], word_break="break-all")))),
            rx.hstack(
                rx.cond(row["status"].to(str) == "open",
                        rx.button("Acknowledge", size="2", on_click=STATE.acknowledge(row["id"].to(str)))),
                rx.cond(row["status"].to(str) != "closed",
                        rx.button("Close", size="2", variant="soft", color_scheme="gray",
                                  on_click=STATE.close(row["id"].to(str)))),
                rx.cond(row["status"].to(str) != "closed",
                        rx.link(rx.button("Open an incident", size="2", variant="soft", color_scheme="red"),
                                href=routes.ADMIN_INCIDENTS + "?alert=" + row["id"].to(str))),
                rx.button("Hide details", size="2", variant="ghost", on_click=STATE.hide),
                spacing="3", wrap="wrap",
            ),
            spacing="3", align="start", width="100%",
        ), width="100%", id="alert-details"),
    )


@rx.page(route=routes.ADMIN_ALERTS, title="Admin · security alerts · Azekia Studio",
         on_load=[ShellState.load, AdminAlertsState.load])
def admin_alerts() -> rx.Component:
    return console_page(
        STATE.allowed, "Admin console: security alerts", routes.ADMIN_ALERTS,
        rx.text("Detection rules open an alert when failed sign-ins, downloads, decryption failures, admin "
                "changes or the audit log look wrong; the security contact is mailed once per alert. Repeats "
                "count on the open alert. This list refreshes by itself.", size="2", color_scheme="gray"),
        form_alert(STATE.notice, color="green", icon="circle-check"),
        form_alert(STATE.errors["alert"]),
        details_panel(),
        rx.heading("Open alerts", as_="h2", size="4"),
        rx.cond(STATE.open_rows.length() > 0,
                _table(("Severity", "Alert", "Times", "Last fired", "Status", ""), STATE.open_rows,
                       open_item, table_id="open-alerts"),
                empty_state("No open alert. When a detection rule fires, its alert appears here.")),
        rx.heading("Recently closed", as_="h2", size="4"),
        rx.cond(STATE.closed_rows.length() > 0,
                _table(("Alert", "Opened", "Closed", ""), STATE.closed_rows, closed_item, table_id="closed-alerts"),
                empty_state("No closed alert yet.")),
        spacing="4", width="100%", id="admin-alerts",
    )
