"""Breach response in the browser: an admin handles an incident end to end (opened from a security alert, assessed,
contained with the password asked again, reported as JSON and PDF, the notice sent to exactly the affected person,
reviewed and closed); the incident pages' handlers refuse everyone but admins at the socket."""

import io
import json
import re
import uuid

import pypdf
from playwright.sync_api import expect
from sqlmodel import select

from studio_app.database import session_scope
from studio_app.models.base import utcnow
from studio_app.models.incidents import Incident
from studio_app.models.projects import Notification
from studio_app.security import read_only
from studio_app.services import detection
from studio_app.state.admin_incidents import AdminIncidentsState, IncidentState
from tests.e2e.journeys import create_account, new_email, open_form, sign_in
from tests.e2e.test_admin_people import account, confirm_password, create_admin
from tests.support.accounts import STRONG_PASSWORD
from tests.support.live_clients import LiveClient, handler_name, run_in_own_loop, services_of, session_cookie

NOTICE_TEXT = "A security incident affected your data"


def raise_alert(app, summary: str, user_ids: list[str]) -> str:
    with services_of(app.data_dir), session_scope() as session:
        return detection.raise_alert(session, "integrity_failures", uuid.uuid4().hex[:16], summary,
                                     user_ids=user_ids).id


def lift_read_only(app) -> None:
    """The app is shared by the whole run: never leave it read-only, whatever failed."""
    with services_of(app.data_dir), session_scope() as session:
        read_only.exempt(session)
        read_only.set_read_only(session, on=False, reason="", actor_id="0" * 32, incident_id=None)


def notifications_page(browser, app, email: str, check) -> None:
    context = browser.new_context()
    try:
        page = context.new_page()
        sign_in(page, app, email, next_path="/notifications")
        expect(page.get_by_role("heading", name="Notifications")).to_be_visible()
        check(page)
    finally:
        context.close()


def incident_notices(app, email: str) -> int:
    user_id = account(app, email).id
    with services_of(app.data_dir), session_scope() as session:
        return len(session.exec(select(Notification.id).where(Notification.user_id == user_id,
                                                              Notification.kind == "incident_notice")).all())


