"""Dashboard, projects, the project page and the invitations inbox."""

import datetime

import reflex as rx

from studio_app import routes
from studio_app.components.connections import project_channel_card
from studio_app.components.forms import form_alert, form_key_input, text_field
from studio_app.components.layout import public_page
from studio_app.components.media import media_section
from studio_app.components.publications import project_publications_card
from studio_app.components.thread import SAFE_LINK, thread_panel
from studio_app.state.media import MediaState
from studio_app.state.projects import (
    DashboardState,
    InvitationLinkState,
    InvitationsState,
    ProjectListState,
    ProjectState,
)
from studio_app.state.shell import ShellState
from studio_app.state.thread import ThreadState

STAGE_COLORS = {"brief": "gray", "derush": "amber", "editing": "blue", "review": "purple", "approved": "green",
                "scheduled": "cyan", "published": "grass", "cancelled": "red", "archived": "gray"}


def stage_badge(stage: rx.Var[str], label: rx.Var[str]) -> rx.Component:
    return rx.match(
        stage,
        *((value, rx.badge(label, color_scheme=color, variant="soft")) for value, color in STAGE_COLORS.items()),
        rx.badge(label),
    )


def signed_in_page(*children: rx.Component) -> rx.Component:
    return public_page(rx.vstack(*children, spacing="4", width="100%", padding_y="1.5rem"), signed_in=True)


def empty_state(text: str, *actions: rx.Component) -> rx.Component:
    return rx.vstack(rx.text(text, color_scheme="gray", size="2"), *actions, spacing="2", padding_y="1rem")


def project_link_row(row: dict) -> rx.Component:
    return rx.link(
        rx.hstack(rx.text(row["title"], weight="medium"), rx.spacer(), stage_badge(row["stage"], row["stage_label"]),
                  rx.text(row["deadline"], size="1", color_scheme="gray"), align="center", width="100%"),
        href=row["link"], underline="none", color=rx.color("gray", 12), width="100%", padding_y="0.4rem",
    )


def stat(label: str, value, **props) -> rx.Component:
    return rx.card(rx.vstack(rx.text(label, size="1", color_scheme="gray"), rx.text(value, size="6", weight="bold"),
                             spacing="1"), min_width="9rem", **props)


def producer_board() -> rx.Component:
    return rx.vstack(
        rx.flex(
            stat("Unread messages", DashboardState.unread_messages),
            stat("Invitations pending", DashboardState.invitations_sent),
            stat("Versions to review", DashboardState.versions_awaiting_review),
            rx.foreach(DashboardState.stage_counts, lambda row: stat(row["stage"], row["count"])),
            wrap="wrap", spacing="3",
        ),
        rx.card(rx.heading("Next deadlines", as_="h2", size="4"),
                rx.cond(DashboardState.deadlines.length() > 0,
                        rx.vstack(rx.foreach(DashboardState.deadlines, project_link_row), width="100%"),
                        empty_state("No deadlines yet.", rx.link("Create a project", href=routes.NEW_PROJECT))),
                width="100%"),
        rx.card(rx.heading("Milestones", as_="h2", size="4"),
                rx.cond(DashboardState.milestones.length() > 0,
                        rx.vstack(rx.foreach(DashboardState.milestones, milestone_line), width="100%"),
                        empty_state("No open milestones.")),
                width="100%"),
        width="100%", spacing="3",
    )


def editor_board() -> rx.Component:
    return rx.vstack(
        rx.flex(stat("Unread messages", DashboardState.unread_messages, id="unread-messages"),
                stat("Invitations", DashboardState.invitations.length()), wrap="wrap", spacing="3"),
        rx.card(rx.heading("Changes requested", as_="h2", size="4"),
                rx.cond(DashboardState.changes_requested.length() > 0,
                        rx.vstack(rx.foreach(DashboardState.changes_requested, project_link_row), width="100%"),
                        empty_state("Nothing to rework right now.")),
                width="100%"),
        rx.card(rx.heading("Your projects", as_="h2", size="4"),
                rx.cond(DashboardState.assigned.length() > 0,
                        rx.vstack(rx.foreach(DashboardState.assigned, project_link_row), width="100%"),
                        empty_state("No project yet. Complete your profile so producers find you.",
                                    rx.link("Edit my profile", href=routes.EDITOR_PROFILE))),
                width="100%"),
        width="100%", spacing="3",
    )


