"""The editor's profile and the producers' directory of editors."""

import reflex as rx

from studio_app import routes
from studio_app.components.forms import form_alert, text_field
from studio_app.pages.projects import empty_state, signed_in_page
from studio_app.services.profiles import CURRENCIES, LANGUAGES, SKILLS, SOFTWARE
from studio_app.state.hiring import AVAILABILITY_LABELS, DirectoryState, ProfileState
from studio_app.state.shell import ShellState


def native_select(name: str, label: str, options: list[tuple[str, str]], value=None, **props) -> rx.Component:
    return rx.vstack(
        rx.el.label(label, html_for=f"field-{name}", class_name="field-label"),
        rx.el.select(*(rx.el.option(text, value=key) for key, text in options), id=f"field-{name}", name=name,
                     class_name="native-select", **({"default_value": value} if value is not None else {}), **props),
        spacing="1",
    )


def choice_boxes(prefix: str, choices: tuple[str, ...], chosen: rx.Var[list[str]]) -> rx.Component:
    return rx.flex(
        *(rx.checkbox(choice, name=f"{prefix}_{choice}", default_checked=chosen.contains(choice), spacing="1")
          for choice in choices),
        wrap="wrap", spacing="3",
    )


def profile_form() -> rx.Component:
    return rx.form(
        rx.vstack(
            text_field("Headline", "headline", max_length=140, default_value=ProfileState.headline,
                       error=ProfileState.errors["headline"], hint="What you do best, in one line."),
            rx.text("Skills", class_name="field-label"),
            choice_boxes("skill", SKILLS, ProfileState.skills),
            form_alert(ProfileState.errors["skills"]),
            rx.text("Software", class_name="field-label"),
            choice_boxes("software", SOFTWARE, ProfileState.software),
            text_field("Languages", "languages", default_value=ProfileState.languages,
                       error=ProfileState.errors["languages"], hint="Codes separated by commas, like en, fr, es."),
            rx.vstack(rx.el.label("Portfolio links (one per line, https)", html_for="field-links",
                                  class_name="field-label"),
                      rx.text_area(id="field-links", name="links", default_value=ProfileState.links, rows="3",
                                   width="100%"),
                      form_alert(ProfileState.errors["portfolio_links"]), spacing="1", width="100%"),
            rx.flex(
                text_field("Day rate", "day_rate", input_type="number", min="0", default_value=ProfileState.day_rate,
                           error=ProfileState.errors["day_rate_cents"]),
                native_select("currency", "Currency", [(code, code) for code in CURRENCIES], ProfileState.currency),
                native_select("availability", "Availability", list(AVAILABILITY_LABELS.items()),
                              ProfileState.availability),
                spacing="3", wrap="wrap", align="end",
            ),
            rx.checkbox("Show my profile in the directory", name="listed", default_checked=ProfileState.listed),
            form_alert(ProfileState.errors["form"]),
            form_alert(ProfileState.saved, color="green", icon="circle-check"),
            rx.button("Save profile", type="submit"),
            spacing="3", width="100%", align="start",
        ),
        on_submit=ProfileState.save, reset_on_submit=False,
        key=ProfileState.headline,
    )


@rx.page(route=routes.EDITOR_PROFILE, title="My profile · Azekia Studio", on_load=[ShellState.load, ProfileState.load])
def editor_profile() -> rx.Component:
    return signed_in_page(
        rx.heading("My editor profile", as_="h1", size="7"),
        rx.text("Producers find you in the directory by skill, language, software, rate and availability.",
                color_scheme="gray", size="2"),
        rx.card(rx.cond(ProfileState.loaded, profile_form(), rx.spinner()), width="100%", max_width="48rem"),
    )


def filters_form() -> rx.Component:
    any_option = [("", "Any")]
    return rx.form(
        rx.flex(
            native_select("skill", "Skill", any_option + [(skill, skill) for skill in SKILLS]),
            native_select("language", "Language", any_option + [(code, code.upper()) for code in LANGUAGES]),
            native_select("software", "Software", any_option + [(name, name) for name in SOFTWARE]),
            native_select("availability", "Availability", any_option + list(AVAILABILITY_LABELS.items())),
            text_field("Max day rate", "max_rate", input_type="number", min="0"),
            rx.button("Search", type="submit"),
            spacing="3", wrap="wrap", align="end",
        ),
        on_submit=DirectoryState.search, reset_on_submit=False,
    )


def editor_card(row: dict) -> rx.Component:
    return rx.card(
        rx.flex(
            rx.vstack(
                rx.hstack(rx.text(row["name"], weight="bold"), rx.badge(row["availability"], variant="soft")),
                rx.text(row["headline"], size="2"),
                rx.text(row["skills"], size="1", color_scheme="gray"),
                rx.text(row["software"], " · ", row["languages"], size="1", color_scheme="gray"),
                spacing="1", flex="1",
            ),
            rx.vstack(rx.text(row["rate"], size="2", weight="medium"),
                      rx.cond(DirectoryState.target_project,
                              rx.button("Invite to project", size="2", on_click=DirectoryState.invite(row["id"]))),
                      align="end", spacing="2"),
            direction=rx.breakpoints(initial="column", sm="row"), spacing="3", width="100%",
        ),
        width="100%", class_name="directory-entry",
    )


@rx.page(route=routes.DIRECTORY, title="Find editors · Azekia Studio", on_load=[ShellState.load, DirectoryState.load])
def directory() -> rx.Component:
    return signed_in_page(
        rx.heading("Find editors", as_="h1", size="7"),
        rx.card(filters_form(), width="100%"),
        rx.cond(
            DirectoryState.my_projects.length() > 0,
            rx.hstack(rx.text("Invite to", size="2"),
                      rx.el.select(rx.foreach(DirectoryState.my_projects,
                                              lambda project: rx.el.option(project["title"], value=project["id"])),
                                   value=DirectoryState.target_project, on_change=DirectoryState.choose_project,
                                   aria_label="Project to invite to", class_name="native-select"),
                      align="center"),
            rx.text("Create a project first to invite editors to it. ",
                    rx.link("New project", href=routes.NEW_PROJECT), size="2"),
        ),
        form_alert(DirectoryState.errors["form"]),
        form_alert(DirectoryState.message, color="green", icon="circle-check"),
        rx.cond(DirectoryState.rows.length() > 0,
                rx.vstack(rx.foreach(DirectoryState.rows, editor_card), width="100%", spacing="2", id="directory"),
                rx.cond(DirectoryState.loaded, empty_state("No editor matches these filters. Try fewer filters."))),
        rx.cond(DirectoryState.next_cursor, rx.button("Show more editors", variant="soft",
                                                      on_click=DirectoryState.more)),
    )
