"""Producer and editor in two browsers: create, invite, accept, chat both ways live, unread badge, stages."""

import re

import pytest
from playwright.sync_api import expect

from studio_app.security.cookies import cookie_register
from tests.e2e.journeys import at, create_account, new_email, open_form, sign_in
from tests.support.accounts import last_mail_to


@pytest.fixture
def two_people(browser, app, app_settings):
    producer_context, editor_context = browser.new_context(), browser.new_context()
    producer, editor = producer_context.new_page(), editor_context.new_page()
    producer_email, editor_email = new_email(), new_email()
    create_account(app, producer_email, name="Paula Producer", role="producer")
    create_account(app, editor_email, name="Eddie Editor", role="editor")
    sign_in(producer, app, producer_email, next_path="/projects/new")
    sign_in(editor, app, editor_email, next_path="/dashboard")
    yield producer, editor, editor_email
    producer_context.close()
    editor_context.close()


def send(page, text: str):
    page.get_by_label("Message").fill(text)
    page.get_by_role("button", name="Send").click()
    # Taken: the box empties at once, so what is typed next is a new message (even before this one is posted).
    expect(page.get_by_label("Message")).to_have_value("")


def test_invite_accept_and_chat_in_real_time(two_people, app, app_settings, artifacts):
    producer, editor, editor_email = two_people
    producer.get_by_label("Title").fill("Spring teaser")
    producer.locator("#field-brief").fill("Cut a **30 s** teaser from the rushes. <script>alert(1)</script>")
    producer.get_by_role("button", name="Create project").click()
    expect(producer).to_have_url(re.compile(r"/projects/[0-9a-f]{32}/?$"))
    expect(producer.get_by_role("heading", level=1)).to_have_text("Spring teaser")
    expect(producer.locator("#thread-empty")).to_be_visible()
    assert producer.locator("script", has_text="alert(1)").count() == 0  # the brief renders without raw HTML
    producer.get_by_role("button", name="Edit brief").click()
    producer.get_by_label("Brief").fill("Cut a **45 s** teaser; see [the guide](https://example.com/guide).")
    producer.get_by_role("button", name="Save brief").click()
    expect(producer.locator("#brief")).to_contain_text("Cut a 45 s teaser")
    expect(producer.locator("#brief a")).to_have_attribute("rel", "noopener noreferrer nofollow")
    project_url = producer.url

    producer.get_by_label("Editor's email").fill(editor_email)
    producer.get_by_role("button", name="Invite").click()
    expect(producer.get_by_text("Invitation sent.")).to_be_visible()

    editor.goto(app.url + "/invitations")
    expect(editor.locator(".invitation")).to_contain_text("Spring teaser")
    editor.get_by_role("button", name="Accept").click()
    expect(editor).to_have_url(re.compile(r"/projects/[0-9a-f]{32}/?$"))
    expect(editor.get_by_role("heading", level=1)).to_have_text("Spring teaser")
    producer.goto(project_url)
    expect(producer.locator("#project-members")).to_contain_text("Eddie Editor")

    send(producer, "Hello Eddie, the rushes are uploaded.")
    expect(producer.locator("#thread-messages")).to_contain_text("Hello Eddie, the rushes are uploaded.")
    expect(producer.get_by_label("Message")).to_have_value("")  # the sent draft leaves the box
    expect(editor.locator("#thread-messages")).to_contain_text("Hello Eddie, the rushes are uploaded.")
    editor.get_by_role("button", name=re.compile("Paula Producer")).click()  # mention her
    send(editor, "Thanks Paula! Starting the derush now.")
    expect(producer.locator("#thread-messages")).to_contain_text("Starting the derush now.")
    expect(producer.locator("#thread-messages")).to_contain_text("@Paula Producer")
    expect(editor.locator(".message")).to_have_count(2)  # each message once, no duplicate from the push

    editor.get_by_role("button", name="Derush").click()
    expect(editor.locator("#project-timeline")).to_contain_text("moved the project to Derush")
    expect(producer.locator("#project-timeline")).to_contain_text("moved the project to Derush")  # live
    producer.screenshot(path=artifacts / "project.png", full_page=True)

    editor.goto(app.url + "/dashboard")
    expect(editor.locator("#unread-badge")).to_have_count(0)
    send(producer, "One more note for you.")
    expect(editor.locator("#unread-badge")).to_have_text("1")  # arrives without a reload
    editor.get_by_role("link", name="Notifications").click()
    expect(editor.locator("#notification-list")).to_contain_text("Paula Producer posted in")

    # After a whole journey, each browser holds exactly the cookies the cookies page lists, no more.
    registered = {spec.name for spec in cookie_register(app_settings)}
    for page in (producer, editor):
        assert {cookie["name"] for cookie in page.context.cookies()} == registered
    editor.goto(app.url + "/cookies")
    for name in registered:
        expect(editor.locator("#cookie-table")).to_contain_text(name)


