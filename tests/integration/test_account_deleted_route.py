"""The route a tab leaves through after deleting its account: it clears a dead session cookie, never a live one."""

import httpx
import pytest

from studio_app.database import session_scope
from studio_app.services import erasure
from studio_app.services.sessions import resolve_session
from tests.support.accounts import STRONG_PASSWORD, signed_in, verified_account
from tests.support.app_env import app_environment
from tests.support.servers import api_server

EMAIL = "leaving@example.com"


@pytest.fixture
def server(monkeypatch, tmp_path):
    database_url = f"sqlite:///{tmp_path / 'studio.db'}"
    with app_environment(monkeypatch, tmp_path / "data", database_url) as settings:
        verified_account(settings, EMAIL)
        with api_server(tmp_path, database_url) as base:
            yield base, settings


def leave(base: str, cookie: str | None) -> httpx.Response:
    headers = {"cookie": f"studio_session={cookie}"} if cookie else {}
    # A link any site could point to: no Origin, no form, a plain GET.
    return httpx.get(base + "/api/auth/deleted", headers=headers, follow_redirects=False)


def cleared(response: httpx.Response) -> bool:
    return any(header.startswith("studio_session=") and "max-age=0" in header.lower()
               for header in response.headers.get_list("set-cookie"))


def test_a_live_session_is_never_signed_out_by_it(server):
    base, settings = server
    secret, _ = signed_in(settings, EMAIL)
    response = leave(base, secret)
    assert response.status_code == 303 and response.headers["location"] == "/?account=deleted"
    assert not cleared(response)
    with session_scope() as session:
        assert resolve_session(session, settings, secret) is not None


def test_the_cookie_of_a_deleted_account_is_cleared(server):
    base, settings = server
    secret, actor = signed_in(settings, EMAIL)
    with session_scope() as session:
        erasure.delete_account(session, settings, actor, STRONG_PASSWORD, "DELETE")
    response = leave(base, secret)
    assert response.status_code == 303 and response.headers["location"] == "/?account=deleted"
    assert cleared(response) and "httponly" in response.headers["set-cookie"].lower()
    assert response.headers["cache-control"] == "no-store"
    assert not cleared(leave(base, None))  # nothing to clear without a cookie
