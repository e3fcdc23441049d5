"""Encrypting a model attribute where it is stored: the binding comes from the instance.

Services use these instead of calling ``encrypt_field`` with a hand-typed table and row id.
The row must have its id, so flush a new row before setting its encrypted attributes.
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa

from studio_app.security.crypto import DataKey, decrypt_field, encrypt_field


class UnsavedRowError(ValueError):
    """The row has no id yet, and the id is part of what an encrypted value is bound to."""


def set_encrypted(instance: Any, column: str, value: str | None, *, data_key: DataKey) -> None:
    """Store ``value`` encrypted in ``instance.<column>``; None stays None."""
    sealed = None if value is None else encrypt_field(data_key, value, **_binding(instance, column))
    setattr(instance, column, sealed)


def get_decrypted(instance: Any, column: str, *, data_key: DataKey) -> str | None:
    """The plaintext of ``instance.<column>``; raises DecryptionError if it does not belong there."""
    sealed = getattr(instance, column)
    if sealed is None:
        return None
    # Some drivers hand back memoryview for binary columns.
    return decrypt_field(data_key, bytes(sealed), **_binding(instance, column))


def _binding(instance: Any, column: str) -> dict[str, Any]:
    if not hasattr(type(instance), column):
        raise AttributeError(f"{type(instance).__name__} has no column {column!r}")
    row_id = _row_id(instance)
    if row_id is None:
        raise UnsavedRowError(f"{type(instance).__name__} has no id yet: flush the session before encrypting {column}")
    return {"table": type(instance).__tablename__, "column": column, "row_id": row_id}


def _row_id(instance: Any) -> Any:
    """``id``, or the single primary key of tables keyed by another column (editor_profile.user_id)."""
    if hasattr(type(instance), "id"):
        return instance.id
    primary_key = sa.inspect(type(instance)).primary_key
    if len(primary_key) != 1:
        raise TypeError(f"{type(instance).__name__} needs a single-column primary key to hold encrypted values")
    return getattr(instance, primary_key[0].key)
