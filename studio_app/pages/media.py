"""The rush viewer (derush) and the version review page."""

import reflex as rx

from studio_app import routes
from studio_app.components.forms import form_alert
from studio_app.components.layout import public_page
from studio_app.components.publications import publications_panel
from studio_app.components.video_player import video_player, waveform_strip
from studio_app.state.derush import DerushState
from studio_app.state.publications import PublicationState
from studio_app.state.review import ReviewState
from studio_app.state.shell import ShellState

LABELS = ["keep", "maybe", "reject"]
RATINGS = ["0", "1", "2", "3", "4", "5"]
DERUSH_KEYS = "Space play/pause · , and . (or ← →) one frame · J K L shuttle · I in point · O out point"
REVIEW_KEYS = "Space play/pause · , and . (or ← →) one frame · J K L shuttle · I starts a range"


def _frame(*children: rx.Component) -> rx.Component:
    return public_page(rx.vstack(*children, spacing="4", width="100%", padding_y="1.5rem"), signed_in=True)


def _missing(message: rx.Var[str], project_id: rx.Var[str]) -> rx.Component:
    return rx.vstack(rx.text(message, color_scheme="gray", size="2"),
                     rx.link("Back to your projects", href=routes.PROJECTS), spacing="2", padding_y="1rem")


def _back(project_id: rx.Var[str]) -> rx.Component:
    return rx.link(rx.hstack(rx.icon("arrow-left", size=16), rx.text("Back to the project", size="2"), spacing="1",
                             align="center"), href="/projects/" + project_id)


def _keys_help(text: str) -> rx.Component:
    return rx.text(rx.icon("keyboard", size=14, display="inline", vertical_align="middle"), " ", text, size="1",
                   color_scheme="gray")


# -- rush viewer -----------------------------------------------------------------------------------


def _selection(row: dict) -> rx.Component:
    mine = row["mine"]
    return rx.card(
        rx.vstack(
            rx.hstack(
                rx.button(row["in_tc"], " to ", row["out_tc"], size="1", variant="soft",
                          on_click=DerushState.seek_to_frame(row["in_frame"])),
                rx.text(row["length"], size="1", color_scheme="gray"),
                rx.cond(row["from_suggestion"], rx.badge("suggested", variant="outline", size="1")),
                rx.spacer(),
                rx.badge(row["label"], color_scheme=row["color"].to(str), variant="soft"),
                align="center", width="100%", wrap="wrap",
            ),
            rx.cond(
                mine,
                rx.vstack(
                    rx.hstack(
                        rx.select(LABELS, value=row["label"], size="1", aria_label="Label",
                                  on_change=lambda value: DerushState.set_label(row["id"], value)),
                        rx.select(RATINGS, value=row["rating"].to_string(), size="1", aria_label="Rating (stars)",
                                  on_change=lambda value: DerushState.set_rating(row["id"], value)),
                        rx.text("★", size="1", aria_hidden="true"),
                        rx.spacer(),
                        rx.button("Delete", size="1", variant="ghost", color_scheme="red",
                                  on_click=DerushState.delete(row["id"])),
                        align="center", width="100%",
                    ),
                    rx.form(
                        rx.hstack(
                            rx.el.input(type="hidden", name="selection", value=row["id"]),
                            rx.input(name="note", default_value=row["note"], placeholder="Note", max_length=2000,
                                     size="1", aria_label="Note", flex="1"),
                            rx.button("Save note", size="1", variant="soft", type="submit"),
                            width="100%",
                        ),
                        on_submit=DerushState.save_note, reset_on_submit=False, width="100%",
                    ),
                    width="100%", spacing="2",
                ),
                rx.vstack(
                    rx.text(rx.text.strong(row["rating"]), " ★ · by ", row["author"], size="1", color_scheme="gray"),
                    rx.cond(row["note"], rx.text(row["note"], size="2")),
                    spacing="1",
                ),
            ),
            spacing="2", width="100%",
        ),
        width="100%", class_name="derush-selection",
    )