@rx.page(route=routes.DASHBOARD, title="Dashboard · Azekia Studio", on_load=[ShellState.load, DashboardState.load])
def dashboard() -> rx.Component:
    return signed_in_page(
        rx.heading("Dashboard", as_="h1", size="7"),
        rx.cond(DashboardState.loaded,
                rx.cond(DashboardState.role == "editor", editor_board(), producer_board()),
                rx.hstack(rx.spinner(), rx.text("Loading…"))),
    )


@rx.page(route=routes.PROJECTS, title="Projects · Azekia Studio", on_load=[ShellState.load, ProjectListState.load])
def project_list() -> rx.Component:
    return signed_in_page(
        rx.hstack(rx.heading("Projects", as_="h1", size="7"), rx.spacer(),
                  rx.cond(ShellState.role == "producer",
                          rx.link(rx.button("New project"), href=routes.NEW_PROJECT)), width="100%", align="center"),
        rx.card(
            rx.cond(ProjectListState.rows.length() > 0,
                    rx.vstack(rx.foreach(ProjectListState.rows, project_link_row), width="100%", id="project-list"),
                    empty_state(
                        "No projects yet.",
                        rx.cond(ShellState.role == "producer",
                                rx.link("Create your first project", href=routes.NEW_PROJECT),
                                rx.text("Invitations from producers appear under Invitations.", size="2")))),
            width="100%",
        ),
    )


def checkbox_field(label: str, name: str) -> rx.Component:
    # rx.checkbox wraps its box and text in one label: a label around it would leave the box unnamed.
    return rx.checkbox(label, name=name)


def producers_only() -> rx.Component:
    return rx.callout.root(
        rx.callout.icon(rx.icon("info")),
        rx.callout.text("Only producers create projects. Editors join the projects they are invited to: ",
                        rx.link("see your invitations", href=routes.INVITATIONS), "."),
        id="producers-only", width="100%", max_width="40rem",
    )


@rx.page(route=routes.NEW_PROJECT, title="New project · Azekia Studio",
         on_load=[ShellState.load, ProjectListState.new_form])
def new_project() -> rx.Component:
    return signed_in_page(
        rx.heading("New project", as_="h1", size="7"),
        rx.cond((ShellState.role != "producer") & (ShellState.role != ""), producers_only()),
        rx.card(
            rx.form(
                rx.vstack(
                    text_field("Title", "title", max_length=120, required=True, error=ProjectListState.errors["title"]),
                    rx.vstack(rx.el.label("Brief (Markdown)", html_for="field-brief", class_name="field-label"),
                              rx.text_area(id="field-brief", name="brief", rows="8", max_length=20000, width="100%"),
                              rx.cond(ProjectListState.errors["brief"],
                                      rx.text(ProjectListState.errors["brief"], color_scheme="red", size="2")),
                              spacing="1", width="100%"),
                    rx.text("Publish on", class_name="field-label"),
                    rx.hstack(checkbox_field("TikTok", "platform_tiktok"),
                              checkbox_field("Discord announcement", "platform_discord"), spacing="4"),
                    rx.el.label("Format", html_for="field-format", class_name="field-label"),
                    rx.el.select(rx.el.option("Vertical 9:16", value="vertical_9_16"),
                                 rx.el.option("Horizontal 16:9", value="horizontal_16_9"),
                                 rx.el.option("Square 1:1", value="square_1_1"),
                                 id="field-format", name="video_format", class_name="native-select"),
                    text_field("Deadline", "deadline", input_type="date", min=datetime.date.today().isoformat(),
                               error=ProjectListState.errors["deadline"]),
                    form_alert(ProjectListState.errors["form"]),
                    form_key_input(ProjectListState.form_key),
                    rx.button("Create project", type="submit", loading=ProjectListState.creating,
                              disabled=ProjectListState.creating),
                    spacing="3", width="100%", align="start",
                ),
                on_submit=ProjectListState.create, reset_on_submit=False,
            ),
            width="100%", max_width="40rem",
            display=rx.cond(ShellState.role == "producer", "block", "none"),  # the service refuses the others
        ),
    )


