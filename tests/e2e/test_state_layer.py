"""The state layer at the socket and in Chromium: one way handlers run services (sign-in redirect, errors next to
their field, a plain message for what breaks), create forms that create once, an admin's own landing page, and
text typed as a page appears that the arriving state does not overwrite."""

import asyncio
import re
import uuid

from playwright.sync_api import expect
from sqlmodel import func, select

from studio_app.database import session_scope
from studio_app.models.projects import Project
from studio_app.state.projects import DashboardState, ProjectListState
from studio_app.state.shell import ShellState
from tests.e2e.journeys import at, create_account, new_email, open_form, sign_in
from tests.support.accounts import STRONG_PASSWORD
from tests.support.live_clients import LiveClient, handler_name, run_in_own_loop, services_of, session_cookie


def projects_of(app, email: str) -> int:
    with services_of(app.data_dir), session_scope() as session:
        from studio_app.models.accounts import User
        from studio_app.security.blind_index import email_index
        from studio_app.security.keyring import current_keys

        user_id = session.exec(select(User.id).where(
            User.email_index == email_index(current_keys().index_key, email))).one()
        return session.exec(select(func.count()).select_from(Project).where(Project.producer_id == user_id)).one()


async def until(client: LiveClient, pattern: str, count: int = 1, timeout: float = 30) -> str:
    """The transcript once ``pattern`` (a regular expression) matched ``count`` times in what the server sent:
    ``call`` returns at a handler's first update, and these handlers send one before their work (busy)."""
    deadline = asyncio.get_running_loop().time() + timeout
    while len(re.findall(pattern, sent := "\n".join(client.transcript))) < count:
        assert asyncio.get_running_loop().time() < deadline, f"never received {pattern!r} {count}x: {sent[-2000:]}"
        await asyncio.sleep(0.05)
    return sent


def form(title: str, form_key: str) -> dict:
    return {"title": title, "brief": "", "video_format": "vertical_9_16", "deadline": "", "form_key": form_key}


def test_handlers_send_a_signed_out_tab_to_sign_in_and_put_errors_next_to_their_field(app):
    email = new_email()
    create_account(app, email, name="Field Fiona", role="producer")

    async def scenario() -> tuple[str, str]:
        signed_out = await LiveClient(app.url).connect()
        signed_in = await LiveClient(app.url, session_cookie(app.url, email, STRONG_PASSWORD)).connect()
        try:
            await signed_out.call(handler_name(ProjectListState, "load"), {}, "/projects")
            await signed_in.call(handler_name(ProjectListState, "create"), {"form": form("", uuid.uuid4().hex)},
                                 "/projects/new")
            return (await until(signed_out, re.escape("/signin?next=/projects")),
                    await until(signed_in, '"creating_rx_state_": false'))
        finally:
            await signed_out.close()
            await signed_in.close()

    signed_out, refused = run_in_own_loop(scenario())
    assert "/signin?next=/projects" in signed_out
    assert '"errors_rx_state_": {"title": "Give it a title."}' in refused
    assert projects_of(app, email) == 0


def test_two_creates_with_the_same_form_key_create_one_project(app):
    email = new_email()
    create_account(app, email, name="Twice Tom", role="producer")
    key = uuid.uuid4().hex

    async def scenario() -> str:
        client = await LiveClient(app.url, session_cookie(app.url, email, STRONG_PASSWORD)).connect()
        try:
            for _ in range(2):  # what a double click sends: the same form, the same key
                await client.call(handler_name(ProjectListState, "create"), {"form": form("Only once", key)},
                                  "/projects/new")
            return await until(client, r"/projects/[0-9a-f]{32}", count=2)
        finally:
            await client.close()

    sent = run_in_own_loop(scenario())
    assert projects_of(app, email) == 1
    redirects = set(re.findall(r"/projects/([0-9a-f]{32})", sent))
    assert len(redirects) == 1  # both answers lead to the one project