def _suggestion(row: dict) -> rx.Component:
    return rx.hstack(
        rx.button(row["in_tc"], " to ", row["out_tc"], size="1", variant="ghost",
                  on_click=DerushState.seek_to_frame(row["in_frame"])),
        rx.text(row["kind"], " · ", row["label"], size="1", color_scheme="gray"),
        rx.spacer(),
        rx.button("Accept", size="1", variant="soft", on_click=DerushState.accept(row["key"])),
        rx.button("Discard", size="1", variant="ghost", color_scheme="gray", on_click=DerushState.discard(row["key"])),
        align="center", width="100%", wrap="wrap",
    )


def _derush_player() -> rx.Component:
    return rx.vstack(
        video_player(src=DerushState.src, thumbnails=DerushState.thumbnails, title="Rush",
                     frame_rate=DerushState.frame_rate, seek=DerushState.seek, keyboard=True,
                     on_time=DerushState.playhead_at, on_mark_in=DerushState.mark_in,
                     on_mark_out=DerushState.mark_out),
        waveform_strip(DerushState.peaks, DerushState.playhead_percent, DerushState.selections,
                       aria_label="Audio waveform with the selections over it", id="waveform"),
        _keys_help(DERUSH_KEYS),
        rx.hstack(
            rx.cond(DerushState.mark_in_tc,
                    rx.hstack(rx.badge("In " + DerushState.mark_in_tc, color_scheme="green", id="mark-in"),
                              rx.button("Clear", size="1", variant="ghost", on_click=DerushState.clear_mark),
                              align="center")),
            rx.text(DerushState.notice, size="2", role="status"),
            align="center", wrap="wrap",
        ),
        form_alert(DerushState.errors["form"]),
        spacing="2", width="100%", min_width="0",
    )


def _derush_list() -> rx.Component:
    return rx.vstack(
        rx.card(
            rx.hstack(rx.heading("Derush list", as_="h2", size="4"), rx.spacer(),
                      rx.foreach(DerushState.exports, lambda link: rx.link(link["label"], href=link["href"],
                                                                           size="2", is_external=False,
                                                                           aria_label="Download as " + link["label"]
                                                                           .to(str))),
                      align="center", width="100%", wrap="wrap"),
            rx.cond(DerushState.selections.length() > 0,
                    rx.vstack(rx.foreach(DerushState.selections, _selection), width="100%", spacing="2",
                              id="derush-list"),
                    rx.text("No selections yet. Press I at an in point and O at an out point while the video plays.",
                            size="2", color_scheme="gray", id="derush-list-empty")),
            width="100%",
        ),
        rx.card(
            rx.heading("Suggestions", as_="h2", size="4"),
            rx.cond(DerushState.suggestions.length() > 0,
                    rx.vstack(rx.foreach(DerushState.suggestions, _suggestion), width="100%", spacing="1",
                              id="suggestions"),
                    rx.text("No suggestions left: scene cuts and silences found in the rush show here.", size="2",
                            color_scheme="gray")),
            width="100%",
        ),
        spacing="3", width="100%", min_width="0",
    )


@rx.page(route=routes.RUSH, title="Rush · Azekia Studio", on_load=[ShellState.load, DerushState.open])
def rush_page() -> rx.Component:
    return _frame(
        _back(DerushState.project_id),
        rx.heading("Derush", as_="h1", size="7"),
        rx.cond(
            DerushState.missing,
            _missing(DerushState.missing, DerushState.project_id),
            rx.cond(DerushState.loaded,
                    rx.grid(_derush_player(), _derush_list(), columns=rx.breakpoints(initial="1", md="3fr 2fr"),
                            spacing="4", width="100%"),
                    rx.text("Loading…", size="2", color_scheme="gray")),
        ),
    )


# -- version review --------------------------------------------------------------------------------


def _version_link(row: dict) -> rx.Component:
    return rx.link(
        rx.badge(row["label"], rx.cond(row["approved"], " ✓", ""), size="2",
                 variant=rx.cond(row["current"], "solid", "soft"), high_contrast=True,
                 color_scheme=rx.cond(row["approved"], "green", "gray")),
        href=row["href"], aria_current=rx.cond(row["current"], "page", "false"),
        aria_label=row["label"].to(str) + rx.cond(row["approved"], " (approved)", ""),
    )


