"""Projects and messages inserted directly, so thread and notification tests need no project services."""

from __future__ import annotations

from datetime import datetime, timedelta

import sqlalchemy as sa

from studio_app.database import session_scope
from studio_app.models.base import new_id, utcnow
from studio_app.models.projects import Message, Project, ProjectMember
from studio_app.security.fields import set_encrypted
from studio_app.security.policy import Actor
from studio_app.services.keys import create_project_key, project_key_of
from studio_app.settings import Settings
from tests.support.accounts import signed_in, verified_account


def create_project(producer: Actor, editor: Actor | None = None, *, title: str = "Launch teaser") -> str:
    with session_scope() as session:
        project = Project(id=new_id(), producer_id=producer.user_id)
        key = create_project_key(session, project.id)
        set_encrypted(project, "title_encrypted", title, data_key=key)
        session.add(project)
        session.add(ProjectMember(project_id=project.id, user_id=producer.user_id, role="producer"))
        if editor is not None:
            session.add(ProjectMember(project_id=project.id, user_id=editor.user_id, role="editor"))
    return project.id


def member(settings: Settings, email: str, *, name: str, role: str) -> Actor:
    verified_account(settings, email, name=name, role=role)
    return signed_in(settings, email)[1]


def producer_and_editor(settings: Settings) -> tuple[Actor, Actor]:
    return (member(settings, "zoe@example.com", name="Zoé Martin", role="producer"),
            member(settings, "eli@example.com", name="Eli Moreau", role="editor"))


def bulk_messages(project_id: str, author_ids: list[str], count: int, *, start: datetime | None = None) -> list[str]:
    """``count`` messages one second apart, alternating authors, in one insert; returns ids oldest first."""
    start = start or utcnow() - timedelta(days=30)
    rows = []
    with session_scope() as session:
        key = project_key_of(session, project_id)
        for number in range(count):
            message = Message(id=new_id(), project_id=project_id, author_id=author_ids[number % len(author_ids)],
                              idempotency_key=f"bulk-{new_id()}", created_at=start + timedelta(seconds=number))
            set_encrypted(message, "body_encrypted", f"message {number}", data_key=key)
            rows.append({column: getattr(message, column) for column in
                         ("id", "project_id", "author_id", "idempotency_key", "created_at", "body_encrypted")}
                        | {"mentions": []})
        session.execute(sa.insert(Message), rows)
    return [row["id"] for row in rows]
