"""TikTok Login Kit v2 and the Content Posting API (direct post, FILE_UPLOAD), under three prefixes standing for
TikTok's hosts: ``/tiktok/www`` (https://www.tiktok.com), ``/tiktok/open`` (https://open.tiktokapis.com) and
``/tiktok/upload`` (the upload host of ``upload_url``).

Rules emulated, from TikTok's developer docs:
- Authorize (client_key, comma-separated scopes, PKCE): https://developers.tiktok.com/doc/login-kit-web and
  https://developers.tiktok.com/doc/login-kit-desktop (``code_challenge`` is the *hex* SHA-256 of the verifier,
  not RFC 7636's base64url).
- Token, refresh (the refresh token rotates), revoke; access token 2 h, refresh token 180 days:
  https://developers.tiktok.com/doc/oauth-user-access-token-management
- Error shape ``{"error": {"code", "message", "log_id"}}``, ``code == "ok"`` on success, the codes used here:
  https://developers.tiktok.com/doc/tiktok-api-v2-error-handling
- Scopes per endpoint and rate limits (creator info 20/min, init 6/min, status 30/min per user token):
  https://developers.tiktok.com/doc/content-posting-api-reference-direct-post and
  https://developers.tiktok.com/doc/content-posting-api-reference-query-creator-info
- Chunk rules (5-64 MB chunks, the last up to 128 MB, whole file under 5 MB, 1-1,000 chunks, in order,
  total_chunk_count = floor(video_size / chunk_size)), the PUT with Content-Range, 206 then 201:
  https://developers.tiktok.com/doc/content-posting-api-media-transfer-guide
- Status (PROCESSING_UPLOAD with uploaded_bytes, PUBLISH_COMPLETE with ``publicaly_available_post_id``, FAILED
  with ``fail_reason``, all with HTTP 200 and ``error.code == "ok"``):
  https://developers.tiktok.com/doc/content-posting-api-reference-get-video-status
- Unaudited clients may only post SELF_ONLY (``unaudited_client_can_only_post_to_private_accounts``):
  https://developers.tiktok.com/doc/content-sharing-guidelines
"""

from __future__ import annotations

import hashlib
import re
import secrets
import uuid
from typing import Any
from urllib.parse import urlencode

from starlette.requests import Request
from starlette.responses import JSONResponse, RedirectResponse, Response
from starlette.routing import Route

from studio_app.sandbox.core import Fault, Sandbox, log_id, new_token, wait_out
from studio_app.sandbox.http import DroppedResponse, consent_page, error_page

CLIENT_KEY = "sandbox-tiktok-client-key"
CLIENT_SECRET = "sandbox-tiktok-client-secret"
APP_NAME = "Azekia Studio (sandbox)"
ACCESS_SECONDS = 2 * 3600
REFRESH_SECONDS = 180 * 86400
CODE_SECONDS = 600
UPLOAD_URL_SECONDS = 3600  # an upload_url is valid for an hour
MB = 1024 * 1024
MIN_CHUNK, MAX_CHUNK, MAX_LAST_CHUNK, MAX_CHUNKS = 5 * MB, 64 * MB, 128 * MB, 1000
TITLE_LIMIT = 2200
VIDEO_TYPES = ("video/mp4", "video/quicktime", "video/webm")
PRIVACY_LEVELS = ("PUBLIC_TO_EVERYONE", "MUTUAL_FOLLOW_FRIENDS", "FOLLOWER_OF_CREATOR", "SELF_ONLY")
MAX_DURATION_SECONDS = 600
DEFAULT_PERSONA = "sandbox-tiktok-creator"
SCOPE_WORDS = {
    "user.info.basic": "Read your profile info (avatar, display name)",
    "video.publish": "Post content to TikTok on your behalf",
    "video.upload": "Share content to TikTok as drafts",
}
RATE_LIMITS = {"tiktok.init": 6, "tiktok.status": 30, "tiktok.creator_info": 20}  # requests a minute per token
_CONTENT_RANGE = re.compile(r"bytes (\d+)-(\d+)/(\d+)")


