"""How people appear to the people they work with: display names and avatar initials, for many at once."""

from __future__ import annotations

from collections.abc import Iterable

from sqlmodel import Session, select

from studio_app.models.accounts import User, UserDataKey
from studio_app.security.crypto import unwrap_data_key
from studio_app.security.fields import get_decrypted
from studio_app.security.keyring import current_keys

DELETED_USER = "Deleted user"
DELETED_INITIALS = "?"


def display_names(session: Session, user_ids: Iterable[str | None]) -> dict[str, str]:
    """Names of many users in one query; an erased account (its data key is gone) reads "Deleted user"."""
    wanted = sorted({user_id for user_id in user_ids if user_id})
    if not wanted:
        return {}
    rows = session.exec(
        select(User, UserDataKey)
        .outerjoin(UserDataKey, UserDataKey.user_id == User.id)
        .where(User.id.in_(wanted))
        .limit(len(wanted))
    ).all()
    keyring = current_keys().keyring
    names = dict.fromkeys(wanted, DELETED_USER)
    for user, wrapped in rows:
        if wrapped is not None:
            key = unwrap_data_key(keyring, bytes(wrapped.wrapped_key), owner_id=user.id)
            names[user.id] = get_decrypted(user, "display_name_encrypted", data_key=key)
    return names


def name_of(names: dict[str, str], user_id: str | None) -> str:
    return names.get(user_id, DELETED_USER) if user_id else DELETED_USER


def initials(name: str) -> str:
    if name == DELETED_USER:
        return DELETED_INITIALS
    words = name.split()
    return "".join(word[0] for word in words[:2]).upper() or DELETED_INITIALS
