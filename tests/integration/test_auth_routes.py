"""The sign-in and sign-out routes over real HTTP: cookie flags, rotation, fixation, CSRF, redirects, limits."""

from http.cookies import SimpleCookie

import httpx
import pytest
from sqlmodel import select

from studio_app.database import session_scope
from studio_app.models.accounts import TokenPurpose, User, UserSession
from studio_app.models.audit import AuditEvent
from studio_app.services.sessions import resolve_session
from studio_app.services.tokens import issue_token
from tests.support.accounts import STRONG_PASSWORD, last_mail_to, link_token, verified_account
from tests.support.app_env import app_environment
from tests.support.servers import api_server

EMAIL = "zoe@example.com"


@pytest.fixture
def server(monkeypatch, tmp_path):
    database_url = f"sqlite:///{tmp_path / 'studio.db'}"
    with app_environment(monkeypatch, tmp_path / "data", database_url) as settings:
        verified_account(settings, EMAIL)
        with api_server(tmp_path, database_url) as base:
            origin = "http://localhost:" + base.rsplit(":", 1)[1]
            yield base, origin, settings


def post(base, path, origin, data=None, cookie=None, source="127.0.0.1", **headers):
    """``source``: the client's own address; every 127.x.y.z is this machine, so the app sees another network
    address for each (as it would for people in different places)."""
    if origin:
        headers["origin"] = origin
    if cookie:
        headers["cookie"] = f"studio_session={cookie}"
    with httpx.Client(transport=httpx.HTTPTransport(local_address=source)) as client:
        return client.post(base + path, data=data or {}, headers=headers, follow_redirects=False)


def session_cookie(response):
    jar = SimpleCookie()
    for header in response.headers.get_list("set-cookie"):
        jar.load(header)
    return jar.get("studio_session"), response.headers.get_list("set-cookie")


def sign_in(base, origin, password=STRONG_PASSWORD, cookie=None, next_path="/account", source="127.0.0.1"):
    return post(base, "/api/auth/signin", origin, {"email": EMAIL, "password": password, "next": next_path},
                cookie=cookie, source=source)


def sign_in_with_link(base, origin, token, next_path="/account", cookie=None):
    return post(base, "/api/auth/signin-link", origin, {"token": token, "next": next_path}, cookie=cookie)


def audit_kinds() -> list[str]:
    with session_scope() as session:
        return list(session.exec(select(AuditEvent.kind).order_by(AuditEvent.sequence)).all())


def fresh_link(settings) -> str:
    """A sign-in link secret as the ceiling mails it (for tests of the route alone)."""
    with session_scope() as session:
        user = session.exec(select(User)).one()
        return issue_token(session, user, TokenPurpose.SIGN_IN)[0]


def test_signing_in_sets_a_strict_session_cookie(server):
    base, origin, settings = server
    response = sign_in(base, origin)
    assert response.status_code == 303 and response.headers["location"] == "/account"
    morsel, raw = session_cookie(response)
    assert morsel is not None and len(morsel.value) >= 43
    header = raw[0].lower()
    assert "httponly" in header and "samesite=lax" in header and "path=/" in header
    assert "secure" not in header  # plain http here; https sets Secure and the __Host- name (unit-tested)
    assert response.headers["cache-control"] == "no-store"
    with session_scope() as session:
        stored = session.exec(select(UserSession.token_hash)).one()
        assert stored != morsel.value and resolve_session(session, settings, morsel.value) is not None


def test_wrong_credentials_go_back_to_the_form_without_a_cookie(server):
    base, origin, _ = server
    response = sign_in(base, origin, password="not the password")
    assert response.status_code == 303
    assert response.headers["location"] == "/signin?error=credentials&next=%2Faccount"
    assert session_cookie(response)[0] is None


@pytest.mark.parametrize(("referer", "expected"), [
    ("/signin?next=%2Fprojects%2Fnew", "/projects/new"),
    ("/signin/?next=/invitations", "/invitations"),
    ("/signin?next=https%3A%2F%2Fevil.example%2F", "/dashboard"),  # never an open redirect
    ("/forgot?next=%2Fprojects%2Fnew", "/dashboard"),  # only the sign-in page's own next counts
])
def test_a_form_sent_before_its_page_state_arrived_goes_where_the_page_said(server, referer, expected):
    """The hidden ``next`` field is filled by the page's state: a quick person submits it empty."""
    base, origin, _ = server
    response = post(base, "/api/auth/signin", origin, {"email": EMAIL, "password": STRONG_PASSWORD, "next": ""},
                    referer=origin + referer)
    assert response.status_code == 303 and response.headers["location"] == expected


@pytest.mark.parametrize("origin", ["https://evil.example", None])
def test_cross_site_sign_in_and_sign_out_are_refused(server, origin):
    base, _, settings = server
    assert sign_in(base, origin).status_code == 403
    secret = session_cookie(sign_in(base, server[1]))[0].value
    response = post(base, "/api/auth/signout", origin, cookie=secret)
    assert response.status_code == 403
    with session_scope() as session:
        assert resolve_session(session, settings, secret) is not None


def test_a_planted_cookie_is_replaced_and_an_old_session_ends(server):
    base, origin, settings = server
    planted = sign_in(base, origin, cookie="chosen-by-an-attacker")
    first = session_cookie(planted)[0].value
    assert first != "chosen-by-an-attacker"
    second = session_cookie(sign_in(base, origin, cookie=first))[0].value
    assert second != first
    with session_scope() as session:
        assert resolve_session(session, settings, first) is None  # rotation: the previous token is dead
        assert resolve_session(session, settings, second) is not None