def test_an_admin_handles_an_incident_end_to_end(app, browser):
    admin_email, affected_email, bystander_email = new_email(), new_email(), new_email()
    create_admin(app, admin_email)
    create_account(app, affected_email, name="Alma Affected", role="editor")
    create_account(app, bystander_email, name="Bert Bystander", role="producer")
    summary = f"Decryption failures on media {uuid.uuid4().hex[:8]}"
    alert_id = raise_alert(app, summary, [account(app, affected_email).id])
    affected_context = browser.new_context()  # the affected person's open tab, signed out by the containment
    affected_page = affected_context.new_page()
    sign_in(affected_page, app, affected_email, next_path="/dashboard")
    expect(affected_page).to_have_url(re.compile(r"/dashboard"))
    context = browser.new_context()
    page = context.new_page()
    try:
        sign_in(page, app, admin_email, next_path="/dashboard")
        expect(page.get_by_role("link", name="Admin")).to_be_visible()

        # Open it from the alert.
        open_form(page, f"{app.url}/admin/alerts?alert={alert_id}")
        details = page.locator("#alert-details")
        expect(details).to_contain_text(summary)
        details.get_by_role("link", name="Open an incident").click()
        expect(page.locator("#incident-from-alert")).to_contain_text("1 accounts concerned")
        expect(page.get_by_label("Title")).to_have_value("Decryption or integrity check failures")
        page.get_by_label("Title").fill("Media keys possibly exposed")
        page.get_by_role("button", name="Open the incident").click()
        expect(page.get_by_role("heading", name="Media keys possibly exposed")).to_be_visible()
        expect(page.locator("#incident-timeline")).to_contain_text("from the detection alert")
        expect(page.get_by_role("link", name="Opened from a security alert: see it")).to_be_visible()
        expect(page.locator(".incident-clock").first).to_contain_text("h left to report to the authority")

        # Assess: the affected person by list, categories, high risk with the reasoning.
        page.get_by_label("Who is affected").select_option("list")
        page.get_by_label("Email addresses, one a line (looked up, not kept)").fill(affected_email)
        page.get_by_label("Contact details (email addresses)").check()
        page.get_by_label("Identity (names)").check()
        page.locator("fieldset", has_text="Was the data encrypted?").get_by_label("No").check()
        page.locator("fieldset", has_text="Are the keys safe?").get_by_label("No").check()
        page.locator("fieldset", has_text="Risk to the people").get_by_label("High").check()
        page.get_by_label("Why this risk level").fill("Names and addresses in clear, keys on the same disk.")
        page.get_by_label("Likely consequences").fill("Targeted phishing.")
        page.get_by_role("button", name="Save the assessment").click()
        expect(page.get_by_text("Assessment saved.", exact=True)).to_be_visible()
        expect(page.get_by_text("1 people, about")).to_be_visible()

        # Contain: the password first, as for the people console's sensitive actions.
        page.get_by_role("button", name="End their sessions").click()
        expect(page.get_by_text("enter your password again")).to_be_visible()
        confirm_password(page)
        page.get_by_role("button", name="End their sessions").click()
        expect(page.get_by_text("1 sessions of 1 people ended.", exact=True)).to_be_visible()
        affected_page.reload()
        expect(affected_page).to_have_url(re.compile(r"/signin"))
        page.get_by_role("button", name="Put the studio in read-only mode").click()
        expect(page.get_by_text("The studio is now read-only.", exact=True)).to_be_visible()
        page.reload()
        expect(page.locator("#read-only-banner")).to_contain_text("read-only mode")
        page.get_by_role("button", name="Lift read-only mode").click()
        expect(page.get_by_text("Read-only mode lifted.", exact=True)).to_be_visible()
        page.reload()
        expect(page.get_by_role("heading", name="Media keys possibly exposed")).to_be_visible()
        expect(page.locator("#read-only-banner")).to_have_count(0)

        # The report to the authority, as the browser downloads it (its own cookie).
        json_href = page.get_by_role("link", name="Download as JSON").get_attribute("href")
        pdf_href = page.get_by_role("link", name="Download the report (PDF)").get_attribute("href")
        as_json = context.request.get(app.url + json_href)
        assert as_json.status == 200
        report = json.loads(as_json.text())
        assert report["approximate_number_of_people"] == 1
        assert report["risk_reasoning"] == "Names and addresses in clear, keys on the same disk."
        assert any("Ended the sessions" in measure["measure"] for measure in report["measures_taken"])
        as_pdf = context.request.get(app.url + pdf_href)
        assert as_pdf.status == 200 and as_pdf.headers["content-type"] == "application/pdf"
        text = "".join(p.extract_text() for p in pypdf.PdfReader(io.BytesIO(as_pdf.body())).pages)
        assert "Targeted phishing." in text
        page.get_by_role("button", name="Mark as sent to the authority").click()
        expect(page.get_by_text("Recorded: the report was sent to the authority.", exact=True)).to_be_visible()

        # The notice, written once and sent to exactly the affected person.
        page.get_by_label("What happened", exact=True).fill("A disk with your name and email was exposed.")
        page.get_by_label("What could happen to them").fill("You may receive phishing emails.")
        page.get_by_label("What the studio did").fill("We signed you out and changed our keys.")
        page.get_by_label("What they should do").fill("Be wary of emails asking for your password.")
        page.get_by_role("button", name="Save the notice").click()
        expect(page.get_by_text("Notice saved.", exact=True)).to_be_visible()
        page.get_by_role("button", name="Send to the 1 affected people").click()
        expect(page.get_by_text("Notice sent to 1 people.", exact=True)).to_be_visible()
        expect(page.get_by_role("cell", name="delivered")).to_have_count(1)

        # The review, then closing; the closed incident stays readable.
        page.get_by_label("Cause", exact=True).fill("A debug copy of the database on a shared disk.")
        page.get_by_label("Fixes", exact=True).fill("Debug copies are sealed.")
        page.get_by_label("Follow-ups", exact=True).fill("Audit shared disks monthly.")
        page.get_by_role("button", name="Close the incident").click()
        expect(page.get_by_text("Incident closed. It stays readable here.", exact=True)).to_be_visible()
        expect(page.get_by_text("Debug copies are sealed.")).to_be_visible()
        page.set_viewport_size({"width": 390, "height": 844})  # a phone
        expect(page.get_by_role("heading", name="Timeline")).to_be_visible()
        open_form(page, f"{app.url}/admin/incidents")
        expect(page.get_by_role("row").filter(has_text="Media keys possibly exposed")).to_contain_text("closed")
    finally:
        context.close()
        affected_context.close()
        lift_read_only(app)

    notifications_page(browser, app, affected_email,
                       lambda page: expect(page.locator("#notification-list")).to_contain_text(NOTICE_TEXT))
    notifications_page(browser, app, bystander_email,
                       lambda page: expect(page.get_by_text(NOTICE_TEXT)).to_have_count(0))
    assert (incident_notices(app, affected_email), incident_notices(app, bystander_email)) == (1, 0)
    with services_of(app.data_dir), session_scope() as session:
        assert session.exec(select(Incident.status).where(Incident.alert_id == alert_id)).one() == "closed"


