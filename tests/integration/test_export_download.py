"""The archive download route over real HTTP: only the requester, only after entering the password again,
only while the archive is ready; the bytes are the archive, streamed with no caching."""

import io
import zipfile
from datetime import timedelta

import httpx
import pytest
import sqlalchemy as sa
from sqlmodel import select

from studio_app.database import session_scope
from studio_app.models.audit import AuditEvent
from studio_app.models.base import utcnow
from studio_app.models.privacy import DataExport
from studio_app.services import accounts, threads
from tests.support.accounts import STRONG_PASSWORD, signed_in
from tests.support.app_env import app_environment
from tests.support.exports import exported, open_archive
from tests.support.projects import call, new_project, person
from tests.support.servers import api_server


@pytest.fixture
def server(monkeypatch, tmp_path):
    database_url = f"sqlite:///{tmp_path / 'studio.db'}"
    with app_environment(monkeypatch, tmp_path / "data", database_url) as settings:
        owner = person(settings, "zoe@example.com", name="Zoé Martin")
        person(settings, "eli@example.com", name="Eli Moreau")
        project = new_project(owner, "Spring teaser")
        for number in range(30):
            call(threads.post_message, owner, project.id, f"note {number}", idempotency_key=f"n-{number}")
        row = exported(owner)
        assert row.status == "ready"
        with api_server(tmp_path, database_url) as base:
            yield base, settings, row


def download(base, export_id, secret=None):
    headers = {"cookie": f"studio_session={secret}"} if secret else {}
    return httpx.get(f"{base}/api/privacy/exports/{export_id}/download", headers=headers, follow_redirects=False)


def test_only_the_requester_after_re_authentication_gets_the_archive(server):
    base, settings, row = server
    owner_secret, owner = signed_in(settings, "zoe@example.com")
    other_secret, _ = signed_in(settings, "eli@example.com")

    nobody = download(base, row.id)
    assert nobody.status_code == 403 and "Sign in" in nobody.text and nobody.headers["cache-control"] == "no-store"
    someone_else = download(base, row.id, other_secret)
    assert someone_else.status_code == 404 and "does not exist or has expired" in someone_else.text
    not_confirmed = download(base, row.id, owner_secret)
    assert not_confirmed.status_code == 403 and "password" in not_confirmed.text
    assert download(base, "0" * 32, owner_secret).status_code == 404
    with session_scope() as session:
        assert session.get(DataExport, row.id).downloaded_at is None

    call(accounts.reauthenticate, owner, STRONG_PASSWORD)
    response = download(base, row.id, owner_secret)
    assert response.status_code == 200
    assert response.headers["content-type"] == "application/zip"
    assert response.headers["cache-control"] == "no-store"
    assert response.headers["content-disposition"] == (
        f'attachment; filename="azekia-studio-data-{row.finished_at.date().isoformat()}.zip"')
    archive = zipfile.ZipFile(io.BytesIO(response.content))
    assert archive.testzip() is None and len(response.content) == row.size_bytes
    expected = open_archive(row)
    assert archive.namelist() == expected.namelist()
    assert all(archive.read(name) == expected.read(name) for name in archive.namelist())
    assert b'"note 29"' in archive.read("content.json")
    with session_scope() as session:
        assert session.get(DataExport, row.id).downloaded_at is not None
        (event,) = session.exec(select(AuditEvent).where(AuditEvent.kind == "export.downloaded")).all()
        assert event.actor_id == owner.user_id and event.subject_id == row.id

    # A confirmation in one browser does not unlock another session of the same person.
    second_secret, _ = signed_in(settings, "zoe@example.com")
    assert download(base, row.id, second_secret).status_code == 403


def test_an_expired_archive_is_gone(server):
    base, settings, row = server
    owner_secret, owner = signed_in(settings, "zoe@example.com")
    call(accounts.reauthenticate, owner, STRONG_PASSWORD)
    assert download(base, row.id, owner_secret).status_code == 200
    with session_scope() as session:
        session.execute(sa.update(DataExport).values(expires_at=utcnow() - timedelta(seconds=1)))
    response = download(base, row.id, owner_secret)
    assert response.status_code == 404 and "Ask for a new one" in response.text
