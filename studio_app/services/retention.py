"""Technical data is kept only as long as the privacy policy says (``STUDIO_TECHNICAL_DATA_DAYS``)."""

from __future__ import annotations

import dataclasses
from datetime import datetime, timedelta

import sqlalchemy as sa
from sqlmodel import Session

from studio_app.models.accounts import OneTimeToken, UserSession
from studio_app.models.base import utcnow
from studio_app.settings import Settings


@dataclasses.dataclass(frozen=True)
class PurgeReport:
    addresses_erased: int
    sessions_deleted: int
    tokens_deleted: int


def purge_technical_data(session: Session, settings: Settings, *, now: datetime | None = None) -> PurgeReport:
    """Erase the IP address and browser of sessions older than the retention period, delete sessions and
    one-time tokens that ended before it. A job calls this: there is no actor."""
    cutoff = (now or utcnow()) - timedelta(days=settings.technical_data_days)
    erased = session.execute(
        sa.update(UserSession)
        .where(UserSession.created_at < cutoff,
               sa.or_(UserSession.ip_address_encrypted.is_not(None), UserSession.user_agent_encrypted.is_not(None)))
        .values(ip_address_encrypted=None, user_agent_encrypted=None)
    ).rowcount
    ended = sa.or_(UserSession.revoked_at < cutoff, UserSession.absolute_expires_at < cutoff,
                   UserSession.idle_expires_at < cutoff)
    sessions_deleted = session.execute(sa.delete(UserSession).where(ended)).rowcount
    tokens_deleted = session.execute(
        sa.delete(OneTimeToken).where(sa.or_(OneTimeToken.used_at < cutoff, OneTimeToken.expires_at < cutoff))
    ).rowcount
    return PurgeReport(addresses_erased=erased, sessions_deleted=sessions_deleted, tokens_deleted=tokens_deleted)
