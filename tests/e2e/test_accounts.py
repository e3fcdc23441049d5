"""Account journeys in Chromium against the running app: sign up, verify, sign in, sessions, reset."""

import re

import httpx
from playwright.sync_api import expect

from studio_app.security.cookies import session_cookie_name
from tests.e2e.journeys import at, create_account, new_email, open_form, sign_in, sign_up_and_verify
from tests.support.accounts import STRONG_PASSWORD, last_mail_to, link_token


def session_cookie(context, app_settings):
    cookies = [c for c in context.cookies() if c["name"] == session_cookie_name(app_settings)]
    return cookies[0] if cookies else None


def test_sign_up_verify_sign_in_see_the_session_and_sign_out(page, app, app_settings, artifacts):
    email = new_email()
    sign_up_and_verify(page, app, app_settings, email)
    sign_in(page, app, email)
    expect(page).to_have_url(at(app, "/account"))
    expect(page.locator("#account-email")).to_contain_text(email)
    page.screenshot(path=artifacts / "account.png", full_page=True)
    page.get_by_role("link", name="Active sessions").click()
    expect(page.locator("#sessions-table")).to_contain_text("This browser")
    expect(page.locator("#sessions-table")).to_contain_text("127.0.0.x")
    page.screenshot(path=artifacts / "sessions.png", full_page=True)
    page.locator("#sign-out").click()
    expect(page).to_have_url(at(app, "/"))
    assert session_cookie(page.context, app_settings) is None
    page.goto(app.url + "/account")
    expect(page).to_have_url(re.compile(r"/signin\?next=/account/?$"))
    assert page.console_problems == []


def test_forms_say_what_is_wrong_as_you_type(page, app, artifacts):
    open_form(page, app.url + "/signup")
    page.get_by_label("Email", exact=True).fill("not-an-email")
    page.get_by_label("Password", exact=True).focus()
    expect(page.locator("#field-email-error")).to_contain_text("does not look like an email address")
    page.get_by_label("Password", exact=True).fill("password1234")
    expect(page.locator("#field-password-error")).to_contain_text("too easy to guess")
    page.screenshot(path=artifacts / "signup-errors.png", full_page=True)
    page.get_by_label("Password", exact=True).fill(STRONG_PASSWORD)
    expect(page.locator("#field-password-error")).to_have_count(0)


def test_cookie_flags_rotation_and_fixation(browser, app, app_settings):
    email = new_email()
    context = browser.new_context()
    page = context.new_page()
    try:
        sign_up_and_verify(page, app, app_settings, email)
        # An attacker who planted a session cookie value gains nothing: sign-in issues a new one.
        context.add_cookies([{"name": session_cookie_name(app_settings), "value": "planted-by-attacker",
                              "url": app.url}])
        sign_in(page, app, email)
        expect(page).to_have_url(at(app, "/account"))
        first = session_cookie(context, app_settings)
        assert first["httpOnly"] and first["sameSite"] == "Lax" and first["path"] == "/"
        assert first["value"] != "planted-by-attacker" and len(first["value"]) >= 43
        # The sign-in page sends a signed-in person on: the second sign-in posts the form to the route itself.
        context.request.post(app.url + "/api/auth/signin", headers={"Origin": app.url}, max_redirects=0,
                             form={"email": email, "password": STRONG_PASSWORD, "next": "/account"})
        page.goto(app.url + "/account")
        expect(page.locator("#account-email")).to_contain_text(email)
        second = session_cookie(context, app_settings)
        assert second["value"] != first["value"]  # signing in again rotates the token
        page.get_by_role("link", name="Active sessions").click()
        expect(page.locator("#sessions-table tbody tr")).to_have_count(1)  # the previous one ended
    finally:
        context.close()


