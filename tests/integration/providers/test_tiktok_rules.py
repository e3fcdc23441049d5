"""The TikTok client against the sandbox: OAuth rules, chunk rules, the status trap, every injected fault."""

import hashlib
import os

import httpx
import pytest

from studio_app.integrations.providers import ProviderError
from studio_app.integrations.tiktok import MB, chunk_plan
from tests.integration.providers.conftest import REDIRECT, connect_tiktok

POST = {"title": "Take 3", "privacy_level": "SELF_ONLY"}


def publish(client, token, video: bytes, post_info=POST):
    plan = chunk_plan(len(video), preferred=5 * MB)
    init = client.init_upload(token, post_info=post_info, video_size=plan.video_size, chunk_size=plan.chunk_size,
                              total_chunk_count=plan.total_chunk_count)
    for first, last in plan.ranges():
        client.upload_chunk(init.upload_url, video[first:last + 1], first_byte=first, last_byte=last,
                            total_size=len(video))
    return init


def test_wrong_code_verifier_and_cancelled_consent(sandbox, tiktok):
    url = tiktok.authorization_url(redirect_uri=REDIRECT, scopes=("video.publish",), state="s",
                                   code_verifier="a" * 50)
    redirect = sandbox.authorize("tiktok", url)
    with pytest.raises(ProviderError) as refused:
        tiktok.exchange_code(code=redirect.code, redirect_uri=REDIRECT, code_verifier="b" * 50)
    assert refused.value.code == "invalid_request" and not refused.value.retryable
    cancelled = sandbox.authorize("tiktok", url, cancel=True)
    assert cancelled.error == "access_denied" and cancelled.state == "s" and cancelled.code is None


def test_refresh_rotates_and_the_old_refresh_token_is_spent(sandbox, tiktok):
    grant = connect_tiktok(sandbox, tiktok)
    renewed = tiktok.refresh(grant.refresh_token)
    assert renewed.refresh_token != grant.refresh_token and renewed.open_id == grant.open_id
    with pytest.raises(ProviderError) as spent:
        tiktok.refresh(grant.refresh_token)
    assert spent.value.code == "invalid_grant" and spent.value.needs_reconnect
    with pytest.raises(ProviderError) as old_access:
        tiktok.user_info(grant.access_token)
    assert old_access.value.code == "access_token_invalid"
    assert tiktok.user_info(renewed.access_token).open_id == grant.open_id
    assert sandbox.state()["tokens"]["tiktok"]["Lou"] == {"issued": 1, "refreshed": 1, "revoked": 0}


def test_access_token_expires_after_two_hours(sandbox, tiktok):
    grant = connect_tiktok(sandbox, tiktok)
    sandbox.advance_clock(2 * 3600 - 60)
    tiktok.creator_info(grant.access_token)
    sandbox.advance_clock(120)
    with pytest.raises(ProviderError) as expired:
        tiktok.creator_info(grant.access_token)
    assert (expired.value.status, expired.value.code, expired.value.needs_reconnect) == (
        401, "access_token_invalid", True)
    assert tiktok.refresh(grant.refresh_token).expires_in == 7200


def test_revoke_ends_the_grant(sandbox, tiktok):
    grant = connect_tiktok(sandbox, tiktok)
    tiktok.revoke(grant.access_token)
    with pytest.raises(ProviderError):
        tiktok.refresh(grant.refresh_token)
    assert sandbox.state()["tokens"]["tiktok"]["Lou"]["revoked"] == 1


def test_scopes_are_checked_per_endpoint(sandbox, tiktok):
    grant = connect_tiktok(sandbox, tiktok, scopes=("user.info.basic",))
    with pytest.raises(ProviderError) as refused:
        tiktok.creator_info(grant.access_token)
    assert refused.value.code == "scope_not_authorized"


