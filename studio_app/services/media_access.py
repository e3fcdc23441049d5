"""Reaching a project's media asset: only its project's members, and the same answer for an asset that does not
exist as for one of another project (ids are no oracle). Also the small files the player needs of an asset: its
WebVTT thumbnails track and the sprite sheet the track points into."""

from __future__ import annotations

import re
from collections.abc import Iterator
from fractions import Fraction

from sqlmodel import Session, select

from studio_app import routes
from studio_app.models.base import is_row_id
from studio_app.models.files import StoredFile
from studio_app.models.media import MediaAsset, MediaKind
from studio_app.security.policy import Action, Actor, NotAllowed, require_in_project, require_signed_in
from studio_app.services import files, projects

NO_SUCH_ASSET = "This video does not exist or you are not a member of its project."
FALLBACK_FRAME_RATE = Fraction(25)
NO_THUMBNAILS = "This video has no thumbnails yet."
_CUE_IMAGE = re.compile(r"^[^\s#]+(?=#xywh=)", re.MULTILINE)


def access_asset(session: Session, actor: Actor | None, asset_id: object, action: Action, *,
                 kind: MediaKind | None = None, **context) -> tuple[MediaAsset, str]:
    """The asset and the actor's role in its project once ``action`` is allowed there; raises NotAllowed."""
    actor = require_signed_in(actor)
    asset = session.get(MediaAsset, asset_id) if is_row_id(asset_id) else None
    return _allowed(session, actor, asset, action, kind, **context)


def access_asset_by_file(session: Session, actor: Actor | None, file_id: object, action: Action, *,
                         kind: MediaKind | None = None) -> tuple[MediaAsset, str]:
    """The same, for the asset whose original upload is the stored file ``file_id`` (the routes name files)."""
    actor = require_signed_in(actor)
    asset = session.exec(select(MediaAsset).where(MediaAsset.file_id == file_id).limit(1)).first() \
        if is_row_id(file_id) else None
    return _allowed(session, actor, asset, action, kind)


def access_media(session: Session, actor: Actor | None, media_id: object, action: Action) -> tuple[MediaAsset, str]:
    """By the asset's id or by its original's file id (the player's routes accept either)."""
    actor = require_signed_in(actor)
    asset = session.get(MediaAsset, media_id) if is_row_id(media_id) else None
    if asset is None:
        return access_asset_by_file(session, actor, media_id, action)
    return _allowed(session, actor, asset, action, None)


def thumbnails_track(session: Session, actor: Actor | None, media_id: str) -> str:
    """The asset's WebVTT thumbnails, each cue pointing into the sprite served beside it."""
    asset, _ = access_media(session, actor, media_id, Action.VIEW_PROJECT)
    if not asset.thumbnails_vtt or not asset.sprite_file_id:
        raise NotAllowed(NO_THUMBNAILS)
    return _CUE_IMAGE.sub(routes.thumbnails_sprite(asset.id), asset.thumbnails_vtt)


def open_sprite(session: Session, actor: Actor | None, media_id: str) -> Iterator[bytes]:
    """The plaintext of the asset's sprite sheet, read lazily (the key is unwrapped now, inside the transaction)."""
    asset, _ = access_media(session, actor, media_id, Action.VIEW_PROJECT)
    row = session.get(StoredFile, asset.sprite_file_id) if asset.sprite_file_id else None
    if row is None:
        raise NotAllowed(NO_THUMBNAILS)
    return files.read_blob(row, files.key_of(session, row))


def frame_rate_of(asset: MediaAsset) -> Fraction:
    """The rush's frame rate as an exact rational ("30000/1001" stays 29.97...), 25 when processing found none."""
    try:
        rate = Fraction(asset.frame_rate) if asset.frame_rate else FALLBACK_FRAME_RATE
    except (ValueError, ZeroDivisionError):
        return FALLBACK_FRAME_RATE
    return rate if rate > 0 else FALLBACK_FRAME_RATE


def _allowed(session: Session, actor: Actor, asset: MediaAsset | None, action: Action, kind: MediaKind | None,
             **context) -> tuple[MediaAsset, str]:
    if asset is None or (kind is not None and asset.kind != kind):
        raise NotAllowed(NO_SUCH_ASSET)
    role = projects.member_role(session, actor.user_id, asset.project_id)
    if role is None:
        raise NotAllowed(NO_SUCH_ASSET)
    require_in_project(actor, action, role, **context)
    return asset, role
