"""Discord's OAuth2 and the few REST routes we use, under ``/discord`` (standing for https://discord.com).

Rules emulated, from Discord's developer docs:
- OAuth2 (authorize, token, refresh, revoke; ``webhook.incoming`` returns a webhook with the token):
  https://discord.com/developers/docs/topics/oauth2
- Error shape ``{"message", "code"}`` and JSON codes (10003, 10013, 10015, 40005, 50007, 50035):
  https://discord.com/developers/docs/topics/opcodes-and-status-codes#json
- Rate limits (per-route buckets, the global 50 requests/s, 429 body and ``X-RateLimit-*`` headers):
  https://discord.com/developers/docs/topics/rate-limits
- Messages: 2,000 characters, ``allowed_mentions``: https://discord.com/developers/docs/resources/message
- Webhooks, ``?wait=true``: https://discord.com/developers/docs/resources/webhook#execute-webhook
- Attachments over the 10 MiB upload limit: 413 / 40005 ("Request entity too large"):
  https://discord.com/developers/docs/reference#uploading-files
"""

from __future__ import annotations

import base64
import json
import re
import secrets
from typing import Any
from urllib.parse import urlencode

from starlette.requests import Request
from starlette.responses import JSONResponse, RedirectResponse, Response
from starlette.routing import Route

from studio_app.sandbox.core import Fault, Sandbox, new_token, snowflake, wait_out
from studio_app.sandbox.http import DroppedResponse, consent_page, error_page

CLIENT_ID = "1100000000000000001"
CLIENT_SECRET = "sandbox-discord-client-secret"
BOT_TOKEN = "sandbox-discord-bot-token"
APP_NAME = "Azekia Studio (sandbox)"
ACCESS_SECONDS = 604_800  # Discord's access tokens last a week
CODE_SECONDS = 600
CONTENT_LIMIT = 2000
UPLOAD_LIMIT = 10 * 1024 * 1024
GLOBAL_LIMIT = 50  # requests a second per bot
GUILD_NAME = "Sandbox Studio"
GUILD_CHANNELS = ("announcements", "releases")
DEFAULT_PERSONA = "sandbox-discord-user"
SCOPE_WORDS = {
    "identify": "Know your Discord username and avatar",
    "webhook.incoming": "Post messages in a channel you choose (a webhook)",
    "email": "Know your email address",
    "guilds": "Know which servers you are in",
}
# (route, limit, window seconds): buckets like Discord's; the real ones change and are read from the headers.
BUCKETS = {"discord.dm": (10, 10.0), "discord.message": (5, 5.0), "discord.webhook": (5, 2.0)}
_MENTION = re.compile(r"<@!?(\d+)>|<@&(\d+)>|@(everyone|here)")


def routes(api: Api) -> list[Route]:
    return [
        Route("/discord/oauth2/authorize", api.authorize, methods=["GET", "POST"]),
        Route("/discord/api/oauth2/token", api.token, methods=["POST"]),
        Route("/discord/api/oauth2/token/revoke", api.revoke, methods=["POST"]),
        Route("/discord/api/v10/users/@me", api.me, methods=["GET"]),
        Route("/discord/api/v10/users/@me/channels", api.open_dm, methods=["POST"]),
        Route("/discord/api/v10/channels/{channel_id}/messages", api.send_message, methods=["POST"]),
        Route("/discord/api/v10/webhooks/{webhook_id}/{webhook_token}", api.execute_webhook, methods=["POST"]),
    ]


def error(status: int, code: int, message: str, headers: dict[str, str] | None = None, **extra) -> JSONResponse:
    return JSONResponse({"message": message, "code": code, **extra}, status_code=status, headers=headers)


def _oauth_error(error_code: str, description: str, status: int = 400) -> JSONResponse:
    return JSONResponse({"error": error_code, "error_description": description}, status_code=status)