def milestone_line(row: dict) -> rx.Component:
    return rx.hstack(
        rx.cond(row["done"], rx.icon("circle-check", color=rx.color("grass", 9), size=18),
                rx.icon("circle", size=18, color=rx.cond(row["overdue"], rx.color("red", 9), rx.color("gray", 8)))),
        rx.text(row["title"], size="2", text_decoration=rx.cond(row["done"], "line-through", "none")),
        rx.cond(row["overdue"], rx.badge("Overdue", color_scheme="red")),
        rx.spacer(),
        rx.text(row["due"], size="1", color_scheme="gray"),
        rx.text(row["owner"], size="1", color_scheme="gray"),
        align="center", width="100%", class_name="milestone",
    )


def project_milestone(row: dict) -> rx.Component:
    return rx.hstack(
        milestone_line(row),
        rx.cond(~row["done"], rx.button("Done", size="1", variant="soft",
                                        on_click=ProjectState.complete_milestone(row["id"]))),
        width="100%", align="center",
    )


def producer_tools() -> rx.Component:
    return rx.cond(
        ProjectState.my_role == "producer",
        rx.vstack(
            rx.form(
                rx.hstack(
                    rx.input(name="title", placeholder="New milestone", aria_label="Milestone title", max_length=120,
                             required=True),
                    rx.input(name="due_on", type="date", aria_label="Due date", required=True),
                    rx.el.select(rx.foreach(ProjectState.members,
                                            lambda member: rx.el.option(member["name"], value=member["id"])),
                                 name="owner_id", aria_label="Owner", class_name="native-select"),
                    form_key_input(ProjectState.form_key),
                    rx.button("Add", type="submit", variant="soft", loading=ProjectState.adding_milestone,
                              disabled=ProjectState.adding_milestone),
                    wrap="wrap", spacing="2",
                ),
                on_submit=ProjectState.add_milestone,
            ),
            form_alert(ProjectState.errors["milestone"]),
            form_alert(ProjectState.errors["due_on"]),
            width="100%",
        ),
    )


def members_card() -> rx.Component:
    return rx.card(
        rx.heading("People", as_="h2", size="4"),
        rx.vstack(
            rx.foreach(ProjectState.members, lambda member: rx.hstack(
                rx.avatar(fallback=member["initials"], size="1", radius="full"),
                rx.text(member["name"], size="2"), rx.badge(member["role"], variant="soft"),
                rx.cond(member["discord"], rx.text("Discord: ", member["discord"], size="1", color_scheme="gray")),
                rx.spacer(),
                rx.cond((ProjectState.my_role == "producer") & (member["role"] == "editor"),
                        confirmation(
                            rx.button("Remove", size="1", variant="ghost", color_scheme="red",
                                      aria_label="Remove " + member["name"].to(str)),
                            "Remove " + member["name"].to(str) + " from the project?",
                            member["name"].to(str) + " loses access to “" + ProjectState.title + "”, its brief and "
                            "its thread at once. You can invite them again later.",
                            "Remove " + member["name"].to(str), ProjectState.remove_editor(member["id"]),
                            keep="Keep them")),
                align="center", width="100%")),
            width="100%", id="project-members",
        ),
        rx.cond(
            ProjectState.my_role == "producer",
            rx.form(
                rx.hstack(rx.input(name="email", type="email", placeholder="editor@example.com",
                                   aria_label="Editor's email", required=True, max_length=254, flex="1"),
                          form_key_input(ProjectState.form_key),
                          rx.button("Invite", type="submit", loading=ProjectState.inviting,
                                    disabled=ProjectState.inviting), width="100%"),
                on_submit=ProjectState.invite, reset_on_submit=True, width="100%", padding_top="0.75rem",
            ),
        ),
        form_alert(ProjectState.errors["invite"]),
        form_alert(ProjectState.errors["email"]),
        form_alert(ProjectState.errors["members"]),
        form_alert(ProjectState.notice, color="green", icon="circle-check"),
        width="100%",
    )


