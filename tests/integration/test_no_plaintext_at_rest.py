"""After sign-up, sign-in, a privacy request and a file upload, the raw database and the media folder hold no
email, name, IP address, browser, request text, file name or file content in clear."""

from pathlib import Path

import sqlalchemy as sa

from studio_app.database import create_db_engine, session_scope
from studio_app.services import files, privacy_requests
from tests.support.accounts import CLIENT, signed_in, verified_account
from tests.support.app_env import app_environment
from tests.support.projects import person

EMAIL, NAME = "Plaintext.Canary@Example.com", "Quentin Canarywood"
REQUEST, FILE_NAME, FILE_CONTENT = "Canary objection text", "canary-holiday.mov", b"canary footage bytes " * 50
SECRETS = [EMAIL.lower().encode(), b"canary@example", NAME.encode(), b"Canarywood",
           CLIENT.ip_address.encode(), b"Chrome/156", REQUEST.encode(), FILE_NAME.encode(), FILE_CONTENT[:40]]


def found_secrets(blob: bytes) -> list[bytes]:
    return [secret for secret in SECRETS if secret in blob]


def create_account(settings) -> None:
    verified_account(settings, EMAIL, name=NAME)
    signed_in(settings, EMAIL)
    other = person(settings, "other@example.com")
    with session_scope() as session:
        privacy_requests.submit_request(session, other, "objection", REQUEST)
        files.store_file(session, other, project_id=None, name=FILE_NAME, content_type="video/quicktime",
                         chunks=[FILE_CONTENT])


def media_bytes(data_dir: Path) -> bytes:
    blobs = [path for path in (data_dir / "media").rglob("*") if path.is_file()]
    assert blobs
    return b"".join(path.read_bytes() for path in blobs)


def test_sqlite_file_holds_no_personal_data_in_clear(monkeypatch, tmp_path):
    database = tmp_path / "studio.db"
    with app_environment(monkeypatch, tmp_path / "data", f"sqlite:///{database}") as settings:
        create_account(settings)
    database_files = [path for path in tmp_path.iterdir() if path.name.startswith("studio.db")]
    raw = b"".join(path.read_bytes() for path in database_files)  # the database and its write-ahead log
    assert len(raw) > 10_000
    assert found_secrets(raw) == []
    assert found_secrets(media_bytes(tmp_path / "data")) == []


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
    assert {"user_account", "user_session", "audit_event", "privacy_request", "stored_file"} <= set(tables)
    assert found_secrets(dump) == []
    assert found_secrets(media_bytes(tmp_path / "data")) == []