class Api:
    def __init__(self, sandbox: Sandbox):
        self.sb = sandbox

    @property
    def data(self) -> dict[str, Any]:
        return self.sb.discord  # a reset replaces it

    def _guild_channels(self) -> dict[str, str]:
        return {name: snowflake(f"channel:{name}") for name in GUILD_CHANNELS}

    async def _fault(self, route: str) -> Response | None:
        fault = self.sb.take_fault(route, ("rate_limit", "server_error", "timeout", "drop_connection",
                                           "expired_token", "revoked_token"))
        if fault is None:
            return None
        if fault.kind == "timeout":
            await wait_out(fault)
        return self._fault_response(fault, route)

    def _fault_response(self, fault: Fault, route: str) -> Response:
        if fault.kind == "rate_limit":
            is_global = bool(fault.extra.get("global", False))
            return self._too_many(route, fault.retry_after, is_global=is_global, limit=BUCKETS.get(route, (5, 1))[0])
        if fault.kind == "drop_connection":
            return DroppedResponse()
        if fault.kind in ("expired_token", "revoked_token"):
            if route in ("discord.token", "discord.revoke"):
                return _oauth_error("invalid_grant", "Invalid \"refresh_token\" in request.")
            return error(401, 0, "401: Unauthorized")
        return error(503 if fault.kind == "server_error" else 504, 0,
                     "upstream connect error or disconnect/reset before headers")

    def _too_many(self, route: str, retry_after: float, *, is_global: bool, limit: int) -> JSONResponse:
        headers = {"Retry-After": str(max(1, round(retry_after + 0.499))),
                   "X-RateLimit-Scope": "global" if is_global else "user"}
        if is_global:
            headers["X-RateLimit-Global"] = "true"
        else:
            headers |= self._bucket_headers(route, limit, 0, retry_after)
        return JSONResponse({"message": "You are being rate limited.", "retry_after": round(retry_after, 3),
                             "global": is_global}, status_code=429, headers=headers)

    def _bucket_headers(self, route: str, limit: int, remaining: int, reset_after: float) -> dict[str, str]:
        return {"X-RateLimit-Limit": str(limit), "X-RateLimit-Remaining": str(remaining),
                "X-RateLimit-Reset": f"{self.sb.now() + reset_after:.3f}",
                "X-RateLimit-Reset-After": f"{reset_after:.3f}",
                "X-RateLimit-Bucket": snowflake(route)[-12:]}

    def _rate(self, route: str, major: str, *, bot: bool) -> tuple[Response | None, dict[str, str]]:
        """The global limit (bots), then the route's bucket; a 429, or the headers of a counted request."""
        if bot:
            allowed, _, reset_after = self.sb.hit(("discord-global", BOT_TOKEN), GLOBAL_LIMIT, 1.0)
            if not allowed:
                return self._too_many(route, reset_after, is_global=True, limit=GLOBAL_LIMIT), {}
        limit, window = BUCKETS[route]
        allowed, remaining, reset_after = self.sb.hit((route, major), limit, window)
        if not allowed:
            return self._too_many(route, reset_after, is_global=False, limit=limit), {}
        return None, self._bucket_headers(route, limit, remaining, reset_after)

    def _respond(self, route: str, request: Request, response: Response) -> Response:
        self.sb.record_call(route, request.method, response.status_code)
        return response

    # OAuth2 consent: https://discord.com/developers/docs/topics/oauth2#authorization-code-grant
    async def authorize(self, request: Request) -> Response:
        params = dict(request.query_params) if request.method == "GET" else dict(await request.form())
        if params.get("client_id") != CLIENT_ID:
            return error_page("Unknown application (client_id).")
        redirect_uri = params.get("redirect_uri", "")
        if not redirect_uri.startswith(("http://", "https://")):
            return error_page("Invalid redirect_uri.")
        scopes = params.get("scope", "").split()
        unknown = [scope for scope in scopes if scope not in SCOPE_WORDS]
        if params.get("response_type") != "code" or not scopes or unknown:
            return _redirect(redirect_uri, error="invalid_scope" if unknown or not scopes else
                             "unsupported_response_type", state=params.get("state"))
        if request.method == "GET":
            return self._consent(params, scopes)
        if params.get("decision") != "authorize":
            return _redirect(redirect_uri, error="access_denied",
                             error_description="The resource owner or authorization server denied the request",
                             state=params.get("state"))
        persona = (params.get("persona") or DEFAULT_PERSONA).strip()[:32] or DEFAULT_PERSONA
        user = self._user(persona, refuses_dms=params.get("refuses_dms") == "on")
        webhook = None
        if "webhook.incoming" in scopes:
            channels = self._guild_channels()
            channel_name = params.get("channel_name", GUILD_CHANNELS[0])
            if channel_name not in channels:
                return error_page("Pick a channel for the webhook.")
            webhook = self._new_webhook(channel_name, channels[channel_name])
        code = secrets.token_urlsafe(24)
        self.data["codes"][code] = {"user_id": user["id"], "scopes": scopes, "redirect_uri": redirect_uri,
                                    "expires": self.sb.now() + CODE_SECONDS, "webhook": webhook}
        return _redirect(redirect_uri, code=code, state=params.get("state"))

    def _consent(self, params: dict[str, str], scopes: list[str]) -> Response:
        hidden = {key: params[key] for key in ("client_id", "redirect_uri", "scope", "state", "response_type")
                  if key in params}
        extra = ('<p><input type="checkbox" id="refuses_dms" name="refuses_dms">'
                 '<label for="refuses_dms" style="display:inline">This account refuses direct messages</label></p>')
        if "webhook.incoming" in scopes:
            options = "".join(f'<option value="{name}">#{name}</option>' for name in GUILD_CHANNELS)
            extra += (f'<label for="channel_name">Channel of {GUILD_NAME} that receives the posts</label>'
                      f'<select id="channel_name" name="channel_name">{options}</select>')
        return consent_page(title="Authorize access to your Discord account", app_name=APP_NAME,
                            provider="Discord", action="/discord/oauth2/authorize", hidden=hidden,
                            persona=DEFAULT_PERSONA, scopes=[SCOPE_WORDS[scope] for scope in scopes],
                            extra_fields=extra)

    def _user(self, persona: str, *, refuses_dms: bool) -> dict[str, Any]:
        user_id = snowflake(f"user:{persona}")
        user = self.data["users"].setdefault(user_id, {"id": user_id, "username": persona.lower().replace(" ", "_"),
                                                        "global_name": persona, "persona": persona})
        user["refuses_dms"] = refuses_dms
        return user

    def _new_webhook(self, channel_name: str, channel_id: str) -> dict[str, Any]:
        webhook_id = snowflake(f"webhook:{secrets.token_hex(8)}")
        return {"id": webhook_id, "token": secrets.token_urlsafe(48), "channel_id": channel_id,
                "guild_id": snowflake(f"guild:{GUILD_NAME}"), "name": f"#{channel_name}", "type": 1}

    def _client_ok(self, request: Request, form: dict[str, str]) -> bool:
        auth = request.headers.get("authorization", "")
        if auth.lower().startswith("basic "):
            try:
                client_id, _, secret = base64.b64decode(auth[6:]).decode().partition(":")
            except ValueError:
                return False
        else:
            client_id, secret = form.get("client_id", ""), form.get("client_secret", "")
        return secrets.compare_digest(client_id, CLIENT_ID) and secrets.compare_digest(secret, CLIENT_SECRET)

    async def token(self, request: Request) -> Response:
        route = "discord.token"
        if (faulted := await self._fault(route)) is not None:
            return self._respond(route, request, faulted)
        return self._respond(route, request, await self._token(request))

    async def _token(self, request: Request) -> Response:
        form = dict(await request.form())
        if not self._client_ok(request, form):
            return _oauth_error("invalid_client", "Invalid client credentials.", 401)
        grant_type = form.get("grant_type")
        if grant_type == "authorization_code":
            grant = self.data["codes"].pop(form.get("code", ""), None)
            if grant is None or grant["expires"] < self.sb.now():
                return _oauth_error("invalid_grant", "Invalid \"code\" in request.")
            if grant["redirect_uri"] != form.get("redirect_uri"):
                return _oauth_error("invalid_grant", "Invalid \"redirect_uri\" in request.")
            if grant["webhook"] is not None:
                self.data["webhooks"][grant["webhook"]["id"]] = grant["webhook"]
            return JSONResponse(self._issue(grant["user_id"], grant["scopes"], grant["webhook"], "issued"))
        if grant_type == "refresh_token":
            old = self.data["refresh"].pop(form.get("refresh_token", ""), None)
            if old is None:
                return _oauth_error("invalid_grant", "Invalid \"refresh_token\" in request.")
            self.data["access"].pop(old["access_token"], None)
            return JSONResponse(self._issue(old["user_id"], old["scopes"], None, "refreshed"))
        return _oauth_error("unsupported_grant_type", "Unsupported grant type.")

    def _issue(self, user_id: str, scopes: list[str], webhook: dict | None, counted: str) -> dict[str, Any]:
        access, refresh = new_token("dsa"), new_token("dsr")
        self.data["access"][access] = {"user_id": user_id, "scopes": scopes, "expires": self.sb.now() + ACCESS_SECONDS,
                                       "refresh_token": refresh}
        self.data["refresh"][refresh] = {"user_id": user_id, "scopes": scopes, "access_token": access}
        self.sb.count_token("discord", self.data["users"][user_id]["persona"], counted)
        answer = {"access_token": access, "token_type": "Bearer", "expires_in": ACCESS_SECONDS,
                  "refresh_token": refresh, "scope": " ".join(scopes)}
        if webhook is not None:
            answer["webhook"] = {**webhook, "url": f"https://discord.com/api/webhooks/{webhook['id']}/{webhook['token']}"}
        return answer

    async def revoke(self, request: Request) -> Response:
        route = "discord.revoke"
        if (faulted := await self._fault(route)) is not None:
            return self._respond(route, request, faulted)
        form = dict(await request.form())
        if not self._client_ok(request, form):
            return self._respond(route, request, _oauth_error("invalid_client", "Invalid client credentials.", 401))
        token = form.get("token", "")
        grant = self.data["access"].get(token) or self.data["refresh"].get(token)
        if grant is not None:  # revoking either token ends the whole grant
            access = token if token in self.data["access"] else grant["access_token"]
            refresh = self.data["access"].get(access, {}).get("refresh_token") or token
            self.data["access"].pop(access, None)
            self.data["refresh"].pop(refresh, None)
            self.sb.count_token("discord", self.data["users"][grant["user_id"]]["persona"], "revoked")
        return self._respond(route, request, JSONResponse({}))  # unknown tokens too, as RFC 7009 asks

    def _bearer_user(self, request: Request) -> dict[str, Any] | None:
        auth = request.headers.get("authorization", "")
        grant = self.data["access"].get(auth[7:]) if auth.startswith("Bearer ") else None
        if grant is None or grant["expires"] < self.sb.now():
            return None
        return self.data["users"][grant["user_id"]]

    async def me(self, request: Request) -> Response:
        route = "discord.me"
        if (faulted := await self._fault(route)) is not None:
            return self._respond(route, request, faulted)
        user = self._bearer_user(request)
        if user is None:
            return self._respond(route, request, error(401, 0, "401: Unauthorized"))
        return self._respond(route, request, JSONResponse(
            {"id": user["id"], "username": user["username"], "global_name": user["global_name"],
             "discriminator": "0", "avatar": None}))

    def _bot_ok(self, request: Request) -> bool:
        return secrets.compare_digest(request.headers.get("authorization", ""), f"Bot {BOT_TOKEN}")

    async def open_dm(self, request: Request) -> Response:
        route = "discord.dm"
        if not self._bot_ok(request):
            return self._respond(route, request, error(401, 0, "401: Unauthorized"))
        if (faulted := await self._fault(route)) is not None:
            return self._respond(route, request, faulted)
        limited, headers = self._rate(route, "@me", bot=True)
        if limited is not None:
            return self._respond(route, request, limited)
        body = await _json(request)
        recipient = self.data["users"].get(str(body.get("recipient_id", ""))) if body is not None else None
        if recipient is None:
            return self._respond(route, request, error(404, 10013, "Unknown User", headers))
        channel_id = snowflake(f"dm:{recipient['id']}")
        self.data["channels"][channel_id] = {"id": channel_id, "type": 1, "recipient_id": recipient["id"]}
        return self._respond(route, request, JSONResponse(
            {"id": channel_id, "type": 1, "recipients": [{"id": recipient["id"], "username": recipient["username"]}]},
            headers=headers))

    async def send_message(self, request: Request) -> Response:
        route = "discord.message"
        if not self._bot_ok(request):
            return self._respond(route, request, error(401, 0, "401: Unauthorized"))
        if (faulted := await self._fault(route)) is not None:
            return self._respond(route, request, faulted)
        channel_id = request.path_params["channel_id"]
        limited, headers = self._rate(route, channel_id, bot=True)
        if limited is not None:
            return self._respond(route, request, limited)
        channel = self.data["channels"].get(channel_id)
        if channel is None and channel_id not in self._guild_channels().values():
            return self._respond(route, request, error(404, 10003, "Unknown Channel", headers))
        payload = await _json(request)
        invalid = _invalid_message(payload)
        if invalid is not None:
            return self._respond(route, request, error(400, 50035, "Invalid Form Body", headers, errors=invalid))
        if channel is not None and self.data["users"][channel["recipient_id"]].get("refuses_dms"):
            return self._respond(route, request, error(403, 50007, "Cannot send messages to this user", headers))
        message = self._message(channel_id, payload)
        if channel is not None:
            self.data["dms"].append({**message, "recipient_id": channel["recipient_id"]})
        else:
            self.data["messages"].append(message)
        return self._respond(route, request, JSONResponse(_message_object(message), headers=headers))

    def _message(self, channel_id: str, payload: dict[str, Any], **extra) -> dict[str, Any]:
        message_id = snowflake(f"message:{secrets.token_hex(8)}")
        return {"id": message_id, "channel_id": channel_id, "content": payload.get("content", ""),
                "would_ping": _pings(payload.get("content", ""), payload.get("allowed_mentions")),
                "allowed_mentions": payload.get("allowed_mentions"), "at": round(self.sb.now(), 3), **extra}

    async def execute_webhook(self, request: Request) -> Response:
        route = "discord.webhook"
        if (faulted := await self._fault(route)) is not None:
            return self._respond(route, request, faulted)
        hook = self.data["webhooks"].get(request.path_params["webhook_id"])
        if hook is None or not secrets.compare_digest(hook["token"], request.path_params["webhook_token"]):
            return self._respond(route, request, error(404, 10015, "Unknown Webhook"))
        limited, headers = self._rate(route, hook["id"], bot=False)
        if limited is not None:
            return self._respond(route, request, limited)
        length = int(request.headers.get("content-length") or 0)
        if length > UPLOAD_LIMIT + 64 * 1024:
            return self._respond(route, request, error(413, 40005, "Request entity too large", headers))
        payload, attachments = await self._webhook_body(request)
        if payload is None:
            return self._respond(route, request, error(400, 50109, "The request body contains invalid JSON.", headers))
        if any(item["size"] > UPLOAD_LIMIT for item in attachments) or \
                sum(item["size"] for item in attachments) > UPLOAD_LIMIT:
            return self._respond(route, request, error(413, 40005, "Request entity too large", headers))
        invalid = _invalid_message(payload, allow_empty=bool(attachments))
        if invalid is not None:
            return self._respond(route, request, error(400, 50035, "Invalid Form Body", headers, errors=invalid))
        message = self._message(hook["channel_id"], payload, webhook_id=hook["id"], attachments=attachments)
        self.data["executions"].append(message)
        if request.query_params.get("wait", "").lower() != "true":
            return self._respond(route, request, Response(status_code=204, headers=headers))
        return self._respond(route, request, JSONResponse(_message_object(message), headers=headers))

    async def _webhook_body(self, request: Request) -> tuple[dict[str, Any] | None, list[dict[str, Any]]]:
        if not request.headers.get("content-type", "").startswith("multipart/form-data"):
            return await _json(request), []
        async with request.form(max_part_size=UPLOAD_LIMIT) as form:
            try:
                payload = json.loads(str(form.get("payload_json") or "{}"))
            except ValueError:
                return None, []
            attachments = []
            for key, value in form.multi_items():
                if key.startswith("files[") and hasattr(value, "read"):
                    size = value.size if value.size is not None else len(await value.read())
                    attachments.append({"filename": value.filename, "size": size,
                                        "content_type": value.content_type})
            return payload, attachments


