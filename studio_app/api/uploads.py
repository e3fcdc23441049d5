"""The tus 1.0 resumable upload server: ``/api/uploads`` (core, creation, creation-with-upload, termination,
expiration, checksum with sha1 and sha256).

``POST /api/uploads`` with ``Upload-Length`` and ``Upload-Metadata`` (``project`` id, ``filename``, ``kind`` =
``rush`` or ``version``) answers 201 with ``Location: /api/uploads/<id>``; ``HEAD`` tells the offset, ``PATCH``
(``application/offset+octet-stream``) appends at ``Upload-Offset``, ``DELETE`` gives up. The session cookie
authenticates, state-changing requests must come from one of our origins, and only the upload's owner, while a
member of its project, reaches it (anyone else gets 404). Errors answer in plain words with the tus status codes
(401, 403, 404, 409, 410, 413, 415, 423, 460).

Bytes are received on the event loop and handed, about a MiB at a time, to a worker thread that seals and writes
them (``services/uploads.UploadWriter``) while the next MiB arrives: memory stays flat and the loop never waits
on disk or crypto. The last PATCH answers once the file is a queued media asset (``Studio-Media-Asset`` header)
and processing was asked for (``studio_app.jobs.media.enqueue_processing``).
"""

from __future__ import annotations

import asyncio
import base64
import binascii
import contextlib
from email.utils import format_datetime

import anyio
from starlette.concurrency import run_in_threadpool
from starlette.requests import ClientDisconnect, Request
from starlette.responses import PlainTextResponse, Response

from studio_app import metrics
from studio_app.api.auth import is_same_origin
from studio_app.database import session_scope
from studio_app.errors import NotFound, UserError
from studio_app.jobs.media import enqueue_processing
from studio_app.security.cookies import read_session_secret
from studio_app.security.policy import Actor, NotAllowed
from studio_app.security.read_only import ReadOnlyMode
from studio_app.services import sessions, uploads
from studio_app.services.uploads import CHECKSUM_ALGORITHMS, PatchOutcome, UploadRefused, UploadView, UploadWriter
from studio_app.settings import Settings, current_settings

TUS_VERSION = "1.0.0"
TUS_EXTENSIONS = "creation,creation-with-upload,termination,expiration,checksum"
OFFSET_STREAM = "application/offset+octet-stream"
_BATCH_BYTES = 1024 * 1024  # handed to the writer thread at a time
_MAX_METADATA_BYTES = 4096


def _tus(response: Response) -> Response:
    response.headers["tus-resumable"] = TUS_VERSION
    response.headers["cache-control"] = "no-store"
    return response


def _error(status: int, message: str, **headers: str) -> Response:
    response = PlainTextResponse(message, status_code=status)
    for name, value in headers.items():
        response.headers[name.replace("_", "-")] = value
    return _tus(response)


def _from_user_error(error: UserError) -> Response:
    if isinstance(error, ReadOnlyMode):  # breach containment: for a while, not for this request's fault
        return _error(503, error.message)
    if isinstance(error, UploadRefused):
        return _error(error.status, error.message)
    if isinstance(error, NotFound):
        return _error(404, error.message)
    if isinstance(error, NotAllowed):
        return _error(403, error.message)
    return _error(400, error.message)


def _expires(view_or_time) -> str:
    return format_datetime(getattr(view_or_time, "expires_at", view_or_time), usegmt=True)


async def options_route(_request: Request) -> Response:
    settings = current_settings()
    return _tus(Response(status_code=204, headers={
        "tus-version": TUS_VERSION, "tus-extension": TUS_EXTENSIONS, "tus-max-size": str(settings.upload_max_bytes),
        "tus-checksum-algorithm": ",".join(CHECKSUM_ALGORITHMS)}))


