"""Publishing an approved version: what the composer offers, scheduling, rescheduling, cancelling, and the timeline.

A producer of the project schedules, reschedules and cancels (until the publication starts); every member sees the
publications and their timelines. The queue job (``jobs/publications.py``) does the publishing itself, through the
job-side functions of ``services/publishing.py``.

TikTok's rules checked here come from its Content Posting API and its UX guidelines:
https://developers.tiktok.com/doc/content-posting-api-reference-direct-post (title, privacy, interactions, brand
toggles) and https://developers.tiktok.com/doc/content-sharing-guidelines (what the composer must show and must not
preselect; branded content cannot be private).
"""

from __future__ import annotations

import dataclasses
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError, available_timezones

from sqlmodel import Session, select

from studio_app.database import after_commit
from studio_app.errors import NotFound
from studio_app.integrations.providers import ProviderError
from studio_app.models.base import is_row_id, new_id, utcnow
from studio_app.models.files import StoredFile
from studio_app.models.media import MediaAsset, MediaKind, ProcessingStatus
from studio_app.models.publications import (
    Destination,
    DestinationStatus,
    Publication,
    PublicationDestination,
    PublicationStatus,
    PublicationStep,
)
from studio_app.security.fields import get_decrypted, set_encrypted
from studio_app.security.policy import Action, Actor, NotAllowed, require_signed_in
from studio_app.services import connections, project_channels, projects, provider_clients
from studio_app.services.keys import project_key_of
from studio_app.services.media_access import access_asset
from studio_app.services.validation import InvalidInput

# TikTok counts the title in UTF-16 code units ("2200 UTF-16 runes"): content-posting-api-reference-direct-post.
MAX_CAPTION_UTF16 = 2200
# A little slack for a "now" sent from a browser whose clock is a bit behind ours.
PAST_TOLERANCE = timedelta(minutes=2)
MAX_AHEAD = timedelta(days=365)
SELF_ONLY = "SELF_ONLY"
LIST_MAX = 100
STEPS_MAX = 200
NO_PUBLICATION = "This publication does not exist or you are not a member of its project."
STARTED_ALREADY = "This publication has already started: it can no longer be changed or cancelled."


@dataclasses.dataclass(frozen=True)
class TikTokSettings:
    """What the producer chose for TikTok. ``privacy_level`` has no default: TikTok's guidelines forbid one."""

    privacy_level: str = ""
    allow_comment: bool = False
    allow_duet: bool = False
    allow_stitch: bool = False
    brand_organic: bool = False  # "Your brand": promoting the creator's own business
    brand_content: bool = False  # "Branded content": a paid partnership with a third party


@dataclasses.dataclass(frozen=True)
class ComposeOptions:
    asset_id: str
    duration_ms: int
    tiktok_connected: bool
    tiktok_sandbox: bool
    tiktok_problem: str  # plain words: why TikTok is not offered now ("" when it is)
    creator_nickname: str
    privacy_level_options: tuple[str, ...]
    comment_disabled: bool
    duet_disabled: bool
    stitch_disabled: bool
    max_duration_sec: int
    discord_connected: bool
    discord_sandbox: bool
    discord_channel: str


@dataclasses.dataclass(frozen=True)
class StepView:
    name: str
    status: str
    detail: str
    done_units: int
    total_units: int
    started_at: datetime
    finished_at: datetime | None


@dataclasses.dataclass(frozen=True)
class DestinationView:
    id: str
    destination: str
    status: str
    sandbox: bool
    privacy_level: str | None
    post_url: str | None
    failure_reason: str | None
    attempts: int
    next_attempt_at: datetime | None
    steps: tuple[StepView, ...]


@dataclasses.dataclass(frozen=True)
class PublicationView:
    id: str
    project_id: str
    asset_id: str
    version_number: int | None
    caption: str
    scheduled_for: datetime
    time_zone: str
    status: str
    cover_ms: int
    created_at: datetime
    can_change: bool  # the viewer may reschedule or cancel it now
    destinations: tuple[DestinationView, ...]


def compose_options(session: Session, actor: Actor | None, project_id: str, asset_id: str) -> ComposeOptions:
    """What the composer offers for this version: TikTok's creator info for the producer's account (asked now, as
    TikTok requires before every post) and whether the project has a Discord channel."""
    asset = _publishable_asset(session, actor, project_id, asset_id)
    tiktok = _creator_info(session, actor.user_id)
    channel = project_channels.channel_webhook(session, asset.project_id)
    info = tiktok.info
    return ComposeOptions(
        asset_id=asset.id, duration_ms=asset.duration_ms or 0, tiktok_connected=info is not None,
        tiktok_sandbox=tiktok.sandbox, tiktok_problem=tiktok.problem,
        creator_nickname=info.creator_nickname if info else "",
        privacy_level_options=tuple(info.privacy_level_options) if info else (),
        comment_disabled=bool(info and info.comment_disabled), duet_disabled=bool(info and info.duet_disabled),
        stitch_disabled=bool(info and info.stitch_disabled),
        max_duration_sec=info.max_video_post_duration_sec if info else 0,
        discord_connected=channel is not None and not channel.dead, discord_sandbox=bool(channel and channel.sandbox),
        discord_channel=channel.channel_name if channel and not channel.dead else "")