def _version_stack() -> rx.Component:
    others = ReviewState.versions
    return rx.hstack(
        rx.text("Versions", size="2", weight="medium"),
        rx.hstack(rx.foreach(others, _version_link), spacing="2", wrap="wrap", id="version-stack"),
        rx.spacer(),
        rx.cond(others.length() > 1, rx.hstack(
            rx.el.label("Compare with", html_for="compare", style={"font_size": "var(--font-size-2)"}),
            rx.el.select(
                rx.el.option("—", value=""),
                rx.foreach(others, lambda row: rx.el.option(row["label"], value=row["id"])),
                id="compare", aria_label="Compare with another version", value=ReviewState.compare_id,
                on_change=ReviewState.choose_compare,
                style={"padding": "0.2rem 0.4rem", "border_radius": "4px"},
            ),
            align="center", spacing="2")),
        align="center", wrap="wrap", width="100%",
    )


def _review_players() -> rx.Component:
    main = video_player(src=ReviewState.src, thumbnails=ReviewState.thumbnails, title=ReviewState.label,
                        frame_rate=ReviewState.frame_rate, seek=ReviewState.seek, keyboard=True,
                        sync_group="review", on_time=ReviewState.playhead_at, on_mark_in=ReviewState.start_range)
    return rx.cond(
        ReviewState.compare_id,
        rx.grid(
            rx.vstack(rx.text(ReviewState.label, size="2", weight="medium"), main, width="100%", min_width="0"),
            rx.vstack(rx.text(ReviewState.compare["label"], size="2", weight="medium"),
                      video_player(src=ReviewState.compare["src"].to(str), title=ReviewState.compare["label"].to(str),
                                   frame_rate=ReviewState.frame_rate, sync_group="review"),
                      width="100%", min_width="0"),
            columns=rx.breakpoints(initial="1", sm="2"), spacing="2", width="100%", id="comparison",
        ),
        main,
    )


def _composer() -> rx.Component:
    return rx.form(
        rx.vstack(
            rx.text_area(name="body", placeholder="Your comment", rows="3", max_length=4000, width="100%",
                         aria_label="Comment", key=ReviewState.compose_key, id="comment-body"),
            rx.hstack(
                rx.button(rx.cond(ReviewState.range_start, "Comment from " + ReviewState.range_start + " to "
                                  + ReviewState.playhead, "Comment at " + ReviewState.playhead), type="submit",
                          id="send-comment"),
                rx.cond(ReviewState.range_start,
                        rx.button("Single moment", type="button", variant="ghost", size="2",
                                  on_click=ReviewState.clear_range),
                        rx.button("Start a range here", type="button", variant="soft", size="2",
                                  on_click=ReviewState.start_range(0))),
                wrap="wrap", align="center",
            ),
            width="100%", spacing="2",
        ),
        on_submit=ReviewState.send_comment, reset_on_submit=True, width="100%",
    )


def _reply_form(row: dict) -> rx.Component:
    return rx.form(
        rx.hstack(
            rx.el.input(type="hidden", name="comment", value=row["id"]),
            rx.input(name="body", placeholder="Your reply", max_length=4000, size="1", aria_label="Reply", flex="1"),
            rx.button("Reply", size="1", type="submit"),
            rx.button("Cancel", size="1", type="button", variant="ghost", on_click=ReviewState.cancel_reply),
            width="100%",
        ),
        on_submit=ReviewState.send_reply, reset_on_submit=True, width="100%",
    )


