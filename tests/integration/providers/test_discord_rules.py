"""The Discord client against the sandbox: refusals (50007, 10015, 40005, 50035), rate limits, mentions, faults."""

import pytest

from studio_app.integrations.discord import split_message
from studio_app.integrations.providers import ProviderError
from tests.integration.providers.conftest import REDIRECT, connect_discord


def test_dm_to_a_user_who_refuses_dms_is_50007(sandbox, discord):
    grant = connect_discord(sandbox, discord, scopes=("identify",), refuses_dms=True)
    user = discord.current_user(grant.access_token)
    channel = discord.open_dm(user.id)
    with pytest.raises(ProviderError) as refused:
        discord.send_message(channel, "hello")
    assert (refused.value.status, refused.value.code, refused.value.retryable) == (403, "50007", False)
    assert sandbox.state()["discord"]["dms"] == []


def test_deleted_webhook_is_10015(sandbox, discord):
    hook = connect_discord(sandbox, discord).webhook
    sandbox.delete_webhook(hook.id)
    with pytest.raises(ProviderError) as dead:
        discord.execute_webhook(hook.id, hook.token, "hello")
    assert (dead.value.status, dead.value.code, dead.value.retryable) == (404, "10015", False)
    assert hook.token not in str(dead.value)


def test_attachments_up_to_10_mib_pass_and_above_are_413(sandbox, discord):
    hook = connect_discord(sandbox, discord).webhook
    discord.execute_webhook(hook.id, hook.token, "cover", file=("cover.jpg", b"j" * 1024, "image/jpeg"))
    [run] = sandbox.state()["discord"]["webhook_executions"]
    assert run["attachments"] == [{"filename": "cover.jpg", "size": 1024, "content_type": "image/jpeg"}]
    with pytest.raises(ProviderError) as too_big:
        discord.execute_webhook(hook.id, hook.token, "video", file=("v.mp4", b"v" * (10 * 1024 * 1024 + 1),
                                                                    "video/mp4"))
    assert (too_big.value.status, too_big.value.code) == (413, "40005")


def test_long_content_is_refused_and_split_pieces_pass(sandbox, discord):
    hook = connect_discord(sandbox, discord).webhook
    text = "line of text\n" * 400
    with pytest.raises(ProviderError) as refused:
        discord.execute_webhook(hook.id, hook.token, text)
    assert (refused.value.status, refused.value.code) == (400, "50035")
    for piece in split_message(text):
        discord.execute_webhook(hook.id, hook.token, piece)
    assert len(sandbox.state()["discord"]["webhook_executions"]) == 3


def test_mentions_never_ping(sandbox, discord):
    hook = connect_discord(sandbox, discord).webhook
    discord.execute_webhook(hook.id, hook.token, "@everyone <@&42> <@7> look")
    [run] = sandbox.state()["discord"]["webhook_executions"]
    assert run["allowed_mentions"] == {"parse": []} and run["would_ping"] == []


def test_rate_limit_answers_429_with_retry_after_and_headers(sandbox, discord):
    hook = connect_discord(sandbox, discord).webhook
    for _ in range(5):
        discord.execute_webhook(hook.id, hook.token, "hi")
    with pytest.raises(ProviderError) as limited:
        discord.execute_webhook(hook.id, hook.token, "hi")
    error = limited.value
    assert (error.status, error.retryable) == (429, True) and 0 < error.retry_after <= 2
    sandbox.advance_clock(2.1)
    discord.execute_webhook(hook.id, hook.token, "again")


def test_global_rate_limit_fault(sandbox, discord):
    grant = connect_discord(sandbox, discord, scopes=("identify",))
    user = discord.current_user(grant.access_token)
    sandbox.inject("discord.dm", "rate_limit", retry_after=3.5, **{"global": True})
    with pytest.raises(ProviderError) as limited:
        discord.open_dm(user.id)
    assert limited.value.retry_after == 3.5 and limited.value.retryable


@pytest.mark.parametrize(("kind", "code", "retryable", "reconnect"), [
    ("rate_limit", "http_429", True, False),
    ("server_error", "http_503", True, False),
    ("timeout", "timeout", True, False),
    ("drop_connection", "connection", True, False),
    ("expired_token", "http_401", False, True),
    ("revoked_token", "http_401", False, True),
])
def test_injected_faults(sandbox, discord, kind, code, retryable, reconnect):
    hook = connect_discord(sandbox, discord).webhook
    sandbox.inject("discord.webhook", kind, seconds=3)
    with pytest.raises(ProviderError) as failed:
        discord.execute_webhook(hook.id, hook.token, "hi")
    assert (failed.value.code, failed.value.retryable, failed.value.needs_reconnect) == (code, retryable, reconnect)
    discord.execute_webhook(hook.id, hook.token, "hi")  # used up


def test_refresh_rotates_and_revoke_ends_the_grant(sandbox, discord):
    grant = connect_discord(sandbox, discord, scopes=("identify",))
    renewed = discord.refresh(grant.refresh_token)
    with pytest.raises(ProviderError) as spent:
        discord.refresh(grant.refresh_token)
    assert spent.value.code == "invalid_grant" and spent.value.needs_reconnect
    discord.revoke(renewed.access_token)
    with pytest.raises(ProviderError) as revoked:
        discord.current_user(renewed.access_token)
    assert revoked.value.needs_reconnect


def test_cancelled_consent_redirects_with_access_denied(sandbox, discord):
    url = discord.authorization_url(redirect_uri=REDIRECT, scopes=("identify",), state="s")
    redirect = sandbox.authorize("discord", url, cancel=True)
    assert (redirect.error, redirect.state, redirect.code) == ("access_denied", "s", None)
