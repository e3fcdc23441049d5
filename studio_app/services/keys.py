"""Data keys: one per user (their personal data) and one per project (content its members share)."""

from __future__ import annotations

from collections.abc import Iterable

from sqlmodel import Session, select

from studio_app.models.accounts import UserDataKey
from studio_app.models.projects import ProjectDataKey
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


def unwrap_user_key(user_id: str, wrapped: bytes) -> DataKey:
    """For queries that join ``UserDataKey.wrapped_key`` to the rows they read."""
    return unwrap_data_key(current_keys().keyring, bytes(wrapped), owner_id=user_id)


def unwrap_project_key(project_id: str, wrapped: bytes) -> DataKey:
    """For queries that join ``ProjectDataKey.wrapped_key`` to the rows they read."""
    return unwrap_data_key(current_keys().keyring, bytes(wrapped), owner_id=project_owner(project_id))


def project_owner(project_id: str) -> str:
    # Wrapped keys are bound to their owner; the prefix keeps project and user ids apart.
    return f"project:{project_id}"


def disclosure_owner(disclosure_id: str) -> str:
    return f"disclosure:{disclosure_id}"


def create_project_key(session: Session, project_id: str) -> DataKey:
    data_key, wrapped = new_data_key(current_keys().keyring, owner_id=project_owner(project_id))
    session.add(ProjectDataKey(project_id=project_id, wrapped_key=wrapped))
    return data_key


def project_key_of(session: Session, project_id: str) -> DataKey:
    row = session.get(ProjectDataKey, project_id)
    if row is None:
        raise DataKeyMissing(project_id)
    return unwrap_data_key(current_keys().keyring, bytes(row.wrapped_key), owner_id=project_owner(project_id))


def project_keys_of(session: Session, project_ids: Iterable[str]) -> dict[str, DataKey]:
    """The data keys of many projects in one query."""
    wanted = sorted(set(project_ids))
    if not wanted:
        return {}
    rows = session.exec(select(ProjectDataKey).where(ProjectDataKey.project_id.in_(wanted)).limit(len(wanted))).all()
    keyring = current_keys().keyring
    return {row.project_id: unwrap_data_key(keyring, bytes(row.wrapped_key), owner_id=project_owner(row.project_id))
            for row in rows}
