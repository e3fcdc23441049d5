"""The "Publish" composer of an approved version and the list of its publications with their live timelines.

The composer follows TikTok's content sharing guidelines (https://developers.tiktok.com/doc/content-sharing-guidelines):
the creator's nickname shown, a privacy choice with no default among the creator's options only, interactions off
and disabled where the account disallows them, the commercial content disclosure with its labels, a preview, and
the consent sentence before anything is sent.
"""

from __future__ import annotations

import reflex as rx

from studio_app import routes
from studio_app.components.forms import field_error, form_alert
from studio_app.components.providers import sandbox_badge
from studio_app.state.publications import TIME_ZONES, ProjectPublicationsState, PublicationState

S = PublicationState


def _check(label: rx.Var[str] | str, name: str, value: rx.Var[bool], *, disabled: rx.Var[bool] | bool = False,
           hint: rx.Var[str] | str = "") -> rx.Component:
    # rx.checkbox names its box with the text it wraps (a label around it would leave the box unnamed).
    return rx.vstack(
        rx.checkbox(rx.text(label, as_="span", size="2"), checked=value, disabled=disabled, id=f"publish-{name}",
                    on_change=lambda checked: S.set_field(name, checked)),
        rx.cond(rx.Var.create(hint), rx.text(hint, size="1", color_scheme="gray", padding_left="1.6em")),
        spacing="0")


def _tiktok_settings() -> rx.Component:
    return rx.vstack(
        rx.hstack(rx.text("Posting to TikTok as ", rx.text.strong(S.nickname, id="creator-nickname"), size="2"),
                  rx.cond(S.tiktok_sandbox, sandbox_badge()), align="center"),
        rx.el.label("Who can see this video", html_for="publish-privacy", class_name="field-label"),
        rx.el.select(
            rx.el.option("Choose who can see it", value="", disabled=True),
            rx.foreach(S.privacy_options, lambda option: rx.el.option(option[1], value=option[0])),
            id="publish-privacy", value=S.privacy, on_change=lambda value: S.set_field("privacy", value),
            aria_describedby="publish-privacy-error", style={"padding": "6px", "max_width": "100%"}),
        field_error(S.errors["privacy_level"], "publish-privacy"),
        rx.text("Allow viewers to:", size="2"),
        rx.hstack(
            _check("Comment", "allow_comment", S.allow_comment, disabled=S.comment_disabled),
            _check("Duet", "allow_duet", S.allow_duet, disabled=S.duet_disabled),
            _check("Stitch", "allow_stitch", S.allow_stitch, disabled=S.stitch_disabled),
            wrap="wrap", spacing="4"),
        rx.cond(S.max_duration > 0,
                rx.text("This account may post videos up to ", S.max_duration.to(str), " seconds long.", size="1",
                        color_scheme="gray")),
        _check("Disclose commercial content", "disclose", S.disclose,
               hint="Turn on if this video promotes yourself, a brand, a product or a service."),
        rx.cond(S.disclose, rx.vstack(
            _check("Your brand", "brand_organic", S.brand_organic,
                   hint="You are promoting yourself or your own business."),
            _check("Branded content", "brand_content", S.brand_content,
                   hint="You are promoting another brand or a third party. It cannot be private."),
            rx.cond(S.label_words, rx.text(S.label_words, size="2", id="commercial-label")),
            padding_left="4", spacing="2")),
        spacing="2", width="100%", align="start")


