"""Reading an encrypted field vs reading a plain column, on the same table and database.

Measured: SELECT of a user's sealed email by id, then AES-256-GCM decryption bound to its row
(the data key already unwrapped, as inside one service call). Peer: SELECT of a plain-text column of
the same row. The raw encrypt+decrypt cost per value and the data-key unwrap are reported too.
"""

from __future__ import annotations

import time

import sqlalchemy as sa
from sqlmodel import select

from bench.common import Result, interleaved, summary_us, temporary_app
from studio_app.database import get_engine
from studio_app.models.accounts import User
from studio_app.security.crypto import decrypt_field, encrypt_field
from studio_app.services.keys import data_key_of
from studio_app.settings import current_settings
from tests.support.accounts import verified_account

ROUNDS = 3_000
TARGET = 1.5


def run() -> Result:
    with temporary_app():
        verified_account(current_settings(), "bench@example.com")
        engine = get_engine()
        with engine.connect() as connection:
            user_id = connection.execute(sa.select(User.id)).scalar_one()
        with sa.orm.Session(engine) as session:
            data_key = data_key_of(session, user_id)
        sealed_query = select(User.email_encrypted).where(User.id == user_id)
        plain_query = select(User.role).where(User.id == user_id)

        with engine.connect() as connection:

            def read_encrypted():
                sealed = connection.execute(sealed_query).scalar_one()
                decrypt_field(data_key, sealed, table="user_account", column="email_encrypted", row_id=user_id)

            def read_plain():
                connection.execute(plain_query).scalar_one()

            measured, peer = interleaved(ROUNDS, read_encrypted, read_plain)

        started = time.perf_counter()
        for _ in range(ROUNDS):
            sealed = encrypt_field(data_key, "someone@example.com", table="t", column="c", row_id=user_id)
            decrypt_field(data_key, sealed, table="t", column="c", row_id=user_id)
        round_trip_us = (time.perf_counter() - started) / ROUNDS * 1e6
        with sa.orm.Session(engine) as session:
            started = time.perf_counter()
            for _ in range(200):
                data_key_of(session, user_id)
            unwrap_us = (time.perf_counter() - started) / 200 * 1e6
    measured_summary, peer_summary = summary_us(measured), summary_us(peer)
    return Result(
        name="field_crypto",
        measured=measured_summary["p50_us"],
        peer=peer_summary["p50_us"],
        target=TARGET,
        unit="us (p50)",
        details={"encrypted_read": measured_summary, "plain_read": peer_summary,
                 "encrypt_plus_decrypt_us": round(round_trip_us, 2),
                 "data_key_fetch_and_unwrap_us": round(unwrap_us, 1)},
    )
