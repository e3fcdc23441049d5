"""Connected accounts (/account/connections): Discord and TikTok, what each scope is used for, disconnect."""

import reflex as rx

from studio_app import routes
from studio_app.components.connections import connect_form
from studio_app.components.forms import form_alert
from studio_app.components.layout import public_page
from studio_app.components.providers import sandbox_badge
from studio_app.pages.account import account_nav
from studio_app.state.connections import ConnectionsState


def scope_item(scope: dict) -> rx.Component:
    return rx.list_item(rx.text(rx.code(scope["name"]), " ", scope["use"], size="2"))


def discord_choices() -> rx.Component:
    return rx.vstack(
        rx.checkbox("Show my Discord name to the people I work with", checked=ConnectionsState.share_handle,
                    on_change=ConnectionsState.set_share_handle, id="share-handle"),
        form_alert(ConnectionsState.errors["share_handle"]),
        rx.checkbox("Send me my notifications as Discord direct messages", checked=ConnectionsState.discord_messages,
                    on_change=ConnectionsState.set_discord_messages, id="discord-messages"),
        rx.text("You can withdraw this consent here or in your privacy center at any time.", size="1",
                color_scheme="gray"),
        form_alert(ConnectionsState.errors["discord_messages"]),
        spacing="2",
    )


def connection_card(row: dict) -> rx.Component:
    return rx.card(
        rx.vstack(
            rx.hstack(
                rx.heading(row["name"], as_="h2", size="4"),
                rx.cond(row["sandbox"], sandbox_badge()),
                rx.cond(row["connected"],
                        rx.cond(row["needs_reconnect"], rx.badge("Needs reconnecting", color_scheme="orange"),
                                rx.badge("Connected", color_scheme="green")),
                        rx.badge("Not connected", color_scheme="gray")),
                spacing="2", align="center", wrap="wrap",
            ),
            rx.cond(row["connected"],
                    rx.text("Connected as ", rx.text.strong(row["handle"]), " since ", row["since"], size="2")),
            rx.cond(row["problem"], form_alert(row["problem"], color="orange")),
            rx.cond(row["dm_problem"], form_alert(row["dm_problem"], color="orange")),
            rx.text(rx.cond(row["connected"], "What you granted, and what the studio uses it for:",
                            "What the studio asks for, and what it uses it for:"), size="2", weight="medium"),
            rx.unordered_list(rx.foreach(row["scopes"].to(list[dict[str, str]]), scope_item)),
            rx.cond(row["provider"] == "discord", rx.cond(row["connected"], discord_choices())),
            rx.hstack(
                rx.cond(row["connected"],
                        rx.fragment(
                            rx.cond(row["needs_reconnect"], connect_form(row["provider"], "Reconnect")),
                            rx.button("Disconnect", variant="soft", color_scheme="red",
                                      loading=ConnectionsState.busy == "disconnect",
                                      disabled=ConnectionsState.busy != "",
                                      on_click=ConnectionsState.disconnect(row["provider"]),
                                      aria_label="Disconnect " + row["name"].to(str))),
                        connect_form(row["provider"], "Connect")),
                spacing="3", wrap="wrap",
            ),
            spacing="3", width="100%",
        ),
        size="3", width="100%", id="connection-" + row["provider"].to(str),
    )


@rx.page(route=routes.CONNECTIONS, title="Connected accounts · Azekia Studio", on_load=ConnectionsState.load)
def connected_accounts() -> rx.Component:
    return public_page(
        account_nav(),
        rx.vstack(
            rx.heading("Connected accounts", as_="h1", size="7"),
            rx.text("Connect Discord to get your notifications there, and TikTok to publish the videos you approve. "
                    "The studio asks for nothing more than what is listed, and you can disconnect at any time.",
                    color_scheme="gray"),
            rx.cond(ConnectionsState.notice,
                    rx.cond(ConnectionsState.notice_ok,
                            form_alert(ConnectionsState.notice, color="green", icon="circle-check"),
                            form_alert(ConnectionsState.notice))),
            form_alert(ConnectionsState.errors["form"]),
            form_alert(ConnectionsState.errors["provider"]),
            rx.cond(ConnectionsState.loaded,
                    rx.vstack(rx.foreach(ConnectionsState.rows, connection_card), spacing="4", width="100%"),
                    rx.hstack(rx.spinner(), rx.text("Loading your connections…"), padding_y="2rem")),
            spacing="4", max_width="40rem", width="100%",
        ),
        signed_in=True,
    )