def schedule(session: Session, actor: Actor | None, project_id: str, asset_id: str, *, destinations: list[str],
             caption: str, when: str, time_zone: str, cover_ms: int = 0, tiktok: TikTokSettings | None = None,
             consent: bool = False) -> PublicationView:
    """Schedule the approved version ``asset_id`` for ``when`` (a local date and time "YYYY-MM-DDTHH:MM" in
    ``time_zone``; empty for now). Everything is checked here: any client may call this with anything."""
    asset = _publishable_asset(session, actor, project_id, asset_id)
    wanted = _destinations(destinations)
    caption = _caption(caption)
    scheduled_for = scheduled_time(when, time_zone)
    cover_ms = _cover(cover_ms, asset)
    if not consent:
        raise InvalidInput("consent", "Confirm that you agree to publish this video before scheduling it.")
    publication = Publication(id=new_id(), project_id=asset.project_id, media_asset_id=asset.id,
                              created_by=actor.user_id, scheduled_for=scheduled_for, time_zone=time_zone,
                              cover_ms=cover_ms)
    set_encrypted(publication, "caption_encrypted", caption, data_key=project_key_of(session, asset.project_id))
    session.add(publication)
    session.flush()
    if Destination.TIKTOK in wanted:
        session.add(_tiktok_destination(session, actor, publication, asset, tiktok or TikTokSettings(), caption))
    if Destination.DISCORD in wanted:
        channel = project_channels.channel_webhook(session, asset.project_id)
        if channel is None or channel.dead:
            raise InvalidInput("destinations", "Connect a Discord channel to this project first (on the project "
                                               "page), or leave Discord out.")
        session.add(PublicationDestination(publication_id=publication.id, destination=Destination.DISCORD,
                                           sandbox=channel.sandbox))
    session.flush()
    _enqueue_after_commit(session, publication)
    return _view(session, actor, publication, role="producer")


def reschedule(session: Session, actor: Actor | None, publication_id: str, *, when: str, time_zone: str
               ) -> PublicationView:
    publication = _changeable(session, actor, publication_id)
    publication.scheduled_for = scheduled_time(when, time_zone)
    publication.time_zone = time_zone
    publication.updated_at = utcnow()
    _enqueue_after_commit(session, publication)
    return _view(session, actor, publication, role="producer")


def cancel(session: Session, actor: Actor | None, publication_id: str) -> PublicationView:
    """Cancel a publication that has not started (the job claims it under the same row lock: one of them wins)."""
    publication = _changeable(session, actor, publication_id)
    publication.status = PublicationStatus.CANCELLED
    publication.updated_at = utcnow()
    for destination in _destinations_of(session, publication.id):
        destination.status, destination.updated_at = DestinationStatus.CANCELLED, utcnow()
    return _view(session, actor, publication, role="producer")


def project_publications(session: Session, actor: Actor | None, project_id: str) -> list[PublicationView]:
    """The project's publications, the next due first, then the latest done."""
    role = projects.access_project(session, actor, project_id, Action.VIEW_PUBLICATIONS)
    rows = session.exec(select(Publication).where(Publication.project_id == project_id)
                        .order_by(Publication.scheduled_for.desc()).limit(LIST_MAX)).all()
    return [_view(session, actor, row, role=role) for row in rows]


def publication(session: Session, actor: Actor | None, publication_id: str) -> PublicationView:
    row, role = _access(session, actor, publication_id, Action.VIEW_PUBLICATIONS)
    return _view(session, actor, row, role=role)


def scheduled_time(when: str, time_zone: str) -> datetime:
    """UTC of a local "YYYY-MM-DDTHH:MM" in the IANA zone ``time_zone``; now for an empty ``when``."""
    zone = _zone(time_zone)
    now = utcnow()
    if not str(when or "").strip():
        return now
    try:
        local = datetime.fromisoformat(str(when).strip()[:32])
    except ValueError:
        raise InvalidInput("when", "Give a date and a time, or publish now.") from None
    if local.tzinfo is not None:
        raise InvalidInput("when", "Give the date and time without a zone: choose the zone in its own field.")
    moment = local.replace(tzinfo=zone)
    if moment < now - PAST_TOLERANCE:
        raise InvalidInput("when", "This time has passed. Choose a time to come, or publish now.")
    if moment > now + MAX_AHEAD:
        raise InvalidInput("when", "Choose a time within a year.")
    return max(moment.astimezone(now.tzinfo), now)