def test_sign_out_ends_the_session_and_clears_the_cookie(server):
    base, origin, settings = server
    secret = session_cookie(sign_in(base, origin))[0].value
    response = post(base, "/api/auth/signout", origin, cookie=secret)
    assert response.status_code == 303 and response.headers["location"] == "/"
    morsel, _ = session_cookie(response)
    assert morsel.value == "" and morsel["max-age"] == "0"
    with session_scope() as session:
        assert resolve_session(session, settings, secret) is None


def test_sign_out_everywhere(server):
    base, origin, settings = server
    secrets = [session_cookie(sign_in(base, origin))[0].value for _ in range(3)]
    post(base, "/api/auth/signout?everywhere=1", origin, cookie=secrets[0])
    with session_scope() as session:
        assert all(resolve_session(session, settings, secret) is None for secret in secrets)


@pytest.mark.parametrize("target", ["https://evil.example/", "//evil.example", "/\\evil.example", "javascript:x"])
def test_no_open_redirect_after_sign_in(server, target):
    base, origin, _ = server
    assert sign_in(base, origin, next_path=target).headers["location"] == "/dashboard"


def test_the_limit_on_wrong_passwords_is_shown_with_the_wait(server):
    base, origin, _ = server
    for attempt in range(10):
        sign_in(base, origin, password=f"wrong {attempt} password")
    location = sign_in(base, origin).headers["location"]
    assert location.startswith("/signin?error=limited&wait=")
    assert int(location.split("wait=")[1].split("&")[0]) > 0


def test_oversized_forms_are_refused(server):
    base, origin, _ = server
    response = post(base, "/api/auth/signin", origin, {"email": EMAIL, "password": "x" * 20_000})
    assert response.status_code == 413


def test_a_forged_forwarded_for_header_does_not_reset_the_address_limit(server):
    base, origin, _ = server
    for attempt in range(30):  # unknown accounts: only the per-address limit counts them
        post(base, "/api/auth/signin", origin, {"email": f"nobody{attempt}@example.com", "password": "x" * 12},
             **{"x-forwarded-for": f"198.51.100.{attempt}", "x-real-ip": f"198.51.100.{attempt}"})
    response = post(base, "/api/auth/signin", origin, {"email": EMAIL, "password": STRONG_PASSWORD},
                    **{"x-forwarded-for": "203.0.113.250"})
    assert response.headers["location"].startswith("/signin?error=limited&wait=")


def test_an_attackers_address_cannot_lock_the_owner_out(server):
    base, origin, settings = server
    for attempt in range(10):
        sign_in(base, origin, password=f"wrong {attempt} password", source="127.0.0.66")
    assert sign_in(base, origin, source="127.0.0.66").headers["location"].startswith("/signin?error=limited&wait=")
    owner = sign_in(base, origin)  # from the owner's own address, at once
    assert owner.headers["location"] == "/account"
    with session_scope() as session:
        assert resolve_session(session, settings, session_cookie(owner)[0].value).user_id is not None
    kinds = audit_kinds()
    assert kinds.count("signin.failure") == 10 and "signin.throttled" in kinds and "signin.success" in kinds


def test_the_account_ceiling_mails_a_link_that_signs_in_once(server):
    base, origin, settings = server
    for attacker in ("127.0.0.21", "127.0.0.22", "127.0.0.23"):
        for attempt in range(10):
            sign_in(base, origin, password=f"wrong {attempt} password", source=attacker)
    refused = sign_in(base, origin)  # the right password waits, even from the owner's address...
    assert refused.headers["location"] == "/signin?error=link-sent&next=%2Faccount"
    assert session_cookie(refused)[0] is None
    # ...and the owner has a link instead.
    token = link_token(last_mail_to(settings, EMAIL, containing="/signin/link?token="), "/signin/link")
    assert sign_in_with_link(base, "https://evil.example", token).status_code == 403  # not usable cross-site
    signed_in = sign_in_with_link(base, origin, token)
    assert signed_in.status_code == 303 and signed_in.headers["location"] == "/account"
    morsel, raw = session_cookie(signed_in)
    assert "httponly" in raw[0].lower() and "samesite=lax" in raw[0].lower()
    with session_scope() as session:
        assert resolve_session(session, settings, morsel.value) is not None
    again = sign_in_with_link(base, origin, token)
    assert again.headers["location"] == "/signin?error=link-invalid&next=%2Faccount"
    assert session_cookie(again)[0] is None
    kinds = audit_kinds()
    assert kinds.count("signin.failure") == 30 and kinds.count("signin.link_sent") == 1
    assert {"signin.ceiling_reached", "signin.throttled", "signin.link_used", "signin.link_refused"} <= set(kinds)


@pytest.mark.parametrize("target", ["https://evil.example/", "//evil.example", "/\\evil.example", "javascript:x"])
def test_no_open_redirect_after_a_link_sign_in(server, target):
    base, origin, settings = server
    response = sign_in_with_link(base, origin, fresh_link(settings), next_path=target)
    assert response.headers["location"] == "/dashboard" and session_cookie(response)[0] is not None


def test_a_link_sign_in_replaces_a_planted_cookie(server):
    base, origin, settings = server
    response = sign_in_with_link(base, origin, fresh_link(settings), cookie="chosen-by-an-attacker")
    assert session_cookie(response)[0].value != "chosen-by-an-attacker"
