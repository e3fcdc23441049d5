"""Media on the project page, as two people use it: the producer uploads rushes with Uppy (tus), sees their progress,
pauses and resumes one; the editor sees them appear, and the queue's worker process them to ready, without
reloading; a file that is not a video is refused with the server's reason, a damaged one fails in processing with
its reason. At the socket: a second tab receives a status change made
by another process (the queue worker), through the media watcher."""

import hashlib
import json
import re
import subprocess
import time
import uuid
from pathlib import Path

import pytest
from playwright.sync_api import expect

from studio_app.services import media_library
from studio_app.state.media import MediaState
from tests.e2e.journeys import new_email, sign_in
from tests.support.accounts import STRONG_PASSWORD
from tests.support.live_clients import LiveClient, handler_name, run_in_own_loop, services_of, session_cookie
from tests.support.media import add_media, asset, set_status
from tests.support.projects import add_editor, call, new_project, person

SCREENS = Path("/work/notes/screens")


@pytest.fixture(scope="module")
def videos(tmp_path_factory) -> dict[str, Path]:
    """A small test pattern, a bigger clip of noise (incompressible: about 25 MB), a text file called .mp4 and the
    small one cut short."""
    folder = tmp_path_factory.mktemp("videos")
    small, big, fake = folder / "small-take.mp4", folder / "big-take.mp4", folder / "notes.mp4"
    encode = ["-c:v", "libx264", "-preset", "ultrafast", "-pix_fmt", "yuv420p"]
    subprocess.run(["ffmpeg", "-loglevel", "error", "-y", "-f", "lavfi", "-i", "testsrc=size=320x240:rate=25",
                    "-f", "lavfi", "-i", "sine=frequency=440", "-t", "2", *encode, "-c:a", "aac", "-shortest",
                    str(small)], check=True)
    subprocess.run(["ffmpeg", "-loglevel", "error", "-y", "-f", "lavfi", "-i",
                    "color=c=gray:size=640x360:rate=25,noise=alls=100:allf=t", "-t", "3", *encode, "-qp", "0",
                    str(big)], check=True)
    fake.write_text("These are my notes, not a video.\n" * 200)
    cut = folder / "cut-take.mp4"
    cut.write_bytes(small.read_bytes()[:len(small.read_bytes()) * 6 // 10])
    return {"small": small, "big": big, "fake": fake, "cut": cut}


@pytest.fixture
def team(browser, app):
    """A producer and an editor of one project, each signed in on its page in their own browser."""
    with services_of(app.data_dir):
        from studio_app.settings import current_settings

        producer = person(current_settings(), producer_email := new_email(), name="Paula Producer")
        editor = person(current_settings(), editor_email := new_email(), role="editor", name="Eddie Editor")
        project = new_project(producer, "Harbour teaser", brief_markdown="Cut **30 s** from the rushes.")
        add_editor(producer, editor, project.id)
    contexts = [browser.new_context(viewport={"width": 1280, "height": 900}) for _ in range(2)]
    pages = [context.new_page() for context in contexts]
    for page, email in zip(pages, (producer_email, editor_email), strict=True):
        sign_in(page, app, email, next_path=f"/projects/{project.id}")
        expect(page.get_by_role("heading", level=1)).to_have_text("Harbour teaser")
        expect(page.locator("#upload-zone-rush[data-ready=true]")).to_be_visible()
    yield pages[0], pages[1], project, producer
    for context in contexts:
        context.close()


def throttle_uploads(page, bytes_per_second: int) -> None:
    """Slow the browser's uploads (Chromium's network emulation) so that progress and pausing can be seen."""
    cdp = page.context.new_cdp_session(page)
    cdp.send("Network.enable")
    cdp.send("Network.emulateNetworkConditions", {"offline": False, "latency": 0, "downloadThroughput": -1,
                                                   "uploadThroughput": bytes_per_second})


def screenshot(page, name: str) -> None:
    SCREENS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=SCREENS / name, full_page=True)


def test_upload_pause_resume_and_the_other_member_sees_them_live(team, app, videos):
    producer, editor, project, producer_actor = team
    expect(producer.locator("#rush-list-empty")).to_contain_text("No rushes yet")
    screenshot(producer, "media-empty.png")
    zone = producer.locator("#upload-zone-rush")
    zone.locator("input[type=file]").first.set_input_files([videos["small"], videos["big"]])
    expect(zone.locator(".uppy-Dashboard-Item")).to_have_count(2)
    throttle_uploads(producer, 3_000_000)
    zone.get_by_role("button", name=re.compile(r"Upload 2 files")).click()

    big = zone.locator(".uppy-Dashboard-Item", has_text="big-take.mp4")
    # Speed and time left while it runs, one progress indicator per file.
    expect(zone.locator(".uppy-StatusBar")).to_contain_text(re.compile(r"left"), timeout=20_000)
    screenshot(producer, "media-uploading.png")
    big.get_by_role("button", name="Pause upload").click()
    expect(big.get_by_role("button", name="Resume upload")).to_be_visible()
    expect(editor.locator("#rush-list")).to_contain_text("small-take.mp4", timeout=30_000)  # live, no reload
    expect(editor.locator("#rush-list")).not_to_contain_text("big-take.mp4")
    screenshot(producer, "media-paused.png")
    big.get_by_role("button", name="Resume upload").click()

    # The queue's consumer (its own process, started with the app) processes them: both tabs follow, no reload.
    for page in (producer, editor):
        expect(page.locator("#rush-list .media-item")).to_have_count(2, timeout=60_000)
    with services_of(app.data_dir):
        rushes = {view.name: view.id for view in call(media_library.list_project_media, producer_actor, project.id)}
        small_id, big_id = rushes["small-take.mp4"], rushes["big-take.mp4"]
    for page in (producer, editor):
        expect(page.locator(f"#media-{big_id}")).to_contain_text("Ready", timeout=120_000)
        expect(page.locator(f"#media-{big_id}")).to_contain_text("0:03 · 640\N{MULTIPLICATION SIGN}360")
        expect(page.locator(f"#media-{small_id}")).to_contain_text("0:02 · 320\N{MULTIPLICATION SIGN}240",
                                                                    timeout=120_000)
    expect(editor.locator(f"#media-{big_id} img")).to_be_visible()  # the poster processing made
    # The checksum computed while it streamed in is the file's own.
    expect(editor.locator(f"#media-{big_id} .media-checksum")).to_contain_text(
        hashlib.sha256(videos["big"].read_bytes()).hexdigest())
    # A ready rush opens in the rush viewer.
    expect(editor.locator(f"#media-{big_id}").get_by_role("link", name="big-take.mp4")).to_have_attribute(
        "href", f"/projects/{project.id}/rushes/{big_id}")
    expect(zone.locator(".upload-zone-refusals li")).to_have_count(0)

    # A run that stopped half-way (its consumer died): the reason shows, and Retry gets it processed again.
    with services_of(app.data_dir):
        set_status(small_id, "failed", progress=0, failure_reason="Processing stopped before the end.")
    small_row = editor.locator(f"#media-{small_id}")
    expect(small_row).to_contain_text("Processing stopped before the end.")
    screenshot(editor, "media-status-live.png")
    small_row.get_by_role("button", name="Retry processing small-take.mp4").focus()  # by keyboard
    editor.keyboard.press("Enter")
    for page in (producer, editor):  # the retry reaches the other tab, and the worker finishes it again
        expect(page.locator(f"#media-{small_id}")).to_contain_text("Ready", timeout=120_000)
        expect(page.locator(f"#media-{small_id}")).not_to_contain_text("stopped")
    editor.set_viewport_size({"width": 390, "height": 844})  # a phone: nothing wider than the screen
    expect(editor.locator(f"#media-{big_id}")).to_contain_text("Ready")
    assert editor.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
    screenshot(editor, "media-phone.png")


def test_a_damaged_video_fails_in_processing_with_a_reason_in_plain_words(team, videos):
    """It looks like a video (the upload's sniff lets it in); the worker finds it cut short."""
    producer, editor, _, _ = team
    zone = producer.locator("#upload-zone-version")
    zone.locator("input[type=file]").first.set_input_files([videos["cut"]])
    zone.get_by_role("button", name=re.compile(r"Upload 1 file")).click()
    for page in (producer, editor):
        expect(page.locator("#version-list")).to_contain_text("damaged or incomplete", timeout=120_000)
    expect(zone.locator(".upload-zone-refusals li")).to_have_count(0)


def test_an_upload_cut_off_by_a_closed_tab_continues_when_the_same_file_is_picked_again(team, app, videos):
    """The tab closes half-way: in a new tab of the same browser, the same file picked again continues from what the
    server stored (one upload, one media, the file's own checksum), it is not sent again from the start."""
    producer, editor, project, _ = team
    zone = producer.locator("#upload-zone-rush")
    zone.locator("input[type=file]").first.set_input_files([videos["big"]])
    throttle_uploads(producer, 3_000_000)
    zone.get_by_role("button", name=re.compile(r"Upload 1 file")).click()
    received = wait_for_received_bytes(app, project.id, at_least=8 * 1024 * 1024)  # a chunk or more stored
    context = producer.context
    producer.close()  # mid-upload

    again = context.new_page()
    again.goto(f"{app.url}/projects/{project.id}")
    zone = again.locator("#upload-zone-rush[data-ready=true]")
    zone.locator("input[type=file]").first.set_input_files([videos["big"]])
    expect(zone.locator(".upload-zone-notice")).to_contain_text("was already sent")
    zone.get_by_role("button", name=re.compile(r"Upload 1 file")).click()
    expect(editor.locator("#rush-list")).to_contain_text("big-take.mp4", timeout=60_000)
    with services_of(app.data_dir):
        from sqlmodel import select

        from studio_app.database import session_scope
        from studio_app.models.media import MediaAsset
        from studio_app.models.uploads import Upload

        with session_scope() as session:
            uploads = session.exec(select(Upload).where(Upload.project_id == project.id)).all()
            assets = session.exec(select(MediaAsset).where(MediaAsset.project_id == project.id)).all()
            assert len(uploads) == 1 and len(assets) == 1  # continued, not started again
            assert uploads[0].received_bytes == videos["big"].stat().st_size > received
            assert uploads[0].sha256 == hashlib.sha256(videos["big"].read_bytes()).hexdigest()


def wait_for_received_bytes(app, project_id: str, *, at_least: int) -> int:
    with services_of(app.data_dir):
        from sqlmodel import select

        from studio_app.database import session_scope
        from studio_app.models.uploads import Upload

        for _ in range(600):
            with session_scope() as session:
                received = session.exec(select(Upload.received_bytes).where(Upload.project_id == project_id)).first()
            if received and received >= at_least:
                return received
            time.sleep(0.1)
    raise AssertionError("the upload stored nothing within a minute")


def test_a_file_that_is_not_a_video_is_refused_with_the_reason(team, videos):
    producer, _, _, _ = team
    zone = producer.locator("#upload-zone-version")
    zone.locator("input[type=file]").first.set_input_files([videos["fake"]])
    zone.get_by_role("button", name=re.compile(r"Upload 1 file")).click()
    refusal = zone.locator(".upload-zone-refusals")
    expect(refusal).to_contain_text("notes.mp4")
    expect(refusal).to_contain_text("not a video we can use")
    screenshot(producer, "media-refused.png")
    expect(producer.locator("#version-list-empty")).to_contain_text("No version yet")


def test_a_second_tab_receives_a_status_change_made_by_another_process(app):
    """At the socket: the watcher of the live app pushes to the member's open tab; an outsider's tab gets nothing."""
    with services_of(app.data_dir):
        from studio_app.settings import current_settings

        producer = person(current_settings(), producer_email := new_email(), name="Paula Producer")
        person(current_settings(), outsider_email := new_email(), name="Olga Outsider")
        project = new_project(producer, "Socket teaser")
        asset_id = add_media(producer, project.id, "dock.mp4")
    path, marker = f"/projects/{project.id}", f"progress-{uuid.uuid4().hex[:6]}"

    async def scenario():
        member = await LiveClient(app.url, session_cookie(app.url, producer_email, STRONG_PASSWORD)).connect()
        stranger = await LiveClient(app.url, session_cookie(app.url, outsider_email, STRONG_PASSWORD)).connect()
        try:
            await member.call(handler_name(MediaState, "open"), {}, path, until=lambda update: "dock.mp4" in str(
                update))
            await stranger.call(handler_name(MediaState, "open"), {}, path)
            with services_of(app.data_dir):
                set_status(asset_id, "failed", failure_reason=marker)
            await member.wait_for(marker, timeout=15)
            return "\n".join(stranger.transcript)
        finally:
            await member.close()
            await stranger.close()

    assert marker not in run_in_own_loop(scenario())


@pytest.mark.parametrize("who", ["outsider", "signed out"])
def test_media_handlers_refuse_outsiders_and_reveal_nothing(app, who):
    """The access matrix for the media handlers: listing and retrying another project's media."""
    secret = f"Confidential-{uuid.uuid4().hex[:6]}.mp4"
    with services_of(app.data_dir):
        from studio_app.settings import current_settings

        producer = person(current_settings(), new_email(), name="Paula Producer")
        person(current_settings(), outsider_email := new_email(), name="Olga Outsider")
        project = new_project(producer, "Matrix teaser")
        failed = add_media(producer, project.id, secret, status="failed", failure_reason="Unreadable audio.")
    path = f"/projects/{project.id}"

    async def scenario() -> str:
        cookie = session_cookie(app.url, outsider_email, STRONG_PASSWORD) if who == "outsider" else None
        client = await LiveClient(app.url, cookie).connect()
        try:
            await client.call(handler_name(MediaState, "open"), {}, path)
            await client.call(handler_name(MediaState, "uploaded"), {"count": 1}, path)
            await client.call(handler_name(MediaState, "retry"), {"asset_id": failed}, path,
                              until=lambda update: "retrying_rx_state_\": \"\"" in json.dumps(update)
                              or "/signin" in json.dumps(update))
        finally:
            await client.close()
        return "\n".join(client.transcript)

    sent = run_in_own_loop(scenario())
    assert secret not in sent and "Unreadable audio" not in sent
    with services_of(app.data_dir):
        assert asset(failed).status == "failed"
