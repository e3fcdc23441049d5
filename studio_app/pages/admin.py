"""The admin console: privacy requests, policy versions, product news, failed background jobs. Admins only (the
services decide)."""

import reflex as rx

from studio_app import routes
from studio_app.components.forms import field_error, form_alert, text_field
from studio_app.components.privacy_requests import status_badge
from studio_app.components.providers import sandbox_badge
from studio_app.components.thread import SAFE_LINK
from studio_app.pages.admin_console import console_page
from studio_app.pages.projects import checkbox_field, empty_state
from studio_app.state.admin_jobs import AdminJobsState
from studio_app.state.admin_privacy import AdminPrivacyState
from studio_app.state.admin_sandbox import AdminSandboxState
from studio_app.state.shell import ShellState

ERRORS = AdminPrivacyState.errors


def labelled_area(label: str, name: str, field_id: str, error: rx.Var, **props) -> rx.Component:
    return rx.vstack(
        rx.el.label(label, html_for=field_id, class_name="field-label"),
        rx.text_area(id=field_id, name=name, width="100%", aria_describedby=f"{field_id}-error", **props),
        field_error(error, field_id),
        spacing="1", width="100%",
    )


def answer_form(row: dict) -> rx.Component:
    scope = "answer:" + row["id"].to(str)
    return rx.form(
        rx.el.input(type="hidden", name="request_id", value=row["id"]),
        rx.vstack(
            rx.el.fieldset(
                rx.el.legend("Outcome", class_name="field-label"),
                rx.hstack(
                    rx.el.label(rx.flex(rx.el.input(type="radio", name="status", value="done"),
                                        rx.text("Honoured", size="2"), spacing="1", align="center")),
                    rx.el.label(rx.flex(rx.el.input(type="radio", name="status", value="refused"),
                                        rx.text("Refused", size="2"), spacing="1", align="center")),
                    spacing="4",
                ),
                border="none", padding="0", margin="0",
            ),
            field_error(ERRORS[scope + ":status"], row["form_id"].to(str) + "-status"),
            rx.el.label("Answer to the person", html_for=row["form_id"], class_name="field-label"),
            rx.text_area(id=row["form_id"], name="answer", rows="3", max_length=4000, width="100%"),
            field_error(ERRORS[scope + ":answer"], row["form_id"].to(str)),
            form_alert(ERRORS[scope + ":form"]),
            rx.button("Send the answer", type="submit", size="2"),
            spacing="2", width="100%", align="start",
        ),
        on_submit=AdminPrivacyState.answer, reset_on_submit=False, width="100%",
    )


def request_item(row: dict) -> rx.Component:
    return rx.card(
        rx.vstack(
            rx.flex(
                rx.text(row["label"], weight="bold"), status_badge(row),
                rx.cond(row["overdue"], rx.badge("Overdue", color_scheme="red", class_name="overdue")),
                rx.cond(row["by_email"], rx.badge("Email: ", row["by_email"], color_scheme="blue", variant="soft",
                                                  class_name="by-email")),
                spacing="2", align="center", wrap="wrap",
            ),
            rx.text("From ", row["person"], " · received ", row["created"], " · answer due by ", row["due"], size="1",
                    color_scheme="gray"),
            rx.text(row["details"], size="2", white_space="pre-wrap"),
            answer_form(row),
            spacing="2", width="100%",
        ),
        width="100%", class_name="admin-request",
    )


def requests_section() -> rx.Component:
    return rx.vstack(
        rx.heading("Open privacy requests", as_="h2", size="5"),
        rx.text("Nearest deadline first. The person is mailed the answer and sees it in their privacy center.",
                size="2", color_scheme="gray"),
        rx.cond(AdminPrivacyState.requests.length() > 0,
                rx.vstack(rx.foreach(AdminPrivacyState.requests, request_item), width="100%", spacing="2"),
                empty_state("No open request. New ones appear here with their one-month deadline.")),
        spacing="2", width="100%", id="admin-requests",
    )