def routes(api: Api) -> list[Route]:
    open_api = "/tiktok/open/v2"
    return [
        Route("/tiktok/www/v2/auth/authorize/", api.authorize, methods=["GET", "POST"]),
        Route(f"{open_api}/oauth/token/", api.token, methods=["POST"]),
        Route(f"{open_api}/oauth/revoke/", api.revoke, methods=["POST"]),
        Route(f"{open_api}/user/info/", api.user_info, methods=["GET"]),
        Route(f"{open_api}/post/publish/creator_info/query/", api.creator_info, methods=["POST"]),
        Route(f"{open_api}/post/publish/video/init/", api.init, methods=["POST"]),
        Route(f"{open_api}/post/publish/status/fetch/", api.status, methods=["POST"]),
        Route("/tiktok/upload/video/", api.upload, methods=["PUT"]),
    ]


def api_error(status: int, code: str, message: str, headers: dict[str, str] | None = None) -> JSONResponse:
    return JSONResponse({"data": {}, "error": {"code": code, "message": message, "log_id": log_id()}},
                        status_code=status, headers=headers)


def ok(data: dict[str, Any]) -> JSONResponse:
    return JSONResponse({"data": data, "error": {"code": "ok", "message": "", "log_id": log_id()}})


def oauth_error(code: str, description: str) -> JSONResponse:
    return JSONResponse({"error": code, "error_description": description, "log_id": log_id()}, status_code=400)


def code_challenge(verifier: str) -> str:
    return hashlib.sha256(verifier.encode()).hexdigest()


def open_id_of(persona: str) -> str:
    return str(uuid.uuid5(uuid.NAMESPACE_URL, f"tiktok-sandbox:{persona}"))


