"""The admin console's Operations view: health of each part, the job queue, providers, mail and sign-in failures,
recent security events. Admins only (the service decides); it refreshes itself while open."""

import reflex as rx

from studio_app import routes
from studio_app.components.forms import form_alert
from studio_app.components.providers import sandbox_badge
from studio_app.pages.admin_console import console_page
from studio_app.pages.projects import empty_state
from studio_app.state.admin_operations import AdminOperationsState as OPS
from studio_app.state.shell import ShellState


def _table(headers: tuple[str, ...], rows: rx.Var, row: callable, empty: str, label: str) -> rx.Component:
    return rx.cond(
        rows.length() > 0,
        rx.box(rx.table.root(
            rx.table.header(rx.table.row(*(rx.table.column_header_cell(name) for name in headers))),
            rx.table.body(rx.foreach(rows, row)), width="100%", size="1", aria_label=label,
        ), width="100%", overflow_x="auto"),
        empty_state(empty),
    )


def part_card(part: dict) -> rx.Component:
    return rx.card(
        rx.vstack(
            rx.hstack(
                rx.text(part["name"], weight="bold"),
                rx.match(part["state"],
                         ("ok", rx.badge("Working", color_scheme="green")),
                         ("not used", rx.badge("Not used", color_scheme="gray")),
                         rx.badge("Failing", color_scheme="red")),
                align="center", spacing="2",
            ),
            rx.text(part["problem"], size="2"),
            spacing="1",
        ),
        class_name="operations-part", data_state=part["state"], min_width="14rem", flex="1",
    )


def health_section() -> rx.Component:
    return rx.vstack(
        rx.heading("Health", as_="h2", size="5"),
        rx.text("The checks of /api/ready: a load balancer sends no traffic to an instance that fails one.",
                size="2", color_scheme="gray"),
        rx.flex(rx.foreach(OPS.parts, part_card), spacing="3", wrap="wrap", width="100%"),
        spacing="2", width="100%", id="operations-health",
    )


def _figure(label: str, value: rx.Var) -> rx.Component:
    return rx.card(rx.vstack(rx.text(label, size="1", color_scheme="gray"), rx.text(value, size="5", weight="bold"),
                             spacing="0"), min_width="8rem")


def failure_row(row: dict) -> rx.Component:
    return rx.table.row(
        rx.table.cell(rx.text(row["task"], weight="bold"), rx.text(row["task_name"], size="1", color_scheme="gray")),
        rx.table.cell(row["error"]),
        rx.table.cell(row["attempts"]),
        rx.table.cell(row["failed"]),
        rx.table.cell(rx.cond(
            row["retried"],
            rx.badge("Retried", color_scheme="gray"),
            rx.button("Retry", size="1", on_click=OPS.retry(row["id"]), aria_label="Retry " + row["task"].to(str)),
        )),
    )


def queue_section() -> rx.Component:
    return rx.vstack(
        rx.heading("Job queue", as_="h2", size="5"),
        rx.cond(
            OPS.queue["reachable"].to(bool),
            rx.flex(_figure("Waiting", OPS.queue["waiting"]), _figure("Scheduled (retries)", OPS.queue["scheduled"]),
                    _figure("Running", OPS.running.length()), _figure("Consumers alive", OPS.queue["consumers"]),
                    spacing="3", wrap="wrap"),
            rx.callout("The job queue cannot be reached: see Health.", icon="triangle-alert", color_scheme="red"),
        ),
        rx.heading("Running now", as_="h3", size="3"),
        _table(("Job", "Started"), OPS.running,
               lambda job: rx.table.row(rx.table.cell(rx.text(job["task"], weight="bold"),
                                                      rx.text(job["task_name"], size="1", color_scheme="gray")),
                                        rx.table.cell(job["started"])),
               "No job is running.", "Jobs running now"),
        rx.heading("Failed jobs", as_="h3", size="3"),
        rx.text("Jobs that still failed after every retry, newest first; the reason names the kind of error, nothing "
                "personal. Retry puts a job back on the queue once.", size="2", color_scheme="gray"),
        form_alert(OPS.notice, color="green", icon="circle-check"),
        form_alert(OPS.errors["retry"]),
        _table(("Job", "Reason", "Tries", "Failed", ""), OPS.failures, failure_row,
               "No failed job. Jobs that fail after every retry appear here.", "Failed jobs"),
        spacing="2", width="100%", id="operations-queue",
    )


def providers_section() -> rx.Component:
    return rx.vstack(
        rx.heading("Providers and mail", as_="h2", size="5"),
        rx.text("Errors counted since the app started, by the provider's code.", size="2", color_scheme="gray"),
        rx.flex(
            rx.foreach(OPS.providers, lambda provider: rx.card(rx.vstack(
                rx.hstack(rx.text(provider["name"], weight="bold"),
                          rx.cond(provider["mode"] == "Sandbox", sandbox_badge(),
                                  rx.badge("Real service", color_scheme="green")), align="center"),
                rx.text("Errors: ", provider["errors"], size="2"),
                spacing="1"), class_name="operations-provider", min_width="14rem")),
            rx.card(rx.vstack(rx.text("Mail", weight="bold"),
                              rx.text("Mails that could not be sent: ", OPS.mail_failures, size="2"), spacing="1"),
                    min_width="14rem", id="operations-mail"),
            spacing="3", wrap="wrap",
        ),
        spacing="2", width="100%", id="operations-providers",
    )


def security_section() -> rx.Component:
    return rx.vstack(
        rx.heading("Recent security events", as_="h2", size="5"),
        rx.text("Refused sign-ins since the app started: ", OPS.signin_failures, size="2"),
        _table(("Event", "When", "Account"), OPS.security_events,
               lambda event: rx.table.row(rx.table.cell(event["kind"]), rx.table.cell(event["at"]),
                                          rx.table.cell(rx.code(event["actor"]))),
               "No security event yet.", "Recent security events"),
        spacing="2", width="100%", id="operations-security",
    )


@rx.page(route=routes.ADMIN_OPERATIONS, title="Admin · operations · Azekia Studio",
         on_load=[ShellState.load, OPS.load])
def admin_operations() -> rx.Component:
    return console_page(
        OPS.allowed, "Admin console: operations", routes.ADMIN_OPERATIONS,
        rx.text("Refreshed every few seconds while this page is open; last at ", OPS.refreshed, ".",
                size="1", color_scheme="gray", aria_live="polite"),
        health_section(),
        queue_section(),
        providers_section(),
        security_section(),
        spacing="5", width="100%", id="admin-operations",
    )