async def _json(request: Request) -> dict[str, Any] | None:
    try:
        body = await request.json()
    except ValueError:
        return None
    return body if isinstance(body, dict) else None


def _invalid_message(payload: dict[str, Any] | None, *, allow_empty: bool = False) -> dict[str, Any] | None:
    if payload is None:
        return {"_errors": [{"code": "BASE_TYPE_REQUIRED", "message": "This field is required"}]}
    content = payload.get("content") or ""
    if not isinstance(content, str):
        return {"content": {"_errors": [{"code": "BASE_TYPE_STRING", "message": "Must be a string."}]}}
    if len(content) > CONTENT_LIMIT:
        return {"content": {"_errors": [{"code": "BASE_TYPE_MAX_LENGTH",
                                          "message": f"Must be {CONTENT_LIMIT} or fewer in length."}]}}
    if not content and not allow_empty and not payload.get("embeds"):
        return {"content": {"_errors": [{"code": "BASE_TYPE_REQUIRED", "message": "Cannot send an empty message"}]}}
    return None


def _pings(content: str, allowed: dict[str, Any] | None) -> list[str]:
    """Who the message would have notified, by Discord's allowed_mentions rules (absent: everything parsed)."""
    parse = set(allowed.get("parse", [])) if allowed is not None else {"users", "roles", "everyone"}
    users = set(allowed.get("users", [])) if allowed is not None else set()
    roles = set(allowed.get("roles", [])) if allowed is not None else set()
    pings = []
    for user_id, role_id, everyone in _MENTION.findall(content):
        if user_id and ("users" in parse or user_id in users):
            pings.append(f"user:{user_id}")
        elif role_id and ("roles" in parse or role_id in roles):
            pings.append(f"role:{role_id}")
        elif everyone and "everyone" in parse:
            pings.append(f"@{everyone}")
    return pings


def _message_object(message: dict[str, Any]) -> dict[str, Any]:
    answer = {"id": message["id"], "channel_id": message["channel_id"], "content": message["content"], "type": 0,
              "attachments": message.get("attachments", [])}
    if "webhook_id" in message:
        answer["webhook_id"] = message["webhook_id"]
    return answer


def _redirect(uri: str, **params: str | None) -> RedirectResponse:
    query = urlencode({key: value for key, value in params.items() if value is not None})
    return RedirectResponse(f"{uri}{'&' if '?' in uri else '?'}{query}", status_code=302)
