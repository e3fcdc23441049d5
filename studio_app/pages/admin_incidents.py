"""The admin console's incidents: list (with the 72-hour clock of each) and one incident, handled end to end."""

import reflex as rx

from studio_app import routes
from studio_app.components.forms import field_error, form_alert, text_field
from studio_app.pages.admin import labelled_area
from studio_app.pages.admin_console import console_page, not_an_admin
from studio_app.pages.admin_people import password_card
from studio_app.pages.projects import empty_state, signed_in_page
from studio_app.state.admin_incidents import AdminIncidentsState, IncidentState
from studio_app.state.shell import ShellState

LIST = AdminIncidentsState
ONE = IncidentState


def clock_badge(text: rx.Var, urgent: rx.Var, overdue: rx.Var | bool = False) -> rx.Component:
    return rx.badge(rx.icon("clock", size=14), text, color_scheme=rx.cond(overdue, "red", rx.cond(urgent, "amber",
                                                                                                   "gray")),
                    class_name="incident-clock")


def incident_row(row: dict) -> rx.Component:
    return rx.table.row(
        rx.table.cell(rx.link(row["title"], href=row["link"].to(str))),
        rx.table.cell(row["status"]), rx.table.cell(row["aware"]), rx.table.cell(row["risk"]),
        rx.table.cell(row["people"]), rx.table.cell(clock_badge(row["clock"], row["urgent"])),
    )


@rx.page(route=routes.ADMIN_INCIDENTS, title="Admin · incidents · Azekia Studio",
         on_load=[ShellState.load, LIST.load])
def admin_incidents() -> rx.Component:
    return console_page(
        LIST.allowed, "Admin console: incidents", routes.ADMIN_INCIDENTS,
        rx.text("A suspected breach of personal data: open an incident as soon as you know of it. The authority must "
                "have the report within 72 hours of that moment.", size="2", color_scheme="gray"),
        rx.card(rx.form(rx.vstack(
            rx.heading("Open an incident", as_="h2", size="4"),
            rx.cond(LIST.alert.contains("id"), rx.callout(
                rx.text("From the security alert “", LIST.alert["title"], "” (", LIST.alert["people"],
                        " accounts concerned): they become the affected people, the alert is acknowledged, and "
                        "closing the incident closes it."), icon="shield-alert", color_scheme="amber",
                id="incident-from-alert")),
            text_field("Title", "title", error=LIST.errors["title"], max_length=200, field_id="incident-title",
                       default_value=LIST.alert["title"].to(str)),
            labelled_area("What happened (no names: people are listed in the assessment)", "nature", "incident-nature",
                          LIST.errors["nature"], rows="3", max_length=4000,
                          default_value=LIST.alert["summary"].to(str)),
            text_field("Aware since (UTC; empty means now)", "aware_at", input_type="datetime-local",
                       error=LIST.errors["aware_at"], field_id="incident-aware"),
            form_alert(LIST.errors["open"]),
            rx.button("Open the incident", type="submit"),
            spacing="3", width="100%", align="start"), on_submit=LIST.open_incident, reset_on_submit=False,
            key=LIST.alert["id"].to(str)),  # the alert arrives after the form mounts: its defaults need a new form
            width="100%"),
        rx.cond(LIST.rows.length() > 0, rx.box(rx.table.root(
            rx.table.header(rx.table.row(*(rx.table.column_header_cell(name) for name in
                                           ("Incident", "Status", "Aware since", "Risk", "People", "Authority")))),
            rx.table.body(rx.foreach(LIST.rows, incident_row)), width="100%", size="1"),
            width="100%", overflow_x="auto"),
            empty_state("No incident so far. Opened and closed incidents are listed here.")),
        spacing="4", width="100%", id="admin-incidents")


def section(title: str, *children, **props) -> rx.Component:
    return rx.card(rx.vstack(rx.heading(title, as_="h2", size="4"), *children, spacing="3", width="100%",
                             align="start"), width="100%", **props)


def radio_group(legend: str, name: str, options: list[tuple[str, str]], error: rx.Var) -> rx.Component:
    return rx.vstack(rx.el.fieldset(
        rx.el.legend(legend, class_name="field-label"),
        rx.flex(*(rx.el.label(rx.flex(rx.el.input(type="radio", name=name, value=value), rx.text(label, size="2"),
                                      spacing="1", align="center")) for value, label in options),
                spacing="4", wrap="wrap"),
        border="none", padding="0", margin="0"), field_error(error, f"field-{name}"), spacing="1")