def composer() -> rx.Component:
    return rx.card(
        rx.vstack(
            rx.hstack(rx.heading("Publish this version", as_="h2", size="4"), rx.spacer(),
                      rx.button("Close", variant="ghost", size="1", on_click=S.close_composer), width="100%"),
            form_alert(S.errors["form"]),
            rx.text("Where", size="2", weight="medium", id="publish-destinations"),
            rx.cond(S.tiktok_ok, _check("TikTok", "to_tiktok", S.to_tiktok),
                    rx.text("TikTok: ", S.tiktok_problem, " ", rx.link("Connected accounts", href=routes.CONNECTIONS),
                            size="2", color_scheme="gray", id="tiktok-problem")),
            rx.cond(S.discord_ok,
                    rx.hstack(_check("Discord channel " + S.discord_channel, "to_discord", S.to_discord),
                              rx.cond(S.discord_sandbox, sandbox_badge()), align="center"),
                    rx.text("Discord: connect a channel for this project on the project page to announce it.",
                            size="2", color_scheme="gray")),
            field_error(S.errors["destinations"], "publish-destinations"),
            field_error(S.errors["tiktok"], "publish-tiktok"),
            rx.cond(S.to_tiktok, _tiktok_settings()),
            rx.el.label("Caption", html_for="publish-caption", class_name="field-label"),
            rx.text_area(value=S.caption, on_change=lambda value: S.set_field("caption", value), id="publish-caption",
                         aria_describedby="publish-caption-error", rows="4", width="100%"),
            rx.text(S.caption.length().to(str), " characters (TikTok takes up to 2,200)", size="1",
                    color_scheme="gray"),
            field_error(S.errors["caption"], "publish-caption"),
            rx.el.label("Cover frame (seconds into the video)", html_for="publish-cover", class_name="field-label"),
            rx.hstack(
                rx.input(type="number", min="0", step="any", id="publish-cover", value=S.cover_seconds,
                         on_change=lambda value: S.set_field("cover_seconds", value), width="8em",
                         aria_describedby="publish-cover-error"),
                rx.button(rx.icon("image", size=14), "Use the frame on the player", type="button", size="2",
                          variant="soft", on_click=S.use_current_frame, id="publish-cover-current"),
                align="center", wrap="wrap"),
            field_error(S.errors["cover_ms"], "publish-cover"),
            rx.el.label("When (leave empty to publish now)", html_for="publish-when", class_name="field-label"),
            rx.hstack(
                rx.input(type="datetime-local", id="publish-when", value=S.when,
                         on_change=lambda value: S.set_field("when", value), aria_describedby="publish-when-error"),
                rx.el.select(rx.foreach(TIME_ZONES, lambda zone: rx.el.option(zone, value=zone)),
                             rx.el.option("UTC", value="UTC"), value=S.time_zone, id="publish-zone",
                             aria_label="Time zone", on_change=lambda value: S.set_field("time_zone", value),
                             style={"padding": "6px", "max_width": "100%"}),
                wrap="wrap"),
            field_error(S.errors["when"], "publish-when"),
            field_error(S.errors["time_zone"], "publish-zone"),
            rx.callout(rx.text("Preview: ", rx.text.em(rx.cond(S.caption, S.caption, "(no caption)"))), icon="eye",
                       size="1", width="100%", id="publish-preview"),
            _check(S.consent_words, "consent", S.consent),
            field_error(S.errors["consent"], "publish-consent"),
            rx.button(rx.cond(S.when, "Schedule", "Publish now"), on_click=S.publish, loading=S.busy,
                      disabled=~S.consent | ~(S.to_tiktok | S.to_discord), id="publish-submit"),
            spacing="2", width="100%", align="start"),
        width="100%", id="publish-composer")


def _status_badge(status: rx.Var, label: rx.Var, **props) -> rx.Component:
    color = rx.match(status, ("done", "green"), ("failed", "red"), ("partly_failed", "orange"),
                     ("needs_reconnect", "orange"), ("retrying", "amber"), ("running", "amber"),
                     ("cancelled", "gray"), "blue")
    return rx.badge(label, color_scheme=color, **props)


def _step(step: dict) -> rx.Component:
    return rx.el.li(rx.hstack(
        rx.icon(rx.match(step["status"], ("done", "check"), ("failed", "x"), "loader"), size=14),
        rx.text(step["label"], size="2", weight="medium"), rx.text(step["detail"], size="2", color_scheme="gray"),
        rx.text(step["progress"], size="1", color_scheme="gray"), spacing="2", align="center", wrap="wrap"))


