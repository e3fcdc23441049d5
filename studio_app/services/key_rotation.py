"""Master-key rotation: every user's and project's data key is re-wrapped under the active master key.

Personal values are sealed under per-user (or per-project) data keys, so rotating the master key
never touches them; only the small wrapped keys are rewritten. Batches commit one by one: an
interrupted run is resumed by running it again (keys already under the active master key are skipped).
"""

from __future__ import annotations

from collections.abc import Callable

from sqlmodel import Session, select

from studio_app.models.accounts import UserDataKey
from studio_app.models.admin import LegalDisclosure
from studio_app.models.projects import ProjectDataKey
from studio_app.security.crypto import rewrap_data_key, sealed_key_id
from studio_app.security.keyring import KeyRing
from studio_app.services.keys import disclosure_owner, project_owner

BATCH = 500

# (table, its id column, the owner a wrapped key is bound to)
WRAPPED_KEY_TABLES = (
    (UserDataKey, UserDataKey.user_id, lambda row: row.user_id),
    (ProjectDataKey, ProjectDataKey.project_id, lambda row: project_owner(row.project_id)),
    (LegalDisclosure, LegalDisclosure.id, lambda row: disclosure_owner(row.id)),
)


def rewrap_all_data_keys(open_session: Callable[[], Session], keyring: KeyRing) -> int:
    return sum(_rewrap_table(open_session, keyring, *table) for table in WRAPPED_KEY_TABLES)


def _rewrap_table(open_session, keyring: KeyRing, model, id_column, owner_of) -> int:
    rewrapped, after = 0, ""
    while True:
        with open_session() as session:
            rows = session.exec(select(model).where(id_column > after).order_by(id_column).limit(BATCH)).all()
            if not rows:
                return rewrapped
            for row in rows:
                if sealed_key_id(bytes(row.wrapped_key)) != keyring.active_key_id:
                    row.wrapped_key = rewrap_data_key(keyring, bytes(row.wrapped_key), owner_id=owner_of(row))
                    session.add(row)
                    rewrapped += 1
            session.commit()
            after = getattr(rows[-1], id_column.key)