class Api:
    def __init__(self, sandbox: Sandbox):
        self.sb = sandbox

    @property
    def data(self) -> dict[str, Any]:
        return self.sb.tiktok  # a reset replaces it

    async def _fault(self, route: str, token: str | None = None) -> Response | None:
        fault = self.sb.take_fault(route, ("rate_limit", "server_error", "timeout", "drop_connection",
                                           "expired_token", "revoked_token"))
        if fault is None:
            return None
        if fault.kind == "timeout":
            await wait_out(fault)
        return self._fault_response(fault, route, token)

    def _fault_response(self, fault: Fault, route: str, token: str | None) -> Response:
        if fault.kind == "rate_limit":
            headers = {"Retry-After": str(max(1, round(fault.retry_after)))} if fault.retry_after else None
            return api_error(429, "rate_limit_exceeded", "API rate limit was exceeded, please try again later.",
                             headers)
        if fault.kind == "drop_connection":
            return DroppedResponse()
        if fault.kind in ("expired_token", "revoked_token"):
            if fault.kind == "revoked_token" and token:
                self._revoke_grant(token)
            if route in ("tiktok.token", "tiktok.revoke"):
                return oauth_error("invalid_grant", "Refresh token is invalid or expired.")
            return api_error(401, "access_token_invalid", "The access token is invalid or not found in the request.")
        return api_error(500 if fault.kind == "server_error" else 504, "internal_error",
                         "Something went wrong. Please try again later.")

    def _respond(self, route: str, request: Request, response: Response) -> Response:
        self.sb.record_call(route, request.method, response.status_code)
        return response

    # Login Kit consent
    async def authorize(self, request: Request) -> Response:
        params = dict(request.query_params) if request.method == "GET" else dict(await request.form())
        if params.get("client_key") != CLIENT_KEY:
            return error_page("Something went wrong: client_key is unknown.")
        redirect_uri = params.get("redirect_uri", "")
        if not redirect_uri.startswith(("http://", "https://")):
            return error_page("Something went wrong: redirect_uri is invalid.")
        scopes = [scope for scope in params.get("scope", "").split(",") if scope]
        state = params.get("state")
        if not scopes or any(scope not in SCOPE_WORDS for scope in scopes):
            return _redirect(redirect_uri, error="invalid_scope", error_description="Scope is invalid.", state=state)
        if params.get("response_type") != "code":
            return _redirect(redirect_uri, error="invalid_request", error_description="response_type must be code.",
                             state=state)
        if params.get("code_challenge_method") != "S256" or not params.get("code_challenge"):
            return _redirect(redirect_uri, error="invalid_request",
                             error_description="Code verifier or code challenge is invalid.", state=state)
        if request.method == "GET":
            hidden = {key: params[key] for key in ("client_key", "redirect_uri", "scope", "state", "response_type",
                                                   "code_challenge", "code_challenge_method") if key in params}
            return consent_page(title="Log in to TikTok", app_name=APP_NAME, provider="TikTok",
                                action="/tiktok/www/v2/auth/authorize/", hidden=hidden, persona=DEFAULT_PERSONA,
                                scopes=[SCOPE_WORDS[scope] for scope in scopes])
        if params.get("decision") != "authorize":
            return _redirect(redirect_uri, error="access_denied", error_description="The user denied the request.",
                             state=state)
        persona = (params.get("persona") or DEFAULT_PERSONA).strip()[:32] or DEFAULT_PERSONA
        open_id = open_id_of(persona)
        self.data["users"][open_id] = {"open_id": open_id, "persona": persona, "display_name": persona}
        code = secrets.token_urlsafe(24)
        self.data["codes"][code] = {"open_id": open_id, "scopes": scopes, "redirect_uri": redirect_uri,
                                    "challenge": params["code_challenge"], "expires": self.sb.now() + CODE_SECONDS}
        return _redirect(redirect_uri, code=code, scopes=",".join(scopes), state=state)

    async def token(self, request: Request) -> Response:
        route = "tiktok.token"
        form = dict(await request.form())
        if (faulted := await self._fault(route, form.get("refresh_token"))) is not None:
            return self._respond(route, request, faulted)
        return self._respond(route, request, self._token(form))

    def _token(self, form: dict[str, str]) -> Response:
        if form.get("client_key") != CLIENT_KEY or not secrets.compare_digest(form.get("client_secret", ""),
                                                                              CLIENT_SECRET):
            return oauth_error("invalid_client", "Client key or secret is incorrect.")
        if form.get("grant_type") == "authorization_code":
            grant = self.data["codes"].pop(form.get("code", ""), None)
            if grant is None or grant["expires"] < self.sb.now():
                return oauth_error("invalid_grant", "Authorization code is expired.")
            if grant["redirect_uri"] != form.get("redirect_uri"):
                return oauth_error("invalid_request", "Redirect URI does not match.")
            if code_challenge(form.get("code_verifier", "")) != grant["challenge"]:
                return oauth_error("invalid_request", "Code verifier or code challenge is invalid.")
            return JSONResponse(self._issue(grant["open_id"], grant["scopes"], "issued"))
        if form.get("grant_type") == "refresh_token":
            old = self.data["refresh"].pop(form.get("refresh_token", ""), None)
            if old is None or old["expires"] < self.sb.now():
                return oauth_error("invalid_grant", "Refresh token is invalid or expired.")
            # Rotation: the old refresh token is spent, and so is the access token it came with.
            self.data["access"].pop(old["access_token"], None)
            return JSONResponse(self._issue(old["open_id"], old["scopes"], "refreshed"))
        return oauth_error("invalid_request", "grant_type is invalid.")

    def _issue(self, open_id: str, scopes: list[str], counted: str) -> dict[str, Any]:
        access, refresh = new_token("act"), new_token("rft")
        now = self.sb.now()
        self.data["access"][access] = {"open_id": open_id, "scopes": scopes, "expires": now + ACCESS_SECONDS,
                                       "refresh_token": refresh}
        self.data["refresh"][refresh] = {"open_id": open_id, "scopes": scopes, "expires": now + REFRESH_SECONDS,
                                         "access_token": access}
        self.sb.count_token("tiktok", self.data["users"][open_id]["persona"], counted)
        return {"access_token": access, "expires_in": ACCESS_SECONDS, "open_id": open_id,
                "refresh_expires_in": REFRESH_SECONDS, "refresh_token": refresh, "scope": ",".join(scopes),
                "token_type": "Bearer"}

    def _revoke_grant(self, token: str) -> bool:
        grant = self.data["access"].pop(token, None)
        if grant is not None:
            self.data["refresh"].pop(grant["refresh_token"], None)
        else:
            grant = self.data["refresh"].pop(token, None)
            if grant is None:
                return False
            self.data["access"].pop(grant["access_token"], None)
        self.sb.count_token("tiktok", self.data["users"][grant["open_id"]]["persona"], "revoked")
        return True

    async def revoke(self, request: Request) -> Response:
        route = "tiktok.revoke"
        form = dict(await request.form())
        if (faulted := await self._fault(route)) is not None:
            return self._respond(route, request, faulted)
        if form.get("client_key") != CLIENT_KEY or not secrets.compare_digest(form.get("client_secret", ""),
                                                                              CLIENT_SECRET):
            return self._respond(route, request, oauth_error("invalid_client", "Client key or secret is incorrect."))
        self._revoke_grant(form.get("token", ""))
        return self._respond(route, request, JSONResponse({}))

    def _bearer(self, request: Request, scope: str) -> tuple[dict[str, Any] | None, str, Response | None]:
        auth = request.headers.get("authorization", "")
        token = auth[7:] if auth.startswith("Bearer ") else ""
        grant = self.data["access"].get(token)
        if grant is None or grant["expires"] < self.sb.now():
            return None, token, api_error(401, "access_token_invalid",
                                          "The access token is invalid or not found in the request.")
        if scope not in grant["scopes"]:
            return None, token, api_error(401, "scope_not_authorized",
                                          f"The user did not authorize the scope required for completing this "
                                          f"request ({scope}).")
        return grant, token, None

    async def _guarded(self, route: str, request: Request, scope: str) -> tuple[dict | None, str, Response | None]:
        """Token, scope, injected fault, then the per-token rate limit: what every content call goes through."""
        grant, token, refused = self._bearer(request, scope)
        if refused is not None:
            return None, token, refused
        if (faulted := await self._fault(route, token)) is not None:
            return None, token, faulted
        if route in RATE_LIMITS:
            allowed, _, _ = self.sb.hit((route, token), RATE_LIMITS[route], 60.0)
            if not allowed:
                return None, token, api_error(429, "rate_limit_exceeded",
                                              "API rate limit was exceeded, please try again later.")
        return grant, token, None

    async def user_info(self, request: Request) -> Response:
        route = "tiktok.user"
        grant, _, refused = await self._guarded(route, request, "user.info.basic")
        if refused is not None:
            return self._respond(route, request, refused)
        user = self.data["users"][grant["open_id"]]
        known = {"open_id": user["open_id"], "union_id": user["open_id"], "display_name": user["display_name"],
                 "avatar_url": f"https://p16.tiktokcdn.example/avatar/{user['open_id']}.jpeg"}
        fields = [field for field in request.query_params.get("fields", "").split(",") if field]
        unknown = [field for field in fields if field not in known]
        if not fields or unknown:
            return self._respond(route, request, api_error(400, "invalid_params", "The fields are invalid."))
        return self._respond(route, request, ok({"user": {field: known[field] for field in fields}}))

    async def creator_info(self, request: Request) -> Response:
        route = "tiktok.creator_info"
        grant, _, refused = await self._guarded(route, request, "video.publish")
        if refused is not None:
            return self._respond(route, request, refused)
        user = self.data["users"][grant["open_id"]]
        return self._respond(route, request, ok({
            "creator_avatar_url": f"https://p16.tiktokcdn.example/avatar/{user['open_id']}.jpeg",
            "creator_username": user["persona"].lower().replace(" ", "_"),
            "creator_nickname": user["display_name"],
            "privacy_level_options": list(PRIVACY_LEVELS),
            "comment_disabled": False, "duet_disabled": False, "stitch_disabled": True,
            "max_video_post_duration_sec": MAX_DURATION_SECONDS,
        }))

    async def init(self, request: Request) -> Response:
        route = "tiktok.init"
        grant, _, refused = await self._guarded(route, request, "video.publish")
        if refused is not None:
            return self._respond(route, request, refused)
        try:
            body = await request.json()
            post_info, source = body.get("post_info") or {}, body["source_info"]
        except (ValueError, KeyError, TypeError, AttributeError):
            return self._respond(route, request, api_error(400, "invalid_params", "The request body is invalid."))
        problem = _post_info_problem(post_info) or _chunk_problem(source)
        if problem is not None:
            return self._respond(route, request, api_error(400, "invalid_params", problem))
        if not self.sb.audited and post_info["privacy_level"] != "SELF_ONLY":
            return self._respond(route, request, api_error(
                403, "unaudited_client_can_only_post_to_private_accounts",
                "Please review our integration guidelines at https://developers.tiktok.com/doc/content-sharing-"
                "guidelines/"))
        publish_id = f"v_pub_file~v2-1.{secrets.randbelow(10**18)}"
        upload_id, upload_token = secrets.token_hex(12), secrets.token_urlsafe(24)
        self.data["publishes"][publish_id] = {
            "publish_id": publish_id, "open_id": grant["open_id"], "title": post_info.get("title", ""),
            "privacy_level": post_info["privacy_level"], "video_size": source["video_size"],
            "chunk_size": source["chunk_size"], "total_chunk_count": source["total_chunk_count"],
            "uploaded_bytes": 0, "sha256": None, "fail_reason": "", "post_id": None, "completed_at": None,
            "_hash": hashlib.sha256(), "_upload_token": upload_token, "_upload_expires": self.sb.now() +
            UPLOAD_URL_SECONDS,
        }
        self.data["uploads"][upload_id] = publish_id
        query = urlencode({"upload_id": upload_id, "upload_token": upload_token})
        upload_url = f"{request.base_url}tiktok/upload/video/?{query}"
        return self._respond(route, request, ok({"publish_id": publish_id, "upload_url": upload_url}))

    async def upload(self, request: Request) -> Response:
        route = "tiktok.upload"
        publish = self.data["publishes"].get(self.data["uploads"].get(request.query_params.get("upload_id", ""), ""))
        if publish is None or not secrets.compare_digest(publish["_upload_token"],
                                                         request.query_params.get("upload_token", "")):
            return self._respond(route, request, api_error(404, "not_found", "The upload was not found."))
        if publish["_upload_expires"] < self.sb.now():
            return self._respond(route, request, api_error(403, "upload_url_expired", "The upload URL expired."))
        fault = self.sb.take_fault(route, ("rate_limit", "server_error", "timeout", "drop_connection"))
        if fault is not None and fault.kind != "drop_connection":
            if fault.kind == "timeout":
                await wait_out(fault)
            return self._respond(route, request, self._fault_response(fault, route, None))
        problem, status, first, expected = self._range_problem(request, publish)
        if problem is not None:
            return self._respond(route, request, api_error(status, "invalid_params", problem))
        # Hash into a copy: a chunk cut off halfway leaves the upload where it was, ready for the chunk again.
        hasher, received = publish["_hash"].copy(), 0
        async for piece in request.stream():
            received += len(piece)
            if received > expected:
                return self._respond(route, request, api_error(400, "invalid_params",
                                                               "The chunk is longer than its Content-Range."))
            hasher.update(piece)
            if fault is not None and received >= expected // 2:
                return self._respond(route, request, DroppedResponse())
        if received != expected:
            return self._respond(route, request, api_error(400, "invalid_params",
                                                           "The chunk is shorter than its Content-Range."))
        publish["_hash"], publish["uploaded_bytes"] = hasher, first + received
        if publish["uploaded_bytes"] < publish["video_size"]:
            return self._respond(route, request, Response(status_code=206))
        self._complete(publish)
        return self._respond(route, request, Response(status_code=201))

    def _range_problem(self, request: Request, publish: dict[str, Any]) -> tuple[str | None, int, int, int]:
        if request.headers.get("content-type", "").split(";")[0].strip() not in VIDEO_TYPES:
            return "Content-Type must be video/mp4, video/quicktime or video/webm.", 400, 0, 0
        match = _CONTENT_RANGE.fullmatch(request.headers.get("content-range", "").strip())
        if match is None:
            return "Content-Range must be 'bytes FIRST-LAST/TOTAL'.", 400, 0, 0
        first, last, total = (int(value) for value in match.groups())
        size, chunk, count = publish["video_size"], publish["chunk_size"], publish["total_chunk_count"]
        done = publish["uploaded_bytes"]
        if total != size or done >= size:
            return "The total size does not match the initialized video_size.", 400, 0, 0
        index = done // chunk
        expected = chunk if index < count - 1 else size - chunk * (count - 1)
        if first != done or last != first + expected - 1:
            return (f"Chunks are uploaded in order: expected bytes {done}-{done + expected - 1}/{size}.", 416,
                    0, 0)
        length = request.headers.get("content-length")
        if length is not None and int(length) != expected:
            return "Content-Length does not match Content-Range.", 400, 0, 0
        return None, 200, first, expected

    def _complete(self, publish: dict[str, Any]) -> None:
        publish["sha256"] = publish["_hash"].hexdigest()
        publish["completed_at"] = self.sb.now()
        failed = self.sb.take_fault("tiktok.publish", ("publish_failed",))
        if failed is not None:
            publish["fail_reason"] = str(failed.extra.get("reason", "file_format_check_failed"))
        else:
            publish["post_id"] = 7_000_000_000_000_000_000 + secrets.randbelow(10**17)

    def status_of(self, publish: dict[str, Any]) -> str:
        if publish["completed_at"] is None:
            return "PROCESSING_UPLOAD"
        if self.sb.now() < publish["completed_at"] + self.sb.publish_seconds:
            return "PROCESSING_UPLOAD" if self.sb.now() < publish["completed_at"] + self.sb.publish_seconds / 2 \
                else "PROCESSING_DOWNLOAD"
        return "FAILED" if publish["fail_reason"] else "PUBLISH_COMPLETE"

    async def status(self, request: Request) -> Response:
        route = "tiktok.status"
        grant, _, refused = await self._guarded(route, request, "video.publish")
        if refused is not None:
            return self._respond(route, request, refused)
        try:
            publish_id = (await request.json()).get("publish_id")
        except (ValueError, AttributeError):
            publish_id = None
        publish = self.data["publishes"].get(publish_id) if isinstance(publish_id, str) else None
        if publish is None or publish["open_id"] != grant["open_id"]:
            return self._respond(route, request, api_error(400, "invalid_publish_id", "The publish_id is invalid."))
        status = self.status_of(publish)
        data: dict[str, Any] = {"status": status, "uploaded_bytes": publish["uploaded_bytes"]}
        if status == "FAILED":
            data["fail_reason"] = publish["fail_reason"]
        if status == "PUBLISH_COMPLETE":
            data["publicaly_available_post_id"] = [publish["post_id"]]  # TikTok's own spelling
        return self._respond(route, request, ok(data))

    def published(self) -> list[dict[str, Any]]:
        return [{"publish_id": p["publish_id"], "open_id": p["open_id"], "title": p["title"],
                 "privacy_level": p["privacy_level"], "video_size": p["video_size"], "sha256": p["sha256"],
                 "post_id": p["post_id"]}
                for p in self.data["publishes"].values() if self.status_of(p) == "PUBLISH_COMPLETE"]


