"""Security alerts end to end: a brute force on a member's account opens an alert that the admin sees appear on
the open console page by itself, reads and acknowledges; the page's handlers refuse everyone else at the socket."""

import secrets
import time

import httpx
import pytest
import sqlalchemy as sa
from playwright.sync_api import expect
from sqlmodel import select

from studio_app.database import session_scope
from studio_app.models.security import AlertStatus, SecurityAlert
from studio_app.state.admin_alerts import REFRESH_SECONDS, AdminAlertsState
from tests.e2e.journeys import create_account, new_email, open_form, sign_in
from tests.e2e.test_privacy_policy import create_admin
from tests.support.accounts import STRONG_PASSWORD
from tests.support.live_clients import LiveClient, handler_name, run_in_own_loop, services_of, session_cookie


def failed_sign_ins(app, email: str, times: int) -> None:
    """From an address of its own (any 127.x.y.z is this machine): the address's limits stay clear for the rest."""
    source = f"127.{10 + secrets.randbelow(240)}.{secrets.randbelow(250)}.1"
    with httpx.Client(transport=httpx.HTTPTransport(local_address=source)) as client:
        for attempt in range(times):
            client.post(f"http://127.0.0.1:{app.port}/api/auth/signin",
                        data={"email": email, "password": f"wrong {attempt}"}, headers={"origin": app.url},
                        follow_redirects=False)


def alert_rows(app) -> list[tuple[str, str]]:
    with services_of(app.data_dir), session_scope() as session:
        return [(row.id, row.status) for row in session.exec(select(SecurityAlert)).all()]


def test_an_admin_sees_an_alert_arrive_reads_and_acknowledges_it(browser, app):
    # The app is shared with the other browser tests, whose refused sign-ins open alerts of the same rule (on their
    # own accounts): the console starts with none open, so the one that appears is this test's.
    with services_of(app.data_dir), session_scope() as session:
        session.execute(sa.update(SecurityAlert).where(SecurityAlert.status != AlertStatus.CLOSED)
                        .values(status=AlertStatus.CLOSED))
    context = browser.new_context()
    page = context.new_page()
    admin_email, member_email = new_email(), new_email()
    create_admin(app, admin_email)
    create_account(app, member_email, name="Mona Member", role="editor")
    sign_in(page, app, admin_email, next_path="/dashboard")
    expect(page.get_by_role("link", name="Admin")).to_be_visible()
    open_form(page, f"{app.url}/admin/privacy")
    page.get_by_role("link", name="Security alerts").click()
    expect(page.get_by_role("heading", name="Admin console: security alerts")).to_be_visible()

    failed_sign_ins(app, member_email, 10)  # STUDIO_DETECT_SIGNIN_ACCOUNT_FAILURES' default

    row = page.locator("#open-alerts").get_by_role("row").filter(has_text="Repeated failed sign-ins on one account")
    expect(row).to_be_visible()  # pushed by the page's refresh, no reload
    row.get_by_role("button", name="Details of Repeated failed sign-ins on one account").click()
    details = page.locator("#alert-details")
    expect(details).to_contain_text("Times fired")
    expect(details).not_to_contain_text(member_email)
    details.get_by_role("button", name="Acknowledge").click()
    expect(page.get_by_text("Acknowledged: it stays open")).to_be_visible()
    details.get_by_role("button", name="Close").click()
    expect(page.get_by_text("Closed. If its rule fires again")).to_be_visible()
    expect(page.get_by_role("heading", name="Recently closed")).to_be_visible()
    page.set_viewport_size({"width": 390, "height": 844})  # a phone
    expect(page.get_by_role("heading", name="Open alerts")).to_be_visible()
    context.close()


@pytest.mark.parametrize("as_member", [True, False], ids=["member", "signed out"])
def test_alert_handlers_refuse_everyone_but_admins(app, as_member):
    member_email = new_email()
    create_account(app, member_email, role="producer")
    failed_sign_ins(app, member_email, 10)
    [(alert_id, status)] = [row for row in alert_rows(app) if row[1] == "open"][:1]

    async def scenario() -> str:
        cookie = session_cookie(app.url, member_email, STRONG_PASSWORD) if as_member else None
        client = await LiveClient(app.url, cookie).connect()
        try:
            # The refresh first: once ``load`` has found no admin, it returns at once and sends nothing.
            for method, payload in (("refresh", {}), ("load", {}), ("show", {"alert_id": alert_id}),
                                    ("acknowledge", {"alert_id": alert_id}), ("close", {"alert_id": alert_id})):
                await client.call(handler_name(AdminAlertsState, method), payload, "/admin/alerts")
        finally:
            await client.close()
        return "\n".join(client.transcript)

    sent = run_in_own_loop(scenario())
    time.sleep(REFRESH_SECONDS + 1)  # the refresh's first look, refused
    assert dict(alert_rows(app))[alert_id] == status == "open"
    assert "failed sign-ins" not in sent
