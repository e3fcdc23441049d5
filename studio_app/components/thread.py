"""The project thread: message bubbles, the composer and the window's "load older" control."""

import reflex as rx

from studio_app.state.thread import ThreadState

# Links open in a new tab without giving it a handle on ours; raw HTML is never rendered.
SAFE_LINK = {"a": lambda text, **props: rx.link(text, **props, is_external=True, rel="noopener noreferrer nofollow")}


def avatar(initials: rx.Var[str]) -> rx.Component:
    return rx.avatar(fallback=initials, size="2", radius="full", variant="soft")


def reply_quote(message: dict) -> rx.Component:
    return rx.cond(
        message["reply_author"],
        rx.box(
            rx.text(message["reply_author"], size="1", weight="bold"),
            rx.text(message["reply_excerpt"], size="1", color_scheme="gray", trim="both"),
            border_left=f"3px solid {rx.color('accent', 7)}",
            padding_left="0.5rem",
            margin_bottom="0.25rem",
        ),
    )


def message_actions(message: dict) -> rx.Component:
    return rx.hstack(
        rx.button("Reply", size="1", variant="ghost", on_click=ThreadState.reply_to(message["id"])),
        rx.cond(
            message["mine"],
            rx.fragment(
                rx.button("Edit", size="1", variant="ghost", on_click=ThreadState.start_editing(message["id"])),
                rx.button("Delete", size="1", variant="ghost", color_scheme="red",
                          on_click=ThreadState.delete(message["id"])),
            ),
        ),
        spacing="2",
    )


def message_bubble(message: dict) -> rx.Component:
    return rx.hstack(
        avatar(message["initials"]),
        rx.box(
            rx.hstack(
                rx.text(message["author"], size="2", weight="bold"),
                rx.text(message["time"], size="1", color_scheme="gray"),
                rx.cond(message["edited"], rx.text("(edited)", size="1", color_scheme="gray")),
                align="baseline",
                spacing="2",
            ),
            reply_quote(message),
            rx.cond(message["mentions"], rx.text(message["mentions"], size="1", color=rx.color("accent", 11),
                                                 weight="medium")),
            rx.cond(
                message["deleted"],
                rx.text("Message deleted", size="2", color_scheme="gray", font_style="italic"),
                rx.box(rx.markdown(message["body"], use_raw=False, component_map=SAFE_LINK), class_name="message-body"),
            ),
            rx.cond(~message["deleted"], message_actions(message)),
            background_color=rx.cond(message["mine"], rx.color("accent", 3), rx.color("gray", 3)),
            padding="0.5rem 0.75rem",
            border_radius="var(--radius-4)",
            max_width="100%",
            min_width="0",
        ),
        align="start",
        spacing="2",
        width="100%",
        class_name="message",
    )


def mention_chip(member: dict) -> rx.Component:
    chosen = ThreadState.mentions.contains(member["id"])
    return rx.button(
        "@", member["name"], size="1", radius="full", type="button",
        variant=rx.cond(chosen, "solid", "outline"), aria_pressed=chosen,
        on_click=ThreadState.toggle_mention(member["id"]),
    )


def composer() -> rx.Component:
    return rx.form(
        rx.vstack(
            rx.cond(
                ThreadState.replying_to["id"],
                rx.hstack(rx.text("Replying to ", rx.text.strong(ThreadState.replying_to["author"]), size="1"),
                          rx.button("Cancel", size="1", variant="ghost", on_click=ThreadState.cancel_compose),
                          align="center"),
            ),
            rx.cond(
                ThreadState.editing_id,
                rx.hstack(rx.text("Editing your message", size="1"),
                          rx.button("Cancel", size="1", variant="ghost", on_click=ThreadState.cancel_compose),
                          align="center"),
            ),
            rx.text_area(id="message-body", name="body", value=ThreadState.draft,
                         on_change=lambda value: ThreadState.set_draft(value, ThreadState.project_id).debounce(250),
                         placeholder="Write a message (Markdown works). Enter sends, Shift+Enter starts a new line.",
                         aria_label="Message", max_length=8000, rows="3", width="100%", required=True,
                         enter_key_submit=True,
                         # A new key after each send or project change empties or refills the box (the debounced
                         # input keeps its own copy); not the idempotency key, which the page's first event sets
                         # while someone may be typing.
                         key=ThreadState.compose_key),
            # What a double click submits twice: the same draft's key, and the project the box was written for.
            rx.el.input(type="hidden", name="key", value=ThreadState.draft_key),
            rx.el.input(type="hidden", name="project", value=ThreadState.project_id),
            rx.cond(
                ThreadState.members.length() > 0,
                rx.hstack(
                    rx.text("Mention", size="1", color_scheme="gray"),
                    rx.foreach(ThreadState.members, mention_chip),
                    spacing="2", align="center", wrap="wrap",
                ),
            ),
            rx.cond(ThreadState.send_error,
                    rx.text(ThreadState.send_error, color_scheme="red", size="2", role="alert", id="send-error")),
            rx.hstack(rx.spacer(), rx.button("Send", type="submit", loading=ThreadState.sending,
                                             disabled=ThreadState.sending), width="100%"),
            spacing="2",
            width="100%",
        ),
        on_submit=ThreadState.send,
        width="100%",
    )


def thread_panel() -> rx.Component:
    return rx.card(
        rx.vstack(
            rx.heading("Thread", as_="h2", size="4"),
            rx.cond(
                ThreadState.has_more,
                rx.button("Load older messages", variant="soft", size="1", loading=ThreadState.loading_older,
                          on_click=ThreadState.load_older),
            ),
            rx.cond(
                ThreadState.messages.length() > 0,
                # Reversed flex direction: the browser opens the scrolled box at its end (the latest message) and
                # keeps it there as messages arrive, with no script.
                rx.box(
                    rx.vstack(rx.foreach(ThreadState.messages, message_bubble), spacing="3", width="100%",
                              id="thread-messages"),
                    display="flex", flex_direction="column-reverse", overflow_y="auto", max_height="min(45vh, 28rem)",
                    width="100%", padding_right="0.25rem", id="thread-scroll", tab_index=0,
                    aria_label="Conversation",
                ),
                rx.text("No messages yet. Say hello and share the first details of the video.",
                        color_scheme="gray", size="2", id="thread-empty"),
            ),
            composer(),
            spacing="3",
            width="100%",
        ),
        width="100%",
    )