def _refusal(request: Request, settings: Settings, *, changes_state: bool) -> Response | None:
    """The checks every tus request passes before anything else: protocol version, then origin."""
    if request.headers.get("tus-resumable") != TUS_VERSION:
        return _error(412, f"This server speaks tus {TUS_VERSION}.", tus_version=TUS_VERSION)
    origin_given = request.headers.get("origin") is not None
    # Browsers send Origin with every state-changing request; a same-origin HEAD may come without one.
    if (changes_state or origin_given) and not is_same_origin(request, settings.allowed_origins):
        return _error(403, "Cross-site request refused.")
    return None


def _actor_of(session, settings: Settings, request: Request) -> Actor | None:
    return sessions.resolve_session(session, settings, read_session_secret(settings, request.headers.get("cookie")))


def parse_metadata(header: str | None) -> dict[str, str]:
    """``Upload-Metadata``: comma-separated ``key base64value`` pairs (a value may be absent)."""
    if header is None:
        return {}
    if len(header) > _MAX_METADATA_BYTES:
        raise UploadRefused(400, "Upload-Metadata is too long.")
    metadata = {}
    for pair in header.split(","):
        key, _, encoded = pair.strip().partition(" ")
        if not key:
            continue
        try:
            metadata[key] = base64.b64decode(encoded.strip(), validate=True).decode("utf-8")
        except (binascii.Error, ValueError):
            raise UploadRefused(400, f"Upload-Metadata: the value of {key[:40]!r} is not base64 UTF-8.") from None
    return metadata


def _length(request: Request) -> int:
    raw = request.headers.get("upload-length")
    if raw is None:
        raise UploadRefused(400, "Say the file's size in Upload-Length (deferred lengths are not supported).")
    if not raw.isdigit() or len(raw) > 20:
        raise UploadRefused(400, "Upload-Length is not a whole number of bytes.")
    return int(raw)


async def create_route(request: Request) -> Response:
    """tus creation (and creation-with-upload when the POST carries bytes)."""
    settings = current_settings()
    refused = _refusal(request, settings, changes_state=True)
    if refused is not None:
        return refused

    def create() -> UploadView | None:
        with session_scope() as session:
            actor = _actor_of(session, settings, request)
            if actor is None:
                return None
            metadata = parse_metadata(request.headers.get("upload-metadata"))
            return uploads.create_upload(session, actor, settings, project_id=metadata.get("project", ""),
                                         filename=metadata.get("filename"), kind=metadata.get("kind"),
                                         length=_length(request))

    try:
        view = await run_in_threadpool(create)
    except UserError as error:
        return _from_user_error(error)
    if view is None:
        return _error(401, "Please sign in first.")
    headers = {"location": f"/api/uploads/{view.id}", "upload-expires": _expires(view)}
    if request.headers.get("content-type") == OFFSET_STREAM and _has_body(request):
        response = await _receive(request, settings, view.id, 0)
        if response.status_code != 204:
            return response
        headers |= {name: value for name, value in response.headers.items()
                    if name in ("upload-offset", "upload-expires", "studio-media-asset", "studio-file")}
    return _tus(Response(status_code=201, headers=headers))


def _has_body(request: Request) -> bool:
    return request.headers.get("content-length", "0") != "0" or "transfer-encoding" in request.headers


async def head_route(request: Request) -> Response:
    settings = current_settings()
    refused = _refusal(request, settings, changes_state=False)
    if refused is not None:
        return refused
    upload_id = request.path_params["upload_id"]

    def status() -> UploadView | None:
        with session_scope() as session:
            actor = _actor_of(session, settings, request)
            return None if actor is None else uploads.upload_status(session, actor, upload_id)

    try:
        view = await run_in_threadpool(status)
    except UserError as error:
        return _from_user_error(error)
    if view is None:
        return _error(401, "Please sign in first.")
    headers = {"upload-offset": str(view.offset), "upload-length": str(view.declared_length)}
    if view.complete:
        headers |= {"studio-media-asset": view.asset_id or "", "studio-file": view.file_id}
    else:
        headers["upload-expires"] = _expires(view)
    return _tus(Response(status_code=200, headers=headers))


