"""The admin console's people (/admin/people) and disclosure register (/admin/disclosures). Admins only (the
services decide)."""

import reflex as rx

from studio_app import routes
from studio_app.components.forms import field_error, form_alert, text_field
from studio_app.components.thread import SAFE_LINK
from studio_app.pages.admin import labelled_area
from studio_app.pages.admin_console import console_page
from studio_app.pages.projects import empty_state
from studio_app.services.disclosures import CATEGORY_NAMES
from studio_app.state.admin_disclosures import AdminDisclosuresState
from studio_app.state.admin_people import AdminPeopleState
from studio_app.state.shell import ShellState

PEOPLE = AdminPeopleState
REGISTER = AdminDisclosuresState


def password_card(state, purpose: str) -> rx.Component:
    return rx.card(
        rx.form(
            rx.flex(
                rx.box(text_field("Your password", "password", input_type="password",
                                  autocomplete="current-password", error=state.errors["password"],
                                  field_id=f"{purpose}-password",
                                  hint="Asked again before " + purpose + "; valid for 10 minutes."),
                       flex="1", min_width="14rem"),
                rx.button("Confirm my password", type="submit", size="3"),
                spacing="3", align="end", wrap="wrap",
            ),
            on_submit=state.confirm_password, reset_on_submit=True,
        ),
        width="100%",
    )


def reason_form(label: str, button: str, handler, scope: str, *, color: str = "red") -> rx.Component:
    field_id = f"{scope}-reason"
    return rx.form(
        rx.vstack(
            rx.el.label(label, html_for=field_id, class_name="field-label"),
            rx.text_area(id=field_id, name="reason", rows="2", max_length=1000, width="100%",
                         aria_describedby=f"{field_id}-error"),
            field_error(PEOPLE.errors[scope], field_id),
            rx.button(button, type="submit", size="2", color_scheme=color, variant="soft"),
            spacing="1", width="100%", align="start",
        ),
        on_submit=handler, reset_on_submit=True, width="100%",
    )


def _table(headers: tuple[str, ...], rows, row, empty: str) -> rx.Component:
    return rx.cond(
        rows.length() > 0,
        rx.box(rx.table.root(
            rx.table.header(rx.table.row(*(rx.table.column_header_cell(name) for name in headers))),
            rx.table.body(rx.foreach(rows, row)), width="100%", size="1",
        ), width="100%", overflow_x="auto"),
        empty_state(empty),
    )


def _cells(*keys: str):
    return lambda item: rx.table.row(*(rx.table.cell(item[key]) for key in keys))


def role_section() -> rx.Component:
    remove = rx.form(
        rx.flex(
            rx.el.label("Make this admin a", html_for="new-role", class_name="field-label"),
            rx.el.select(rx.el.option("Producer", value="producer"), rx.el.option("Editor", value="editor"),
                         id="new-role", name="new_role", class_name="native-select"),
            rx.button("Remove the admin role", type="submit", size="2", variant="soft", color_scheme="red"),
            spacing="2", align="center", wrap="wrap",
        ),
        on_submit=PEOPLE.remove_admin, reset_on_submit=False,
    )
    return rx.vstack(
        rx.heading("Role", as_="h3", size="3"),
        rx.cond(
            PEOPLE.is_admin,
            rx.cond(PEOPLE.is_me, rx.text("Another admin must remove your own admin role.", size="2"), remove),
            rx.cond(PEOPLE.user["pending"] != "",
                    rx.text("A request to make this account an admin waits for another admin.", size="2"),
                    rx.button("Make this account an admin", size="2", variant="soft", on_click=PEOPLE.grant_admin)),
        ),
        rx.text("With more than one admin, another admin approves the grant.", size="1", color_scheme="gray"),
        form_alert(PEOPLE.errors["role"]),
        spacing="2", width="100%", align="start",
    )


def read_project_form() -> rx.Component:
    return rx.form(
        rx.vstack(
            rx.el.label("Project", html_for="read-project", class_name="field-label"),
            rx.el.select(rx.foreach(PEOPLE.projects, lambda row: rx.el.option(
                row["id"].to(str)[:8] + " · " + row["stage"] + " · " + row["role"], value=row["id"])),
                id="read-project", name="project_id", class_name="native-select"),
            rx.el.label("Why you need to read it (its members will see this)", html_for="read-reason",
                        class_name="field-label"),
            rx.text_area(id="read-reason", name="reason", rows="2", max_length=1000, width="100%",
                         aria_describedby="read-reason-error"),
            field_error(PEOPLE.errors["read"], "read-reason"),
            rx.button("Read the brief and thread", type="submit", size="2", variant="soft"),
            spacing="1", width="100%", align="start",
        ),
        on_submit=PEOPLE.read_project, reset_on_submit=False, width="100%",
    )


