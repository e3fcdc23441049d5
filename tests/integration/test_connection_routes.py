"""The connection routes over real HTTP: start only from our own pages with a session, the provider's redirect
back connects the account who started it, and every outcome lands on the page in our own words."""

from urllib.parse import parse_qs, urlsplit

import httpx
import pytest

from studio_app.services import connections
from tests.support.accounts import signed_in, verified_account
from tests.support.app_env import app_environment
from tests.support.connections import sandbox_variables
from tests.support.projects import call
from tests.support.servers import api_server

EMAIL = "zoe@example.com"


@pytest.fixture
def server(monkeypatch, tmp_path, sandbox):
    database_url = f"sqlite:///{tmp_path / 'studio.db'}"
    with app_environment(monkeypatch, tmp_path / "data", database_url, **sandbox_variables(sandbox)) as settings:
        verified_account(settings, EMAIL)
        cookie, actor = signed_in(settings, EMAIL)
        with api_server(tmp_path, database_url) as base:
            origin = "http://localhost:" + base.rsplit(":", 1)[1]
            yield base, origin, cookie, actor


def start(base, origin, cookie, provider="discord", **form):
    headers = {"cookie": f"studio_session={cookie}"} if cookie else {}
    if origin:
        headers["origin"] = origin
    return httpx.post(f"{base}/api/connections/{provider}/start", data=form, headers=headers, follow_redirects=False)


def test_start_then_callback_connects_and_lands_on_the_page(server, sandbox):
    base, origin, cookie, actor = server
    answer = start(base, origin, cookie, "tiktok")
    assert answer.status_code == 303 and answer.headers["cache-control"] == "no-store"
    consent = answer.headers["location"]
    assert consent.startswith(sandbox.url + "/tiktok/www/v2/auth/authorize/")
    redirect = sandbox.authorize("tiktok", consent)
    assert urlsplit(redirect.url).path == "/api/connections/tiktok/callback"
    back = httpx.get(f"{base}{urlsplit(redirect.url).path}?{urlsplit(redirect.url).query}",
                     headers={"cookie": f"studio_session={cookie}"}, follow_redirects=False)
    assert back.status_code == 303
    landing = urlsplit(back.headers["location"])
    assert landing.path == "/account/connections"
    assert parse_qs(landing.query) == {"outcome": ["connected"], "provider": ["tiktok"]}
    assert call(connections.access_token, actor.user_id, "tiktok").access_token


def test_another_site_or_no_session_cannot_start(server):
    base, origin, cookie, _ = server
    assert start(base, "https://evil.example", cookie).status_code == 403
    assert start(base, None, cookie).status_code == 403  # neither Origin nor Referer
    signed_out = start(base, origin, None)
    assert signed_out.status_code == 303 and signed_out.headers["location"].startswith("/signin")


def test_a_cancelled_consent_connects_nothing(server, sandbox):
    base, origin, cookie, actor = server
    redirect = sandbox.authorize("discord", start(base, origin, cookie).headers["location"], cancel=True)
    back = httpx.get(redirect.url.replace(redirect.url.split("/api/")[0], base),
                     headers={"cookie": f"studio_session={cookie}"}, follow_redirects=False)
    assert parse_qs(urlsplit(back.headers["location"]).query)["outcome"] == ["denied"]
    page = call(connections.connections_page, actor)
    assert not any(view.connected for view in page.connections)


def test_a_callback_in_someone_elses_browser_connects_nothing(server, sandbox, tmp_path):
    base, origin, cookie, actor = server
    redirect = sandbox.authorize("discord", start(base, origin, cookie).headers["location"])
    back = httpx.get(redirect.url.replace(redirect.url.split("/api/")[0], base), follow_redirects=False)
    assert back.headers["location"].startswith("/signin")  # no session: nothing is used up or saved
    page = call(connections.connections_page, actor)
    assert not any(view.connected for view in page.connections)
