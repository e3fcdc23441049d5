"""Session addresses and browsers are erased after the retention period; ended sessions and tokens go."""

from datetime import timedelta

import sqlalchemy as sa
from sqlmodel import select

from studio_app.database import session_scope
from studio_app.models.accounts import OneTimeToken, UserSession
from studio_app.models.base import utcnow
from studio_app.services import sessions
from studio_app.services.retention import purge_technical_data
from tests.support.accounts import signed_in, verified_account


def test_technical_data_is_kept_only_for_the_retention_period(settings):
    verified_account(settings, "zoe@example.com")
    old_secret, old = signed_in(settings, "zoe@example.com")
    _, recent = signed_in(settings, "zoe@example.com")
    _, ended = signed_in(settings, "zoe@example.com")
    long_ago = utcnow() - timedelta(days=settings.technical_data_days + 1)
    with session_scope() as session:
        # Opened before the retention period and used since (sessions may last that long: see long_lived below).
        session.execute(sa.update(UserSession).where(UserSession.id == old.session_id).values(created_at=long_ago))
        session.execute(sa.update(UserSession).where(UserSession.id == ended.session_id)
                        .values(created_at=long_ago, last_used_at=long_ago, revoked_at=long_ago))
        session.execute(sa.update(OneTimeToken).values(used_at=long_ago))  # the verification link, used long ago

    with session_scope() as session:
        report = purge_technical_data(session, settings)
    assert (report.addresses_erased, report.sessions_deleted, report.tokens_deleted) == (2, 1, 1)
    with session_scope() as session:
        rows = {row.id: row for row in session.exec(select(UserSession))}
        assert set(rows) == {old.session_id, recent.session_id}
        assert rows[old.session_id].ip_address_encrypted is None and rows[old.session_id].user_agent_encrypted is None
        assert rows[recent.session_id].ip_address_encrypted is not None
        long_lived = settings.model_copy(update={"session_max_days": settings.technical_data_days * 2})
        assert sessions.resolve_session(session, long_lived, old_secret) is not None  # still signed in, unnamed
        assert session.exec(select(OneTimeToken)).all() == []
    with session_scope() as session:
        assert purge_technical_data(session, settings) == type(report)(0, 0, 0)