def policy_section() -> rx.Component:
    return rx.vstack(
        rx.heading("Publish a new policy version", as_="h2", size="5"),
        rx.text("The next version is number ", AdminPrivacyState.newest_version + 1, ". Versions are never edited; "
                "earlier ones stay readable. A significant change shows a banner to everyone and is mailed once.",
                size="2", color_scheme="gray"),
        rx.card(
            rx.form(
                rx.vstack(
                    labelled_area("Policy text (Markdown, no HTML)", "body_markdown", "policy-body",
                                  ERRORS["policy:body_markdown"], rows="16", default_value=AdminPrivacyState.draft_body,
                                  on_change=AdminPrivacyState.set_preview.debounce(400), font_family="monospace"),
                    text_field("What changed (shown in the banner and the email)", "change_summary",
                               error=ERRORS["policy:change_summary"], max_length=300, field_id="policy-summary"),
                    checkbox_field("Significant change (banner and email to everyone)", "significant"),
                    text_field("Applies from", "effective_at", input_type="date", error=ERRORS["policy:effective_at"],
                               default_value=AdminPrivacyState.today, field_id="policy-effective-at",
                               hint="Today applies it at once."),
                    form_alert(ERRORS["policy:form"]),
                    rx.button("Publish this version", type="submit"),
                    spacing="3", width="100%", align="start",
                ),
                on_submit=AdminPrivacyState.publish, reset_on_submit=False, key=AdminPrivacyState.policy_form_key,
            ),
            width="100%",
        ),
        rx.heading("Preview", as_="h3", size="3"),
        rx.card(rx.markdown(AdminPrivacyState.preview, use_raw=False, component_map=SAFE_LINK), width="100%",
                id="policy-preview", max_height="32rem", overflow_y="auto",
                # A region that scrolls is reachable by keyboard.
                tab_index=0, role="region", aria_label="Preview of the policy"),
        spacing="2", width="100%", id="admin-policy",
    )


def news_row(row: dict) -> rx.Component:
    return rx.table.row(rx.table.cell(row["subject"]), rx.table.cell(row["created"]), rx.table.cell(row["status"]),
                        rx.table.cell(row["recipients"]))


def news_section() -> rx.Component:
    return rx.vstack(
        rx.heading("Product news", as_="h2", size="5"),
        rx.text("Mailed only to people who agreed to product news, checked again as each batch is sent.",
                size="2", color_scheme="gray"),
        rx.card(
            rx.form(
                rx.vstack(
                    text_field("Subject", "subject", error=ERRORS["news:subject"], max_length=150,
                               field_id="news-subject"),
                    labelled_area("News (Markdown; sent as plain text)", "body_markdown", "news-body",
                                  ERRORS["news:body_markdown"], rows="6", max_length=20000),
                    form_alert(ERRORS["news:form"]),
                    rx.button("Send to everyone who agreed", type="submit"),
                    spacing="3", width="100%", align="start",
                ),
                on_submit=AdminPrivacyState.send_news, reset_on_submit=False, key=AdminPrivacyState.news_form_key,
            ),
            width="100%",
        ),
        rx.cond(
            AdminPrivacyState.news.length() > 0,
            rx.box(rx.table.root(
                rx.table.header(rx.table.row(*(rx.table.column_header_cell(name) for name in
                                               ("Subject", "Written", "Status", "Received")))),
                rx.table.body(rx.foreach(AdminPrivacyState.news, news_row)),
                width="100%", size="1",
            ), width="100%", overflow_x="auto"),
            empty_state("No product news sent yet."),
        ),
        spacing="2", width="100%", id="admin-news",
    )


@rx.page(route=routes.ADMIN_PRIVACY, title="Admin · privacy · Azekia Studio",
         on_load=[ShellState.load, AdminPrivacyState.load])
def admin_privacy() -> rx.Component:
    return console_page(
        AdminPrivacyState.allowed, "Admin console: privacy", routes.ADMIN_PRIVACY,
        form_alert(AdminPrivacyState.notice, color="green", icon="circle-check"),
        requests_section(),
        policy_section(),
        news_section(),
        spacing="5", width="100%",
    )


def failure_item(row: dict) -> rx.Component:
    return rx.table.row(
        rx.table.cell(rx.text(row["task"], weight="bold"), rx.text(row["task_name"], size="1", color_scheme="gray")),
        rx.table.cell(row["arguments"], word_break="break-all"),
        rx.table.cell(row["error"]),
        rx.table.cell(row["attempts"]),
        rx.table.cell(row["failed"]),
        rx.table.cell(rx.cond(
            row["retried"],
            rx.badge("Retried", color_scheme="gray"),
            rx.button("Retry", size="1", on_click=AdminJobsState.retry(row["id"]),
                      aria_label="Retry " + row["task"].to(str)),
        )),
    )


@rx.page(route=routes.ADMIN_JOBS, title="Admin · background jobs · Azekia Studio",
         on_load=[ShellState.load, AdminJobsState.load])
def admin_jobs() -> rx.Component:
    return console_page(
        AdminJobsState.allowed, "Admin console: failed background jobs", routes.ADMIN_JOBS,
        rx.text("Jobs that still failed after every retry, newest first. The reason names the kind of error; "
                "nothing personal is kept. Retry puts the job back on the queue once.",
                size="2", color_scheme="gray"),
        form_alert(AdminJobsState.notice, color="green", icon="circle-check"),
        form_alert(AdminJobsState.errors["retry"]),
        rx.cond(
            AdminJobsState.failures.length() > 0,
            rx.box(rx.table.root(
                rx.table.header(rx.table.row(*(rx.table.column_header_cell(name) for name in
                                               ("Job", "Arguments", "Reason", "Tries", "Failed", "")))),
                rx.table.body(rx.foreach(AdminJobsState.failures, failure_item)),
                width="100%", size="1",
            ), width="100%", overflow_x="auto"),
            empty_state("No failed job. Jobs that fail after every retry appear here."),
        ),
        spacing="4", width="100%", id="admin-jobs",
    )


