"""Discord: OAuth2 (``identify``, ``webhook.incoming``), the bot's direct messages, channel webhooks.

Endpoints are paths under ``DiscordEndpoints.base_url`` (https://discord.com, or the sandbox's ``/discord``):
https://discord.com/developers/docs/topics/oauth2 and https://discord.com/developers/docs/reference (API v10).
"""

from __future__ import annotations

import dataclasses
import functools
import json

import httpx

from studio_app.integrations.providers import (
    DiscordEndpoints,
    ProviderError,
    default_http,
    json_object,
    oauth_client,
    parse_retry_after,
    send,
    transport_errors,
)

PROVIDER = "discord"
AUTHORIZE_PATH = "/oauth2/authorize"
TOKEN_PATH = "/api/oauth2/token"
REVOKE_PATH = "/api/oauth2/token/revoke"
API_PATH = "/api/v10"
CURRENT_USER_PATH = f"{API_PATH}/users/@me"
DM_CHANNELS_PATH = f"{API_PATH}/users/@me/channels"
CHANNEL_MESSAGES_PATH = API_PATH + "/channels/{channel_id}/messages"
WEBHOOK_PATH = API_PATH + "/webhooks/{webhook_id}/{webhook_token}"
MESSAGE_LIMIT = 2000  # characters: https://discord.com/developers/docs/resources/message#create-message
# No @everyone, role or user pings from anything we relay:
# https://discord.com/developers/docs/resources/message#allowed-mentions-object
NO_MENTIONS = {"parse": []}
# OAuth errors that only a new consent fixes.
_RECONNECT_ERRORS = {"invalid_grant", "access_denied"}


@dataclasses.dataclass(frozen=True)
class DiscordWebhook:
    id: str
    token: str = dataclasses.field(repr=False)
    channel_id: str
    guild_id: str
    name: str


@dataclasses.dataclass(frozen=True)
class DiscordGrant:
    access_token: str = dataclasses.field(repr=False)
    refresh_token: str = dataclasses.field(repr=False)
    expires_in: int
    scope: tuple[str, ...]
    webhook: DiscordWebhook | None = None


@dataclasses.dataclass(frozen=True)
class DiscordUser:
    id: str
    username: str
    global_name: str | None