def confirmation(trigger: rx.Component, title, consequence, action_label, action, *,
                 keep: str = "Cancel") -> rx.Component:
    """A destructive action asks first, saying what happens; Escape or the first button keeps things as they are."""
    return rx.alert_dialog.root(
        rx.alert_dialog.trigger(trigger),
        rx.alert_dialog.content(
            rx.alert_dialog.title(title),
            rx.alert_dialog.description(consequence, size="2"),
            rx.flex(
                rx.alert_dialog.cancel(rx.button(keep, variant="soft", color_scheme="gray")),
                rx.alert_dialog.action(rx.button(action_label, color_scheme="red", on_click=action)),
                spacing="3", justify="end", wrap="wrap", margin_top="1rem",
            ),
            max_width="28rem",
        ),
    )


def stage_button(move: dict) -> rx.Component:
    button = rx.button(move["label"], size="1", variant="soft", on_click=ProjectState.change_stage(move["value"]))
    return rx.cond(
        move["value"] == "cancelled",
        confirmation(
            rx.button(move["label"], size="1", variant="soft", color_scheme="red"),
            "Cancel “" + ProjectState.title + "”?",
            "The project stops for everyone in it: no more stage moves, only archiving. Its brief, thread and "
            "files stay readable.",
            "Cancel the project", ProjectState.change_stage("cancelled"), keep="Keep the project"),
        button,
    )


def project_header() -> rx.Component:
    return rx.vstack(
        rx.hstack(rx.heading(ProjectState.title, as_="h1", size="7"),
                  stage_badge(ProjectState.stage, ProjectState.stage_label), align="center", wrap="wrap"),
        rx.text(ProjectState.video_format, " · ", ProjectState.platforms, " · Deadline: ", ProjectState.deadline,
                size="2", color_scheme="gray"),
        rx.cond(ProjectState.next_stages.length() > 0, rx.hstack(
            rx.text("Move to", size="2"),
            rx.foreach(ProjectState.next_stages, stage_button),
            spacing="2", wrap="wrap", align="center")),
        form_alert(ProjectState.errors["stage"]),
        spacing="2", width="100%",
    )


def brief_editor() -> rx.Component:
    return rx.form(
        rx.vstack(
            rx.text_area(name="brief", default_value=ProjectState.brief, rows="10", max_length=20000, width="100%",
                         aria_label="Brief"),
            form_alert(ProjectState.errors["brief"]),
            rx.hstack(rx.button("Save brief", type="submit"),
                      rx.button("Cancel", type="button", variant="soft", color_scheme="gray",
                                on_click=ProjectState.edit_brief(False))),
            width="100%",
        ),
        on_submit=ProjectState.save_brief, reset_on_submit=False, width="100%",
    )


def brief_card() -> rx.Component:
    return rx.card(
        rx.hstack(rx.heading("Brief", as_="h2", size="4"), rx.spacer(),
                  rx.cond((ProjectState.my_role == "producer") & ~ProjectState.editing_brief,
                          rx.button("Edit brief", size="1", variant="soft", on_click=ProjectState.edit_brief(True))),
                  width="100%", align="center"),
        rx.cond(
            ProjectState.editing_brief,
            brief_editor(),
            rx.cond(ProjectState.brief,
                    rx.box(rx.markdown(ProjectState.brief, use_raw=False, component_map=SAFE_LINK), id="brief"),
                    rx.text("No brief yet.", color_scheme="gray", size="2")),
        ),
        width="100%",
    )


