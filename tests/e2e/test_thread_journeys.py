"""The message box as people use it: a draft stays with its project, a double click posts once, Enter sends
(Shift+Enter starts a new line), and a long thread opens at its latest message."""

import re

import pytest
from playwright.sync_api import expect

from tests.e2e.journeys import new_email, sign_in
from tests.support.live_clients import services_of
from tests.support.projects import add_editor, new_project, person
from tests.support.threads import bulk_messages


@pytest.fixture
def producer_page(browser, app):
    """A signed-in producer with two projects (each with an editor), on the first one's page."""
    email = new_email()
    with services_of(app.data_dir):
        from studio_app.settings import current_settings

        producer = person(current_settings(), email, name="Paula Producer")
        editor = person(current_settings(), new_email(), role="editor", name="Eddie Editor")
        projects = [new_project(producer, title, brief_markdown="Cut **30 s** from the rushes.")
                    for title in ("Alpha teaser", "Beta teaser")]
        for project in projects:
            add_editor(producer, editor, project.id)
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    page = context.new_page()
    sign_in(page, app, email, next_path=f"/projects/{projects[0].id}")
    expect(page.get_by_role("heading", level=1)).to_have_text("Alpha teaser")
    page.producer, page.editor, page.projects = producer, editor, projects
    yield page
    context.close()


def open_project_from_the_list(page, title: str) -> None:
    """Moves inside the app (no reload), as people do: the page's states stay in the tab."""
    page.get_by_role("link", name="Projects", exact=True).first.click()
    page.get_by_role("link", name=title).click()
    expect(page.get_by_role("heading", level=1)).to_have_text(title)


def test_a_draft_stays_with_the_project_it_was_written_for(producer_page):
    page = producer_page
    box = page.get_by_label("Message")
    box.fill("Only for Alpha: the rough cut is late")
    page.get_by_role("button", name="Edit brief").click()  # the brief editor is Alpha's too
    open_project_from_the_list(page, "Beta teaser")
    expect(page.get_by_label("Message")).to_have_value("")
    expect(page.get_by_label("Brief")).to_have_count(0)
    expect(page.locator("#thread-empty")).to_be_visible()
    open_project_from_the_list(page, "Alpha teaser")
    expect(page.get_by_label("Message")).to_have_value("Only for Alpha: the rough cut is late")  # kept for later
    open_project_from_the_list(page, "Beta teaser")
    page.get_by_label("Message").fill("Hello Beta")
    page.get_by_role("button", name="Send").click()
    expect(page.locator("#thread-messages")).to_contain_text("Hello Beta")
    expect(page.locator("#thread-messages")).not_to_contain_text("Only for Alpha")


def test_a_double_click_on_send_posts_once(producer_page):
    page = producer_page
    page.get_by_label("Message").fill("Posted once whatever the clicks")
    page.get_by_role("button", name="Send").dblclick()
    expect(page.locator(".message", has_text="Posted once whatever the clicks")).to_have_count(1)
    # Events of a tab are handled in order: once the next message shows, the second click was handled too.
    page.get_by_label("Message").fill("The next message")
    page.get_by_role("button", name="Send").click()
    expect(page.locator("#thread-messages")).to_contain_text("The next message")
    expect(page.locator(".message", has_text="Posted once whatever the clicks")).to_have_count(1)
    page.reload()
    expect(page.locator("#thread-messages")).to_contain_text("The next message")
    expect(page.locator(".message", has_text="Posted once whatever the clicks")).to_have_count(1)


def test_enter_sends_and_shift_enter_starts_a_new_line(producer_page):
    page = producer_page
    box = page.get_by_label("Message")
    box.click()
    box.press_sequentially("First line")
    box.press("Shift+Enter")
    box.press_sequentially("second line")
    expect(box).to_have_value("First line\nsecond line")
    expect(page.locator("#thread-empty")).to_be_visible()  # nothing sent yet
    box.press("Enter")
    expect(page.locator(".message")).to_have_count(1)
    expect(page.locator(".message")).to_contain_text(re.compile(r"First line\s+second line"))
    expect(box).to_have_value("")


def test_a_long_thread_opens_at_its_latest_message(producer_page, app):
    page = producer_page
    with services_of(app.data_dir):
        bulk_messages(page.projects[1].id, [page.producer.user_id, page.editor.user_id], 80)
    open_project_from_the_list(page, "Beta teaser")
    expect(page.get_by_text("message 79", exact=True)).to_be_in_viewport()
    expect(page.get_by_text("message 30", exact=True)).not_to_be_in_viewport()  # the oldest of the window
    expect(page.get_by_label("Message")).to_be_in_viewport()
