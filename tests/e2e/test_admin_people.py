"""The admin console's people and disclosures in the browser: an admin finds a user by email, suspends them (their
open tab is signed out, they cannot sign in again), and records a disclosure to an authority; the handlers of both
pages refuse anyone else at the socket."""

import uuid

from playwright.sync_api import expect
from sqlmodel import select

from studio_app.database import session_scope
from studio_app.models.accounts import User
from studio_app.models.admin import LegalDisclosure
from studio_app.security.blind_index import email_index
from studio_app.security.keyring import current_keys
from studio_app.state.admin_disclosures import AdminDisclosuresState
from studio_app.state.admin_people import AdminPeopleState
from tests.e2e.journeys import create_account, new_email, sign_in
from tests.support.accounts import STRONG_PASSWORD
from tests.support.live_clients import LiveClient, handler_name, run_in_own_loop, services_of, session_cookie


def create_admin(app, email: str) -> None:
    with services_of(app.data_dir), session_scope() as session:
        from studio_app.services.accounts import create_admin

        create_admin(session, email, STRONG_PASSWORD, "Ada Admin")


def account(app, email: str) -> User:
    with services_of(app.data_dir), session_scope() as session:
        user = session.exec(select(User).where(User.email_index == email_index(current_keys().index_key, email))).one()
        session.expunge(user)
        return user


def disclosures_of(app, user_id: str) -> list[LegalDisclosure]:
    with services_of(app.data_dir), session_scope() as session:
        rows = session.exec(select(LegalDisclosure).where(LegalDisclosure.subject_id == user_id)).all()
        for row in rows:
            session.expunge(row)
        return list(rows)


def confirm_password(page) -> None:
    page.get_by_label("Your password").fill(STRONG_PASSWORD)
    page.get_by_role("button", name="Confirm my password").click()
    expect(page.get_by_text("Password confirmed")).to_be_visible()


def test_an_admin_finds_a_user_suspends_them_and_records_a_disclosure(app, browser):
    admin_email, user_email = new_email(), new_email()
    create_admin(app, admin_email)
    create_account(app, user_email, name="Sam Suspect", role="editor")

    user_context, admin_context = browser.new_context(), browser.new_context()
    try:
        user_page = user_context.new_page()
        sign_in(user_page, app, user_email, next_path="/account")
        user_page.wait_for_url(lambda url: url.split("?")[0].rstrip("/").endswith("/account"))

        page = admin_context.new_page()
        sign_in(page, app, admin_email, next_path="/admin/people")
        page.wait_for_url(lambda url: url.split("?")[0].rstrip("/").endswith("/admin/people"))
        page.get_by_label("Email address of the account").fill(user_email.upper())
        page.get_by_role("button", name="Find", exact=True).click()
        card = page.locator("#admin-user")
        expect(card.get_by_text("Sam Suspect")).to_be_visible()
        expect(card.get_by_text("1 signed in now", exact=False)).to_be_visible()

        # Without the password entered again, suspending is refused next to the reason.
        page.get_by_label("Why suspend this account").fill("Fraud reported by the payment provider")
        page.get_by_role("button", name="Suspend the account").click()
        expect(page.locator("#suspend-reason-error")).to_contain_text("enter your password again")
        assert account(app, user_email).suspended_at is None

        confirm_password(page)
        page.get_by_label("Why suspend this account").fill("Fraud reported by the payment provider")
        page.get_by_role("button", name="Suspend the account").click()
        expect(page.get_by_text("Account suspended")).to_be_visible()
        expect(page.locator("#account-status")).to_contain_text("Suspended since")
        expect(card.get_by_text("Reason: Fraud reported by the payment provider")).to_be_visible()
        assert account(app, user_email).suspended_at is not None

        # The user's open tab is signed out live, and signing in again is refused.
        user_page.wait_for_url(lambda url: "/signin" in url, timeout=20_000)
        sign_in(user_page, app, user_email)
        expect(user_page.get_by_text("This account is suspended")).to_be_visible()

        page.get_by_role("link", name="Disclosures to authorities").first.click()
        page.wait_for_url(lambda url: url.split("?")[0].rstrip("/").endswith("/admin/disclosures"))
        expect(page.get_by_text("No disclosure recorded.")).to_be_visible()
        page.get_by_label("Email of the person concerned", exact=True).fill(user_email)
        page.get_by_label("Request received on", exact=True).fill("2026-11-02")
        page.get_by_label("Data disclosed on", exact=True).fill("2026-11-03")
        page.get_by_label("Authority", exact=True).fill("Paris prosecutor's office")
        page.get_by_label("Legal basis", exact=True).fill("Article 60-1 of the code of criminal procedure")
        reference = f"PQ-{uuid.uuid4().hex[:6]}"
        page.get_by_label("Reference", exact=True).fill(reference)
        page.get_by_label("Data requested", exact=True).fill("Identity and email of the account holder")
        page.get_by_label("Your account (name, role, sign-up date)").click()
        page.get_by_label("Your email address").click()
        page.get_by_label("Approved by", exact=True).fill("Léa Martin, DPO")
        # The password entered on the people page a moment ago still counts (10 minutes, per session).
        page.get_by_role("button", name="Record the disclosure").click()
        expect(page.get_by_text("Recorded. The person was told")).to_be_visible()
        entry = page.locator(".disclosure-entry").first
        expect(entry).to_contain_text(reference)
        expect(entry).to_contain_text("identity, contact")
        expect(entry.get_by_role("link", name="Export the disclosed data (ZIP)")).to_be_visible()
        [row] = disclosures_of(app, account(app, user_email).id)
        assert row.categories == ["identity", "contact"] and row.user_informed
    finally:
        user_context.close()
        admin_context.close()


