"""Connected accounts in the browser: connect Discord and TikTok through the sandbox's consent pages, see them
listed with their scopes and the Sandbox badge, turn Discord messages on, disconnect."""

from playwright.sync_api import expect

from tests.e2e.journeys import create_account, new_email, sign_in


def on_connections(app):
    return lambda url: url.split("?")[0].rstrip("/") == app.url + "/account/connections"


def connect(page, app, provider: str, persona: str) -> None:
    card = page.locator(f"#connection-{provider}")
    card.get_by_role("button", name="Connect", exact=True).click()
    page.wait_for_url(lambda url: "/oauth2/authorize" in url or "/v2/auth/authorize/" in url)
    expect(page.locator(".note")).to_contain_text("Sandbox")
    page.get_by_label("Signed in as").fill(persona)
    page.get_by_role("button", name="Authorize").click()
    page.wait_for_url(on_connections(app))


def test_connect_both_accounts_see_their_scopes_and_disconnect(app, page):
    email = new_email()
    create_account(app, email, role="producer")
    sign_in(page, app, email, next_path="/account/connections")
    page.wait_for_url(on_connections(app))
    discord, tiktok = page.locator("#connection-discord"), page.locator("#connection-tiktok")
    expect(discord.get_by_text("Not connected")).to_be_visible()
    expect(tiktok.get_by_text("video.publish")).to_be_visible()  # what will be asked, before connecting

    connect(page, app, "discord", "Zoé on Discord")
    expect(page.get_by_text("Discord is connected.")).to_be_visible()
    expect(discord.get_by_text("Zoé on Discord")).to_be_visible()
    expect(discord.get_by_text("identify")).to_be_visible()
    expect(discord.locator(".sandbox-badge")).to_be_visible()

    connect(page, app, "tiktok", "Zoé on TikTok")
    expect(tiktok.get_by_text("Zoé on TikTok")).to_be_visible()
    for scope in ("user.info.basic", "video.publish"):
        expect(tiktok.get_by_text(scope)).to_be_visible()
    expect(tiktok.locator(".sandbox-badge")).to_be_visible()

    page.get_by_label("Send me my notifications as Discord direct messages").click()
    expect(page.get_by_label("Send me my notifications as Discord direct messages")).to_be_checked()

    discord.get_by_role("button", name="Disconnect Discord").click()
    expect(page.get_by_text("Discord is disconnected")).to_be_visible()
    expect(discord.get_by_text("Not connected")).to_be_visible()
    expect(tiktok.get_by_text("Connected", exact=True)).to_be_visible()


def test_cancelling_the_consent_connects_nothing(app, page):
    email = new_email()
    create_account(app, email, role="editor")
    sign_in(page, app, email, next_path="/account/connections")
    page.wait_for_url(on_connections(app))
    page.locator("#connection-tiktok").get_by_role("button", name="Connect", exact=True).click()
    page.wait_for_url(lambda url: "/v2/auth/authorize/" in url)
    page.get_by_role("button", name="Cancel").click()
    page.wait_for_url(on_connections(app))
    expect(page.get_by_text("You did not allow the studio on TikTok: nothing was connected.")).to_be_visible()
    expect(page.locator("#connection-tiktok").get_by_text("Not connected")).to_be_visible()