def _destination(row: dict) -> rx.Component:
    return rx.vstack(
        rx.hstack(rx.text(row["name"], weight="medium", size="2"),
                  _status_badge(row["status"], row["status_label"], size="1", class_name="destination-status"),
                  rx.cond(row["sandbox"], sandbox_badge()),
                  rx.cond(row["link"], rx.link("Open the post", href=row["link"].to(str), is_external=True,
                                              size="2")),
                  align="center", wrap="wrap"),
        rx.cond(row["reason"], rx.text(row["reason"], size="2", color_scheme="red", role="status")),
        rx.el.ol(rx.foreach(row["steps"].to(list[dict]), _step), style={"margin": "0", "padding_left": "1.2em"}),
        spacing="1", width="100%", align="start", class_name="publication-destination")


def _publication(row: dict) -> rx.Component:
    return rx.card(rx.vstack(
        rx.hstack(_status_badge(row["status"], row["status_label"], size="2", class_name="publication-status"),
                  rx.text(row["when"], size="2"), rx.spacer(),
                  rx.cond(row["can_change"], rx.hstack(
                      rx.button("Reschedule", size="1", variant="soft", on_click=S.choose_reschedule(row["id"])),
                      rx.button("Cancel publication", size="1", variant="soft", color_scheme="red",
                                on_click=S.cancel(row["id"])))),
                  width="100%", align="center", wrap="wrap"),
        rx.cond(S.rescheduling == row["id"], rx.form(
            rx.hstack(rx.input(type="datetime-local", name="when", aria_label="New date and time", required=True),
                      rx.el.input(type="hidden", name="time_zone", value=S.time_zone),
                      rx.button("Save the new time", type="submit", size="1"), wrap="wrap"),
            on_submit=S.reschedule)),
        rx.cond(row["caption"], rx.text(row["caption"], size="2", color_scheme="gray", trim="both")),
        rx.foreach(row["destinations"].to(list[dict]), _destination),
        spacing="2", width="100%", align="start"), width="100%", class_name="publication")


def publications_panel(can_publish: rx.Var[bool]) -> rx.Component:
    """The version page's panel: the composer for a producer of an approved version, then the publications."""
    return rx.vstack(
        rx.hstack(rx.heading("Publications", as_="h2", size="4"), rx.spacer(),
                  rx.cond(can_publish & ~S.composing,
                          rx.button(rx.icon("send", size=16), "Publish…", on_click=S.start_composing,
                                    loading=S.busy, id="open-publish")),
                  width="100%", align="center"),
        rx.cond(S.notice, rx.callout(S.notice, icon="info", role="status", size="1", width="100%")),
        form_alert(S.errors["list"]),
        form_alert(S.errors["asset"]),
        rx.cond(S.composing, composer()),
        rx.cond(S.rows.length() > 0,
                rx.vstack(rx.foreach(S.rows, _publication), width="100%", id="publications"),
                rx.text("Not published yet.", size="2", color_scheme="gray")),
        width="100%", spacing="3", id="publications-panel")


def _project_publication(row: dict) -> rx.Component:
    return rx.el.li(rx.link(
        rx.hstack(_status_badge(row["status"], row["status_label"], size="1"),
                  rx.text(row["version"], size="2", weight="medium"),
                  rx.text(row["when"], size="2", color_scheme="gray"),
                  rx.foreach(row["destinations"].to(list[dict]), lambda destination: rx.text(
                      destination["name"], ": ", destination["status_label"], size="1", color_scheme="gray")),
                  spacing="2", align="center", wrap="wrap"),
        href=row["href"].to(str), underline="none"), class_name="project-publication")


def project_publications_card() -> rx.Component:
    """The project page's list of publications; each opens its version's timeline. Loaded when it mounts (the page
    shows it only for a project it found), keyed by the project so that another project loads its own."""
    state = ProjectPublicationsState
    return rx.card(
        rx.heading("Publications", as_="h2", size="4"),
        form_alert(state.errors["publications"]),
        rx.cond(state.rows.length() > 0,
                rx.el.ul(rx.foreach(state.rows, _project_publication),
                         style={"list_style": "none", "padding": "0", "margin": "0", "display": "grid",
                                "gap": "0.4rem"}),
                rx.text("Nothing published yet: an approved version can be published from its review page.",
                        size="2", color_scheme="gray")),
        width="100%", id="project-publications", on_mount=state.load)