def project_reader() -> rx.Component:
    return rx.card(
        rx.vstack(
            rx.flex(rx.heading(PEOPLE.project["title"], as_="h3", size="4"), rx.badge("Read-only"),
                    rx.spacer(), rx.button("Close", size="1", variant="soft", on_click=PEOPLE.close_project),
                    spacing="2", align="center", width="100%"),
            rx.text("Stage: ", PEOPLE.project["stage"], " · members: ",
                    rx.foreach(PEOPLE.members, lambda member: rx.text.span(member["name"], " (", member["role"],
                                                                           ") ")), size="2"),
            rx.heading("Brief", as_="h4", size="3"),
            rx.markdown(PEOPLE.project["brief"], use_raw=False, component_map=SAFE_LINK),
            rx.heading("Thread", as_="h4", size="3"),
            rx.cond(PEOPLE.messages.length() > 0,
                    rx.vstack(rx.foreach(PEOPLE.messages, lambda line: rx.box(
                        rx.text(line["author"], " · ", line["when"], size="1", color_scheme="gray"),
                        rx.text(line["body"], size="2", white_space="pre-wrap"))), spacing="2", width="100%"),
                    empty_state("No message in this thread.")),
            spacing="2", width="100%", align="start",
        ),
        width="100%", id="admin-project-reader",
    )


def user_card() -> rx.Component:
    user = PEOPLE.user
    return rx.card(
        rx.vstack(
            rx.flex(rx.heading(user["name"], as_="h2", size="5"), rx.badge(user["role"]),
                    rx.cond(PEOPLE.is_suspended, rx.badge("Suspended", color_scheme="red"),
                            rx.badge("Active", color_scheme="green")),
                    spacing="2", align="center", wrap="wrap"),
            rx.text(user["email"], " · signed up ", user["created"], " · email confirmed: ", user["verified"],
                    size="2", color_scheme="gray"),
            rx.text(user["status"], size="2", id="account-status"),
            rx.cond(user["reason"] != "", rx.text("Reason: ", user["reason"], size="2")),
            rx.heading("Sessions", as_="h3", size="3"),
            rx.text(user["live_sessions"], " signed in now · last seen ", user["last_seen"], size="2"),
            _table(("Device", "Network", "Signed in", "Last used"), PEOPLE.sessions,
                   _cells("device", "place", "since", "last"), "Not signed in anywhere."),
            rx.heading("Connected accounts", as_="h3", size="3"),
            _table(("Service", "Status", "Since"), PEOPLE.connections, _cells("provider", "status", "since"),
                   "No connected account."),
            rx.heading("Actions", as_="h3", size="3"),
            rx.cond(
                PEOPLE.is_suspended,
                reason_form("Why restore this account", "Restore the account", PEOPLE.restore, "restore",
                            color="green"),
                rx.cond(PEOPLE.is_me, rx.fragment(),
                        reason_form("Why suspend this account (kept, and shown to other admins)",
                                    "Suspend the account", PEOPLE.suspend, "suspend")),
            ),
            reason_form("Why sign this account out everywhere", "Sign out everywhere", PEOPLE.sign_out, "sign_out",
                        color="amber"),
            role_section(),
            rx.heading("Projects", as_="h3", size="3"),
            rx.text("Their content stays closed: reading one takes a reason, which its members see.", size="2",
                    color_scheme="gray"),
            rx.cond(PEOPLE.projects.length() > 0, read_project_form(), empty_state("No project.")),
            spacing="3", width="100%", align="start",
        ),
        width="100%", id="admin-user",
    )


def requests_list() -> rx.Component:
    return rx.vstack(
        rx.heading("Admin role requests", as_="h2", size="5"),
        form_alert(PEOPLE.errors["requests"]),
        rx.cond(
            PEOPLE.requests.length() > 0,
            rx.vstack(rx.foreach(PEOPLE.requests, lambda row: rx.card(rx.flex(
                rx.text("Make ", rx.text.strong(row["user"]), " an admin · asked by ", row["by"], " on ", row["when"],
                        size="2", flex="1"),
                rx.cond(row["mine"], rx.text("Another admin approves it.", size="1", color_scheme="gray"),
                        rx.button("Approve", size="1", on_click=PEOPLE.approve(row["id"]))),
                rx.button("Cancel", size="1", variant="soft", color_scheme="gray", on_click=PEOPLE.cancel(row["id"])),
                spacing="2", align="center", wrap="wrap"), width="100%")), width="100%", spacing="2"),
            empty_state("No request waits."),
        ),
        spacing="2", width="100%",
    )


@rx.page(route=routes.ADMIN_PEOPLE, title="Admin · people · Azekia Studio", on_load=[ShellState.load, PEOPLE.load])
def admin_people() -> rx.Component:
    return console_page(
        PEOPLE.allowed, "Admin console: people", routes.ADMIN_PEOPLE,
        form_alert(PEOPLE.notice, color="green", icon="circle-check"),
        password_card(PEOPLE, "suspending, changing a role or reading a project"),
        rx.form(
            rx.flex(
                rx.box(text_field("Email address of the account", "email", input_type="email",
                                  error=PEOPLE.errors["find"], field_id="find-email",
                                  hint="The exact address: accounts are never listed."),
                       flex="1", min_width="14rem"),
                rx.button("Find", type="submit", size="3"),
                spacing="3", align="end", wrap="wrap",
            ),
            on_submit=PEOPLE.find, reset_on_submit=False, width="100%",
        ),
        rx.cond(PEOPLE.found, user_card(),
                rx.cond(PEOPLE.searched, empty_state("No account has this email address."))),
        rx.cond(PEOPLE.project["id"], project_reader()),
        requests_list(),
        spacing="4", width="100%", id="admin-people",
    )


