"""The SQLModel engine and the Alembic migration helpers (SQLite or PostgreSQL)."""

from __future__ import annotations

import dataclasses
import logging
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from functools import lru_cache

import sqlalchemy as sa
from alembic import command
from alembic.config import Config as AlembicConfig
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlmodel import Session

from studio_app.security import read_only  # noqa: F401  (every session refuses writes while read-only)
from studio_app.settings import PROJECT_ROOT, Settings, SettingsError, load_settings

logger = logging.getLogger(__name__)


def sqlalchemy_url(database_url: str) -> str:
    """``postgresql://`` means psycopg 3 here (SQLAlchemy would pick psycopg2)."""
    if database_url.startswith("postgresql://"):
        return "postgresql+psycopg://" + database_url.removeprefix("postgresql://")
    return database_url


def create_db_engine(database_url: str) -> sa.Engine:
    url = sqlalchemy_url(database_url)
    if url.startswith("sqlite"):
        engine = sa.create_engine(url, connect_args={"check_same_thread": False, "timeout": 30})
        sa.event.listen(engine, "connect", _sqlite_pragmas)
        return engine
    return sa.create_engine(url, pool_pre_ping=True, pool_size=10, max_overflow=10)


def _sqlite_pragmas(dbapi_connection, _record) -> None:
    # WAL lets readers and one writer work at once; SQLite leaves foreign keys off by default.
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA synchronous=NORMAL")
    # Deleted rows are overwritten with zeros: an erased account's wrapped data key must not linger in free pages.
    cursor.execute("PRAGMA secure_delete=ON")
    cursor.close()


@lru_cache(maxsize=1)
def get_engine() -> sa.Engine:
    return create_db_engine(load_settings().database_url)


@contextmanager
def session_scope() -> Iterator[Session]:
    """A unit of work: committed when the block ends, rolled back if it raises."""
    with Session(get_engine(), expire_on_commit=False) as session:
        try:
            yield session
            session.commit()
        except BaseException:
            session.rollback()
            raise
        raise_after_commit_error(session)


def raise_after_commit_error(session: Session) -> None:
    """Raise the first error of an after-commit action (a mail that could not be sent), once the commit is over."""
    errors = session.info.pop("after_commit_errors", [])
    if errors:
        raise errors[0]


def after_commit(session: Session, action: Callable[[], object]) -> None:
    """Run ``action`` once the session's transaction has committed (mails, blob deletions); never if it rolls back."""
    _outcome_actions(session)["commit"].append(action)


def after_rollback(session: Session, action: Callable[[], object]) -> None:
    """Run ``action`` if the session's transaction rolls back (undo a blob written for it); never if it commits."""
    _outcome_actions(session)["rollback"].append(action)


def _outcome_actions(session: Session) -> dict[str, list[Callable[[], object]]]:
    pending = session.info.get("outcome_actions")
    if pending is None:
        pending = session.info["outcome_actions"] = {"commit": [], "rollback": []}

        def settle(outcome: str) -> None:
            actions = pending[outcome]
            pending["commit"], pending["rollback"] = [], []
            # Every action runs (a mail that fails must not leave a blob behind). Raising inside SQLAlchemy's event
            # would leave the session half-committed: errors wait for raise_after_commit_error (session_scope).
            for action in actions:
                try:
                    action()
                except Exception as error:
                    if outcome == "commit":
                        session.info.setdefault("after_commit_errors", []).append(error)
                    else:  # the transaction's own error is on its way up: this one is only logged
                        logger.exception("an after-rollback action failed")

        # SQLAlchemy fires both events for savepoints too (an audit event releases one): only the whole
        # transaction's outcome counts.
        def committed(committed_session: Session) -> None:
            if not committed_session.in_nested_transaction():
                settle("commit")

        def rolled_back(_session: Session, previous_transaction) -> None:
            if not previous_transaction.nested:
                settle("rollback")

        sa.event.listen(session, "after_commit", committed)
        sa.event.listen(session, "after_soft_rollback", rolled_back)
    return pending


def alembic_config(database_url: str | None = None) -> AlembicConfig:
    config = AlembicConfig(str(PROJECT_ROOT / "alembic.ini"))
    config.set_main_option("script_location", str(PROJECT_ROOT / "alembic"))
    if database_url:
        config.attributes["database_url"] = database_url
    return config


def upgrade_to_head(database_url: str) -> None:
    command.upgrade(alembic_config(database_url), "head")


@dataclasses.dataclass(frozen=True)
class SchemaStatus:
    current: str | None
    head: str | None

    @property
    def up_to_date(self) -> bool:
        return self.current == self.head


def schema_status(engine: sa.Engine) -> SchemaStatus:
    head = ScriptDirectory.from_config(alembic_config()).get_current_head()
    with engine.connect() as connection:
        current = MigrationContext.configure(connection).get_current_revision()
    return SchemaStatus(current=current, head=head)


def check_database_reachable(settings: Settings) -> None:
    """Raise SettingsError naming STUDIO_DATABASE_URL when the database cannot be used."""
    engine = create_db_engine(settings.database_url)
    try:
        with engine.connect() as connection:
            connection.execute(sa.text("SELECT 1"))
    except sa.exc.SQLAlchemyError as error:
        reason = str(getattr(error, "orig", error)).strip().splitlines()[0]
        raise SettingsError("STUDIO_DATABASE_URL", f"cannot connect to the database ({reason})") from None
    finally:
        engine.dispose()
