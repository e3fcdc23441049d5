"""Versioned privacy policy and privacy requests, end to end: an admin publishes a significant version, a
member sees the banner, reads both versions, acknowledges; the member writes a request, the admin answers it."""

import os
import re
import subprocess
import sys

import pytest
from playwright.sync_api import expect
from sqlmodel import select

from studio_app.database import session_scope
from studio_app.models.privacy import Announcement, PolicyDocument, PrivacyRequest
from studio_app.services import privacy_requests
from studio_app.settings import PROJECT_ROOT
from studio_app.state.admin_privacy import AdminPrivacyState
from tests.e2e.journeys import create_account, new_email, open_form, sign_in
from tests.support.accounts import STRONG_PASSWORD, last_mail_to
from tests.support.live_clients import LiveClient, handler_name, run_in_own_loop, services_of, session_cookie
from tests.support.projects import call, person

SUMMARY = "Review comments are now kept for one year after a project ends."
V2 = ("# Privacy policy\n\nVersion two of our policy.\n\n## Review comments\n\n"
      "We keep **review comments** for one year after a project ends. <script>alert(1)</script>")


def create_admin(app, email: str) -> None:
    """``python -m studio_app admin create`` against the live app's data folder, as an operator does it."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("STUDIO_")}
    env |= {"STUDIO_DATA_DIR": str(app.data_dir), "STUDIO_DATABASE_URL": ""}
    result = subprocess.run(
        [sys.executable, "-m", "studio_app", "admin", "create", "--email", email], cwd=PROJECT_ROOT, env=env,
        input=f"Ada Admin\n{STRONG_PASSWORD}\n{STRONG_PASSWORD}\n", capture_output=True, text=True, timeout=120,
        start_new_session=True,  # no controlling terminal: getpass reads the piped input
    )
    assert result.returncode == 0, result.stderr


@pytest.fixture
def admin_and_member(browser, app, app_settings):
    admin_context, member_context = browser.new_context(), browser.new_context()
    admin, member = admin_context.new_page(), member_context.new_page()
    member_email, admin_email = new_email(), new_email()
    create_account(app, member_email, name="Mona Member", role="editor")
    create_admin(app, admin_email)
    sign_in(admin, app, admin_email, next_path="/dashboard")
    expect(admin.get_by_role("link", name="Admin")).to_be_visible()
    sign_in(member, app, member_email, next_path="/dashboard")
    expect(member.get_by_role("link", name="Invitations")).to_be_visible()
    yield admin, member, member_email
    admin_context.close()
    member_context.close()


def test_policy_versions_banner_and_requests(admin_and_member, app, app_settings, artifacts):
    admin, member, member_email = admin_and_member
    expect(member.get_by_role("link", name="Admin")).to_have_count(0)  # the menu link is for admins only
    member.goto(f"{app.url}/admin/privacy")
    expect(member.get_by_text("This page is for administrators.")).to_be_visible()
    expect(member.locator("#policy-banner")).to_have_count(0)  # nothing published yet

    # The admin publishes a significant version 2, with a preview of the Markdown.
    open_form(admin, f"{app.url}/admin/privacy")
    editor = admin.get_by_label("Policy text (Markdown, no HTML)")
    expect(editor).to_have_value(re.compile(r"^# Privacy policy"))  # prefilled with the current text
    editor.fill(V2)
    expect(admin.locator("#policy-preview")).to_contain_text("We keep review comments for one year")
    admin.get_by_label("What changed (shown in the banner and the email)").fill(SUMMARY)
    admin.get_by_text("Significant change (banner and email to everyone)").click()
    admin.get_by_role("button", name="Publish this version").click()
    expect(admin.get_by_text("New version published.")).to_be_visible()
    expect(admin.get_by_text("The next version is number 3")).to_be_visible()

    # The member sees the banner, reads version 2 and version 1.
    member.goto(f"{app.url}/dashboard")
    banner = member.locator("#policy-banner")
    expect(banner).to_contain_text("We updated our privacy policy on")
    expect(banner).to_contain_text(SUMMARY)
    member.set_viewport_size({"width": 390, "height": 844})  # the banner fits a phone
    expect(banner.get_by_role("button", name="I have read it")).to_be_in_viewport()
    member.screenshot(path=artifacts / "policy-banner-phone.png")
    member.set_viewport_size({"width": 1280, "height": 900})
    banner.get_by_role("link", name="Read it").click()
    expect(member).to_have_url(re.compile(r"/privacy/versions/2/?$"))
    expect(member.locator("#policy-text")).to_contain_text("We keep review comments for one year")
    assert member.locator("script", has_text="alert(1)").count() == 0  # no raw HTML from the Markdown
    member.goto(f"{app.url}/privacy")
    expect(member.locator("#policy-dates")).to_contain_text("Version 2")
    expect(member.locator("#policy-published")).not_to_be_empty()
    expect(member.locator("#policy-effective")).not_to_be_empty()
    expect(member.locator("#policy-dates")).to_contain_text("Last updated")
    versions = member.locator("#policy-versions")
    expect(versions.get_by_role("listitem")).to_have_count(2)
    versions.get_by_role("link", name="Version 1").click()
    expect(member).to_have_url(re.compile(r"/privacy/versions/1/?$"))
    expect(member.locator("#older-version")).to_contain_text("earlier version")
    expect(member.locator("#policy-text")).to_contain_text("encrypted in the database")
    member.screenshot(path=artifacts / "privacy-policy-v1.png", full_page=True)

    # Acknowledging closes the banner for good.
    with member.expect_websocket():
        member.goto(f"{app.url}/dashboard")
    member.locator("#policy-banner").get_by_role("button", name="I have read it").click()
    expect(member.locator("#policy-banner")).to_have_count(0)
    member.reload()
    expect(member.get_by_role("link", name="Invitations")).to_be_visible()
    expect(member.locator("#policy-banner")).to_have_count(0)

    # The member writes a request; a mistake is shown next to its field.
    open_form(member, f"{app.url}/privacy-center")
    requests = member.locator("#requests")
    requests.get_by_label("What is your request about?").select_option(label="Object to how my data is used")
    requests.get_by_role("button", name="Send my request").click()
    expect(member.locator("#request-details-error")).to_contain_text("Say in a few words")
    requests.get_by_label("Your request", exact=True).fill("Please do not list me in the editor directory any more.")
    requests.get_by_role("button", name="Send my request").click()
    expect(requests.get_by_text(re.compile(r"Request sent\. We will answer by \d+ \w+ \d{4}"))).to_be_visible()
    mine = member.locator(".privacy-request").filter(has_text="Object to how my data is used")
    expect(mine).to_contain_text("Waiting for our answer")
    expect(mine.locator(".request-due")).to_contain_text("answer due by")

    # The admin answers it; the member is mailed and sees the answer.
    open_form(admin, f"{app.url}/admin/privacy")
    item = admin.locator(".admin-request").filter(has_text="Please do not list me in the editor directory")
    expect(item).to_contain_text(f"From Mona Member <{member_email}>")
    item.get_by_text("Honoured").click()
    item.get_by_label("Answer to the person").fill("Done: you no longer appear in the directory.")
    item.get_by_role("button", name="Send the answer").click()
    expect(admin.get_by_text("Answer sent.")).to_be_visible()
    expect(item).to_have_count(0)

    # Product news is queued for the mailing round; a missing subject is said next to the field.
    news = admin.locator("#admin-news")
    news.get_by_label("News (Markdown; sent as plain text)").fill("Time-coded review is here.")
    news.get_by_role("button", name="Send to everyone who agreed").click()
    expect(admin.locator("#news-subject-error")).to_contain_text("Write the subject")
    news.get_by_label("Subject").fill("Time-coded review")
    news.get_by_role("button", name="Send to everyone who agreed").click()
    expect(admin.get_by_text(re.compile("^Queued: the next mailing round"))).to_be_visible()
    expect(news.get_by_role("row").filter(has_text="Time-coded review")).to_contain_text("Queued")
    admin.screenshot(path=artifacts / "admin-privacy.png", full_page=True)
    assert "Done: you no longer appear in the directory." in last_mail_to(app_settings, member_email).text
    member.reload()
    answered = member.locator(".privacy-request").filter(has_text="Object to how my data is used")
    expect(answered.locator(".request-answer")).to_have_text("Done: you no longer appear in the directory.")
    expect(answered).to_contain_text("Done")
    member.screenshot(path=artifacts / "privacy-requests.png", full_page=True)


def test_admin_handlers_refuse_members_and_signed_out_sockets(app):
    """Every admin handler called straight through the socket by a member or a signed-out client changes
    nothing and shows no request."""
    secret = "my private objection, do not show it to anyone"
    with services_of(app.data_dir):
        from studio_app.settings import current_settings

        member = person(current_settings(), "policy-member@example.com", name="Policy Member")
        request = call(privacy_requests.submit_request, member, "objection", secret)

    def snapshot():
        with services_of(app.data_dir), session_scope() as session:
            return (session.get(PrivacyRequest, request.id).status, len(session.exec(select(PolicyDocument)).all()),
                    len(session.exec(select(Announcement)).all()))

    async def attempts(email: str | None) -> str:
        cookie = session_cookie(app.url, email, STRONG_PASSWORD) if email else None
        client = await LiveClient(app.url, cookie).connect()
        try:
            for method, payload in [
                ("load", {}),
                ("answer", {"form": {"request_id": request.id, "status": "refused", "answer": "No."}}),
                ("publish", {"form": {"body_markdown": "# Defaced", "change_summary": "x", "significant": "on"}}),
                ("send_news", {"form": {"subject": "Spam", "body_markdown": "Buy now"}}),
            ]:
                await client.call(handler_name(AdminPrivacyState, method), payload, "/admin/privacy")
        finally:
            await client.close()
        return "\n".join(client.transcript)

    before = snapshot()
    for who in ("policy-member@example.com", None):
        sent = run_in_own_loop(attempts(who))
        assert snapshot() == before
        assert secret not in sent