def test_a_revoked_session_stops_working_in_an_open_tab(browser, app, app_settings):
    email = new_email()
    laptop, phone = browser.new_context(), browser.new_context()
    try:
        laptop_page, phone_page = laptop.new_page(), phone.new_page()
        sign_up_and_verify(laptop_page, app, app_settings, email)
        sign_in(laptop_page, app, email)
        sign_in(phone_page, app, email)
        expect(phone_page).to_have_url(at(app, "/account"))
        laptop_page.goto(app.url + "/account/sessions")
        expect(laptop_page.locator("#sessions-table tbody tr")).to_have_count(2)
        # The phone's tab stays open with its socket connected while the laptop ends every session: it is
        # emptied and sent to sign in at once, without a click.
        laptop_page.get_by_role("button", name="Sign out everywhere").click()
        expect(laptop_page).to_have_url(at(app, "/"))
        expect(phone_page).to_have_url(re.compile(r"/signin\?error=signed-out&next=/account"))
        expect(phone_page.get_by_text("This session was signed out. Please sign in again.")).to_be_visible()
        expect(phone_page.get_by_text(email)).to_have_count(0)
    finally:
        laptop.close()
        phone.close()


def test_password_reset_journey(page, app, app_settings):
    email = new_email()
    sign_up_and_verify(page, app, app_settings, email)
    open_form(page, app.url + "/forgot")
    page.get_by_label("Email", exact=True).fill(email)
    page.get_by_role("button", name="Send me a link").click()
    expect(page.locator("#inbox-notice")).to_contain_text("If an account uses this address")
    token = link_token(last_mail_to(app_settings, email, containing="/reset?token="), "/reset")
    open_form(page, f"{app.url}/reset?token={token}")
    new_password = "lantern mosaic river 58"
    page.get_by_label("New password", exact=True).fill(new_password)
    page.get_by_label("Repeat the new password").fill(new_password)
    page.get_by_role("button", name="Save my new password").click()
    expect(page.get_by_role("heading", name="Password changed")).to_be_visible()
    sign_in(page, app, email, STRONG_PASSWORD)
    expect(page.get_by_role("alert")).to_contain_text("do not match an account")
    sign_in(page, app, email, new_password)
    expect(page).to_have_url(at(app, "/account"))


def test_too_many_wrong_passwords_say_when_to_try_again(page, app, app_settings):
    email = new_email()
    sign_up_and_verify(page, app, app_settings, email)
    open_form(page, app.url + "/signin")
    for attempt in range(11):
        page.get_by_label("Email", exact=True).fill(email)  # the page shown again does not refill it
        page.get_by_label("Password", exact=True).fill(f"wrong password {attempt}")
        page.get_by_role("button", name="Sign in", exact=True).click()
        expect(page.get_by_role("alert")).to_be_visible()
    expect(page.get_by_role("alert")).to_contain_text(re.compile(r"Too many attempts\. Please try again in \d+ minute"))


def test_attacks_from_elsewhere_do_not_lock_the_owner_out_and_the_ceiling_mails_a_sign_in_link(page, app,
                                                                                               app_settings):
    email = new_email()
    create_account(app, email)

    def guess_from(address: str, times: int) -> None:  # a script posting the form from another network address
        with httpx.Client(transport=httpx.HTTPTransport(local_address=address)) as client:
            for attempt in range(times):
                client.post(f"http://127.0.0.1:{app.port}/api/auth/signin", headers={"origin": app.url},
                            data={"email": email, "password": f"wrong guess {attempt}"})

    guess_from("127.0.0.41", 10)  # one place's allowance used up: the owner, elsewhere, signs in as usual
    sign_in(page, app, email)
    expect(page).to_have_url(at(app, "/account"))
    page.locator("#sign-out").click()
    expect(page).to_have_url(at(app, "/"))
    guess_from("127.0.0.42", 10)
    guess_from("127.0.0.43", 10)  # the account's ceiling: passwords wait, and the owner is mailed a link
    sign_in(page, app, email)
    expect(page.get_by_role("alert")).to_contain_text("we sent its address a link to sign in without the password")
    link = f"{app.url}/signin/link?token=" + link_token(
        last_mail_to(app_settings, email, containing="/signin/link?token="), "/signin/link")
    page.goto(link)
    page.get_by_role("button", name="Sign in", exact=True).click()
    expect(page).to_have_url(at(app, "/dashboard"))
    page.goto(app.url + "/account")
    expect(page.locator("#account-email")).to_contain_text(email)
    # Once only: whoever opens it again (signed out: a signed-in person's sign-in page leaves for their dashboard).
    page.locator("#sign-out").click()
    expect(page).to_have_url(at(app, "/"))
    page.goto(link)
    page.get_by_role("button", name="Sign in", exact=True).click()
    expect(page.get_by_role("alert")).to_contain_text("invalid, expired or already used")
    assert page.console_problems == []


