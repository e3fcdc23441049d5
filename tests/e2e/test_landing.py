"""The landing page in a real browser against the running app."""

import pytest
from playwright.sync_api import expect
from websockets.exceptions import InvalidStatus
from websockets.sync.client import connect


def open_landing(page, app):
    response = page.goto(app.url + "/")
    assert response.status == 200
    return response


def test_landing_says_what_the_studio_is(page, app, artifacts):
    response = open_landing(page, app)
    expect(page.get_by_role("heading", level=1)).to_have_text("From raw footage to published video, together.")
    expect(page).to_have_title("Azekia Studio: video creators and editors, from rushes to publication")
    for step in ("Brief", "Rushes", "Derush", "Edit", "Review", "Publish"):
        expect(page.get_by_role("heading", name=step, exact=True)).to_be_visible()
    assert response.headers["x-content-type-options"] == "nosniff"
    assert "frame-ancestors 'none'" in response.headers["content-security-policy"]
    page.screenshot(path=artifacts / "landing.png", full_page=True)
    assert page.console_problems == []  # the content security policy blocks nothing the app needs


def test_audience_switch_goes_through_the_event_socket(page, app):
    open_landing(page, app)
    expect(page.locator("#benefits-producers")).to_be_visible()
    page.get_by_role("radio", name="For editors").click()
    expect(page.locator("#benefits-editors")).to_contain_text("Export review markers (CSV, EDL)")
    expect(page.locator("#benefits-producers")).to_have_count(0)
    assert page.console_problems == []


def test_header_and_footer_links_lead_somewhere_real(page, app):
    open_landing(page, app)
    page.get_by_role("link", name="Sign up").first.click()
    expect(page).to_have_url(app.url + "/signup")
    expect(page.get_by_role("heading", level=1)).to_have_text("Create your account")
    page.get_by_role("link", name="Azekia Studio home").click()
    expect(page).to_have_url(app.url + "/")
    page.get_by_role("banner").get_by_role("link", name="Sign in").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Sign in")
    page.get_by_role("link", name="Azekia Studio home").click()
    page.get_by_role("contentinfo").get_by_role("link", name="Privacy policy").click()
    expect(page).to_have_url(app.url + "/privacy")
    expect(page.get_by_role("heading", level=1)).to_have_text("Privacy policy")


def test_keyboard_users_can_skip_to_the_content(page, app):
    open_landing(page, app)
    page.keyboard.press("Tab")
    skip = page.get_by_role("link", name="Skip to content")
    expect(skip).to_be_focused()
    expect(skip).to_be_in_viewport()


def test_fits_a_phone_screen(browser, app, artifacts):
    context = browser.new_context(viewport={"width": 390, "height": 844}, is_mobile=True, has_touch=True)
    page = context.new_page()
    try:
        page.goto(app.url + "/")
        expect(page.get_by_role("heading", level=1)).to_be_visible()
        overflow = page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
        assert overflow <= 0, f"the page scrolls sideways by {overflow}px on a phone"
        page.screenshot(path=artifacts / "landing-phone.png", full_page=True)
    finally:
        context.close()


def open_event_socket(url: str, origin: str) -> str:
    # The sync client: Playwright's sync API already runs an event loop in this thread.
    with connect(url, origin=origin, open_timeout=10) as socket:
        return socket.recv(timeout=10)


def test_event_socket_refuses_a_foreign_origin(app):
    first_packet = open_event_socket(app.websocket_url, origin=app.url)
    assert first_packet.startswith("0{")  # engine.io "open": our own pages connect
    with pytest.raises(InvalidStatus) as refused:
        open_event_socket(app.websocket_url, origin="https://evil.example")
    assert refused.value.response.status_code == 403
