"""TikTok: Login Kit v2 with PKCE, user info, and the Content Posting API's direct post from a file.

Hosts come from ``TikTokEndpoints`` (``auth_url`` for https://www.tiktok.com, ``api_url`` for
https://open.tiktokapis.com); the upload host comes with each ``upload_url``. Docs:
https://developers.tiktok.com/doc/login-kit-web, https://developers.tiktok.com/doc/oauth-user-access-token-management,
https://developers.tiktok.com/doc/content-posting-api-reference-direct-post,
https://developers.tiktok.com/doc/content-posting-api-media-transfer-guide.
"""

from __future__ import annotations

import dataclasses
import functools
import hashlib
import secrets
from collections.abc import Iterable, Iterator

import httpx
from authlib.common.urls import add_params_to_qs, add_params_to_uri

from studio_app.integrations.providers import (
    ProviderError,
    TikTokEndpoints,
    default_http,
    json_object,
    oauth_client,
    parse_retry_after,
    send,
    transport_errors,
)

PROVIDER = "tiktok"
AUTHORIZE_PATH = "/v2/auth/authorize/"
TOKEN_PATH = "/v2/oauth/token/"
REVOKE_PATH = "/v2/oauth/revoke/"
USER_INFO_PATH = "/v2/user/info/"
CREATOR_INFO_PATH = "/v2/post/publish/creator_info/query/"
VIDEO_INIT_PATH = "/v2/post/publish/video/init/"
STATUS_PATH = "/v2/post/publish/status/fetch/"
USER_FIELDS = "open_id,avatar_url,display_name"
# Chunk rules: https://developers.tiktok.com/doc/content-posting-api-media-transfer-guide
MB = 1024 * 1024
MIN_CHUNK, MAX_CHUNK, MAX_CHUNKS = 5 * MB, 64 * MB, 1000
DEFAULT_CHUNK = 16 * MB  # what one upload holds in memory at a time; bigger only when 1,000 chunks would not do
# Codes where a retry can help, and where only a new consent can:
# https://developers.tiktok.com/doc/tiktok-api-v2-error-handling
_RETRYABLE = {"rate_limit_exceeded", "internal_error"}
_RECONNECT = {"access_token_invalid", "scope_not_authorized", "invalid_grant"}


@dataclasses.dataclass(frozen=True)
class TikTokGrant:
    open_id: str
    access_token: str = dataclasses.field(repr=False)
    expires_in: int
    refresh_token: str = dataclasses.field(repr=False)
    refresh_expires_in: int
    scope: tuple[str, ...]


@dataclasses.dataclass(frozen=True)
class TikTokUser:
    open_id: str
    display_name: str
    avatar_url: str


@dataclasses.dataclass(frozen=True)
class CreatorInfo:
    creator_nickname: str
    creator_username: str
    creator_avatar_url: str
    privacy_level_options: tuple[str, ...]
    comment_disabled: bool
    duet_disabled: bool
    stitch_disabled: bool
    max_video_post_duration_sec: int


@dataclasses.dataclass(frozen=True)
class ChunkPlan:
    video_size: int
    chunk_size: int
    total_chunk_count: int

    def ranges(self) -> Iterator[tuple[int, int]]:
        """(first byte, last byte) of each chunk; the last one takes the trailing bytes."""
        for index in range(self.total_chunk_count):
            first = index * self.chunk_size
            last = self.video_size - 1 if index == self.total_chunk_count - 1 else first + self.chunk_size - 1
            yield first, last


@dataclasses.dataclass(frozen=True)
class InitResult:
    publish_id: str
    upload_url: str = dataclasses.field(repr=False)  # carries an upload token


@dataclasses.dataclass(frozen=True)
class PublishStatus:
    status: str  # PROCESSING_UPLOAD, PROCESSING_DOWNLOAD, SEND_TO_USER_INBOX, PUBLISH_COMPLETE, FAILED
    fail_reason: str
    uploaded_bytes: int
    post_ids: tuple[str, ...]

    @property
    def finished(self) -> bool:
        return self.status in ("PUBLISH_COMPLETE", "FAILED")


def new_code_verifier() -> str:
    """43-128 unreserved characters (RFC 7636 section 4.1)."""
    return secrets.token_urlsafe(48)


def code_challenge(code_verifier: str) -> str:
    """TikTok wants the SHA-256 of the verifier as *hex*, not RFC 7636's base64url:
    https://developers.tiktok.com/doc/login-kit-desktop (code_challenge)."""
    return hashlib.sha256(code_verifier.encode()).hexdigest()


