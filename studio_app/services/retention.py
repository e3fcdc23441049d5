"""How long data is kept: technical data only as long as the privacy policy says (``STUDIO_TECHNICAL_DATA_DAYS``),
and the periods people are told, from the same values the code applies."""

from __future__ import annotations

import dataclasses
import re
from datetime import datetime, timedelta

import sqlalchemy as sa
from sqlmodel import Session

from studio_app.models.accounts import OneTimeToken, UserSession
from studio_app.models.base import utcnow
from studio_app.settings import Settings

# The anonymized record of a privacy request is kept this long after it was closed, as proof that it was
# honoured (limitation period for claims); the retention round (erasure.purge_old_proofs) then deletes it.
PROOF_YEARS = 3
_PLACEHOLDER = re.compile(r"\{([a-z_]+)\}")


def periods(settings: Settings) -> dict[str, int]:
    """The retention periods the privacy center and the policy state, by placeholder name."""
    return {"technical_data_days": settings.technical_data_days, "proof_years": PROOF_YEARS}


def with_periods(text: str, settings: Settings) -> str:
    """``text`` with each ``{technical_data_days}``-style placeholder replaced by its value (and ``{privacy_contact}``
    by the address people write to); other braces stay."""
    values = periods(settings) | {"privacy_contact": settings.privacy_contact}
    return _PLACEHOLDER.sub(lambda found: str(values.get(found.group(1), found.group(0))), text)


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
