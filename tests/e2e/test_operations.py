"""The Operations view in a browser: an admin signs in, sees the health of each part and the recent security
events, retries a failed job, and a job that fails while the page is open appears without a reload."""

import re
import uuid

from playwright.sync_api import expect
from sqlmodel import select

from studio_app.database import session_scope
from studio_app.models.jobs import JobFailure
from studio_app.services import job_failures
from tests.e2e.journeys import new_email, sign_in
from tests.e2e.test_privacy_policy import create_admin
from tests.support.live_clients import services_of

TASK = "studio_app.jobs.exports.build_queued_exports"


def record_failure(app, reason: str) -> str:
    with services_of(app.data_dir), session_scope() as session:
        return job_failures.record_failure(session, TASK, [], RuntimeError(reason), 1)


def test_an_admin_watches_operations_and_retries_a_failed_job(browser, app, artifacts):
    # The app is shared with the other browser tests (their failed jobs are listed too): this test's are its own.
    reason = f"storage unreachable {uuid.uuid4().hex[:6]}"
    failure = record_failure(app, reason)
    context = browser.new_context()
    page = context.new_page()
    email = new_email()
    create_admin(app, email)
    sign_in(page, app, email, password="not the password", next_path="/dashboard")  # refused: a security event
    expect(page).to_have_url(re.compile("credentials"))
    sign_in(page, app, email, next_path="/dashboard")
    page.goto(f"{app.url}/admin/operations")
    expect(page.get_by_role("heading", name="Admin console: operations")).to_be_visible()

    health = page.locator("#operations-health")
    for part in ("Database", "Redis", "Storage", "Job queue"):
        expect(health.get_by_text(part, exact=True)).to_be_visible()
    expect(health.locator(".operations-part[data-state='failing']")).to_have_count(0, timeout=40_000)
    expect(page.locator("#operations-security").get_by_text("signin.failure").first).to_be_visible()
    expect(page.locator("#operations-providers").get_by_text("Discord")).to_be_visible()

    failed = page.locator("#operations-queue")
    row = failed.get_by_role("row").filter(has_text=f"RuntimeError: {reason}")
    expect(row).to_be_visible()
    page.screenshot(path=artifacts / "operations.png", full_page=True)
    row.get_by_role("button", name="Retry build_queued_exports").click()
    expect(page.get_by_text("Put back on the queue.")).to_be_visible()
    expect(row.get_by_text("Retried")).to_be_visible()
    with services_of(app.data_dir), session_scope() as session:
        assert session.exec(select(JobFailure.retried_at).where(JobFailure.id == failure)).one() is not None

    later = f"disk full while the page is open {uuid.uuid4().hex[:6]}"
    record_failure(app, later)  # no event of this tab: the page refreshes itself
    expect(failed.get_by_text(f"RuntimeError: {later}")).to_be_visible(timeout=30_000)

    page.set_viewport_size({"width": 390, "height": 844})  # a phone: nothing needs a wider screen to be reached
    expect(failed.get_by_role("row").filter(has_text=later).get_by_role("button")).to_be_visible()
    context.close()
