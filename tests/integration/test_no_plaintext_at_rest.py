"""After sign-up and sign-in, the raw database holds no email, name, IP address or browser in clear."""

import sqlalchemy as sa

from studio_app.database import create_db_engine
from tests.support.accounts import CLIENT, signed_in, verified_account
from tests.support.app_env import app_environment

EMAIL, NAME = "Plaintext.Canary@Example.com", "Quentin Canarywood"
SECRETS = [EMAIL.lower().encode(), b"canary@example", NAME.encode(), b"Canarywood",
           CLIENT.ip_address.encode(), b"Chrome/156"]


def found_secrets(blob: bytes) -> list[bytes]:
    return [secret for secret in SECRETS if secret in blob]


def create_account(settings) -> None:
    verified_account(settings, EMAIL, name=NAME)
    signed_in(settings, EMAIL)


def test_sqlite_file_holds_no_personal_data_in_clear(monkeypatch, tmp_path):
    database = tmp_path / "studio.db"
    with app_environment(monkeypatch, tmp_path / "data", f"sqlite:///{database}") as settings:
        create_account(settings)
    files = [path for path in tmp_path.iterdir() if path.name.startswith("studio.db")]
    raw = b"".join(path.read_bytes() for path in files)  # the database and its write-ahead log
    assert len(raw) > 10_000
    assert found_secrets(raw) == []


def test_postgresql_tables_hold_no_personal_data_in_clear(monkeypatch, tmp_path, postgres_url):
    with app_environment(monkeypatch, tmp_path / "data", postgres_url) as settings:
        create_account(settings)
    engine = create_db_engine(postgres_url)
    try:
        with engine.connect() as connection:
            tables = connection.execute(sa.text(
                "SELECT tablename FROM pg_tables WHERE schemaname = 'public'")).scalars().all()
            dump = b"".join(
                str(row).encode() + b"".join(bytes(value) for value in row if isinstance(value, bytes | memoryview))
                for table in tables
                for row in connection.execute(sa.text(f'SELECT * FROM "{table}"'))  # noqa: S608 (catalog names)
            )
    finally:
        engine.dispose()
    assert {"user_account", "user_session", "audit_event"} <= set(tables)
    assert found_secrets(dump) == []