# -- the disclosure register -------------------------------------------------------------------------


def disclosure_form() -> rx.Component:
    errors = REGISTER.errors
    return rx.card(
        rx.form(
            rx.vstack(
                text_field("Email of the person concerned", "subject_email", input_type="email",
                           error=errors["subject_email"], field_id="disclosure-email"),
                rx.flex(
                    text_field("Request received on", "received_on", input_type="date", error=errors["received_on"],
                               field_id="disclosure-received"),
                    text_field("Data disclosed on", "disclosed_on", input_type="date", error=errors["disclosed_on"],
                               field_id="disclosure-disclosed"),
                    spacing="3", width="100%", direction=rx.breakpoints(initial="column", sm="row"),
                ),
                text_field("Authority", "authority", error=errors["authority"], max_length=200,
                           field_id="disclosure-authority"),
                text_field("Legal basis", "legal_basis", error=errors["legal_basis"], max_length=200,
                           field_id="disclosure-basis", hint="The law or order the request rests on."),
                text_field("Reference", "reference", error=errors["reference"], max_length=200,
                           field_id="disclosure-reference", hint="The authority's case or file number."),
                labelled_area("Data requested", "data_requested", "disclosure-requested", errors["data_requested"],
                              rows="3", max_length=2000),
                rx.el.fieldset(
                    rx.el.legend("Data disclosed (the export holds exactly these)", class_name="field-label"),
                    rx.vstack(*(rx.checkbox(label[:1].upper() + label[1:], name=f"category_{name}")
                                for name, label in CATEGORY_NAMES.items()), spacing="1"),
                    border="none", padding="0", margin="0",
                ),
                field_error(errors["categories"], "disclosure-categories"),
                text_field("Approved by", "approver", error=errors["approver"], max_length=200,
                           field_id="disclosure-approver"),
                rx.checkbox("The request forbids telling the person", name="forbids_informing"),
                labelled_area("If so, why (the order's words)", "not_informed_reason", "disclosure-not-informed",
                              errors["not_informed_reason"], rows="2", max_length=1000),
                form_alert(errors["form"]),
                rx.button("Record the disclosure", type="submit", size="3"),
                spacing="3", width="100%", align="stretch",
            ),
            on_submit=REGISTER.record, reset_on_submit=False, key=REGISTER.form_key,
        ),
        width="100%",
    )


def register_entry(row: dict) -> rx.Component:
    return rx.card(
        rx.vstack(
            rx.flex(rx.text(row["authority"], weight="bold"), rx.text("ref. ", row["reference"], size="2"),
                    spacing="2", wrap="wrap", align="center"),
            rx.text("Received ", row["received"], " · disclosed ", row["disclosed"], " · approved by ",
                    row["approver"], size="2", color_scheme="gray"),
            rx.text("Legal basis: ", row["basis"], size="2"),
            rx.text("Requested: ", row["requested"], size="2", white_space="pre-wrap"),
            rx.text("Disclosed: ", row["categories"], size="2"),
            rx.text(row["informed"], size="2"),
            rx.cond(row["export"] != "",
                    rx.link("Export the disclosed data (ZIP)", href=row["export"].to(str), size="2"),
                    rx.text("The person's account was erased: nothing left to export.", size="2")),
            spacing="1", width="100%", align="start",
        ),
        width="100%", class_name="disclosure-entry",
    )


@rx.page(route=routes.ADMIN_DISCLOSURES, title="Admin · disclosures · Azekia Studio",
         on_load=[ShellState.load, REGISTER.load])
def admin_disclosures() -> rx.Component:
    return console_page(
        REGISTER.allowed, "Admin console: disclosures to authorities", routes.ADMIN_DISCLOSURES,
        rx.text("Each request from an authority, and exactly what was handed over. The person is told by "
                "email and in the app, unless the request forbids it.", size="2", color_scheme="gray"),
        form_alert(REGISTER.notice, color="green", icon="circle-check"),
        password_card(REGISTER, "recording or exporting a disclosure"),
        rx.heading("Record a disclosure", as_="h2", size="5"),
        disclosure_form(),
        rx.heading("Register", as_="h2", size="5"),
        rx.cond(REGISTER.entries.length() > 0,
                rx.vstack(rx.foreach(REGISTER.entries, register_entry), spacing="2", width="100%"),
                empty_state("No disclosure recorded.")),
        spacing="4", width="100%", id="admin-disclosures",
    )
