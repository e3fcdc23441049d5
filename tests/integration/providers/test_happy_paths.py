"""Every client call against the sandbox over real HTTP, on the paths where nothing goes wrong."""

import hashlib
import os

from studio_app.integrations.discord import DiscordClient
from studio_app.integrations.tiktok import TikTokClient, chunk_plan, new_code_verifier

REDIRECT = "http://localhost:3000/oauth/callback"


def test_discord_identify_dm_and_webhook(sandbox):
    client = DiscordClient(sandbox.discord_endpoints)
    url = client.authorization_url(redirect_uri=REDIRECT, scopes=("identify", "webhook.incoming"), state="s1")
    redirect = sandbox.authorize("discord", url, persona="Mira", channel="releases")
    assert redirect.state == "s1" and redirect.url.startswith(REDIRECT)
    grant = client.exchange_code(code=redirect.code, redirect_uri=REDIRECT)
    assert grant.scope == ("identify", "webhook.incoming") and grant.expires_in > 0
    assert grant.webhook is not None and grant.webhook.name == "#releases"
    user = client.current_user(grant.access_token)
    assert user.global_name == "Mira"

    channel_id = client.open_dm(user.id)
    message_id = client.send_message(channel_id, "Your version was approved <@123> @everyone")
    hook_message = client.execute_webhook(grant.webhook.id, grant.webhook.token, "Published!")

    state = sandbox.state()["discord"]
    assert [dm["id"] for dm in state["dms"]] == [message_id]
    assert state["dms"][0]["would_ping"] == []  # allowed_mentions {"parse": []}
    assert [run["id"] for run in state["webhook_executions"]] == [hook_message]
    assert state["webhook_executions"][0]["channel_id"] == grant.webhook.channel_id

    refreshed = client.refresh(grant.refresh_token)
    assert refreshed.access_token != grant.access_token
    client.revoke(refreshed.access_token)
    assert sandbox.state()["tokens"]["discord"]["Mira"] == {"issued": 1, "refreshed": 1, "revoked": 1}


def test_tiktok_connect_and_publish(sandbox):
    client = TikTokClient(sandbox.tiktok_endpoints)
    verifier = new_code_verifier()
    url = client.authorization_url(redirect_uri=REDIRECT, scopes=("user.info.basic", "video.publish"), state="t1",
                                   code_verifier=verifier)
    redirect = sandbox.authorize("tiktok", url, persona="Lou")
    grant = client.exchange_code(code=redirect.code, redirect_uri=REDIRECT, code_verifier=verifier)
    assert grant.scope == ("user.info.basic", "video.publish")
    assert (grant.expires_in, grant.refresh_expires_in) == (2 * 3600, 180 * 86400)
    assert client.user_info(grant.access_token).display_name == "Lou"
    info = client.creator_info(grant.access_token)
    assert "SELF_ONLY" in info.privacy_level_options

    video = os.urandom(12 * 1024 * 1024 + 12345)
    plan = chunk_plan(len(video), preferred=5 * 1024 * 1024)
    assert plan.total_chunk_count == 2
    init = client.init_upload(grant.access_token, post_info={"title": "Take 3", "privacy_level": "SELF_ONLY"},
                              video_size=plan.video_size, chunk_size=plan.chunk_size,
                              total_chunk_count=plan.total_chunk_count)
    for first, last in plan.ranges():
        client.upload_chunk(init.upload_url, video[first:last + 1], first_byte=first, last_byte=last,
                            total_size=len(video))
    status = client.publish_status(grant.access_token, init.publish_id)
    assert status.status in ("PROCESSING_UPLOAD", "PROCESSING_DOWNLOAD") and status.uploaded_bytes == len(video)
    sandbox.advance_clock(1)
    status = client.publish_status(grant.access_token, init.publish_id)
    assert status.status == "PUBLISH_COMPLETE" and len(status.post_ids) == 1
    [published] = sandbox.state()["tiktok"]["published"]
    assert published["sha256"] == hashlib.sha256(video).hexdigest()
    assert (published["title"], published["privacy_level"], published["open_id"]) == ("Take 3", "SELF_ONLY",
                                                                                     grant.open_id)
