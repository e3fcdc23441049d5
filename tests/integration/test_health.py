"""``GET /api/health`` and the security headers, over real HTTP (granian, as in production)."""

import httpx
import pytest

from studio_app.database import upgrade_to_head
from tests.support.servers import api_server, free_port

EXPECTED_HEADERS = {
    "x-content-type-options": "nosniff",
    "referrer-policy": "strict-origin-when-cross-origin",
    "x-frame-options": "DENY",
}


def assert_security_headers(response: httpx.Response, origin: str) -> None:
    for name, value in EXPECTED_HEADERS.items():
        assert response.headers[name] == value
    policy = response.headers["content-security-policy"]
    assert "frame-ancestors 'none'" in policy
    assert "default-src 'self'" in policy
    assert f"connect-src 'self' {origin.replace('http://', 'ws://')}" in policy
    assert "strict-transport-security" not in response.headers  # plain http: HSTS would be ignored anyway


def test_health_is_ok_when_the_database_is_at_head(tmp_path):
    database_url = f"sqlite:///{tmp_path / 'studio.db'}"
    upgrade_to_head(database_url)
    with api_server(tmp_path, database_url) as base:
        response = httpx.get(f"{base}/api/health")
    assert response.status_code == 200
    body = response.json()
    assert body["status"] == "ok" and body["database"] == "reachable"
    assert body["migrations"]["at_head"] is True
    assert body["migrations"]["current"] == body["migrations"]["head"] is not None
    assert response.headers["cache-control"] == "no-store"


def test_health_reports_pending_migrations(tmp_path):
    with api_server(tmp_path, f"sqlite:///{tmp_path / 'never-migrated.db'}") as base:
        response = httpx.get(f"{base}/api/health")
    assert response.status_code == 503
    assert response.json()["status"] == "degraded"
    assert response.json()["migrations"]["current"] is None


def test_health_reports_an_unreachable_database(tmp_path):
    with api_server(tmp_path, f"postgresql://postgres@127.0.0.1:{free_port()}/gone") as base:
        response = httpx.get(f"{base}/api/health")
    assert response.status_code == 503
    assert response.json() == {"status": "unavailable", "database": "unreachable"}


@pytest.mark.postgres
def test_health_on_postgresql(tmp_path, postgres_url):
    upgrade_to_head(postgres_url)
    with api_server(tmp_path, postgres_url) as base:
        response = httpx.get(f"{base}/api/health")
    assert response.status_code == 200 and response.json()["migrations"]["at_head"]


def test_every_response_carries_the_security_headers(tmp_path):
    database_url = f"sqlite:///{tmp_path / 'studio.db'}"
    with api_server(tmp_path, database_url) as base:
        port = base.rsplit(":", 1)[1]
        for response in (httpx.get(f"{base}/api/health"), httpx.get(f"{base}/no/such/page")):
            assert_security_headers(response, f"http://localhost:{port}")
