"""Two people walk the main journeys in Chromium (sign up, sign in, create a project with a brief, invite, accept,
chat both ways, account and privacy pages); then every byte of the state store, on disk and in Redis, is
scanned: none of their emails, names, message texts, titles, brief, user agent or session cookies appears."""

import re
import shutil
import stat
import time
import uuid

import pytest
from playwright.sync_api import expect

from studio_app.settings import PROJECT_ROOT, load_settings
from tests.e2e.journeys import create_account, new_email, open_form, sign_in, sign_up_and_verify
from tests.support.liveapp import live_app
from tests.support.services import reachable_redis_url
from tests.support.state_store import disk_dump, opened_redis, opened_tab, redis_dump, states_dir

_TAG = "".join(chr(ord("a") + int(digit, 16)) for digit in uuid.uuid4().hex[:8])  # letters: names accept them
USER_AGENT = f"Mozilla/5.0 (X11; Linux x86_64) SealedProbe/{_TAG}"


@pytest.fixture(scope="module")
def redis_app(tmp_path_factory):
    """A whole app on Redis. Its frontend is built in a folder of its own: the shared one serves the other
    tests' app, whose pages must keep pointing at it."""
    work = tmp_path_factory.mktemp("sealed-redis")
    web, shared = work / "web", PROJECT_ROOT / ".web"
    if shared.is_dir():  # start from the built one (its packages linked, not copied)
        shutil.copytree(shared, web, symlinks=True, ignore=shutil.ignore_patterns("node_modules"))
        (web / "node_modules").symlink_to(shared / "node_modules")
    with live_app(work, {"STUDIO_REDIS_URL": reachable_redis_url(), "REFLEX_WEB_WORKDIR": str(web)}) as running:
        yield running


def send(page, text: str):
    page.get_by_label("Message").fill(text)
    page.get_by_role("button", name="Send").click()


def walk_the_journeys(browser, app) -> tuple[list[str], list[str], list[str]]:
    """What the two people typed and were shown (the values the store must not reveal), their session cookies,
    and their tabs' client tokens."""
    settings = load_settings({"STUDIO_DATA_DIR": str(app.data_dir), "STUDIO_PUBLIC_URL": app.url})
    producer_email, editor_email = new_email(), new_email()
    producer_name, editor_name = f"Prudence Sealed{_TAG}", f"Edmund Sealed{_TAG}"
    title, brief = f"Sealed teaser {_TAG}", f"Cut the {_TAG} rushes into thirty seconds"
    first, second = f"Hello {_TAG}, the rushes are uploaded", f"Thanks, starting the {_TAG} derush"
    producer_context = browser.new_context(user_agent=USER_AGENT)
    editor_context = browser.new_context(user_agent=USER_AGENT)
    try:
        producer, editor = producer_context.new_page(), editor_context.new_page()
        sign_up_and_verify(producer, app, settings, producer_email, name=producer_name, role="producer")
        create_account(app, editor_email, name=editor_name, role="editor")
        sign_in(producer, app, producer_email, next_path="/projects/new")
        sign_in(editor, app, editor_email, next_path="/dashboard")
        producer.get_by_label("Title").fill(title)
        producer.locator("#field-brief").fill(brief)
        producer.get_by_role("button", name="Create project").click()
        expect(producer).to_have_url(re.compile(r"/projects/[0-9a-f]{32}/?$"))
        expect(producer.locator("#brief")).to_contain_text(brief)
        project_url = producer.url
        producer.get_by_label("Editor's email").fill(editor_email)
        producer.get_by_role("button", name="Invite").click()
        expect(producer.get_by_text("Invitation sent.")).to_be_visible()
        editor.goto(app.url + "/invitations")
        editor.get_by_role("button", name="Accept").click()
        expect(editor).to_have_url(re.compile(r"/projects/[0-9a-f]{32}/?$"))
        producer.goto(project_url)
        send(producer, first)
        expect(editor.locator("#thread-messages")).to_contain_text(first)
        send(editor, second)
        expect(producer.locator("#thread-messages")).to_contain_text(second)
        expect(producer.locator("#project-members")).to_contain_text(editor_name)
        for page, email in ((producer, producer_email), (editor, editor_email)):
            page.goto(app.url + "/account")
            expect(page.get_by_text(email)).to_be_visible()
            open_form(page, app.url + "/privacy-center")
            expect(page.locator("main")).to_contain_text(email)
        cookies = [cookie["value"] for context in (producer_context, editor_context)
                   for cookie in context.cookies() if cookie["name"] == "studio_session"]
        assert len(cookies) == 2
        tokens = [page.evaluate("window.sessionStorage.getItem('token')") for page in (producer, editor)]
    finally:
        producer_context.close()
        editor_context.close()
    shown = [producer_email, editor_email, producer_name, editor_name, title, brief, first, second, USER_AGENT,
             f"SealedProbe/{_TAG}"]
    return shown, cookies, tokens


def test_nothing_personal_is_readable_in_the_disk_store(browser, app):
    shown, cookies, tokens = walk_the_journeys(browser, app)
    # Opened with the app's keys, the tabs' stored states hold what the pages showed once the disk store wrote
    # them (a moment after each event): the scan then looks at the right place.
    deadline, opened = time.monotonic() + 15, b""
    while not all(value.encode() in opened for value in shown[:4]) and time.monotonic() < deadline:
        time.sleep(0.3)
        opened = b"".join(opened_tab(app.data_dir, token) for token in tokens)
    assert all(value.encode() in opened for value in shown[:4])
    assert [cookie for cookie in cookies if cookie.encode() in opened] == []
    folder = states_dir(app.data_dir)
    stored, files = disk_dump(app.data_dir), [path for path in folder.iterdir() if path.is_file()]
    assert [secret for secret in shown + cookies + tokens if secret.encode() in stored] == []
    assert stat.S_IMODE(folder.stat().st_mode) == 0o700
    assert {stat.S_IMODE(path.stat().st_mode) for path in files} == {0o600}
    assert all(path.read_bytes()[:1] == b"\x01" for path in files)  # every file is a sealed blob


@pytest.mark.redis
def test_nothing_personal_is_readable_in_the_redis_store(browser, redis_app, redis_url):
    shown, cookies, _ = walk_the_journeys(browser, redis_app)
    stored = redis_dump(redis_url)  # Redis is written before each event's update leaves
    # The client tokens are the keys' names in Redis (as Reflex names them); what is stored under them is sealed.
    assert [secret for secret in shown + cookies if secret.encode() in stored] == []
    opened = opened_redis(redis_app.data_dir, redis_url)
    assert all(value.encode() in opened for value in shown[:4])
    assert [cookie for cookie in cookies if cookie.encode() in opened] == []
