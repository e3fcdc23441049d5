import os
import shutil
from pathlib import Path

import pytest
from playwright.sync_api import expect, sync_playwright

from studio_app.settings import load_settings
from tests.e2e.page_checks import CheckedBrowser, PageChecks
from tests.support.liveapp import live_app

CHROMIUM = os.environ.get("STUDIO_TEST_CHROMIUM", "/usr/bin/chromium")
ARTIFACTS = Path(__file__).parent / "artifacts"
CHECKED_ROUTES = pytest.StashKey[set]()
CHROMIUM_ARGS = ["--no-sandbox", "--disable-background-networking", "--disable-component-update", "--disable-sync",
                 "--disable-gpu", "--no-first-run"]
# What a page shows after a round trip to the app: Playwright's 5 s default is short on a 2-core machine that
# builds or tests something else at the same time (CI shares it), and a wait ends as soon as the page shows it.
expect.set_options(timeout=15_000)


@pytest.fixture(scope="session")
def app(tmp_path_factory):
    """One app for the whole e2e run: built once, served in the background."""
    with live_app(tmp_path_factory.mktemp("live-app")) as running:
        try:
            yield running
        finally:  # kept with the screenshots for a failed run (the log holds nothing personal)
            ARTIFACTS.mkdir(exist_ok=True)
            shutil.copyfile(running.log, ARTIFACTS / "app.log")


@pytest.fixture(scope="session")
def page_checks(request) -> PageChecks:
    checks = PageChecks()
    request.config.stash[CHECKED_ROUTES] = checks.checked
    return checks


@pytest.fixture(scope="session")
def browser(page_checks):
    if not Path(CHROMIUM).exists():
        pytest.fail(f"Chromium is missing at {CHROMIUM}: `make test` installs it (apt-get install chromium)")
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield CheckedBrowser(browser, page_checks)
        browser.close()


@pytest.fixture(autouse=True)
def pages_pass_their_checks(request):
    """Set up before, so torn down after, the fixtures that open and close the test's browser contexts."""
    yield
    if "browser" in request.fixturenames:
        problems = request.getfixturevalue("page_checks").take_problems()
        if problems:
            pytest.fail("\n".join(problems), pytrace=False)


def pytest_terminal_summary(terminalreporter, config):
    checked = config.stash.get(CHECKED_ROUTES, None)
    if checked:
        terminalreporter.write_line(f"axe-core checked {len(checked)} routes: {', '.join(sorted(checked))}")


@pytest.fixture
def page(browser):
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    page = context.new_page()
    page.console_problems = []
    page.on("console", lambda message: message.type == "error" and page.console_problems.append(message.text))
    page.on("pageerror", lambda error: page.console_problems.append(str(error)))
    yield page
    context.close()


@pytest.fixture(scope="session")
def app_settings(app):
    """Settings that read the live app's data folder (its outbox and key files)."""
    return load_settings({"STUDIO_DATA_DIR": str(app.data_dir), "STUDIO_PUBLIC_URL": app.url})


@pytest.fixture
def artifacts() -> Path:
    ARTIFACTS.mkdir(exist_ok=True)
    return ARTIFACTS
