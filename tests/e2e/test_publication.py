"""Publishing from the browser: a producer with an approved version connects TikTok and the project's Discord
channel through the sandbox's consent pages, composes (privacy chosen, interactions left off, consent ticked with the
keyboard), publishes now and watches the timeline reach "Published" on TikTok and "Announced" on Discord; schedules
another for tomorrow and cancels it; the project page lists both and links to their timeline. The version row is
made in the setup (a small ffmpeg video stored sealed, marked approved): review and approval have their own test."""

from pathlib import Path

import pytest
from playwright.sync_api import expect

from studio_app.models.media import MediaKind
from tests.e2e.journeys import new_email, sign_in
from tests.e2e.test_connections import connect, on_connections
from tests.support.live_clients import services_of
from tests.support.media import make_video, media_asset
from tests.support.projects import new_project, person

SCREENS = Path("/work/notes/screens")
PROJECT_TITLE = "Project · Azekia Studio"


@pytest.fixture
def world(app, tmp_path):
    video = make_video(tmp_path / "clip.mp4", seconds=4, rate="25").read_bytes()
    email = new_email()
    with services_of(app.data_dir):
        from studio_app.database import session_scope
        from studio_app.models.base import utcnow
        from studio_app.models.media import MediaAsset
        from studio_app.settings import current_settings

        producer = person(current_settings(), email, name="Paula Producer")
        project = new_project(producer, "Summer teaser")
        version = media_asset(producer, project.id, kind=MediaKind.VERSION, version_number=1, video=video,
                              duration_ms=4000, frame_rate="25")
        with session_scope() as session:
            session.get(MediaAsset, version.id).approved_at = utcnow()
    return {"producer": email, "project": project.id, "version": version.id}


def compose(page, *, discord: bool) -> None:
    page.locator("#open-publish").click()
    composer = page.locator("#publish-composer")
    expect(composer).to_be_visible()
    page.locator("#publish-to_tiktok").click()
    expect(page.locator("#creator-nickname")).to_have_text("Paula on TikTok")
    # TikTok's guidelines: no privacy preselected, interactions start off.
    expect(page.locator("#publish-privacy")).to_have_value("")
    for interaction in ("comment", "duet", "stitch"):
        expect(page.locator(f"#publish-allow_{interaction}")).not_to_be_checked()
    page.locator("#publish-privacy").select_option("SELF_ONLY")
    if discord:
        page.locator("#publish-to_discord").click()
    expect(page.locator("#publish-submit")).to_be_disabled()  # until the consent is ticked


def tick_consent_with_the_keyboard(page) -> None:
    page.locator("#publish-consent").focus()
    page.keyboard.press("Space")
    expect(page.locator("#publish-consent")).to_be_checked()
    expect(page.locator("#publish-submit")).to_be_enabled()


def test_connect_compose_publish_now_watch_the_timeline_then_schedule_and_cancel(browser, app, world):
    SCREENS.mkdir(parents=True, exist_ok=True)
    project_path = f"/projects/{world['project']}"
    version_path = f"{project_path}/versions/{world['version']}"
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    page = context.new_page()
    try:
        sign_in(page, app, world["producer"], next_path="/account/connections")
        page.wait_for_url(on_connections(app))
        connect(page, app, "tiktok", "Paula on TikTok")

        page.goto(app.url + project_path)
        expect(page.locator("#project-publications")).to_contain_text("Nothing published yet")
        expect(page).to_have_title(PROJECT_TITLE)
        page.locator("#project-channel").get_by_role("button", name="Connect a channel").click()
        page.wait_for_url(lambda url: "/oauth2/authorize" in url)
        page.get_by_label("Signed in as").fill("Paula on Discord")
        page.get_by_role("button", name="Authorize").click()
        page.wait_for_url(lambda url: url.split("?")[0].rstrip("/") == app.url + project_path)
        expect(page.locator("#project-channel")).to_contain_text("Announcements are posted through the webhook")
        expect(page).to_have_title(PROJECT_TITLE)  # loaded whole after the redirect: settled before it is checked

        page.goto(app.url + version_path)
        expect(page.locator("#approved-badge")).to_be_visible()
        compose(page, discord=True)
        page.locator("#publish-caption").fill("Summer is here #teaser")
        expect(page.locator("#publish-preview")).to_contain_text("Summer is here #teaser")
        page.locator("h1").click()
        for _ in range(10):  # ten frames on at 25 fps; a frame step lands mid-frame: 10.5 / 25 s
            page.keyboard.press(".")
        page.locator("#publish-cover-current").click()
        expect(page.locator("#publish-cover")).to_have_value("0.42")
        tick_consent_with_the_keyboard(page)
        page.screenshot(path=str(SCREENS / "publication-composer.png"), full_page=True)
        page.locator("#publish-submit").click()
        expect(page.get_by_text("Publishing now: follow it below.")).to_be_visible()

        published = page.locator(".publication").first
        tiktok = published.locator(".publication-destination", has_text="TikTok")
        discord = published.locator(".publication-destination", has_text="Discord")
        expect(tiktok.locator(".destination-status")).to_have_text("Published", timeout=90_000)
        expect(discord.locator(".destination-status")).to_have_text("Announced", timeout=60_000)
        expect(published.locator(".publication-status")).to_have_text("Published")
        expect(tiktok).to_contain_text("Upload")
        expect(tiktok.locator(".sandbox-badge")).to_be_visible()
        page.screenshot(path=str(SCREENS / "publication-timeline.png"), full_page=True)

        compose(page, discord=False)
        tomorrow = (page.evaluate("Date.now()") / 1000) + 86_400
        page.locator("#publish-when").fill(_utc_minute(page, tomorrow))
        tick_consent_with_the_keyboard(page)
        expect(page.locator("#publish-submit")).to_have_text("Schedule")
        page.locator("#publish-submit").click()
        expect(page.get_by_text("Scheduled for")).to_be_visible()
        scheduled = page.locator(".publication", has_text="Scheduled")
        scheduled.get_by_role("button", name="Cancel publication").click()
        expect(page.get_by_text("Cancelled: it will not be published.")).to_be_visible()
        expect(page.locator(".publication-status", has_text="Cancelled")).to_be_visible()

        page.set_viewport_size({"width": 390, "height": 844})
        page.reload()
        expect(page.locator(".publication")).to_have_count(2)
        assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth + 1")
        page.screenshot(path=str(SCREENS / "publication-phone.png"), full_page=True)

        page.goto(app.url + project_path)
        listed = page.locator("#project-publications .project-publication")
        expect(listed).to_have_count(2)
        page.screenshot(path=str(SCREENS / "publication-project-list.png"), full_page=True)
        listed.first.get_by_role("link").click()
        page.wait_for_url(lambda url: version_path in url)
        expect(page.locator("#publications-panel")).to_be_visible()
    finally:
        context.close()


def _utc_minute(page, epoch_seconds: float) -> str:
    """The datetime-local value of a moment in UTC, the composer's zone until the producer picks another."""
    return page.evaluate("(s) => new Date(s * 1000).toISOString().slice(0, 16)", epoch_seconds)