@pytest.mark.parametrize(("size", "chunk", "count", "problem"), [
    (4 * MB, 2 * MB, 2, "under 5 MB"),
    (20 * MB, 4 * MB, 5, "between 5 MB and 64 MB"),
    (200 * MB, 65 * MB, 3, "between 5 MB and 64 MB"),
    (20 * MB, 5 * MB, 3, "rounded down"),
    (200 * MB, 10 * MB, 21, "rounded down"),
    (6000 * MB, 5 * MB, 1200, "1000 chunks"),
    (300 * MB, 64 * MB, 2, "rounded down"),
])
def test_init_refuses_chunk_rule_violations(sandbox, tiktok, size, chunk, count, problem):
    grant = connect_tiktok(sandbox, tiktok)
    with pytest.raises(ProviderError) as refused:
        tiktok.init_upload(grant.access_token, post_info=POST, video_size=size, chunk_size=chunk,
                           total_chunk_count=count)
    assert refused.value.code == "invalid_params" and problem in refused.value.message


def test_chunks_out_of_order_or_of_the_wrong_size_are_refused(sandbox, tiktok):
    grant = connect_tiktok(sandbox, tiktok)
    video = os.urandom(11 * MB)
    init = tiktok.init_upload(grant.access_token, post_info=POST, video_size=len(video), chunk_size=5 * MB,
                              total_chunk_count=2)
    with pytest.raises(ProviderError) as skipped:
        tiktok.upload_chunk(init.upload_url, video[5 * MB:], first_byte=5 * MB, last_byte=len(video) - 1,
                            total_size=len(video))
    assert skipped.value.status == 416
    with pytest.raises(ProviderError) as short:
        tiktok.upload_chunk(init.upload_url, video[:MB], first_byte=0, last_byte=MB - 1, total_size=len(video))
    assert short.value.status == 416
    response = httpx.put(init.upload_url, content=video[:5 * MB], headers={
        "Content-Type": "application/zip", "Content-Range": f"bytes 0-{5 * MB - 1}/{len(video)}"})
    assert response.status_code == 400
    tiktok.upload_chunk(init.upload_url, video[:5 * MB], first_byte=0, last_byte=5 * MB - 1, total_size=len(video))
    tiktok.upload_chunk(init.upload_url, video[5 * MB:], first_byte=5 * MB, last_byte=len(video) - 1,
                        total_size=len(video))
    assert tiktok.publish_status(grant.access_token, init.publish_id).uploaded_bytes == len(video)


def test_unaudited_app_posts_only_self_only(sandbox, tiktok):
    grant = connect_tiktok(sandbox, tiktok)
    public = {"title": "x", "privacy_level": "PUBLIC_TO_EVERYONE"}
    with pytest.raises(ProviderError) as refused:
        tiktok.init_upload(grant.access_token, post_info=public, video_size=MB, chunk_size=MB, total_chunk_count=1)
    assert refused.value.code == "unaudited_client_can_only_post_to_private_accounts"
    sandbox.configure(audited=True)
    tiktok.init_upload(grant.access_token, post_info=public, video_size=MB, chunk_size=MB, total_chunk_count=1)


def test_status_trap_failed_publish_answers_200_ok(sandbox, tiktok):
    grant = connect_tiktok(sandbox, tiktok)
    sandbox.inject("tiktok.publish", "publish_failed", reason="duration_check_failed")
    init = publish(tiktok, grant.access_token, os.urandom(MB))
    sandbox.advance_clock(1)
    status = tiktok.publish_status(grant.access_token, init.publish_id)  # no exception: HTTP 200, error.code "ok"
    assert (status.status, status.fail_reason, status.post_ids) == ("FAILED", "duration_check_failed", ())
    assert status.finished and sandbox.state()["tiktok"]["published"] == []
    assert sandbox.state()["calls"][-1] == {**sandbox.state()["calls"][-1], "route": "tiktok.status", "status": 200}


def test_rate_limits_per_token(sandbox, tiktok):
    grant = connect_tiktok(sandbox, tiktok)
    for _ in range(6):
        tiktok.init_upload(grant.access_token, post_info=POST, video_size=MB, chunk_size=MB, total_chunk_count=1)
    with pytest.raises(ProviderError) as limited:
        tiktok.init_upload(grant.access_token, post_info=POST, video_size=MB, chunk_size=MB, total_chunk_count=1)
    assert (limited.value.status, limited.value.code, limited.value.retryable) == (429, "rate_limit_exceeded", True)
    other = connect_tiktok(sandbox, tiktok, persona="Other")
    tiktok.init_upload(other.access_token, post_info=POST, video_size=MB, chunk_size=MB, total_chunk_count=1)
    sandbox.advance_clock(61)
    tiktok.init_upload(grant.access_token, post_info=POST, video_size=MB, chunk_size=MB, total_chunk_count=1)