def test_outsiders_see_nothing_of_a_project(two_people, browser, app, app_settings):
    producer, editor, _ = two_people
    producer.get_by_label("Title").fill("Secret teaser")
    producer.get_by_role("button", name="Create project").click()
    expect(producer).to_have_url(re.compile(r"/projects/[0-9a-f]{32}/?$"))
    editor.goto(producer.url)  # not invited
    expect(editor.get_by_text("This project does not exist or you are not one of its members.")).to_be_visible()
    expect(editor.get_by_text("Secret teaser")).to_have_count(0)
    visitor = browser.new_context()
    try:
        page = visitor.new_page()
        page.goto(producer.url)
        expect(page).to_have_url(re.compile(r"/signin\?next=/projects/"))
    finally:
        visitor.close()
    expect(editor).not_to_have_url(at(app, "/signin"))


def test_editor_profile_and_directory(two_people, app, artifacts):
    producer, editor, _ = two_people
    producer.get_by_label("Title").fill("Podcast clips")
    producer.get_by_role("button", name="Create project").click()
    expect(producer).to_have_url(re.compile(r"/projects/[0-9a-f]{32}/?$"))

    editor.goto(app.url + "/profile")
    editor.get_by_label("Headline").fill("Punchy short-form edits with motion design")
    editor.get_by_role("checkbox", name="motion design").click()
    editor.get_by_role("checkbox", name="DaVinci Resolve").click()
    editor.get_by_label("Languages").fill("en, fr")
    editor.get_by_label("Day rate").fill("320")
    editor.get_by_role("button", name="Save profile").click()
    expect(editor.get_by_text("Profile saved.")).to_be_visible()

    open_form(producer, app.url + "/directory")
    producer.locator("#field-skill").select_option("motion design")
    producer.locator("#field-language").select_option("fr")
    producer.get_by_role("button", name="Search").click()
    entry = producer.locator(".directory-entry", has_text="Eddie Editor")
    expect(entry).to_contain_text("Punchy short-form edits")
    expect(entry).to_contain_text("320 EUR / day")
    producer.screenshot(path=artifacts / "directory.png", full_page=True)
    entry.get_by_role("button", name="Invite to project").click()
    expect(producer.get_by_text("Invitation sent.")).to_be_visible()
    producer.locator("#field-skill").select_option("subtitles")
    producer.get_by_role("button", name="Search").click()
    expect(producer.locator(".directory-entry", has_text="Eddie Editor")).to_have_count(0)

    editor.goto(app.url + "/invitations")
    expect(editor.locator(".invitation")).to_contain_text("Podcast clips")


def test_an_emailed_invitation_link_brings_a_newcomer_into_the_project(two_people, browser, app, app_settings,
                                                                        artifacts):
    producer, _, _ = two_people
    producer.get_by_label("Title").fill("Newcomer welcome")
    producer.get_by_role("button", name="Create project").click()
    expect(producer).to_have_url(re.compile(r"/projects/[0-9a-f]{32}/?$"))
    newcomer_email = new_email()
    producer.get_by_label("Editor's email").fill(newcomer_email)
    producer.get_by_role("button", name="Invite").click()
    expect(producer.get_by_text("Invitation sent.")).to_be_visible()
    mail = last_mail_to(app_settings, newcomer_email)
    link = re.search(r"/invitations/[A-Za-z0-9_\-]+", mail.text).group(0)

    context = browser.new_context()
    try:
        newcomer = context.new_page()
        newcomer.goto(app.url + link)
        expect(newcomer).to_have_url(re.compile(r"/signin\?next=/invitations/"))  # sign in (or up) first
        create_account(app, newcomer_email, name="Nina Newcomer", role="editor")
        sign_in(newcomer, app, newcomer_email, next_path=link)
        expect(newcomer.get_by_role("heading", name="You are invited to a project")).to_be_visible()
        expect(newcomer.locator("#invitation-summary")).to_have_text(  # says who invites to what
            "Paula Producer invites you to edit “Newcomer welcome” with them on Azekia Studio. Join to see the "
            "brief and the project's thread.")
        newcomer.set_viewport_size({"width": 390, "height": 844})
        newcomer.screenshot(path=artifacts / "invitation-link-phone.png")
        newcomer.get_by_role("button", name="Join the project").click()
        expect(newcomer.get_by_role("heading", level=1)).to_have_text("Newcomer welcome")
        newcomer.goto(app.url + link)
        expect(newcomer.get_by_role("alert")).to_contain_text("already used")  # a link works once, and says so
        expect(newcomer.get_by_role("button", name="Join the project")).to_have_count(0)
    finally:
        context.close()


def test_member_pages_fit_a_phone(two_people, app, artifacts):
    producer, _, _ = two_people
    producer.get_by_label("Title").fill("Phone check")
    producer.get_by_role("button", name="Create project").click()
    expect(producer).to_have_url(re.compile(r"/projects/[0-9a-f]{32}/?$"))
    project_url = producer.url
    producer.set_viewport_size({"width": 390, "height": 844})
    for url in (project_url, app.url + "/dashboard", app.url + "/projects", app.url + "/directory",
                app.url + "/notifications", app.url + "/account"):
        producer.goto(url)
        expect(producer.get_by_role("heading", level=1)).to_be_visible()
        overflow = producer.evaluate("document.documentElement.scrollWidth - window.innerWidth")
        assert overflow <= 0, f"{url} scrolls sideways by {overflow}px on a phone"
    producer.goto(project_url)
    expect(producer.get_by_label("Message")).to_be_visible()
    producer.screenshot(path=artifacts / "project-phone.png", full_page=True)
