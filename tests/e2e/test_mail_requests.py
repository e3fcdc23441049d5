"""A privacy request sent by email, end to end on the running app: the message dropped in the inbox folder is taken
in by the queue's poll, the member follows the mailed link and confirms on its page, the admin answers it from the
console, and the member sees it, by email, with its answer in the privacy center."""

import os
import re
from email.message import EmailMessage
from email.utils import make_msgid

from playwright.sync_api import expect

from tests.e2e.journeys import open_form
from tests.e2e.test_privacy_policy import admin_and_member  # noqa: F401 (fixture)
from tests.support.accounts import last_mail_to, link_token

CONFIRM = "/privacy-request/confirm"


def drop_in_inbox(app, sender: str, subject: str, body: str) -> None:
    message = EmailMessage()
    message["From"], message["To"], message["Subject"] = sender, "studio@azekia.fr", subject
    message["Message-ID"] = make_msgid(domain="example.com")
    message.set_content(body)
    inbox = app.data_dir / "inbox"
    inbox.mkdir(exist_ok=True)
    arriving = inbox / ".arriving"  # hidden until complete, as a mail delivery agent writes it
    arriving.write_bytes(message.as_bytes())
    os.replace(arriving, inbox / "request.eml")


def test_a_request_sent_by_email_is_confirmed_from_its_link_and_answered(admin_and_member, app,  # noqa: F811
                                                                        app_settings):
    admin, member, member_email = admin_and_member
    drop_in_inbox(app, member_email, "Access request", "Which data do you hold about me?")
    acknowledgment = last_mail_to(app_settings, member_email, containing=CONFIRM, timeout=120)  # polled every minute
    token = link_token(acknowledgment, CONFIRM)

    member.goto(f"{app.url}{CONFIRM}?token={token}")
    member.get_by_role("button", name="Confirm my request").click()
    expect(member.locator("#mail-request-confirmed")).to_contain_text("Request confirmed")

    open_form(admin, f"{app.url}/admin/privacy")
    item = admin.locator(".admin-request").filter(has_text="Which data do you hold about me?")
    expect(item).to_contain_text(f"From Mona Member <{member_email}>")
    item.get_by_text("Honoured").click()
    item.get_by_label("Answer to the person").fill("Your archive is in the privacy center.")
    item.get_by_role("button", name="Send the answer").click()
    expect(admin.get_by_text("Answer sent.")).to_be_visible()

    open_form(member, f"{app.url}/privacy-center")
    expect(member.locator("#privacy-contact")).to_have_text("studio@azekia.fr")
    mine = member.locator(".privacy-request").filter(has_text="Which data do you hold about me?")
    expect(mine).to_contain_text("Sent by email")
    expect(mine.locator(".request-answer")).to_have_text("Your archive is in the privacy center.")
    assert re.search(r"Your archive is in the privacy center\.", last_mail_to(
        app_settings, member_email, containing="Your archive is in the privacy center.").text)