def _comment(row: dict) -> rx.Component:
    active = row["id"] == ReviewState.active_comment
    return rx.box(
        rx.hstack(
            rx.avatar(fallback=row["initials"], size="1", radius="full", variant="soft"),
            rx.vstack(
                rx.hstack(
                    rx.cond(row["reply"], rx.fragment(),
                            rx.button(row["at"], rx.cond(row["until"], " to " + row["until"].to(str), ""), size="1",
                                      variant=rx.cond(active, "solid", "soft"), class_name="comment-time",
                                      on_click=ReviewState.seek_to(row["at_ms"]))),
                    rx.text(row["author"], size="1", weight="bold"),
                    rx.text(row["when"], size="1", color_scheme="gray"),
                    rx.cond(row["resolved"], rx.badge("Resolved", color_scheme="green", size="1")),
                    align="center", wrap="wrap",
                ),
                rx.text(row["body"], size="2", white_space="pre-wrap",
                        color=rx.cond(row["resolved"], rx.color("gray", 10), rx.color("gray", 12))),
                rx.cond(row["reply"], rx.fragment(), rx.hstack(
                    rx.button("Reply", size="1", variant="ghost", on_click=ReviewState.reply_to(row["id"])),
                    rx.cond(row["resolved"],
                            rx.button("Reopen", size="1", variant="ghost", on_click=ReviewState.reopen(row["id"])),
                            rx.button("Resolve", size="1", variant="ghost", on_click=ReviewState.resolve(row["id"]))),
                    spacing="2")),
                rx.cond(ReviewState.replying_to == row["id"], _reply_form(row)),
                spacing="1", width="100%", min_width="0",
            ),
            align="start", width="100%",
        ),
        id="comment-" + row["id"].to(str), class_name=rx.cond(active, "review-comment active", "review-comment"),
        padding="0.5rem", margin_left=rx.cond(row["reply"], "2rem", "0"), border_radius="6px",
        background_color=rx.cond(active, rx.color("accent", 3), "transparent"),
        border_left=rx.cond(active, f"3px solid {rx.color('accent', 9)}", "3px solid transparent"),
        width="auto",
    )


def _decision() -> rx.Component:
    return rx.cond(
        ReviewState.my_role == "producer",
        rx.hstack(
            rx.button(rx.icon("check", size=16), "Approve " + ReviewState.label, color_scheme="green",
                      high_contrast=True, on_click=ReviewState.approve, id="approve", disabled=ReviewState.approved),
            rx.button("Request changes", variant="soft", color_scheme="amber", on_click=ReviewState.request_changes,
                      id="request-changes"),
            wrap="wrap",
        ),
    )


@rx.page(route=routes.VERSION, title="Review · Azekia Studio",
         on_load=[ShellState.load, ReviewState.open, PublicationState.open])
def version_page() -> rx.Component:
    return _frame(
        _back(ReviewState.project_id),
        rx.cond(
            ReviewState.missing,
            rx.fragment(rx.heading("Review", as_="h1", size="7"),
                        _missing(ReviewState.missing, ReviewState.project_id)),
            rx.cond(
                ReviewState.loaded,
                rx.vstack(
                    rx.hstack(rx.heading("Review of ", ReviewState.label, as_="h1", size="7"),
                              rx.cond(ReviewState.approved, rx.badge("Approved", color_scheme="green", size="2",
                                                                     id="approved-badge")),
                              rx.spacer(), _decision(), align="center", wrap="wrap", width="100%"),
                    rx.cond(ReviewState.notice, rx.callout(ReviewState.notice, icon="info", role="status",
                                                           width="100%")),
                    form_alert(ReviewState.errors["form"]),
                    _version_stack(),
                    rx.grid(
                        rx.vstack(_review_players(), _keys_help(REVIEW_KEYS), width="100%", min_width="0"),
                        rx.card(
                            rx.heading("Comments", as_="h2", size="4"),
                            _composer(),
                            rx.cond(ReviewState.comments.length() > 0,
                                    rx.vstack(rx.foreach(ReviewState.comments, _comment), spacing="1", width="100%",
                                              id="comments", max_height="60vh", overflow_y="auto"),
                                    rx.text("No comments yet: pause where something should change and write it.",
                                            size="2", color_scheme="gray")),
                            width="100%", min_width="0",
                        ),
                        columns=rx.breakpoints(initial="1", md="3fr 2fr"), spacing="4", width="100%",
                    ),
                    publications_panel(ReviewState.approved & (ReviewState.my_role == "producer")),
                    spacing="3", width="100%",
                ),
                rx.text("Loading…", size="2", color_scheme="gray"),
            ),
        ),
    )