def assessment_form() -> rx.Component:
    errors = ONE.errors
    from_alert = rx.cond(ONE.incident["from_alert"].to(bool),
                         rx.el.option("The accounts of the security alert", value="alert"))
    return rx.form(rx.vstack(
        rx.el.label("Who is affected", html_for="field-rule", class_name="field-label"),
        rx.el.select(rx.el.option("Choose…", value=""),
                     from_alert,
                     *(rx.el.option(label, value=value) for value, label in
                       (("signed_in_between", "Everyone who signed in between two moments"),
                        ("project_members", "The members of a project"),
                        ("connection", "Everyone with a connected account of a provider"),
                        ("list", "A list of email addresses"), ("everyone", "Every account"))),
                     id="field-rule", name="rule", class_name="native-select"),
        field_error(errors["assess:rule"], "field-rule"),
        rx.flex(text_field("From (UTC)", "from", input_type="datetime-local", error=errors["assess:from"]),
                text_field("Until (UTC)", "until", input_type="datetime-local", error=errors["assess:until"]),
                spacing="3", width="100%", wrap="wrap"),
        text_field("Project id", "project_id", error=errors["assess:project_id"], hint="For the members of a project."),
        rx.el.select(rx.el.option("Provider…", value=""), rx.el.option("Discord", value="discord"),
                     rx.el.option("TikTok", value="tiktok"), name="provider", class_name="native-select",
                     aria_label="Provider"),
        field_error(errors["assess:provider"], "field-provider"),
        labelled_area("Email addresses, one a line (looked up, not kept)", "emails", "field-emails",
                      errors["assess:emails"], rows="3"),
        rx.el.fieldset(rx.el.legend("Categories of data concerned", class_name="field-label"),
                       rx.flex(rx.foreach(ONE.categories, lambda c: rx.el.label(rx.flex(
                           rx.el.input(type="checkbox", name="cat_" + c[0].to(str)), rx.text(c[1], size="2"),
                           spacing="1", align="center"))), spacing="3", wrap="wrap"),
                       border="none", padding="0", margin="0"),
        field_error(errors["assess:categories"], "field-categories"),
        radio_group("Was the data encrypted?", "data_encrypted", [("yes", "Yes"), ("no", "No")],
                    errors["assess:data_encrypted"]),
        radio_group("Are the keys safe?", "keys_safe", [("yes", "Yes"), ("no", "No")], errors["assess:keys_safe"]),
        radio_group("Risk to the people", "risk_level", [("low", "Low"), ("medium", "Medium"), ("high", "High")],
                    errors["assess:risk_level"]),
        labelled_area("Why this risk level", "risk_reasoning", "field-risk_reasoning", errors["assess:risk_reasoning"],
                      rows="2"),
        labelled_area("Likely consequences", "likely_consequences", "field-likely_consequences",
                      errors["assess:likely_consequences"], rows="2"),
        labelled_area("Measures proposed (optional)", "measures_proposed", "field-measures_proposed",
                      errors["assess:measures_proposed"], rows="2"),
        form_alert(errors["assess:form"]),
        rx.button("Save the assessment", type="submit"),
        spacing="2", width="100%", align="start"), on_submit=ONE.assess, reset_on_submit=False, width="100%")


def containment() -> rx.Component:
    steps = (("end_sessions", "End their sessions"), ("revoke_tokens", "Revoke their provider tokens"),
             ("suspend", "Suspend their accounts"), ("rotate_key", "Rotate the master key"),
             ("read_only", "Put the studio in read-only mode"))
    return section(
        "Containment",
        rx.text("Each step runs at once and is written in the timeline.", size="2", color_scheme="gray"),
        password_card(ONE, "a containment step"),
        rx.flex(*(rx.button(label, size="2", variant="soft", color_scheme="red", on_click=ONE.contain(step))
                  for step, label in steps), spacing="2", wrap="wrap"),
        rx.cond(ONE.read_only, rx.button("Lift read-only mode", size="2", on_click=ONE.lift_read_only)),
        form_alert(ONE.errors["contain"]),
    )


def report_section() -> rx.Component:
    inc = ONE.incident
    return section(
        "Report to the authority",
        clock_badge(inc["clock"], inc["urgent"], inc["overdue"]),
        rx.text("Due by ", inc["deadline"], ". Contact point and DPO come from the settings.", size="2"),
        rx.cond(inc["overdue"] & ~inc["reported"].to(bool), rx.form(rx.vstack(
            labelled_area("Why the report comes after 72 hours", "late_reason", "field-late_reason",
                          ONE.errors["report:late_reason"], rows="2", default_value=inc["late_reason"].to(str)),
            rx.button("Save the reason", type="submit", size="2"), align="start", width="100%"),
            on_submit=ONE.late_reason, reset_on_submit=False, width="100%")),
        rx.flex(rx.link(rx.button("Download the report (PDF)", size="2", variant="soft"), href=inc["pdf"].to(str),
                        is_external=True),
                rx.link(rx.button("Download as JSON", size="2", variant="soft"), href=inc["json"].to(str),
                        is_external=True),
                rx.cond(~inc["reported"].to(bool), rx.button("Mark as sent to the authority", size="2",
                                                            on_click=ONE.mark_reported)),
                spacing="2", wrap="wrap"),
        form_alert(ONE.errors["report:form"]),
    )


