"""Read-only mode: a containment step of breach response. While it is on, no service can change data
(``database.py`` imports this module, so every session of every process has the guard).

It is enforced once, under every service, where SQLAlchemy writes: each flush and each INSERT/UPDATE/DELETE
statement of any session checks the persisted flag (``app_flag``, so every worker and queue consumer sees it at
once) and refuses with a plain message. What must keep working is let through: signing in and out (sessions and
the audit log, which sign-ins write) and the incident work itself, whose sessions are marked :func:`exempt`.
"""

from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy import event
from sqlalchemy.orm import ORMExecuteState
from sqlalchemy.orm import Session as OrmSession
from sqlmodel import Session, SQLModel

from studio_app.errors import UserError
from studio_app.models.base import utcnow
from studio_app.models.incidents import AppFlag

READ_ONLY = "read_only"
MESSAGE = ("The studio is in read-only mode while we deal with a security incident: you can read everything, "
           "but nothing can be changed for now. Please try again later.")
# Signing in and out stays possible (people must be able to read, and to end a session they fear is stolen).
ALWAYS_WRITABLE = frozenset({"user_session", "audit_event", "app_flag"})
_EXEMPT = "read_only_exempt"


class ReadOnlyMode(UserError):
    """A write refused while the studio is read-only."""

    def __init__(self) -> None:
        super().__init__(MESSAGE)


def exempt(session: Session) -> None:
    """This unit of work may write while read-only (breach response, which must go on)."""
    session.info[_EXEMPT] = True


def read_only_flag(session: Session) -> AppFlag | None:
    return session.get(AppFlag, READ_ONLY)


def is_read_only(connection: sa.Connection) -> bool:
    return connection.execute(sa.select(AppFlag.name).where(AppFlag.name == READ_ONLY)).first() is not None


def set_read_only(session: Session, *, on: bool, reason: str, actor_id: str, incident_id: str | None) -> bool:
    """Turns the mode on or off; returns whether it changed. Callers check authorization (incidents.py)."""
    row = read_only_flag(session)
    if on and row is None:
        session.add(AppFlag(name=READ_ONLY, reason=reason, set_by=actor_id, set_at=utcnow(), incident_id=incident_id))
        return True
    if not on and row is not None:
        session.delete(row)
        return True
    return False


def _guarded(session: OrmSession, tables: set[str]) -> None:
    # Only the studio's own tables: a session on another database (a test's own tables) has no flag to read.
    tables = {name for name in tables if name in SQLModel.metadata.tables} - ALWAYS_WRITABLE
    if session.info.get(_EXEMPT) or not tables:
        return
    if is_read_only(session.connection()):
        raise ReadOnlyMode()


@event.listens_for(OrmSession, "before_flush")
def _before_flush(session: OrmSession, _context, _instances) -> None:
    changed = [*session.new, *session.deleted, *(row for row in session.dirty if session.is_modified(row))]
    _guarded(session, {type(row).__tablename__ for row in changed})


@event.listens_for(OrmSession, "do_orm_execute")
def _before_statement(state: ORMExecuteState) -> None:
    if state.is_insert or state.is_update or state.is_delete:
        table = getattr(state.statement, "table", None)
        _guarded(state.session, {getattr(table, "name", "")})