def test_the_incident_handlers_refuse_everyone_but_admins(app):
    email, admin_email = new_email(), new_email()
    create_account(app, email, role="producer")
    create_admin(app, admin_email)
    with services_of(app.data_dir), session_scope() as session:
        incident = Incident(title="Secret incident title", nature="Secret nature",
                            opened_by=account(app, admin_email).id, aware_at=utcnow())
        session.add(incident)
        session.flush()
        incident_id = incident.id
    path = f"/admin/incidents/{incident_id}"
    attempts = [
        (AdminIncidentsState, "load", {}, "/admin/incidents"),
        (AdminIncidentsState, "open_incident", {"form": {"title": "Intrusion", "nature": "Opened by an intruder"}},
         "/admin/incidents"),
        (IncidentState, "load", {}, path),
        (IncidentState, "add_note", {"form": {"note": "Intruder note"}}, path),
        (IncidentState, "assess", {"form": {"rule": "everyone", "risk_level": "low"}}, path),
        (IncidentState, "confirm_password", {"form": {"password": STRONG_PASSWORD}}, path),
        (IncidentState, "contain", {"step": "read_only"}, path),
        (IncidentState, "contain", {"step": "end_sessions"}, path),
        (IncidentState, "lift_read_only", {}, path),
        (IncidentState, "late_reason", {"form": {"late_reason": "Intruder"}}, path),
        (IncidentState, "mark_reported", {}, path),
        (IncidentState, "write_notice", {"form": {"notice_nature": "x"}}, path),
        (IncidentState, "send_notice", {}, path),
        (IncidentState, "close", {"form": {"review_cause": "x", "review_fixes": "x", "review_follow_ups": "x"}},
         path),
    ]

    async def scenario(who: str | None) -> str:
        cookie = session_cookie(app.url, who, STRONG_PASSWORD) if who else None
        client = await LiveClient(app.url, cookie).connect()
        try:
            for state, method, payload, at in attempts:
                await client.call(handler_name(state, method), payload, at)
        finally:
            await client.close()
        return "\n".join(client.transcript)

    try:
        for who in (email, None):
            sent = run_in_own_loop(scenario(who))
            assert "Secret incident title" not in sent and "Secret nature" not in sent
        with services_of(app.data_dir), session_scope() as session:
            row = session.get(Incident, incident_id)
            assert row.status == "open" and row.assessed_at is None and row.reported_at is None
            assert session.exec(select(Incident).where(Incident.title == "Intrusion")).first() is None
            assert read_only.read_only_flag(session) is None
    finally:
        lift_read_only(app)
