"""Sign-in through the blind index with 100,000 accounts vs the password hash alone.

Measured: the whole credential check of ``sign_in`` (rate-limit checks, HMAC of the email, the
indexed look-up among 100,000 accounts, argon2id verification). Peer: argon2id verification of the
same hash alone. Both run interleaved in one process on the same SQLite file.
"""

from __future__ import annotations

import secrets

import sqlalchemy as sa

from bench.common import Result, interleaved, summary_ms, temporary_app
from studio_app.database import get_engine, session_scope
from studio_app.models.accounts import User, UserDataKey
from studio_app.models.base import new_id, utcnow
from studio_app.security.blind_index import email_index
from studio_app.security.crypto import encrypt_field, new_data_key
from studio_app.security.keyring import current_keys
from studio_app.security.passwords import hash_password, verify_password
from studio_app.services import accounts
from tests.support.accounts import CLIENT, STRONG_PASSWORD, verified_account

ACCOUNTS = 100_000
ROUNDS = 40
TARGET = 1.2


def populate(count: int) -> None:
    """Real rows (blind index, sealed fields, wrapped keys); one shared hash: argon2 x 100,000 would take hours."""
    keys = current_keys()
    shared_hash = hash_password(secrets.token_hex(8), pepper=keys.password_pepper)
    now = utcnow()
    for start in range(0, count, 5_000):
        users, data_keys = [], []
        for number in range(start, min(count, start + 5_000)):
            user_id, email = new_id(), f"member{number}@example.com"
            data_key, wrapped = new_data_key(keys.keyring, owner_id=user_id)
            sealed = {column: encrypt_field(data_key, value, table="user_account", column=column, row_id=user_id)
                      for column, value in (("email_encrypted", email), ("display_name_encrypted", f"Member {number}"))}
            users.append({
                "id": user_id, "email_index": email_index(keys.index_key, email), "role": "editor", **sealed,
                "password_hash": shared_hash, "email_verified_at": now, "privacy_policy_version": "bench",
                "privacy_policy_accepted_at": now, "created_at": now, "password_changed_at": now,
            })
            data_keys.append({"user_id": user_id, "wrapped_key": wrapped, "created_at": now})
        with get_engine().begin() as connection:
            connection.execute(sa.insert(User), users)
            connection.execute(sa.insert(UserDataKey), data_keys)


def run() -> Result:
    with temporary_app() as folder:
        from studio_app.settings import current_settings

        settings = current_settings()
        verified_account(settings, "bench@example.com")
        populate(ACCOUNTS)
        with session_scope() as session:
            stored_hash = session.exec(sa.select(User.password_hash).where(
                User.email_index == email_index(current_keys().index_key, "bench@example.com"))).scalar_one()
        pepper = current_keys().password_pepper

        def check_credentials():
            with session_scope() as session:
                accounts._authenticate(session, "bench@example.com", STRONG_PASSWORD, CLIENT)

        def hash_alone():
            assert verify_password(stored_hash, STRONG_PASSWORD, pepper=pepper)[0]

        measured, peer = interleaved(ROUNDS, check_credentials, hash_alone)
        database_bytes = sum(path.stat().st_size for path in folder.glob("studio.db*"))
    measured_summary, peer_summary = summary_ms(measured), summary_ms(peer)
    return Result(
        name="signin_blind_index",
        measured=measured_summary["p50_ms"],
        peer=peer_summary["p50_ms"],
        target=TARGET,
        unit="ms (p50)",
        details={"accounts": ACCOUNTS + 1, "credential_check": measured_summary, "argon2_alone": peer_summary,
                 "database_mb": round(database_bytes / 2**20, 1)},
    )