def notice_section() -> rx.Component:
    inc = ONE.incident
    fields = (("notice_nature", "What happened"), ("notice_consequences", "What could happen to them"),
              ("notice_measures", "What the studio did"), ("notice_advice", "What they should do"))
    return section(
        "Notice to the affected people",
        rx.cond(~inc["high"].to(bool),
                rx.text("People are notified when the risk to them is high.", size="2", color_scheme="gray"),
                rx.cond(inc["notified"], rx.vstack(
                    rx.text("Sent. Delivery per person:", size="2"),
                    rx.box(rx.table.root(
                        rx.table.header(rx.table.row(*(rx.table.column_header_cell(n) for n in
                                                       ("Person (id)", "Email", "In the app")))),
                        rx.table.body(rx.foreach(ONE.people, lambda p: rx.table.row(
                            rx.table.cell(p["id"]), rx.table.cell(p["email"]), rx.table.cell(p["in_app"])))),
                        size="1", width="100%"), width="100%", overflow_x="auto"), width="100%"),
                    rx.vstack(
                        rx.form(rx.vstack(
                            *(labelled_area(label, name, f"field-{name}", ONE.errors[f"notice:{name}"], rows="2",
                                            default_value=inc[name].to(str)) for name, label in fields),
                            rx.button("Save the notice", type="submit", size="2"), width="100%", align="start"),
                            on_submit=ONE.write_notice, reset_on_submit=False, width="100%"),
                        rx.button("Send to the ", inc["people"], " affected people", size="2",
                                  disabled=~inc["notice_written"].to(bool), on_click=ONE.send_notice),
                        width="100%", align="start"))),
        form_alert(ONE.errors["notice:form"]),
    )


def review_section() -> rx.Component:
    inc = ONE.incident
    fields = (("review_cause", "Cause"), ("review_fixes", "Fixes"), ("review_follow_ups", "Follow-ups"))
    return section(
        "Post-incident review",
        rx.cond(inc["open"], rx.form(rx.vstack(
            *(labelled_area(label, name, f"field-{name}", ONE.errors[f"review:{name}"], rows="2")
              for name, label in fields),
            form_alert(ONE.errors["review:form"]),
            rx.button("Close the incident", type="submit", size="2"), width="100%", align="start"),
            on_submit=ONE.close, reset_on_submit=False, width="100%"),
            rx.vstack(*(rx.text(rx.text.strong(label + ": "), inc[name], size="2") for name, label in fields))),
    )


@rx.page(route=routes.ADMIN_INCIDENT, title="Admin · incident · Azekia Studio",
         on_load=[ShellState.load, ONE.load])
def admin_incident() -> rx.Component:
    inc = ONE.incident
    return signed_in_page(rx.cond(ONE.allowed, rx.vstack(
        rx.link("All incidents", href=routes.ADMIN_INCIDENTS, size="2"),
        rx.heading(inc["title"], as_="h1", size="7"),
        rx.flex(rx.badge(inc["status"]), clock_badge(inc["clock"], inc["urgent"], inc["overdue"]),
                rx.text("Aware since ", inc["aware"], size="2", color_scheme="gray"), spacing="2", wrap="wrap",
                align="center"),
        rx.text(inc["nature"], white_space="pre-wrap"),
        rx.cond(inc["from_alert"].to(bool), rx.link("Opened from a security alert: see it", href=inc["alert"].to(str),
                                                  size="2", id="incident-alert-link")),
        form_alert(ONE.notice, color="green", icon="circle-check"),
        section("Assessment",
                rx.cond(inc["assessed"], rx.text(inc["people"], " people, about ", inc["records"], " records; ",
                                                 inc["categories"], "; risk ", inc["risk"], ": ", inc["reasoning"],
                                                 size="2")),
                rx.cond(inc["open"], assessment_form())),
        rx.cond(inc["open"], containment()),
        report_section(),
        notice_section(),
        review_section(),
        section("Timeline", rx.cond(inc["open"], rx.form(rx.flex(
            rx.box(text_field("Add a line", "note", error=ONE.errors["note:note"], field_id="incident-note"),
                   flex="1"),
            rx.button("Add", type="submit", size="2"), align="end", spacing="2", width="100%"),
            on_submit=ONE.add_note, reset_on_submit=True, width="100%")),
            rx.vstack(rx.foreach(ONE.timeline, lambda e: rx.text(rx.text.strong(e["at"]), " · ", e["text"],
                                                                 size="2")), spacing="1", id="incident-timeline")),
        spacing="4", width="100%", id="admin-incident"), not_an_admin()))
