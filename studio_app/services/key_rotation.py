"""Master-key rotation: every user's data key is re-wrapped under the active master key.

Personal values are sealed under per-user data keys, so rotating the master key never touches
them; only the small wrapped keys are rewritten. Batches commit one by one: an interrupted run
is resumed by running it again (keys already under the active master key are skipped).
"""

from __future__ import annotations

from collections.abc import Callable

from sqlmodel import Session, select

from studio_app.models.accounts import UserDataKey
from studio_app.security.crypto import rewrap_data_key, sealed_key_id
from studio_app.security.keyring import KeyRing

BATCH = 500


def rewrap_all_data_keys(open_session: Callable[[], Session], keyring: KeyRing) -> int:
    rewrapped, after = 0, ""
    while True:
        with open_session() as session:
            rows = session.exec(
                select(UserDataKey).where(UserDataKey.user_id > after).order_by(UserDataKey.user_id).limit(BATCH)
            ).all()
            if not rows:
                return rewrapped
            for row in rows:
                if sealed_key_id(bytes(row.wrapped_key)) != keyring.active_key_id:
                    row.wrapped_key = rewrap_data_key(keyring, bytes(row.wrapped_key), owner_id=row.user_id)
                    session.add(row)
                    rewrapped += 1
            session.commit()
            after = rows[-1].user_id
