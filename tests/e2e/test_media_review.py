"""Derush and review as two people in two browsers: the producer marks a selection with I and O in a rush and the
editor sees it appear; on a version the producer comments at a timecode, the editor sees it, clicking it seeks the
player there, and the producer approves. Media rows are made in the setup (a small ffmpeg video stored sealed, an
asset marked ready), not through uploads and processing."""

import re
from pathlib import Path

import pytest
from playwright.sync_api import expect

from studio_app.models.media import MediaKind
from tests.e2e.journeys import new_email, sign_in
from tests.support.live_clients import services_of
from tests.support.media import make_sprite, make_video, media_asset
from tests.support.projects import add_editor, call, new_project, person

SCREENS = Path("/work/notes/screens")


@pytest.fixture
def world(app, tmp_path):
    video = make_video(tmp_path / "clip.mp4", seconds=4, rate="25").read_bytes()
    sprite = make_sprite(tmp_path / "sprite.jpg").read_bytes()
    producer_email, editor_email = new_email(), new_email()
    with services_of(app.data_dir):
        from studio_app.services import projects
        from studio_app.settings import current_settings

        producer = person(current_settings(), producer_email, name="Paula Producer")
        editor = person(current_settings(), editor_email, role="editor", name="Eddie Editor")
        project = new_project(producer, "Spring teaser")
        add_editor(producer, editor, project.id)
        for stage, actor in (("derush", producer), ("editing", producer), ("review", editor)):
            call(projects.change_stage, actor, project.id, stage)
        waveform = [abs(((index * 37) % 100) - 50) / 50 for index in range(400)]
        rush = media_asset(producer, project.id, video=video, duration_ms=4000, frame_rate="25", sprite=sprite,
                           waveform=waveform, media_info={"scene_cuts": [1.0, 2.5], "silences": [[3.0, 3.6]]})
        first = media_asset(editor, project.id, kind=MediaKind.VERSION, version_number=1, video=video,
                            duration_ms=4000, frame_rate="25")
        second = media_asset(editor, project.id, kind=MediaKind.VERSION, version_number=2, video=video,
                             duration_ms=4000, frame_rate="25")
    return {"producer": producer_email, "editor": editor_email, "project": project.id, "rush": rush.id,
            "v1": first.id, "v2": second.id}


def signed_in_page(browser, app, email: str, path: str, viewport=(1280, 900)):
    context = browser.new_context(viewport={"width": viewport[0], "height": viewport[1]})
    page = context.new_page()
    sign_in(page, app, email, next_path=path)
    return context, page


def video_ready(page) -> None:
    page.wait_for_function("() => { const v = document.querySelector('video'); return v && v.readyState >= 2; }")


def press(page, key: str, times: int = 1) -> None:
    page.locator("h1").click()  # the page, not a text field, has the focus: the player's keys apply
    for _ in range(times):
        page.keyboard.press(key)


