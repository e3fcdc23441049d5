"""Export and download: sign up, write in a project, ask for the archive, watch it get ready, confirm the
password, download it, and find the README and the messages in it."""

import json
import re
import zipfile

from playwright.sync_api import expect
from sqlmodel import select

from studio_app.database import session_scope
from studio_app.models.privacy import DataExport
from studio_app.models.projects import Project
from studio_app.state.privacy_export import PrivacyExportState
from tests.e2e.journeys import create_account, new_email, open_form, sign_in
from tests.support.accounts import STRONG_PASSWORD
from tests.support.live_clients import LiveClient, handler_name, run_in_own_loop, services_of
from tests.support.threads import bulk_messages

HISTORY = 20_000  # older messages, so that building the archive takes long enough to watch


def add_history(app, project_id: str) -> None:
    with services_of(app.data_dir):
        with session_scope() as session:
            producer_id = session.get(Project, project_id).producer_id
        bulk_messages(project_id, [producer_id], HISTORY)


def send(page, text: str):
    # Typed and sent right after the page appears: the thread's opening must neither empty the box nor refuse it.
    page.get_by_label("Message").fill(text)
    page.get_by_role("button", name="Send").click()
    expect(page.locator("#thread-messages")).to_contain_text(text)


def test_export_and_download(page, app, app_settings, artifacts):
    email = new_email()
    create_account(app, email, name="Paula Producer", role="producer")
    sign_in(page, app, email, next_path="/dashboard")
    expect(page).to_have_url(re.compile(r"/dashboard/?$"))
    open_form(page, app.url + "/projects/new")  # typed before hydration, the form would post natively
    page.get_by_label("Title").fill("Export teaser")
    page.get_by_role("button", name="Create project").click()
    expect(page).to_have_url(re.compile(r"/projects/[0-9a-f]{32}/?$"))
    expect(page.locator("#thread-empty")).to_be_visible()
    for text in ("First cut notes for the archive", "Second message, with accents: café"):
        send(page, text)

    add_history(app, page.url.rstrip("/").rsplit("/", 1)[-1])

    page.goto(app.url + "/privacy-center")
    section = page.locator("#download-your-data")
    expect(section.locator("#export-empty")).to_contain_text("You have not asked for an archive yet")
    section.get_by_role("button", name="Prepare my archive").click()
    expect(section.locator("#export-progress")).to_be_visible()
    expect(section.locator("#export-percent")).to_have_text(re.compile(r"^\d{1,2}%$"))
    section.screenshot(path=artifacts / "privacy-export-progress.png")
    expect(section.locator("#export-ready")).to_be_visible(timeout=120_000)  # the page polls while it is built
    expect(section.locator("#export-expiry")).to_contain_text("Download it before")

    password = section.get_by_label("Your password")
    password.fill("not my password")
    section.get_by_role("button", name="Confirm").click()
    expect(section.locator("#export-password-error")).to_have_text("This password is not right.")
    password.fill(STRONG_PASSWORD)
    section.get_by_role("button", name="Confirm").click()
    link = section.locator("#export-download")
    expect(link).to_be_visible()
    page.set_viewport_size({"width": 390, "height": 844})
    page.screenshot(path=artifacts / "privacy-export.png", full_page=True)

    with page.expect_download() as info:
        link.click()
    download = info.value
    assert re.fullmatch(r"azekia-studio-data-\d{4}-\d{2}-\d{2}\.zip", download.suggested_filename)
    with zipfile.ZipFile(download.path()) as archive:
        readme = archive.read("README.md").decode()
        content = json.loads(archive.read("content.json"))
        identity = json.loads(archive.read("identity.json"))
    assert "# Your data from Azekia Studio" in readme and "content.json" in readme
    assert content["schema"] == "azekia-studio/export/content" and content["version"] == 1
    bodies = [item["body"] for item in content["items"] if item["type"] == "message"]
    assert len(bodies) == HISTORY + 2 and bodies[:2] == ["message 0", "message 1"]
    assert bodies[-2:] == ["First cut notes for the archive", "Second message, with accents: café"]
    assert identity["items"][0]["display_name"] == "Paula Producer"
    assert not page.console_problems


def test_a_signed_out_socket_cannot_ask_for_an_archive_or_confirm_a_password(app):
    def exports_count() -> int:
        with services_of(app.data_dir), session_scope() as session:
            return len(session.exec(select(DataExport.id)).all())

    before = exports_count()

    async def scenario() -> str:
        client = await LiveClient(app.url, None).connect()
        try:
            for method, payload in (("request_archive", {}), ("confirm_password", {"form": {"password": "x" * 12}}),
                                    ("watch", {}), ("load", {})):
                await client.call(handler_name(PrivacyExportState, method), payload, "/privacy-center")
        finally:
            await client.close()
        return "\n".join(client.transcript)

    sent = run_in_own_loop(scenario())
    assert exports_count() == before
    assert "/api/privacy/exports/" not in sent
