"""People and projects for the projects tests: a producer, editors, projects, members, raw messages."""

from __future__ import annotations

from datetime import date, timedelta

import sqlalchemy as sa
from sqlmodel import select

from studio_app.database import session_scope
from studio_app.models.base import new_id, utcnow
from studio_app.models.projects import Message
from studio_app.security.fields import set_encrypted
from studio_app.security.policy import Actor
from studio_app.services import invitations, projects
from studio_app.services.keys import project_key_of
from studio_app.settings import Settings
from tests.support.accounts import signed_in, verified_account


def person(settings: Settings, email: str, *, role: str = "producer", name: str | None = None) -> Actor:
    verified_account(settings, email, role=role, name=name or email.split("@")[0].title())
    return signed_in(settings, email)[1]


def call(function, *args, **kwargs):
    """A service call in its own committed unit of work, as a page handler makes it."""
    with session_scope() as session:
        return function(session, *args, **kwargs)


def in_days(days: int) -> date:
    return utcnow().date() + timedelta(days=days)


def new_project(producer: Actor, title: str = "Launch teaser", **overrides) -> projects.ProjectView:
    values = {"title": title, "brief_markdown": "# Brief\nCut **30s** from the rushes.", "platforms": ["tiktok"],
              "video_format": "vertical_9_16", "deadline": in_days(10)} | overrides
    return call(projects.create_project, producer, **values)


def add_editor(producer: Actor, editor: Actor, project_id: str) -> None:
    """The editor joins through a real invitation by account (no mail is sent for those)."""
    invitation = invite(producer, project_id, editor_id=editor.user_id)
    call(invitations.accept_invitation, editor, invitation.id)


def invite(producer: Actor, project_id: str, settings: Settings | None = None, **who) -> invitations.InvitationView:
    with session_scope() as session:
        return invitations.invite_editor(session, settings, producer, project_id, **who)


def post_raw_message(project_id: str, author_id: str | None, body: str = "hello", **fields) -> str:
    """A thread message written straight to the table (the threads service is another issue's work)."""
    with session_scope() as session:
        message = Message(id=new_id(), project_id=project_id, author_id=author_id, idempotency_key=new_id(), **fields)
        set_encrypted(message, "body_encrypted", body, data_key=project_key_of(session, project_id))
        session.add(message)
        return message.id


def count_rows(model, *where) -> int:
    with session_scope() as session:
        return session.exec(select(sa.func.count()).select_from(model).where(*where)).one()