def project_body() -> rx.Component:
    return rx.vstack(
        project_header(),
        rx.grid(
            rx.vstack(
                brief_card(),
                thread_panel(),
                spacing="3", width="100%", min_width="0",
            ),
            rx.vstack(
                members_card(),
                rx.box(project_channel_card(), key=ProjectState.project_id, width="100%"),
                rx.box(project_publications_card(), key=ProjectState.project_id, width="100%"),
                rx.card(rx.heading("Milestones", as_="h2", size="4"),
                        rx.cond(ProjectState.milestones.length() > 0,
                                rx.vstack(rx.foreach(ProjectState.milestones, project_milestone), width="100%"),
                                rx.text("No milestones yet.", color_scheme="gray", size="2")),
                        producer_tools(), width="100%"),
                rx.card(rx.heading("Activity", as_="h2", size="4"),
                        rx.vstack(rx.foreach(ProjectState.timeline, lambda entry: rx.text(
                            rx.text.strong(entry["who"]), " ", entry["what"], " ", entry["detail"], " · ",
                            entry["when"], size="1")), spacing="1", id="project-timeline"), width="100%"),
                spacing="3", width="100%", min_width="0",
            ),
            columns=rx.breakpoints(initial="1", md="3fr 2fr"),
            spacing="4", width="100%",
        ),
        media_section(),
        spacing="4", width="100%",
    )


@rx.page(route=routes.PROJECT, title="Project · Azekia Studio",
         on_load=[ShellState.load, ProjectState.load, ThreadState.open, MediaState.open])
def project_page() -> rx.Component:
    return signed_in_page(
        rx.cond(ProjectState.found, project_body(),
                empty_state("This project does not exist or you are not one of its members.",
                            rx.link("Back to your projects", href=routes.PROJECTS))),
    )


def invitation_card(row: dict) -> rx.Component:
    return rx.card(
        rx.hstack(
            rx.vstack(rx.text(row["project"], weight="bold"),
                      rx.text("From ", row["from"], " · expires ", row["expires"], size="1", color_scheme="gray"),
                      spacing="1"),
            rx.spacer(),
            rx.button("Decline", variant="soft", color_scheme="gray", on_click=InvitationsState.decline(row["id"])),
            rx.button("Accept", on_click=InvitationsState.accept(row["id"])),
            align="center", width="100%", wrap="wrap",
        ),
        width="100%", class_name="invitation",
    )


@rx.page(route=routes.INVITATIONS, title="Invitations · Azekia Studio",
         on_load=[ShellState.load, InvitationsState.load])
def invitations_page() -> rx.Component:
    return signed_in_page(
        rx.heading("Invitations", as_="h1", size="7"),
        form_alert(InvitationsState.errors["form"]),
        rx.cond(InvitationsState.rows.length() > 0,
                rx.vstack(rx.foreach(InvitationsState.rows, invitation_card), width="100%", spacing="2"),
                empty_state("No invitation waiting. Producers invite you from the editor directory.")),
    )


@rx.page(route=routes.INVITATION_LINK, title="Invitation · Azekia Studio",
         on_load=[ShellState.load, InvitationLinkState.check])
def invitation_link() -> rx.Component:
    return signed_in_page(
        rx.card(
            rx.vstack(
                rx.icon("mail-open", size=28, color=rx.color("accent", 10)),
                rx.heading("You are invited to a project", as_="h1", size="6"),
                rx.cond(
                    ~InvitationLinkState.checked,
                    rx.hstack(rx.spinner(), rx.text("Checking your invitation…", size="2")),
                    rx.cond(
                        InvitationLinkState.project != "",
                        rx.vstack(
                            rx.text(rx.text.strong(InvitationLinkState.producer), " invites you to edit ",
                                    rx.text.strong("“", InvitationLinkState.project, "”"), " with them on Azekia "
                                    "Studio. Join to see the brief and the project's thread.", size="2",
                                    id="invitation-summary"),
                            rx.text("This invitation is valid until ", InvitationLinkState.expires, ".", size="1",
                                    color_scheme="gray"),
                            form_alert(InvitationLinkState.errors["form"]),
                            rx.hstack(rx.button("Decline", variant="soft", color_scheme="gray",
                                                on_click=InvitationLinkState.decline),
                                      rx.button("Join the project", on_click=InvitationLinkState.accept)),
                            spacing="3", align="center",
                        ),
                        rx.vstack(form_alert(InvitationLinkState.errors["form"]),
                                  rx.link("See your invitations", href=routes.INVITATIONS, size="2"),
                                  spacing="3", align="center"),
                    ),
                ),
                spacing="3", align="center", text_align="center",
            ),
            size="4", max_width="32rem", margin_x="auto",
        ),
    )