def test_the_console_handlers_refuse_everyone_but_admins(app):
    email, target = new_email(), new_email()
    create_account(app, email, role="producer")
    create_account(app, target, name="Target Person", role="editor")
    target_id = account(app, target).id
    attempts = [
        (AdminPeopleState, "load", {}, "/admin/people"),
        (AdminPeopleState, "find", {"form": {"email": target}}, "/admin/people"),
        (AdminPeopleState, "suspend", {"form": {"reason": "Intruder suspends people"}}, "/admin/people"),
        (AdminPeopleState, "sign_out", {"form": {"reason": "Intruder signs people out"}}, "/admin/people"),
        (AdminPeopleState, "restore", {"form": {"reason": "Intruder restores people"}}, "/admin/people"),
        (AdminPeopleState, "grant_admin", {}, "/admin/people"),
        (AdminPeopleState, "remove_admin", {"form": {"new_role": "editor"}}, "/admin/people"),
        (AdminPeopleState, "approve", {"request_id": "a" * 32}, "/admin/people"),
        (AdminPeopleState, "cancel", {"request_id": "a" * 32}, "/admin/people"),
        (AdminPeopleState, "read_project", {"form": {"project_id": "a" * 32, "reason": "Nosy intruder"}},
         "/admin/people"),
        (AdminDisclosuresState, "load", {}, "/admin/disclosures"),
        (AdminDisclosuresState, "record", {"form": {"subject_email": target, "authority": "Nobody",
                                                    "category_identity": "on"}}, "/admin/disclosures"),
    ]

    async def scenario(who: str | None) -> str:
        cookie = session_cookie(app.url, who, STRONG_PASSWORD) if who else None
        client = await LiveClient(app.url, cookie).connect()
        try:
            for state, method, payload, path in attempts:
                await client.call(handler_name(state, method), payload, path)
        finally:
            await client.close()
        return "\n".join(client.transcript)

    for who in (email, None):
        sent = run_in_own_loop(scenario(who))
        assert "Target Person" not in sent and target not in sent
    user = account(app, target)
    assert user.suspended_at is None and user.role == "editor"
    assert disclosures_of(app, target_id) == []