class DiscordClient:
    def __init__(self, endpoints: DiscordEndpoints, *, http: httpx.Client | None = None):
        self.endpoints = endpoints
        self.http = http or default_http()

    def _url(self, path: str) -> str:
        return f"{self.endpoints.base_url.rstrip('/')}{path}"

    # OAuth2, through authlib: https://discord.com/developers/docs/topics/oauth2#authorization-code-grant
    @functools.cached_property
    def _oauth(self):
        return oauth_client(PROVIDER, client_id=self.endpoints.client_id, client_secret=self.endpoints.client_secret,
                            auth_method="client_secret_basic", error=_error)

    def authorization_url(self, *, redirect_uri: str, scopes: tuple[str, ...] | list[str], state: str) -> str:
        url, _state = self._oauth.create_authorization_url(self._url(AUTHORIZE_PATH), state=state,
                                                           redirect_uri=redirect_uri, scope=" ".join(scopes))
        return url

    def exchange_code(self, *, code: str, redirect_uri: str) -> DiscordGrant:
        with transport_errors(PROVIDER):
            token = self._oauth.fetch_token(self._url(TOKEN_PATH), grant_type="authorization_code", code=code,
                                            redirect_uri=redirect_uri)
        return _grant(token)

    def refresh(self, refresh_token: str) -> DiscordGrant:
        with transport_errors(PROVIDER):
            return _grant(self._oauth.refresh_token(self._url(TOKEN_PATH), refresh_token=refresh_token))

    def revoke(self, token: str) -> None:
        with transport_errors(PROVIDER):
            response = self._oauth.revoke_token(self._url(REVOKE_PATH), token=token)
        if response.status_code != 200:
            raise _error(response)

    def current_user(self, access_token: str) -> DiscordUser:
        body = self._call("GET", CURRENT_USER_PATH, headers={"Authorization": f"Bearer {access_token}"})
        return DiscordUser(id=str(body["id"]), username=body.get("username", ""), global_name=body.get("global_name"))

    # The bot
    def _bot(self) -> dict[str, str]:
        return {"Authorization": f"Bot {self.endpoints.bot_token}"}

    def open_dm(self, recipient_id: str) -> str:
        body = self._call("POST", DM_CHANNELS_PATH, headers=self._bot(), json={"recipient_id": recipient_id})
        return str(body["id"])

    def send_message(self, channel_id: str, content: str) -> str:
        body = self._call("POST", CHANNEL_MESSAGES_PATH.format(channel_id=channel_id), headers=self._bot(),
                          json={"content": content, "allowed_mentions": NO_MENTIONS})
        return str(body["id"])

    # Webhooks: https://discord.com/developers/docs/resources/webhook#execute-webhook
    def execute_webhook(self, webhook_id: str, webhook_token: str, content: str, *,
                        file: tuple[str, bytes, str] | None = None) -> str:
        """Posts and returns the message id (``?wait=true``). A file goes as multipart ``files[0]``."""
        path = WEBHOOK_PATH.format(webhook_id=webhook_id, webhook_token=webhook_token)
        payload = {"content": content, "allowed_mentions": NO_MENTIONS}
        if file is None:
            body = self._call("POST", path, params={"wait": "true"}, json=payload)
        else:
            name, data, content_type = file
            payload["attachments"] = [{"id": 0, "filename": name}]
            body = self._call("POST", path, params={"wait": "true"}, data={"payload_json": json.dumps(payload)},
                              files={"files[0]": (name, data, content_type)})
        return str(body["id"])

    def _call(self, method: str, path: str, **kwargs) -> dict:
        response = send(self.http, PROVIDER, method, self._url(path), **kwargs)
        if response.status_code >= 300:
            raise _error(response)
        return json_object(response)


def _grant(body: dict) -> DiscordGrant:
    hook = body.get("webhook")
    webhook = None if not isinstance(hook, dict) else DiscordWebhook(
        id=str(hook["id"]), token=hook["token"], channel_id=str(hook["channel_id"]),
        guild_id=str(hook.get("guild_id") or ""), name=hook.get("name") or "")
    return DiscordGrant(access_token=body["access_token"], refresh_token=body.get("refresh_token", ""),
                        expires_in=int(body.get("expires_in", 0)), scope=tuple(body.get("scope", "").split()),
                        webhook=webhook)


def _error(response: httpx.Response) -> ProviderError:
    """Discord's ``{"message", "code"}`` (REST) or ``{"error", "error_description"}`` (OAuth) as one error."""
    body = json_object(response)
    status = response.status_code
    if isinstance(body.get("error"), str):
        code, message = body["error"], str(body.get("error_description") or body["error"])
    elif body.get("code"):
        code, message = str(body["code"]), str(body.get("message") or "")
    else:
        code, message = f"http_{status}", str(body.get("message") or response.reason_phrase)
    retry_after = parse_retry_after(response, body.get("retry_after")) if status == 429 else None
    return ProviderError(PROVIDER, code, message, status=status, retry_after=retry_after,
                         retryable=status == 429 or status >= 500,
                         needs_reconnect=status == 401 or code in _RECONNECT_ERRORS)


def split_message(text: str, limit: int = MESSAGE_LIMIT) -> list[str]:
    """Pieces of at most ``limit`` characters, cut at a line break, else a space, else (one long word) anywhere."""
    pieces = []
    text = text.strip()
    while len(text) > limit:
        cut = text.rfind("\n", 0, limit + 1)
        if cut <= 0:
            cut = text.rfind(" ", 0, limit + 1)
        if cut <= 0:
            cut = limit
        pieces.append(text[:cut].rstrip())
        text = text[cut:].lstrip()
    if text:
        pieces.append(text)
    return pieces
