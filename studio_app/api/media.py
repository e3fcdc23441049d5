"""``GET /api/media/{file_id}`` (the original) and ``GET /api/media/{file_id}/proxy`` (its playback version), with
HTTP range requests so that players seek: 206 with ``Content-Range``, 416 outside the file, ``Accept-Ranges`` always.

Members of the file's project only (anyone else gets 404); bytes are opened as they stream, on worker threads,
reading only the sealed chunks the range needs.
"""

from __future__ import annotations

import re
from urllib.parse import quote

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response, StreamingResponse

from studio_app.database import session_scope
from studio_app.errors import UserError
from studio_app.security.cookies import read_session_secret
from studio_app.services import media_files, sessions
from studio_app.services.media_files import MediaFile
from studio_app.settings import current_settings

_RANGE = re.compile(r"bytes=(\d*)-(\d*)")


def byte_range(header: str | None, size: int) -> tuple[int, int] | str | None:
    """``[start, end)`` asked by a ``Range`` header; None for the whole file (no header, or several ranges, which
    we answer whole); ``"unsatisfiable"`` when it lies outside the file."""
    if header is None:
        return None
    match = _RANGE.fullmatch(header.strip())
    if match is None:
        return None
    first, last = match.groups()
    if not first and not last:
        return None
    if not first:  # the last N bytes
        suffix = int(last)
        return (max(0, size - suffix), size) if suffix > 0 and size > 0 else "unsatisfiable"
    start = int(first)
    if start >= size:
        return "unsatisfiable"
    end = min(size, int(last) + 1) if last else size
    return (start, end) if end > start else "unsatisfiable"


def content_disposition(name: str) -> str:
    """An attachment with the (already sanitized) name: plain ASCII for old clients, UTF-8 for the others."""
    fallback = "".join(char if char.isascii() and char.isprintable() and char not in '"\\' else "_" for char in name)
    return f"attachment; filename=\"{fallback}\"; filename*=UTF-8''{quote(name, safe='')}"


async def original_route(request: Request) -> Response:
    return await _serve(request, media_files.open_original, download=True)


async def proxy_route(request: Request) -> Response:
    return await _serve(request, media_files.open_proxy, download=False)


async def _serve(request: Request, opener, *, download: bool) -> Response:
    settings = current_settings()
    secret = read_session_secret(settings, request.headers.get("cookie"))
    file_id = request.path_params["file_id"]

    def open_file() -> MediaFile | None:
        with session_scope() as session:
            actor = sessions.resolve_session(session, settings, secret)
            return None if actor is None else opener(session, actor, file_id)

    try:
        media = await run_in_threadpool(open_file)
    except UserError as error:
        return PlainTextResponse(error.message, status_code=404, headers={"cache-control": "no-store"})
    if media is None:
        return PlainTextResponse("Please sign in first.", status_code=401, headers={"cache-control": "no-store"})
    headers = {"accept-ranges": "bytes", "cache-control": "private, no-store", "etag": f'"{media.sha256}"'}
    if download:
        headers["content-disposition"] = content_disposition(media.name)
    wanted = byte_range(request.headers.get("range"), media.size_bytes)
    if wanted == "unsatisfiable":
        return PlainTextResponse("That range is outside the file.", status_code=416,
                                 headers=headers | {"content-range": f"bytes */{media.size_bytes}"})
    start, end = wanted if wanted is not None else (0, media.size_bytes)
    headers["content-length"] = str(end - start)
    status = 200
    if wanted is not None:
        status = 206
        headers["content-range"] = f"bytes {start}-{end - 1}/{media.size_bytes}"
    if request.method == "HEAD":
        return Response(status_code=status, headers=headers, media_type=media.content_type)
    return StreamingResponse(media_files.read_range(media, start, end), status_code=status, headers=headers,
                             media_type=media.content_type)
