"""Per-user data keys: created with the account, unwrapped when a service reads or writes personal data."""

from __future__ import annotations

from sqlmodel import Session

from studio_app.models.accounts import UserDataKey
from studio_app.security.crypto import DataKey, new_data_key, unwrap_data_key
from studio_app.security.keyring import current_keys


class DataKeyMissing(LookupError):
    """The user's data key is gone: their personal data was erased (crypto-shredded)."""


def create_data_key(session: Session, user_id: str) -> DataKey:
    data_key, wrapped = new_data_key(current_keys().keyring, owner_id=user_id)
    session.add(UserDataKey(user_id=user_id, wrapped_key=wrapped))
    return data_key


def data_key_of(session: Session, user_id: str) -> DataKey:
    row = session.get(UserDataKey, user_id)
    if row is None:
        raise DataKeyMissing(user_id)
    return unwrap_data_key(current_keys().keyring, bytes(row.wrapped_key), owner_id=user_id)