def test_privacy_center_shows_what_we_hold_and_withdraws_consent_in_one_click(page, app, app_settings, artifacts):
    email = new_email()
    open_form(page, app.url + "/signup")
    page.get_by_label("Your name", exact=True).fill("Priya Private")
    page.get_by_label("Email", exact=True).fill(email)
    page.get_by_label("Password", exact=True).fill(STRONG_PASSWORD)
    page.get_by_role("radio", name="Video editor").click()
    page.get_by_role("checkbox").nth(0).click()  # the privacy policy
    page.get_by_role("checkbox").nth(1).click()  # product news: off unless ticked
    page.get_by_role("button", name="Create my account").click()
    expect(page.locator("#inbox-notice")).to_contain_text(email)
    token = link_token(last_mail_to(app_settings, email), "/verify")
    page.goto(f"{app.url}/verify?token={token}")
    expect(page.get_by_role("heading", name="Email confirmed")).to_be_visible()
    sign_in(page, app, email, next_path="/privacy-center")
    consent = page.locator(".consent").filter(has_text="Product news")
    expect(page.locator(".consent")).to_have_count(3)
    expect(page.locator(".consent").filter(has_text="TikTok")).to_contain_text("when you connect your TikTok")
    expect(consent).to_contain_text("Given")
    expect(page.get_by_text("Technical data")).to_be_visible()
    expect(page.get_by_text("Legal basis:").first).to_be_visible()
    page.get_by_role("button", name="Withdraw").click()
    expect(consent).to_contain_text("Not given")
    expect(consent.locator(".consent-history")).to_contain_text("withdrawn")
    expect(page.locator("#your-requests")).to_contain_text("Done by you in the privacy center")
    expect(page.locator("#your-requests")).to_contain_text("Withdrew consent: Product news by email")
    page.screenshot(path=artifacts / "privacy-center.png", full_page=True)


def test_privacy_center_corrects_the_name_and_the_email_in_place(page, app, app_settings):
    email, new_address = new_email(), new_email()
    sign_up_and_verify(page, app, app_settings, email, name="Corinne Typo")
    sign_in(page, app, email, next_path="/privacy-center")
    details = page.locator("#your-details")
    expect(details.locator(".detail-display_name")).to_have_text("Corinne Typo")
    page.get_by_role("button", name="Edit your display name").click()
    name_field = page.get_by_label("Display name", exact=True)
    name_field.fill("")
    page.get_by_role("button", name="Save").click()
    expect(page.locator("#correct-display-name-error")).to_be_visible()  # said next to the field
    name_field.fill("Corinne Correct")
    page.get_by_role("button", name="Save").click()
    expect(details.locator(".detail-display_name")).to_have_text("Corinne Correct")
    expect(details).to_contain_text("corrected everywhere")

    page.get_by_role("button", name="Edit your email address").click()
    page.get_by_label("New email address").fill(new_address)
    page.get_by_label("Current password").fill("not my password")
    page.get_by_role("button", name="Save").click()
    expect(page.locator("#correct-email-password-error")).to_contain_text("not right")
    page.get_by_label("Current password").fill(STRONG_PASSWORD)
    page.get_by_role("button", name="Save").click()
    expect(details).to_contain_text("We sent a link to the new address")
    expect(details.locator(".detail-email")).to_have_text(email)  # unchanged until the link is opened
    token = link_token(last_mail_to(app_settings, new_address), "/verify-email-change")
    page.goto(f"{app.url}/verify-email-change?token={token}")
    expect(page.get_by_role("heading", name="Email changed")).to_be_visible()
    page.goto(f"{app.url}/privacy-center")
    expect(page.locator("#your-details .detail-email")).to_have_text(new_address)