def _post_info_problem(post_info: dict[str, Any]) -> str | None:
    if post_info.get("privacy_level") not in PRIVACY_LEVELS:
        return "post_info.privacy_level must be one of the creator's privacy_level_options."
    title = post_info.get("title", "")
    if not isinstance(title, str) or len(title.encode("utf-16-le")) // 2 > TITLE_LIMIT:
        return f"post_info.title must be at most {TITLE_LIMIT} characters."
    return None


def _chunk_problem(source: dict[str, Any]) -> str | None:
    if source.get("source") != "FILE_UPLOAD":
        return "The sandbox accepts source_info.source FILE_UPLOAD only."
    size, chunk, count = (source.get(key) for key in ("video_size", "chunk_size", "total_chunk_count"))
    if not all(isinstance(value, int) and value > 0 for value in (size, chunk, count)):
        return "video_size, chunk_size and total_chunk_count must be positive integers."
    if size < MIN_CHUNK:
        if chunk != size or count != 1:
            return "A video under 5 MB is uploaded whole: chunk_size equals video_size, total_chunk_count 1."
        return None
    if not MIN_CHUNK <= chunk <= min(MAX_CHUNK, size):
        return "chunk_size must be between 5 MB and 64 MB (and not above video_size)."
    if count != size // chunk:
        return "total_chunk_count must be video_size divided by chunk_size, rounded down."
    if count > MAX_CHUNKS:
        return f"A video is uploaded in at most {MAX_CHUNKS} chunks."
    if size - chunk * (count - 1) > MAX_LAST_CHUNK:
        return "The last chunk may be at most 128 MB."
    return None


def _redirect(uri: str, **params: str | None) -> RedirectResponse:
    query = urlencode({key: value for key, value in params.items() if value is not None})
    return RedirectResponse(f"{uri}{'&' if '?' in uri else '?'}{query}", status_code=302)
