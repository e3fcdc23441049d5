"""The project page's "Media" section: upload zones for rushes and versions, and the media with their live status."""

import reflex as rx

from studio_app.components.uppy import upload_zone
from studio_app.state.media import MediaState

STATUS_COLORS = {"queued": "gray", "processing": "blue", "ready": "green", "failed": "red"}


def _poster(row: dict) -> rx.Component:
    frame = {"width": "7.5rem", "min_width": "7.5rem", "height": "4.25rem", "border_radius": "var(--radius-2)"}
    return rx.cond(
        row["poster"],
        rx.image(src=row["poster"], alt="", object_fit="cover", background_color=rx.color("gray", 4), **frame),
        rx.center(rx.icon("film", size=22, color=rx.color("gray", 9)), background_color=rx.color("gray", 3),
                  aria_hidden="true", **frame),
    )


def _status(row: dict) -> rx.Component:
    return rx.match(
        row["status"],
        ("processing", rx.vstack(
            rx.text("Processing ", row["progress"].to(str), " %", size="1", color_scheme="blue"),
            rx.progress(value=row["progress"].to(int), max=100, width="8rem",
                        aria_label="Processing " + row["name"].to(str)),
            spacing="1")),
        ("failed", rx.vstack(
            rx.text(rx.cond(row["failure"], row["failure"], "Processing failed."), size="1", color_scheme="red",
                    class_name="media-failure"),
            rx.cond(row["can_retry"].to(bool),
                    rx.button(rx.icon("rotate-ccw", size=14), "Retry", size="1", variant="soft",
                              aria_label="Retry processing " + row["name"].to(str),
                              loading=MediaState.retrying == row["id"], on_click=MediaState.retry(row["id"]))),
            spacing="1", align="start")),
        ("queued", rx.text("Waiting for its turn to be processed", size="1", color_scheme="gray")),
        rx.fragment(),
    )


def _status_badge(row: dict) -> rx.Component:
    return rx.match(
        row["status"],
        *((value, rx.badge(row["status_label"], color_scheme=color, variant="soft"))
          for value, color in STATUS_COLORS.items()),
        rx.badge(row["status_label"]),
    )


def media_item(row: dict) -> rx.Component:
    return rx.el.li(
        rx.hstack(
            _poster(row),
            rx.vstack(
                rx.hstack(rx.cond(row["href"],
                                  rx.link(row["title"], href=row["href"].to(str), size="2", weight="bold",
                                          class_name="media-name"),
                                  rx.text(row["title"], size="2", weight="bold", class_name="media-name")),
                          _status_badge(row),
                          spacing="2", align="center", wrap="wrap"),
                rx.cond(row["details"], rx.text(row["details"], size="1", color_scheme="gray")),
                rx.cond(row["sha256"], rx.text("SHA-256 ", rx.el.code(row["sha256"]), size="1", color_scheme="gray",
                                               class_name="media-checksum")),
                _status(row),
                spacing="1", min_width="0", flex="1",
            ),
            spacing="3", align="start", width="100%",
        ),
        class_name="media-item", data_status=row["status"], id="media-" + row["id"].to(str),
    )


def _media_list(rows, list_id: str, empty: str) -> rx.Component:
    return rx.cond(
        rows.length() > 0,
        rx.el.ul(rx.foreach(rows, media_item), id=list_id, class_name="media-list"),
        rx.cond(MediaState.loaded, rx.text(empty, size="2", color_scheme="gray", id=f"{list_id}-empty")),
    )


def media_section() -> rx.Component:
    """Rushes and versions, each with its own upload zone; statuses change live while the queue works."""
    return rx.card(
        rx.heading("Media", as_="h2", size="4"),
        rx.text("Each file is checked and processed once it has arrived: its status below changes by itself.",
                size="2", color_scheme="gray"),
        rx.el.section(
            rx.heading("Rushes", as_="h3", size="3", id="rushes-heading"),
            upload_zone(project_id=MediaState.project_id, kind="rush", on_complete=MediaState.uploaded),
            _media_list(MediaState.rushes, "rush-list",
                        "No rushes yet. Drop your footage in the zone above, or choose the files: several at once is "
                        "fine, and an interrupted upload continues where it stopped."),
            aria_labelledby="rushes-heading", class_name="media-panel",
        ),
        rx.el.section(
            rx.heading("Versions", as_="h3", size="3", id="versions-heading"),
            upload_zone(project_id=MediaState.project_id, kind="version", on_complete=MediaState.uploaded,
                        note="Each cut you upload here becomes the next version: v1, v2, ...", height=220),
            _media_list(MediaState.versions, "version-list",
                        "No version yet. Upload a cut above when it is ready for review: it becomes v1."),
            aria_labelledby="versions-heading", class_name="media-panel",
        ),
        rx.cond(MediaState.errors["media"], rx.callout(MediaState.errors["media"], icon="triangle-alert",
                                                       color_scheme="red", role="alert")),
        width="100%", id="project-media",
    )