def test_a_double_click_on_create_project_creates_one_project(page, app):
    email = new_email()
    create_account(app, email, name="Quick Quentin", role="producer")
    sign_in(page, app, email, next_path="/projects/new")
    expect(page).to_have_url(at(app, "/projects/new"))
    page.get_by_label("Title").fill("Double clicked")
    page.get_by_role("button", name="Create project").dblclick()
    expect(page).to_have_url(re.compile(r"/projects/[0-9a-f]{32}/?$"))
    expect(page.get_by_role("heading", level=1)).to_have_text("Double clicked")
    assert projects_of(app, email) == 1


def test_an_admin_lands_on_the_admin_console(page, app):
    email = new_email()
    with services_of(app.data_dir):
        from studio_app.services.accounts import create_admin

        with session_scope() as session:
            create_admin(session, email, STRONG_PASSWORD, "Ada Admin")
    sign_in(page, app, email, next_path="/dashboard")
    expect(page).to_have_url(at(app, "/admin/privacy"))
    expect(page.get_by_role("heading", name="Admin console: privacy")).to_be_visible()
    page.goto(app.url + "/")  # a public page recognizes them: their way in is the console, not a dashboard
    expect(page.get_by_role("link", name="Open the admin console")).to_be_visible()
    expect(page.get_by_role("link", name="Open your dashboard")).to_have_count(0)
    page.goto(app.url + "/signin")
    expect(page).to_have_url(at(app, "/admin/privacy"))


def admin_calls(app, handler: str, path: str, awaited: str) -> str:
    """A new admin's tab calls ``handler`` on ``path``; what it received until ``awaited`` (a regex) arrived."""
    email = new_email()
    with services_of(app.data_dir):
        from studio_app.services.accounts import create_admin

        with session_scope() as session:
            create_admin(session, email, STRONG_PASSWORD, "Ada Admin")

    async def scenario() -> str:
        client = await LiveClient(app.url, session_cookie(app.url, email, STRONG_PASSWORD)).connect()
        try:
            await client.call(handler, {}, path)
            return await until(client, awaited)
        finally:
            await client.close()

    return run_in_own_loop(scenario())


def test_an_admin_opening_the_sign_in_page_is_sent_to_the_console_directly(app):
    received = admin_calls(app, handler_name(ShellState, "leave_if_signed_in"), "/signin",
                           re.escape('"path": "/admin/privacy"'))
    assert '"path": "/dashboard"' not in received  # not through the dashboard's own redirect


def test_an_admin_calling_the_dashboard_gets_a_page_and_never_a_silent_failure(app):
    received = admin_calls(app, handler_name(DashboardState, "load"), "/dashboard", re.escape("/admin/privacy"))
    assert '"loaded_rx_state_": true' not in received


def test_an_address_typed_as_the_sign_in_page_appears_is_kept(page, app):
    """After a failed attempt the sign-in page shows again. Whatever the page's state carries when it arrives, it
    must not change the field the person is already in: clicked into as soon as it appears (before the page's
    socket is even open), then typed into, it holds exactly what they typed."""
    url = f"{app.url}/signin?error=credentials"
    open_form(page, f"{app.url}/signin")
    field = page.get_by_label("Email", exact=True)
    field.fill(new_email())
    page.get_by_label("Password", exact=True).fill("not the password at all")
    page.get_by_role("button", name="Sign in", exact=True).click()
    expect(page.get_by_role("alert")).to_contain_text("do not match")
    raced = 0
    for attempt in range(3):
        page.goto(f"{url}&attempt={attempt}", wait_until="commit")
        field.click()  # as soon as the prerendered field is on the screen
        raced += field.input_value() == ""
        expect(page.get_by_role("alert")).to_contain_text("do not match")  # the page's state has arrived
        typed = new_email()
        field.press_sequentially(typed)
        expect(field).to_have_value(typed)
        page.goto(f"{url}&filled={attempt}", wait_until="domcontentloaded")
        field.fill(typed)  # typed at once, while the page's state is on its way
        expect(page.get_by_role("alert")).to_contain_text("do not match")
        expect(field).to_have_value(typed)
    assert raced  # the field was clicked into before the state arrived at least once: the race was run
