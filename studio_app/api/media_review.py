"""What the derush and review pages fetch over HTTP, for the project's members only (anyone else, signed out
included, gets the same 404: ids are no oracle):

- ``GET /api/media/{file_id}/derush.edl`` | ``.csv`` | ``.otio``: the rush's derush list for editing software
  (the path names the rush's original file, like the other media routes);
- ``GET /api/media/{media_id}/thumbnails.vtt`` and ``/sprite.jpg``: the player's scrubber thumbnails (by the asset's
  id, or its original's file id), the sprite opened from its sealed blob as it streams.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any
from urllib.parse import quote

from starlette.concurrency import iterate_in_threadpool, run_in_threadpool
from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response, StreamingResponse

from studio_app.database import session_scope
from studio_app.errors import UserError
from studio_app.security.cookies import read_session_secret
from studio_app.security.policy import NotAllowed
from studio_app.services import derush, media_access, sessions
from studio_app.settings import current_settings

# Private: what a member's browser keeps may be reused by that browser only, and checked again after a minute.
_PRIVATE = {"cache-control": "private, max-age=60", "x-content-type-options": "nosniff"}


async def derush_edit_list_route(request: Request) -> Response:
    file_id, format = request.path_params["file_id"], request.path_params["format"]
    answer = await _as_member(request, derush.derush_edit_list, file_id, format)
    if isinstance(answer, Response):
        return answer
    disposition = f"attachment; filename*=UTF-8''{quote(answer.filename, safe='')}"
    return Response(answer.text, media_type=answer.media_type,
                    headers={"content-disposition": disposition, "cache-control": "no-store"})


async def thumbnails_route(request: Request) -> Response:
    answer = await _as_member(request, media_access.thumbnails_track, request.path_params["media_id"])
    if isinstance(answer, Response):
        return answer
    return Response(answer, media_type="text/vtt; charset=utf-8", headers=_PRIVATE)


async def sprite_route(request: Request) -> Response:
    def first_chunk(session, actor, media_id):
        chunks = media_access.open_sprite(session, actor, media_id)
        # The first chunk is read (and authenticated) before answering 200: a missing blob is an error, not a 200.
        return next(chunks, b""), chunks

    answer = await _as_member(request, first_chunk, request.path_params["media_id"])
    if isinstance(answer, Response):
        return answer
    first, rest = answer

    async def body():
        yield first
        async for chunk in iterate_in_threadpool(rest):
            yield chunk

    return StreamingResponse(body(), media_type="image/jpeg", headers=_PRIVATE)


async def _as_member(request: Request, work: Callable[..., Any], *args: Any) -> Any:
    """``work(db_session, actor, *args)`` for the signed-in person, on a worker thread; a 404 for anyone who may not,
    a 400 with the message for what a member can fix."""
    settings = current_settings()
    secret = read_session_secret(settings, request.headers.get("cookie"))

    def run():
        with session_scope() as session:
            actor = sessions.resolve_session(session, settings, secret)
            return work(session, actor, *args)

    try:
        return await run_in_threadpool(run)
    except NotAllowed:
        return PlainTextResponse("Not found.", status_code=404, headers={"cache-control": "no-store"})
    except UserError as error:
        return PlainTextResponse(error.message, status_code=400, headers={"cache-control": "no-store"})
