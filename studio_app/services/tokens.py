"""Single-use, expiring secrets sent by mail. Only their SHA-256 is stored."""

from __future__ import annotations

import hashlib
import secrets
from datetime import timedelta

import sqlalchemy as sa
from sqlmodel import Session, select

from studio_app.models.accounts import OneTimeToken, TokenPurpose, User
from studio_app.models.base import utcnow

LIFETIMES = {
    TokenPurpose.VERIFY_EMAIL: timedelta(hours=24),
    TokenPurpose.RESET_PASSWORD: timedelta(hours=1),
    TokenPurpose.CHANGE_EMAIL: timedelta(hours=24),
    TokenPurpose.SIGN_IN: timedelta(minutes=15),
}


def new_secret() -> str:
    """256 random bits, URL-safe."""
    return secrets.token_urlsafe(32)


def hash_secret(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def issue_token(session: Session, user: User, purpose: TokenPurpose, **extra) -> tuple[str, OneTimeToken]:
    """Store a new token and return its secret and row; earlier unused tokens of that purpose stop working."""
    now = utcnow()
    session.execute(
        sa.update(OneTimeToken)
        .where(OneTimeToken.user_id == user.id, OneTimeToken.purpose == purpose, OneTimeToken.used_at.is_(None))
        .values(used_at=now)
    )
    secret = new_secret()
    token = OneTimeToken(
        user_id=user.id, purpose=purpose, token_hash=hash_secret(secret), expires_at=now + LIFETIMES[purpose], **extra
    )
    session.add(token)
    session.flush()
    return secret, token


def consume_token(session: Session, secret: str, purpose: TokenPurpose) -> OneTimeToken | None:
    """Mark the token used and return it, or None if it is unknown, used, expired or of another purpose.

    The UPDATE ... WHERE used_at IS NULL makes a token usable once even when two requests race.
    """
    if not secret or len(secret) > 128:
        return None
    now = utcnow()
    token_hash = hash_secret(secret)
    claimed = session.execute(
        sa.update(OneTimeToken)
        .where(
            OneTimeToken.token_hash == token_hash,
            OneTimeToken.purpose == purpose,
            OneTimeToken.used_at.is_(None),
            OneTimeToken.expires_at > now,
        )
        .values(used_at=now)
    )
    if claimed.rowcount != 1:
        return None
    return session.exec(select(OneTimeToken).where(OneTimeToken.token_hash == token_hash)).one()