@pytest.mark.parametrize(("kind", "code", "retryable", "reconnect"), [
    ("rate_limit", "rate_limit_exceeded", True, False),
    ("server_error", "internal_error", True, False),
    ("timeout", "timeout", True, False),
    ("drop_connection", "connection", True, False),
    ("expired_token", "access_token_invalid", False, True),
    ("revoked_token", "access_token_invalid", False, True),
])
def test_injected_faults_on_content_calls(sandbox, tiktok, kind, code, retryable, reconnect):
    grant = connect_tiktok(sandbox, tiktok)
    sandbox.inject("tiktok.creator_info", kind, retry_after=7, seconds=3)
    with pytest.raises(ProviderError) as failed:
        tiktok.creator_info(grant.access_token)
    error = failed.value
    assert (error.code, error.retryable, error.needs_reconnect) == (code, retryable, reconnect)
    if kind == "rate_limit":
        assert error.retry_after == 7
    if kind == "revoked_token":
        with pytest.raises(ProviderError):
            tiktok.creator_info(grant.access_token)
    else:
        tiktok.creator_info(grant.access_token)  # the fault was used up


@pytest.mark.parametrize("kind", ["expired_token", "revoked_token", "server_error"])
def test_injected_faults_on_refresh(sandbox, tiktok, kind):
    grant = connect_tiktok(sandbox, tiktok)
    sandbox.inject("tiktok.token", kind)
    with pytest.raises(ProviderError) as failed:
        tiktok.refresh(grant.refresh_token)
    assert failed.value.needs_reconnect == (kind != "server_error")
    assert failed.value.retryable == (kind == "server_error")


def test_a_chunk_cut_off_midway_can_be_sent_again(sandbox, tiktok):
    grant = connect_tiktok(sandbox, tiktok)
    video = os.urandom(12 * MB)
    init = tiktok.init_upload(grant.access_token, post_info=POST, video_size=len(video), chunk_size=6 * MB,
                              total_chunk_count=2)
    tiktok.upload_chunk(init.upload_url, video[:6 * MB], first_byte=0, last_byte=6 * MB - 1, total_size=len(video))
    sandbox.inject("tiktok.upload", "drop_connection")
    with pytest.raises(ProviderError) as dropped:
        tiktok.upload_chunk(init.upload_url, video[6 * MB:], first_byte=6 * MB, last_byte=len(video) - 1,
                            total_size=len(video))
    assert dropped.value.code == "connection" and dropped.value.retryable
    assert tiktok.publish_status(grant.access_token, init.publish_id).uploaded_bytes == 6 * MB
    tiktok.upload_chunk(init.upload_url, video[6 * MB:], first_byte=6 * MB, last_byte=len(video) - 1,
                        total_size=len(video))
    sandbox.advance_clock(1)
    assert tiktok.publish_status(grant.access_token, init.publish_id).status == "PUBLISH_COMPLETE"
    assert sandbox.state()["tiktok"]["published"][0]["sha256"] == hashlib.sha256(video).hexdigest()


def test_control_api_needs_the_secret(sandbox):
    assert httpx.get(f"{sandbox.url}/_sandbox/state").status_code == 403
    assert httpx.post(f"{sandbox.url}/_sandbox/reset", headers={"X-Sandbox-Secret": "wrong"}).status_code == 403


def test_sink_reads_and_hashes_a_raw_put(sandbox):
    """The upload benchmark's baseline: a raw PUT of the same bytes, streamed."""
    body = os.urandom(3 * MB)
    answer = httpx.put(f"{sandbox.url}/_sandbox/sink", content=body, headers={"X-Sandbox-Secret": sandbox.secret})
    assert answer.json() == {"bytes": len(body), "sha256": hashlib.sha256(body).hexdigest()}