def chunk_plan(video_size: int, *, preferred: int = DEFAULT_CHUNK) -> ChunkPlan:
    """Under 5 MB the whole file is one chunk; otherwise chunks of 5-64 MB, at most 1,000, the last one taking the
    remainder (so under twice a chunk, within TikTok's 128 MB); total_chunk_count = floor(size / chunk)."""
    if video_size <= 0:
        raise ValueError("a video has at least one byte")
    if video_size <= max(MIN_CHUNK, preferred) and video_size <= MAX_CHUNK:
        return ChunkPlan(video_size, video_size, 1)
    chunk = max(MIN_CHUNK, preferred, -(-video_size // MAX_CHUNKS))
    if chunk > MAX_CHUNK:
        raise ValueError("the video is too large for TikTok's 1,000 chunks of 64 MB")
    return ChunkPlan(video_size, chunk, video_size // chunk)


class TikTokClient:
    def __init__(self, endpoints: TikTokEndpoints, *, http: httpx.Client | None = None):
        self.endpoints = endpoints
        self.http = http or default_http()

    def _api(self, path: str) -> str:
        return f"{self.endpoints.api_url.rstrip('/')}{path}"

    # Login Kit, through authlib: https://developers.tiktok.com/doc/oauth-user-access-token-management
    @functools.cached_property
    def _oauth(self):
        return oauth_client(PROVIDER, client_id=self.endpoints.client_key, client_secret=self.endpoints.client_secret,
                            auth_method=("client_key_post", _client_key_post),
                            error=lambda response: _error(response, json_object(response)))

    def authorization_url(self, *, redirect_uri: str, scopes: tuple[str, ...] | list[str], state: str,
                          code_verifier: str) -> str:
        # TikTok names the client ``client_key`` and joins scopes with commas, which authlib's
        # create_authorization_url cannot say: https://developers.tiktok.com/doc/login-kit-web
        return add_params_to_uri(f"{self.endpoints.auth_url.rstrip('/')}{AUTHORIZE_PATH}", [
            ("client_key", self.endpoints.client_key), ("scope", ",".join(scopes)), ("redirect_uri", redirect_uri),
            ("state", state), ("response_type", "code"), ("code_challenge", code_challenge(code_verifier)),
            ("code_challenge_method", "S256")])

    def exchange_code(self, *, code: str, redirect_uri: str, code_verifier: str) -> TikTokGrant:
        with transport_errors(PROVIDER):
            return _grant(self._oauth.fetch_token(self._api(TOKEN_PATH), grant_type="authorization_code", code=code,
                                                  redirect_uri=redirect_uri, code_verifier=code_verifier))

    def refresh(self, refresh_token: str) -> TikTokGrant:
        """The answer carries a new refresh token: the one given is spent (save the new one at once)."""
        with transport_errors(PROVIDER):
            return _grant(self._oauth.refresh_token(self._api(TOKEN_PATH), refresh_token=refresh_token))

    def revoke(self, access_token: str) -> None:
        with transport_errors(PROVIDER):
            response = self._oauth.revoke_token(self._api(REVOKE_PATH), token=access_token)
        body = json_object(response)
        if response.status_code != 200 or (isinstance(body.get("error"), str) and body["error"]):
            raise _error(response, body)

    # Content calls: every answer is {"data", "error"}; success is error.code == "ok".
    def _call(self, method: str, path: str, access_token: str, **kwargs) -> dict:
        response = send(self.http, PROVIDER, method, self._api(path),
                        headers={"Authorization": f"Bearer {access_token}"}, **kwargs)
        body = json_object(response)
        error = body.get("error") if isinstance(body.get("error"), dict) else {}
        if response.status_code != 200 or error.get("code") != "ok":
            raise _error(response, body)
        return body.get("data") or {}

    def user_info(self, access_token: str) -> TikTokUser:
        user = self._call("GET", USER_INFO_PATH, access_token, params={"fields": USER_FIELDS}).get("user", {})
        return TikTokUser(open_id=user.get("open_id", ""), display_name=user.get("display_name", ""),
                          avatar_url=user.get("avatar_url", ""))

    def creator_info(self, access_token: str) -> CreatorInfo:
        data = self._call("POST", CREATOR_INFO_PATH, access_token, json={})
        return CreatorInfo(
            creator_nickname=data.get("creator_nickname", ""), creator_username=data.get("creator_username", ""),
            creator_avatar_url=data.get("creator_avatar_url", ""),
            privacy_level_options=tuple(data.get("privacy_level_options") or ()),
            comment_disabled=bool(data.get("comment_disabled")), duet_disabled=bool(data.get("duet_disabled")),
            stitch_disabled=bool(data.get("stitch_disabled")),
            max_video_post_duration_sec=int(data.get("max_video_post_duration_sec") or 0))

    def init_upload(self, access_token: str, *, post_info: dict, video_size: int, chunk_size: int,
                    total_chunk_count: int) -> InitResult:
        data = self._call("POST", VIDEO_INIT_PATH, access_token, json={
            "post_info": post_info,
            "source_info": {"source": "FILE_UPLOAD", "video_size": video_size, "chunk_size": chunk_size,
                            "total_chunk_count": total_chunk_count}})
        return InitResult(publish_id=data["publish_id"], upload_url=data["upload_url"])

    def upload_chunk(self, upload_url: str, data: bytes | Iterable[bytes], *, first_byte: int, last_byte: int,
                     total_size: int, content_type: str = "video/mp4") -> None:
        """One PUT; TikTok answers 206 while chunks remain and 201 after the last. ``data`` may be the chunk's
        pieces (sent one after the other with the chunk's length: a publisher joining them would hold it twice); a
        list of pieces is emptied as it is sent."""
        response = send(self.http, PROVIDER, "PUT", upload_url, content=_consumed(data), headers={
            "Content-Type": content_type, "Content-Range": f"bytes {first_byte}-{last_byte}/{total_size}",
            "Content-Length": str(last_byte - first_byte + 1)})
        if response.status_code not in (201, 206):
            raise _error(response, json_object(response))

    def publish_status(self, access_token: str, publish_id: str) -> PublishStatus:
        """Read ``status``: a failed post still answers HTTP 200 with error.code "ok" (the status trap)."""
        data = self._call("POST", STATUS_PATH, access_token, json={"publish_id": publish_id})
        return PublishStatus(status=data.get("status", ""), fail_reason=data.get("fail_reason") or "",
                             uploaded_bytes=int(data.get("uploaded_bytes") or 0),
                             post_ids=tuple(str(post) for post in data.get("publicaly_available_post_id") or ()))


def _consumed(data: bytes | Iterable[bytes]) -> Iterator[bytes]:
    """The body let go of piece by piece. httpx keeps each request (and so its body) in a reference cycle with its
    response (``response.stream`` is bound to the response), freed only when the cyclic collector runs: a chunk's
    body held there stayed in memory, 16-64 MiB per chunk, hundreds of MiB before the collector came by."""
    pieces = [data] if isinstance(data, bytes | bytearray | memoryview) else data
    if isinstance(pieces, list):
        while pieces:
            yield pieces.pop(0)
    else:
        yield from pieces


def _client_key_post(client_auth, _method: str, uri: str, headers, body):
    """TikTok's client authentication: ``client_key`` and ``client_secret`` in the form (authlib's
    client_secret_post would send ``client_id``)."""
    body = add_params_to_qs(body or "", [("client_key", client_auth.client_id),
                                         ("client_secret", client_auth.client_secret or "")])
    if "Content-Length" in headers:
        headers["Content-Length"] = str(len(body))
    return uri, headers, body


def _grant(body: dict) -> TikTokGrant:
    return TikTokGrant(open_id=body["open_id"], access_token=body["access_token"], expires_in=int(body["expires_in"]),
                       refresh_token=body["refresh_token"], refresh_expires_in=int(body["refresh_expires_in"]),
                       scope=tuple(scope for scope in body.get("scope", "").split(",") if scope))


def _error(response: httpx.Response, body: dict) -> ProviderError:
    status = response.status_code
    error = body.get("error")
    if isinstance(error, dict) and error.get("code") and error.get("code") != "ok":
        code, message = str(error["code"]), str(error.get("message") or "")
    elif isinstance(error, str) and error:  # OAuth endpoints: {"error", "error_description", "log_id"}
        code, message = error, str(body.get("error_description") or error)
    else:
        code, message = f"http_{status}", response.reason_phrase
    return ProviderError(PROVIDER, code, message, status=status,
                         retry_after=parse_retry_after(response) if status == 429 else None,
                         retryable=status == 429 or status >= 500 or code in _RETRYABLE,
                         needs_reconnect=status == 401 or code in _RECONNECT)
