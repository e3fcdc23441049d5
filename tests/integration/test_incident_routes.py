"""Breach response over real HTTP: the authority report downloads (admins only; anyone else gets a 404) and what
read-only mode does to the connection routes."""

import io
import json
from urllib.parse import parse_qs, urlsplit

import httpx
import pypdf
import pytest

from studio_app.database import session_scope
from studio_app.services import accounts, connections, incidents
from studio_app.services.connections import OUTCOMES
from tests.support.accounts import STRONG_PASSWORD, signed_in, verified_account
from tests.support.app_env import app_environment
from tests.support.connections import sandbox_variables
from tests.support.projects import call, person
from tests.support.servers import api_server


@pytest.fixture
def server(monkeypatch, tmp_path, sandbox):
    database_url = f"sqlite:///{tmp_path / 'studio.db'}"
    with app_environment(monkeypatch, tmp_path / "data", database_url, **sandbox_variables(sandbox)) as settings:
        with session_scope() as session:
            accounts.create_admin(session, "ops@example.com", STRONG_PASSWORD, "Ops")
        verified_account(settings, "zoe@example.com")
        person(settings, "eddie@example.com", role="editor")
        signed = {who: signed_in(settings, f"{who}@example.com") for who in ("ops", "zoe", "eddie")}
        cookies = {who: cookie for who, (cookie, _actor) in signed.items()}
        admin = signed["ops"][1]
        call(accounts.reauthenticate, admin, STRONG_PASSWORD)
        with api_server(tmp_path, database_url) as base:
            yield base, cookies, admin, signed["zoe"][1]


def report(base, incident_id, fmt, cookie=None):
    headers = {"cookie": f"studio_session={cookie}"} if cookie else {}
    return httpx.get(f"{base}/api/admin/incidents/{incident_id}/report.{fmt}", headers=headers, timeout=30)


def test_the_authority_report_downloads_for_admins_only(server):
    base, cookies, admin, _zoe = server
    incident_id = call(incidents.open_incident, admin, "Laptop stolen", "A laptop with a database copy was stolen.")
    not_yet = report(base, incident_id, "json", cookies["ops"])
    assert not_yet.status_code == 409 and "Assess the incident first" in not_yet.text
    call(incidents.assess, admin, incident_id, {
        "rule": "everyone", "categories": ["contact"], "risk_level": "high", "risk_reasoning": "Unencrypted disk.",
        "likely_consequences": "Phishing.", "data_encrypted": "no", "keys_safe": "no"})

    as_json = report(base, incident_id, "json", cookies["ops"])
    assert as_json.status_code == 200 and as_json.headers["content-type"] == "application/json"
    assert as_json.headers["cache-control"] == "no-store"
    assert as_json.headers["content-disposition"] == (
        f'attachment; filename="incident-{incident_id}-authority-report.json"')
    body = json.loads(as_json.text)
    assert body["nature"] == "A laptop with a database copy was stolen."
    assert body["approximate_number_of_people"] == 3 and body["controller"]["contact_point"]

    as_pdf = report(base, incident_id, "pdf", cookies["ops"])
    assert as_pdf.status_code == 200 and as_pdf.headers["content-type"] == "application/pdf"
    text = "".join(page.extract_text() for page in pypdf.PdfReader(io.BytesIO(as_pdf.content)).pages)
    assert "A laptop with a database copy was stolen." in text and "Unencrypted disk." in text

    for cookie in (cookies["zoe"], cookies["eddie"], None, "not-a-session"):
        for fmt in ("json", "pdf"):
            refused = report(base, incident_id, fmt, cookie)
            assert refused.status_code == 404 and "laptop" not in refused.text.lower()
    assert report(base, "0" * 32, "json", cookies["ops"]).status_code == 404
    assert report(base, incident_id, "txt", cookies["ops"]).status_code == 404
    produced = [entry.text for entry in call(incidents.incident_detail, admin, incident_id).timeline]
    assert produced.count("Produced the authority report (json).") == 1
    assert produced.count("Produced the authority report (pdf).") == 1


def test_connecting_an_account_is_refused_in_plain_words_while_read_only(server, sandbox):
    base, cookies, admin, zoe = server
    incident_id = call(incidents.open_incident, admin, "Token leak", "Provider tokens may have leaked.")
    call(incidents.contain, admin, incident_id, "read_only")
    origin = "http://localhost:" + base.rsplit(":", 1)[1]
    answer = httpx.post(f"{base}/api/connections/tiktok/start", data={},
                        headers={"cookie": f"studio_session={cookies['zoe']}", "origin": origin},
                        follow_redirects=False)
    assert answer.status_code == 303
    landing = urlsplit(answer.headers["location"])
    assert landing.path == "/account/connections"
    assert parse_qs(landing.query) == {"outcome": ["read_only"], "provider": ["tiktok"]}
    assert connections.outcome_message("read_only", "tiktok") == OUTCOMES["read_only"]
    assert "read-only mode" in OUTCOMES["read_only"]

    call(incidents.lift_read_only, admin, incident_id)
    again = httpx.post(f"{base}/api/connections/tiktok/start", data={},
                       headers={"cookie": f"studio_session={cookies['zoe']}", "origin": origin},
                       follow_redirects=False)
    assert again.headers["location"].startswith(sandbox.url)

    # Turned on while the person was on the provider's consent page: the callback connects nothing, and says why.
    redirect = sandbox.authorize("tiktok", again.headers["location"])
    call(incidents.contain, admin, incident_id, "read_only")
    back = httpx.get(f"{base}{urlsplit(redirect.url).path}?{urlsplit(redirect.url).query}",
                     headers={"cookie": f"studio_session={cookies['zoe']}"}, follow_redirects=False)
    assert parse_qs(urlsplit(back.headers["location"]).query)["outcome"] == ["read_only"]
    assert not any(view.connected for view in call(connections.connections_page, zoe).connections)