def time_zones() -> list[str]:
    return sorted(zone for zone in available_timezones() if "/" in zone and not zone.startswith(("Etc/", "posix/",
                                                                                              "right/")))


def utf16_length(text: str) -> int:
    return len(text.encode("utf-16-le")) // 2


# --- checks ------------------------------------------------------------------------------------------------------


def _publishable_asset(session: Session, actor: Actor | None, project_id: str, asset_id: str) -> MediaAsset:
    asset, _ = access_asset(session, actor, asset_id, Action.PUBLISH, kind=MediaKind.VERSION)
    if asset.project_id != project_id:
        raise NotAllowed("This video does not exist or you are not a member of its project.")
    if asset.approved_at is None:
        raise InvalidInput("asset", "Only an approved version can be published. Approve it first.")
    if asset.status != ProcessingStatus.READY or asset.file_id is None:
        raise InvalidInput("asset", "This version is not ready yet: wait for its processing to finish.")
    return asset


def _destinations(destinations: object) -> set[Destination]:
    if not isinstance(destinations, list | tuple) or len(destinations) > len(Destination):
        raise InvalidInput("destinations", "Choose where to publish: TikTok, the project's Discord channel, or both.")
    try:
        chosen = {Destination(value) for value in destinations}
    except ValueError:
        raise InvalidInput("destinations", "Choose TikTok, the project's Discord channel, or both.") from None
    if not chosen:
        raise InvalidInput("destinations", "Choose where to publish: TikTok, the project's Discord channel, or both.")
    return chosen


def _caption(caption: object) -> str:
    if not isinstance(caption, str):
        raise InvalidInput("caption", "Write a caption.")
    caption = caption.strip()
    if "\x00" in caption:
        raise InvalidInput("caption", "The caption contains a character that cannot be published.")
    if utf16_length(caption) > MAX_CAPTION_UTF16:
        raise InvalidInput("caption", f"The caption is too long for TikTok: {MAX_CAPTION_UTF16:,} characters at "
                                      "most (emoji count double).")
    return caption


def _cover(cover_ms: object, asset: MediaAsset) -> int:
    if not isinstance(cover_ms, int) or isinstance(cover_ms, bool) or cover_ms < 0 \
            or (asset.duration_ms and cover_ms > asset.duration_ms):
        raise InvalidInput("cover_ms", "Pick the cover frame within the video.")
    return cover_ms


def _zone(time_zone: object) -> ZoneInfo:
    if not isinstance(time_zone, str) or not time_zone or len(time_zone) > 64 or ".." in time_zone:
        raise InvalidInput("time_zone", "Choose a time zone from the list.")
    try:
        return ZoneInfo(time_zone)
    except (ZoneInfoNotFoundError, ValueError):
        raise InvalidInput("time_zone", "Choose a time zone from the list.") from None


def _tiktok_destination(session: Session, actor: Actor, publication: Publication, asset: MediaAsset,
                        chosen: TikTokSettings, caption: str) -> PublicationDestination:
    if not isinstance(chosen, TikTokSettings):
        raise InvalidInput("tiktok", "Choose TikTok's settings.")
    tiktok = _creator_info(session, actor.user_id)
    info = tiktok.info
    if info is None:
        raise InvalidInput("destinations", tiktok.problem)
    check_tiktok_settings(chosen, info, asset.duration_ms or 0)
    return PublicationDestination(
        publication_id=publication.id, destination=Destination.TIKTOK, sandbox=tiktok.sandbox,
        privacy_level=chosen.privacy_level, disable_comment=not chosen.allow_comment,
        disable_duet=not chosen.allow_duet, disable_stitch=not chosen.allow_stitch,
        brand_organic=bool(chosen.brand_organic), brand_content=bool(chosen.brand_content))


def check_tiktok_settings(chosen: TikTokSettings, info, duration_ms: int) -> None:
    """TikTok's rules against the creator's current info (also checked again by the job before it posts)."""
    if chosen.privacy_level not in info.privacy_level_options:
        raise InvalidInput("privacy_level", "Choose who can see the video on TikTok (one of the options listed).")
    for allowed, disabled, what in ((chosen.allow_comment, info.comment_disabled, "comments"),
                                    (chosen.allow_duet, info.duet_disabled, "duets"),
                                    (chosen.allow_stitch, info.stitch_disabled, "stitches")):
        if allowed and disabled:
            raise InvalidInput(f"allow_{what}", f"Your TikTok account does not allow {what}: leave them off.")
    # "Branded content visibility cannot be set to private": content-sharing-guidelines, commercial content.
    if chosen.brand_content and chosen.privacy_level == SELF_ONLY:
        raise InvalidInput("privacy_level", "Branded content cannot be private: choose who else can see it, or "
                                            "turn branded content off.")
    max_seconds = info.max_video_post_duration_sec
    if max_seconds and duration_ms > max_seconds * 1000:
        raise InvalidInput("asset", f"This video is longer than your TikTok account may post ({max_seconds} s at "
                                    "most).")