async def patch_route(request: Request) -> Response:
    settings = current_settings()
    refused = _refusal(request, settings, changes_state=True)
    if refused is not None:
        return refused
    if request.headers.get("content-type") != OFFSET_STREAM:
        return _error(415, f"Send the bytes as {OFFSET_STREAM}.")
    raw_offset = request.headers.get("upload-offset", "")
    if not raw_offset.isdigit() or len(raw_offset) > 20:
        return _error(400, "Upload-Offset is missing or not a whole number of bytes.")
    return await _receive(request, settings, request.path_params["upload_id"], int(raw_offset))


async def delete_route(request: Request) -> Response:
    """tus termination."""
    settings = current_settings()
    refused = _refusal(request, settings, changes_state=True)
    if refused is not None:
        return refused
    upload_id = request.path_params["upload_id"]

    def terminate() -> bool:
        with session_scope() as session:
            actor = _actor_of(session, settings, request)
            if actor is None:
                return False
            uploads.terminate_upload(session, actor, upload_id)
            return True

    try:
        signed_in = await run_in_threadpool(terminate)
    except UserError as error:
        return _from_user_error(error)
    if not signed_in:
        return _error(401, "Please sign in first.")
    return _tus(Response(status_code=204))


async def _receive(request: Request, settings: Settings, upload_id: str, offset: int) -> Response:
    def begin() -> UploadWriter | None:
        with session_scope() as session:
            actor = _actor_of(session, settings, request)
        if actor is None:
            return None
        return UploadWriter(settings, actor, upload_id, offset, uploads.parse_checksum(
            request.headers.get("upload-checksum")))

    try:
        writer = await run_in_threadpool(begin)
    except UserError as error:
        return _from_user_error(error)
    if writer is None:
        return _error(401, "Please sign in first.")
    try:
        outcome = await _stream_into(request, writer)
    except ClientDisconnect:
        return _error(400, "The connection dropped; resume from the offset HEAD gives.")
    except UserError as error:
        return _from_user_error(error)
    if outcome.complete:
        await run_in_threadpool(enqueue_processing, outcome.asset_id)
    headers = {"upload-offset": str(outcome.offset)}
    if outcome.complete:
        headers |= {"studio-media-asset": outcome.asset_id, "studio-file": outcome.file_id}
    return _tus(Response(status_code=204, headers=headers))


async def _stream_into(request: Request, writer: UploadWriter) -> PatchOutcome:
    """Feed the body to the writer a batch at a time, the next batch arriving while the thread writes the last."""
    pending: asyncio.Future | None = None
    batch = bytearray()
    finished = False
    try:
        async for piece in request.stream():
            metrics.count_upload_bytes(len(piece))
            batch += piece
            if len(batch) >= _BATCH_BYTES:
                if pending is not None:
                    await pending
                pending = asyncio.ensure_future(run_in_threadpool(writer.write, batch))
                batch = bytearray()
        if pending is not None:
            await pending
            pending = None
        if batch:
            await run_in_threadpool(writer.write, batch)
        finished = True
        return await run_in_threadpool(writer.finish)
    except UploadRefused as refused:
        if pending is not None:
            with contextlib.suppress(Exception):
                await pending
        await run_in_threadpool(writer.refuse if refused.status == 415 else writer.abandon)
        raise
    except ClientDisconnect:
        if pending is not None:
            with contextlib.suppress(Exception):
                await pending
        await run_in_threadpool(writer.abandon)
        raise
    except BaseException:
        # Cancelled (the server is stopping) or a bug: keep what was written before letting go.
        if not finished:
            with anyio.CancelScope(shield=True), contextlib.suppress(Exception):
                if pending is not None:
                    await pending
                await anyio.to_thread.run_sync(writer.abandon)
        raise