SANDBOX = AdminSandboxState


def _labelled_select(label: str, name: str, options: rx.Component, error: rx.Var) -> rx.Component:
    return rx.vstack(
        rx.el.label(label, html_for=f"field-{name}", class_name="field-label"),
        rx.el.select(options, id=f"field-{name}", name=name, class_name="native-select",
                     aria_describedby=f"field-{name}-error"),
        field_error(error, f"field-{name}"),
        spacing="1",
    )


def fault_form() -> rx.Component:
    return rx.form(
        rx.flex(
            _labelled_select("Call", "route", rx.foreach(SANDBOX.routes, lambda route: rx.el.option(route,
                                                                                                   value=route)),
                             SANDBOX.errors["route"]),
            _labelled_select("Fault", "kind", rx.foreach(SANDBOX.kinds, lambda kind: rx.el.option(kind[1],
                                                                                                 value=kind[0])),
                             SANDBOX.errors["kind"]),
            rx.box(text_field("Times", "times", error=SANDBOX.errors["times"], input_type="number", min="1",
                              max="100", default_value="1"), width="7rem"),
            rx.button("Inject the fault", type="submit", size="2"),
            wrap="wrap", spacing="3", align="end",
        ),
        form_alert(SANDBOX.errors["form"]),
        on_submit=SANDBOX.inject, reset_on_submit=False, width="100%",
    )


def _table(headers: tuple[str, ...], rows: rx.Var, row: callable, empty: str) -> rx.Component:
    return rx.cond(
        rows.length() > 0,
        rx.box(rx.table.root(
            rx.table.header(rx.table.row(*(rx.table.column_header_cell(name) for name in headers))),
            rx.table.body(rx.foreach(rows, row)), width="100%", size="1",
        ), width="100%", overflow_x="auto"),
        empty_state(empty),
    )


def sandbox_panel() -> rx.Component:
    return rx.vstack(
        rx.flex(
            rx.foreach(SANDBOX.providers, lambda provider: rx.card(rx.hstack(
                rx.text(provider["name"], weight="bold"),
                rx.cond(provider["mode"] == "Sandbox", sandbox_badge(), rx.badge("Real service", color_scheme="green")),
                align="center"))),
            spacing="3", wrap="wrap",
        ),
        form_alert(SANDBOX.problem),
        form_alert(SANDBOX.notice, color="green", icon="circle-check"),
        rx.heading("Inject a fault", as_="h2", size="4"),
        rx.text("The next calls of that kind get the fault instead of the normal answer, as many times as asked.",
                size="2", color_scheme="gray"),
        fault_form(),
        rx.heading("Faults waiting", as_="h2", size="4"),
        _table(("Call", "Fault", "Times left"), SANDBOX.faults,
               lambda fault: rx.table.row(rx.table.cell(fault["route"]), rx.table.cell(fault["kind"]),
                                          rx.table.cell(fault["times"])),
               "No fault is waiting: every call gets a normal answer."),
        rx.button("Clear every fault", size="2", variant="soft", on_click=SANDBOX.clear,
                  disabled=SANDBOX.faults.length() == 0),
        form_alert(SANDBOX.errors["clear"]),
        rx.heading("Last calls", as_="h2", size="4"),
        _table(("Call", "Method", "Answer"), SANDBOX.calls,
               lambda call: rx.table.row(rx.table.cell(call["route"]), rx.table.cell(call["method"]),
                                         rx.table.cell(call["status"])),
               "No call yet. Connecting an account or publishing makes some."),
        spacing="3", width="100%", align="start",
    )


@rx.page(route=routes.ADMIN_SANDBOX, title="Admin · provider sandbox · Azekia Studio",
         on_load=[ShellState.load, SANDBOX.load])
def admin_sandbox() -> rx.Component:
    return console_page(
        SANDBOX.allowed, "Admin console: provider sandbox", routes.ADMIN_SANDBOX,
        rx.text("Providers without real credentials are emulated by the local sandbox: nothing reaches the "
                "real Discord or TikTok. Faults injected here rehearse their outages.",
                size="2", color_scheme="gray"),
        rx.cond(SANDBOX.uses_sandbox, sandbox_panel(),
                empty_state("No provider uses the sandbox: Discord and TikTok both have real credentials.")),
        spacing="4", width="100%", id="admin-sandbox",
    )
