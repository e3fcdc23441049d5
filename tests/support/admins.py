"""Admin accounts for tests: created like ``studio_app admin create`` does, signed in, and re-authenticated."""

from __future__ import annotations

from studio_app.database import session_scope
from studio_app.security.policy import Actor
from studio_app.services import accounts
from tests.support.accounts import STRONG_PASSWORD, signed_in


def admin(settings, email: str = "ops@example.com", name: str = "Ops", *, reauthenticated: bool = True) -> Actor:
    with session_scope() as session:
        accounts.create_admin(session, email, STRONG_PASSWORD, name)
    _, actor = signed_in(settings, email)
    if reauthenticated:
        reauthenticate(actor)
    return actor


def reauthenticate(actor: Actor) -> None:
    with session_scope() as session:
        accounts.reauthenticate(session, actor, STRONG_PASSWORD)