@dataclasses.dataclass(frozen=True)
class _CreatorInfo:
    info: object | None
    sandbox: bool
    problem: str


def _creator_info(session: Session, user_id: str) -> _CreatorInfo:
    try:
        token = connections.access_token(session, user_id, "tiktok")
    except connections.ReconnectNeeded as needed:
        return _CreatorInfo(None, False, needed.message)
    try:
        info = provider_clients.client("tiktok").creator_info(token.access_token)
    except ProviderError as error:
        if error.needs_reconnect:
            connections.report_grant_problem(session, user_id, "tiktok", error)
            return _CreatorInfo(None, token.sandbox, "Reconnect your TikTok account: TikTok no longer accepts it.")
        return _CreatorInfo(None, token.sandbox, "TikTok did not answer just now; try again in a minute.")
    return _CreatorInfo(info, token.sandbox, "")


def _changeable(session: Session, actor: Actor | None, publication_id: str) -> Publication:
    row, _ = _access(session, actor, publication_id, Action.PUBLISH, lock=True)
    if row.status != PublicationStatus.SCHEDULED:
        raise InvalidInput("publication", STARTED_ALREADY)
    return row


def _access(session: Session, actor: Actor | None, publication_id: object, action: Action, *, lock: bool = False
            ) -> tuple[Publication, str]:
    actor = require_signed_in(actor)  # signed out: "sign in", not "does not exist"
    query = select(Publication).where(Publication.id == publication_id)
    row = session.exec(query.with_for_update() if lock else query).first() if is_row_id(publication_id) else None
    if row is None:
        raise NotFound(NO_PUBLICATION)
    try:
        role = projects.access_project(session, actor, row.project_id, action)
    except NotAllowed as refused:
        if projects.member_role(session, actor.user_id, row.project_id) is None:
            raise NotFound(NO_PUBLICATION) from None
        raise refused
    return row, role


def _destinations_of(session: Session, publication_id: str) -> list[PublicationDestination]:
    return list(session.exec(select(PublicationDestination).where(
        PublicationDestination.publication_id == publication_id).order_by(PublicationDestination.destination)).all())


def _enqueue_after_commit(session: Session, publication: Publication) -> None:
    from studio_app.jobs.publications import enqueue_publication  # here: the jobs import the services

    publication_id, due = publication.id, publication.scheduled_for
    after_commit(session, lambda: enqueue_publication(publication_id, due))


def _view(session: Session, actor: Actor | None, row: Publication, *, role: str) -> PublicationView:
    asset = session.get(MediaAsset, row.media_asset_id)
    destinations = _destinations_of(session, row.id)
    steps: dict[str, list[StepView]] = {destination.id: [] for destination in destinations}
    if destinations:
        for step in session.exec(select(PublicationStep).where(
                PublicationStep.destination_id.in_(list(steps))).order_by(PublicationStep.started_at,
                                                                           PublicationStep.id).limit(STEPS_MAX)):
            steps[step.destination_id].append(StepView(step.name, step.status, step.detail, step.done_units,
                                                       step.total_units, step.started_at, step.finished_at))
    caption = get_decrypted(row, "caption_encrypted", data_key=project_key_of(session, row.project_id)) or ""
    return PublicationView(
        id=row.id, project_id=row.project_id, asset_id=row.media_asset_id,
        version_number=asset.version_number if asset else None, caption=caption, scheduled_for=row.scheduled_for,
        time_zone=row.time_zone, status=row.status, cover_ms=row.cover_ms, created_at=row.created_at,
        can_change=row.status == PublicationStatus.SCHEDULED and role == "producer",
        destinations=tuple(DestinationView(
            id=destination.id, destination=destination.destination, status=destination.status,
            sandbox=destination.sandbox, privacy_level=destination.privacy_level, post_url=destination.post_url,
            failure_reason=destination.failure_reason, attempts=destination.attempts,
            next_attempt_at=destination.next_attempt_at, steps=tuple(steps[destination.id]))
            for destination in destinations))


def original_of(session: Session, asset_id: str) -> StoredFile | None:
    asset = session.get(MediaAsset, asset_id)
    return session.get(StoredFile, asset.file_id) if asset and asset.file_id else None