def test_derush_with_the_keyboard_comment_at_a_timecode_seek_and_approve(browser, app, world):
    SCREENS.mkdir(parents=True, exist_ok=True)
    rush_path = f"/projects/{world['project']}/rushes/{world['rush']}"
    producer_context, producer = signed_in_page(browser, app, world["producer"], rush_path)
    editor_context, editor = signed_in_page(browser, app, world["editor"], rush_path)
    try:
        for page in (producer, editor):
            expect(page.get_by_role("heading", level=1)).to_have_text("Derush")
            expect(page.locator("#derush-list-empty")).to_be_visible()
            video_ready(page)
        expect(producer.locator("#suggestions")).to_contain_text("Scene")

        # I at frame 0, ten frames on with ".", O: frames 0 to 10 kept (the out point excludes frame 11).
        press(producer, "i")
        expect(producer.locator("#mark-in")).to_have_text("In 00:00:00:00")
        press(producer, ".", 10)
        press(producer, "o")
        selection = re.compile(r"00:00:00:00\s*to\s*00:00:00:11")
        expect(producer.locator("#derush-list")).to_contain_text(selection)
        expect(editor.locator("#derush-list")).to_contain_text(selection)  # live, no reload
        expect(editor.locator("#derush-list")).to_contain_text("by Paula Producer")
        producer.locator("#suggestions").get_by_role("button", name="Accept").first.click()
        expect(editor.locator(".derush-selection")).to_have_count(2)
        producer.screenshot(path=str(SCREENS / "rush-viewer.png"), full_page=True)
        export = producer.request.get(f"{app.url}/api/media/" + _file_of(producer) + "/derush.csv")
        assert export.status == 200 and "00:00:00:00" in export.text()

        version_path = f"/projects/{world['project']}/versions/{world['v1']}"
        for page in (producer, editor):
            page.goto(app.url + version_path)
            expect(page.get_by_role("heading", level=1)).to_have_text("Review of v1")
            video_ready(page)
        expect(producer.locator("#version-stack")).to_contain_text("v2")

        press(producer, ".", 50)  # frame 50 at 25 fps: 2.0 s
        expect(producer.locator("#send-comment")).to_have_text("Comment at 0:02.0")
        producer.get_by_label("Comment").fill("Cut to the logo here")
        producer.locator("#send-comment").click()
        expect(producer.locator("#comments")).to_contain_text("Cut to the logo here")
        expect(editor.locator("#comments")).to_contain_text("Cut to the logo here")  # live
        expect(editor.locator(".comment-time")).to_have_text("0:02.0")

        # The editor is at the start; clicking the comment's time takes the player there.
        expect(editor.locator("#send-comment")).to_have_text("Comment at 0:00.0")
        editor.locator(".comment-time").click()
        expect(editor.locator("#send-comment")).to_have_text("Comment at 0:02.0")
        assert abs(editor.evaluate("document.querySelector('video').currentTime") - 2.0) < 0.1
        expect(editor.locator(".review-comment.active")).to_contain_text("Cut to the logo here")

        editor.locator(".review-comment").get_by_role("button", name="Reply").click()
        editor.get_by_label("Reply").fill("Done in v2")
        editor.get_by_label("Reply").press("Enter")
        expect(producer.locator("#comments")).to_contain_text("Done in v2")
        producer.locator(".review-comment").first.get_by_role("button", name="Resolve").click()
        expect(editor.locator("#comments")).to_contain_text("Resolved")

        expect(editor.locator("#approve")).to_have_count(0)  # the producer decides
        producer.locator("#approve").click()
        expect(producer.locator("#approved-badge")).to_be_visible()
        expect(editor.locator("#approved-badge")).to_be_visible()
        producer.screenshot(path=str(SCREENS / "version-review.png"), full_page=True)
        producer.locator("#compare").select_option(label="v2")
        expect(producer.locator("#comparison video")).to_have_count(2)
        producer.screenshot(path=str(SCREENS / "version-compare.png"), full_page=True)
    finally:
        producer_context.close()
        editor_context.close()
    with services_of(app.data_dir):
        from studio_app.database import session_scope
        from studio_app.models.media import MediaAsset
        from studio_app.models.projects import Project

        with session_scope() as session:
            assert session.get(Project, world["project"]).stage == "approved"
            assert session.get(MediaAsset, world["v1"]).approved_at is not None


def test_the_pages_fit_a_phone(browser, app, world):
    context, page = signed_in_page(browser, app, world["editor"],
                                   f"/projects/{world['project']}/versions/{world['v1']}", viewport=(390, 844))
    try:
        expect(page.get_by_role("heading", level=1)).to_have_text("Review of v1")
        assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth + 1")
        page.screenshot(path=str(SCREENS / "version-review-phone.png"), full_page=True)
        page.goto(f"{app.url}/projects/{world['project']}/rushes/{world['rush']}")
        expect(page.get_by_role("heading", level=1)).to_have_text("Derush")
        expect(page.locator("#derush-list-empty")).to_be_visible()
        assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth + 1")
        page.screenshot(path=str(SCREENS / "rush-viewer-phone.png"), full_page=True)
    finally:
        context.close()


def _file_of(page) -> str:
    href = page.get_by_role("link", name="Download as CSV").get_attribute("href")
    return href.split("/")[3]
