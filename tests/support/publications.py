"""A producer with an approved version, TikTok connected and a project Discord channel, all through the sandbox's
consent pages (the connections services of issue 11), for the publication tests and the benchmark."""

from __future__ import annotations

import dataclasses
import os

from sqlmodel import select

from studio_app.database import session_scope
from studio_app.models.base import utcnow
from studio_app.models.media import MediaAsset, MediaKind
from studio_app.models.publications import Publication, PublicationDestination, PublicationStep
from studio_app.security.policy import Actor
from studio_app.services import connections
from studio_app.settings import Settings
from tests.support.media import media_asset
from tests.support.projects import call, new_project, person


@dataclasses.dataclass(frozen=True)
class World:
    producer: Actor
    project_id: str
    asset_id: str
    size: int


def connect(sandbox, actor: Actor, provider: str, **consent) -> None:
    purpose = consent.pop("purpose", "account")
    url = call(connections.start_connection, actor, provider, purpose=purpose, project_id=consent.pop("project", None))
    redirect = sandbox.authorize(provider, url, **consent)
    finished = call(connections.finish_connection, actor, provider, state=redirect.state, code=redirect.code)
    assert finished.ok, finished.message


def approved_version(producer: Actor, project_id: str, video: bytes, *, duration_ms: int = 10_000) -> str:
    asset = media_asset(producer, project_id, kind=MediaKind.VERSION, version_number=1, video=video,
                        duration_ms=duration_ms)
    with session_scope() as session:
        row = session.get(MediaAsset, asset.id)
        row.approved_at = utcnow()
        session.add(row)
    return asset.id


def world(settings: Settings, sandbox, *, size: int = 3 * 1024 * 1024 + 17, tiktok: bool = True,
          discord: bool = True) -> World:
    producer = person(settings, "paula@example.com", name="Paula Producer")
    project = new_project(producer)
    asset_id = approved_version(producer, project.id, os.urandom(size))
    if tiktok:
        connect(sandbox, producer, "tiktok", persona="Paula on TikTok")
    if discord:
        connect(sandbox, producer, "discord", purpose="project_channel", project=project.id, channel="announcements")
    return World(producer, project.id, asset_id, size)


def destinations(publication_id: str) -> dict[str, PublicationDestination]:
    with session_scope() as session:
        rows = session.exec(select(PublicationDestination).where(
            PublicationDestination.publication_id == publication_id)).all()
        for row in rows:
            session.expunge(row)
        return {row.destination: row for row in rows}


def steps(destination_id: str) -> list[PublicationStep]:
    with session_scope() as session:
        rows = session.exec(select(PublicationStep).where(PublicationStep.destination_id == destination_id)
                            .order_by(PublicationStep.started_at)).all()
        for row in rows:
            session.expunge(row)
        return list(rows)


def status_of(publication_id: str) -> str:
    with session_scope() as session:
        return session.get(Publication, publication_id).status


def approved_version_of_file(producer: Actor, project_id: str, file_id: str, *, size: int) -> str:
    """An approved, ready version whose original is an already stored file (the benchmark's 1 GiB)."""
    from studio_app.models.base import new_id

    with session_scope() as session:
        asset = MediaAsset(id=new_id(), project_id=project_id, file_id=file_id, kind=MediaKind.VERSION,
                           version_number=1, uploaded_by=producer.user_id, status="ready", progress=100,
                           duration_ms=10_000, width=1080, height=1920, frame_rate="30", approved_at=utcnow())
        session.add(asset)
        return asset.id
