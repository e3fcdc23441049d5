"""Steps shared by the browser journeys: sign up through the UI, read the outbox, sign in."""

import re
import uuid

from playwright.sync_api import expect

from tests.support.accounts import STRONG_PASSWORD, last_mail_to, link_token, verified_account
from tests.support.live_clients import services_of


def at(app, path: str) -> re.Pattern:
    """The static server may add a trailing slash to a page's path."""
    return re.compile(re.escape(app.url + path.rstrip("/")) + r"/?$")


def open_form(page, url: str) -> None:
    """Load a page with a form and wait for its event socket: values typed before React hydrates the
    prerendered page can be reset by hydration."""
    with page.expect_websocket():
        page.goto(url)


def new_email() -> str:
    return f"e2e-{uuid.uuid4().hex[:10]}@example.com"


def fill_sign_up(page, email: str, password: str = STRONG_PASSWORD, name: str = "Zoé Martin", role: str = "editor"):
    page.get_by_label("Your name", exact=True).fill(name)
    page.get_by_label("Email", exact=True).fill(email)
    page.get_by_label("Password", exact=True).fill(password)
    page.get_by_role("radio", name="Video editor" if role == "editor" else "Producer (I hire editors)").click()
    page.get_by_role("checkbox").first.click()


def sign_up_and_verify(page, app, app_settings, email: str, **details):
    open_form(page, app.url + "/signup")
    fill_sign_up(page, email, **details)
    page.get_by_role("button", name="Create my account").click()
    expect(page.locator("#inbox-notice")).to_contain_text(email)
    token = link_token(last_mail_to(app_settings, email), "/verify")
    page.goto(f"{app.url}/verify?token={token}")
    expect(page.get_by_role("heading", name="Email confirmed")).to_be_visible()


def create_account(app, email: str, *, name: str = "Zoé Martin", role: str = "editor") -> None:
    """A verified account made through the services against the live app's database, for journeys whose
    subject is not signing up (the app's per-address sign-up limit counts every UI sign-up of the run)."""
    with services_of(app.data_dir):
        from studio_app.settings import current_settings

        verified_account(current_settings(), email, name=name, role=role)


def sign_in(page, app, email: str, password: str = STRONG_PASSWORD, next_path: str = "/account"):
    open_form(page, f"{app.url}/signin?next={next_path}")
    page.get_by_label("Email", exact=True).fill(email)
    page.get_by_label("Password", exact=True).fill(password)
    page.get_by_role("button", name="Sign in", exact=True).click()


