"""A producer deletes their account from the privacy center; the editor keeps the shared thread."""

import re

from playwright.sync_api import expect

from tests.e2e.journeys import create_account, new_email, open_form, sign_in
from tests.support.accounts import STRONG_PASSWORD, last_mail_to


def send(page, text: str):
    page.get_by_label("Message").fill(text)
    page.get_by_role("button", name="Send").click()


def test_delete_the_account(browser, app, app_settings, artifacts):
    producer_context, editor_context = browser.new_context(), browser.new_context()
    producer, editor = producer_context.new_page(), editor_context.new_page()
    producer_email, editor_email = new_email(), new_email()
    try:
        create_account(app, producer_email, name="Paula Leaving", role="producer")
        create_account(app, editor_email, name="Eddie Staying", role="editor")
        sign_in(producer, app, producer_email, next_path="/projects/new")
        sign_in(editor, app, editor_email, next_path="/dashboard")
        producer.get_by_label("Title").fill("Shared teaser")
        producer.get_by_role("button", name="Create project").click()
        expect(producer).to_have_url(re.compile(r"/projects/[0-9a-f]{32}/?$"))
        project_url = producer.url
        producer.get_by_label("Editor's email").fill(editor_email)
        producer.get_by_role("button", name="Invite").click()
        expect(producer.get_by_text("Invitation sent.")).to_be_visible()
        editor.goto(app.url + "/invitations")
        editor.get_by_role("button", name="Accept").click()
        expect(editor).to_have_url(re.compile(r"/projects/[0-9a-f]{32}/?$"))
        producer.goto(project_url)
        send(producer, "The rushes are in the shared folder.")
        expect(editor.locator("#thread-messages")).to_contain_text("The rushes are in the shared folder.")
        send(editor, "Got them, thanks.")
        expect(producer.locator("#thread-messages")).to_contain_text("Got them, thanks.")

        open_form(producer, app.url + "/privacy-center")
        summary = producer.locator("#erasure-summary")
        expect(summary).to_contain_text("“Shared teaser”: 1 message and 0 files you shared")
        expect(summary).to_contain_text("Eddie Staying still works in this project")
        expect(summary).to_contain_text("3 years")
        producer.get_by_label("Your password").fill("not the password")
        producer.get_by_label("Type DELETE to confirm").fill("DELETE")
        producer.get_by_role("button", name="Delete my account permanently").click()
        expect(producer.locator("#erasure-password-error")).to_have_text("This password is not right.")
        producer.screenshot(path=artifacts / "privacy-erasure.png", full_page=True)
        producer.set_viewport_size({"width": 390, "height": 844})
        producer.locator("#delete-account").screenshot(path=artifacts / "privacy-erasure-390.png")
        assert producer.evaluate("document.documentElement.scrollWidth") <= 390
        producer.get_by_label("Your password").fill(STRONG_PASSWORD)
        producer.get_by_label("Type DELETE to confirm").fill("delete")  # the word exactly, in capitals
        producer.get_by_role("button", name="Delete my account permanently").click()
        expect(producer.locator("#erasure-confirmation-error")).to_contain_text("Type DELETE to confirm")
        producer.get_by_label("Type DELETE to confirm").fill("DELETE")
        producer.get_by_role("button", name="Delete my account permanently").click()

        expect(producer).to_have_url(re.compile(re.escape(app.url) + r"/?\?account=deleted$"))
        expect(producer.locator("#account-deleted")).to_contain_text("Your account has been deleted")
        assert [cookie for cookie in producer_context.cookies() if cookie["name"] == "studio_session"] == []
        assert "deleted" in last_mail_to(app_settings, producer_email).subject
        producer.screenshot(path=artifacts / "account-deleted.png")

        sign_in(producer, app, producer_email)
        expect(producer.get_by_text("This email and password do not match an account")).to_be_visible()
        expect(producer).to_have_url(re.compile(r"/signin"))

        editor.goto(project_url)
        messages = editor.locator("#thread-messages")
        expect(messages).to_contain_text("The rushes are in the shared folder.")
        expect(messages).to_contain_text("Deleted user")
        expect(messages).not_to_contain_text("Paula Leaving")
        expect(editor.get_by_role("heading", level=1)).to_have_text("Shared teaser")
        editor.screenshot(path=artifacts / "privacy-erasure-editor.png", full_page=True)
    finally:
        producer_context.close()
        editor_context.close()
