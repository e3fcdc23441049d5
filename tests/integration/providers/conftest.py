import httpx
import pytest

from studio_app.integrations.discord import DiscordClient
from studio_app.integrations.tiktok import TikTokClient, new_code_verifier

REDIRECT = "http://localhost:3000/oauth/callback"


@pytest.fixture
def discord(sandbox):
    # A short time-out so that the injected ``timeout`` faults cost a second, not 30.
    with httpx.Client(timeout=httpx.Timeout(1.0)) as http:
        yield DiscordClient(sandbox.discord_endpoints, http=http)


@pytest.fixture
def tiktok(sandbox):
    with httpx.Client(timeout=httpx.Timeout(1.0)) as http:
        yield TikTokClient(sandbox.tiktok_endpoints, http=http)


def connect_discord(sandbox, client, persona="Mira", scopes=("identify", "webhook.incoming"), **consent):
    url = client.authorization_url(redirect_uri=REDIRECT, scopes=scopes, state="state")
    redirect = sandbox.authorize("discord", url, persona=persona, **consent)
    return client.exchange_code(code=redirect.code, redirect_uri=REDIRECT)


def connect_tiktok(sandbox, client, persona="Lou", scopes=("user.info.basic", "video.publish")):
    verifier = new_code_verifier()
    url = client.authorization_url(redirect_uri=REDIRECT, scopes=scopes, state="state", code_verifier=verifier)
    redirect = sandbox.authorize("tiktok", url, persona=persona)
    return client.exchange_code(code=redirect.code, redirect_uri=REDIRECT, code_verifier=verifier)
