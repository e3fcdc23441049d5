"""Publishing over real HTTP to the sandbox providers: the whole flow, each injected fault, resuming after a crash
with exactly one post, cancel and reschedule, and what the composer's service refuses."""

from __future__ import annotations

import hashlib

import pytest
from sqlmodel import select

from studio_app.database import session_scope
from studio_app.jobs import publications as publication_jobs
from studio_app.models.projects import Notification
from studio_app.models.publications import Publication
from studio_app.services import publications
from studio_app.services.files import read_blob
from studio_app.services.publications import TikTokSettings
from studio_app.services.publishing import claim
from studio_app.services.validation import InvalidInput
from tests.support.projects import call
from tests.support.publications import destinations, status_of, steps, world

PRIVATE = TikTokSettings(privacy_level="SELF_ONLY")


@pytest.fixture(autouse=True)
def quick_retries(monkeypatch):
    monkeypatch.setattr(publication_jobs, "BASE_DELAY_SECONDS", 0.2)
    monkeypatch.setattr(publication_jobs, "POLL_FIRST_SECONDS", 0.2)


def schedule(w, destinations=("tiktok", "discord"), **overrides):
    values = {"destinations": list(destinations), "caption": "Our launch teaser #studio", "when": "",
              "time_zone": "Europe/Paris", "tiktok": PRIVATE, "consent": True} | overrides
    return call(publications.schedule, w.producer, w.project_id, w.asset_id, **values)


def sha256_of_original(asset_id: str) -> str:
    from studio_app.models.files import StoredFile
    from studio_app.models.media import MediaAsset
    from studio_app.services import files

    with session_scope() as session:
        original = session.get(StoredFile, session.get(MediaAsset, asset_id).file_id)
        digest = hashlib.sha256()
        for chunk in read_blob(original, files.key_of(session, original)):
            digest.update(chunk)
        return digest.hexdigest()


def notifications_of(user_id: str) -> list[str]:
    with session_scope() as session:
        return list(session.exec(select(Notification.kind).where(Notification.user_id == user_id)).all())


def test_publishing_posts_once_to_tiktok_then_announces_on_discord(app, sandbox):
    w = world(app, sandbox)
    view = schedule(w)
    assert publication_jobs.run_publication(view.id) == "done"
    published = sandbox.state()["tiktok"]["published"]
    assert len(published) == 1
    assert published[0]["sha256"] == sha256_of_original(w.asset_id)
    assert (published[0]["title"], published[0]["privacy_level"]) == ("Our launch teaser #studio", "SELF_ONLY")
    [execution] = sandbox.state()["discord"]["webhook_executions"]
    assert "Our launch teaser" in str(execution)
    rows = destinations(view.id)
    assert rows["tiktok"].status == rows["discord"].status == "done"
    assert rows["discord"].message_id
    names = [step.name for step in steps(rows["tiktok"].id)]
    assert names == ["creator_info", "init", "upload", "status"]
    assert all(step.status == "done" for step in steps(rows["tiktok"].id))
    assert notifications_of(w.producer.user_id).count("published") == 1
    # Running it again (a duplicate task) sends nothing more.
    assert publication_jobs.run_publication(view.id) is None
    assert len(sandbox.state()["tiktok"]["published"]) == 1


@pytest.mark.parametrize("kind", ["rate_limit", "server_error", "drop_connection"])
def test_a_retryable_fault_is_retried_and_posts_once(app, sandbox, kind):
    w = world(app, sandbox, size=6 * 1024 * 1024, discord=False)
    view = schedule(w, ["tiktok"])
    sandbox.inject("tiktok.upload" if kind == "drop_connection" else "tiktok.init", kind, retry_after=0.3)
    assert publication_jobs.run_publication(view.id) == "done"
    assert len(sandbox.state()["tiktok"]["published"]) == 1
    assert destinations(view.id)["tiktok"].attempts == 1


def test_a_status_timeout_is_retried(app, sandbox):
    w = world(app, sandbox, discord=False)
    view = schedule(w, ["tiktok"])
    sandbox.inject("tiktok.status", "timeout", seconds=40)
    assert publication_jobs.run_publication(view.id) == "done"
    assert len(sandbox.state()["tiktok"]["published"]) == 1


def test_after_the_last_retry_the_destination_fails_with_the_reason_and_the_producer_is_told(app, sandbox):
    w = world(app, sandbox, discord=False)
    view = schedule(w, ["tiktok"])
    sandbox.inject("tiktok.init", "server_error", times=publication_jobs.MAX_ATTEMPTS)
    assert publication_jobs.run_publication(view.id) == "failed"
    row = destinations(view.id)["tiktok"]
    assert row.status == "failed" and "after 4 tries" in row.failure_reason
    assert sandbox.state()["tiktok"]["published"] == []
    assert "publication_failed" in notifications_of(w.producer.user_id)


def test_a_failed_publish_answered_with_http_200_fails_with_the_reason(app, sandbox):
    w = world(app, sandbox)
    view = schedule(w)
    sandbox.inject("tiktok.publish", "publish_failed", reason="frame_rate_check_failed")
    assert publication_jobs.run_publication(view.id) == "failed"
    rows = destinations(view.id)
    assert rows["tiktok"].failure_reason == "TikTok does not accept this video's frame rate."
    assert rows["discord"].status == "failed"  # nothing to announce
    assert sandbox.state()["discord"]["webhook_executions"] == []
    assert "publication_failed" in notifications_of(w.producer.user_id)


def test_an_expired_token_is_refreshed_first(app, sandbox):
    w = world(app, sandbox, discord=False)
    view = schedule(w, ["tiktok"])
    sandbox.advance_clock(3 * 3600)  # the sandbox's access token expired; ours is refreshed before use
    from studio_app.models.base import utcnow
    from studio_app.models.connections import ConnectedAccount

    with session_scope() as session:
        row = session.exec(select(ConnectedAccount).where(ConnectedAccount.provider == "tiktok")).one()
        row.access_expires_at = utcnow()
        session.add(row)
    assert publication_jobs.run_publication(view.id) == "done"
    assert sandbox.state()["tokens"]["tiktok"]["Paula on TikTok"]["refreshed"] == 1


def test_a_revoked_grant_waits_for_a_reconnection_then_resumes(app, sandbox):
    from tests.support.publications import connect

    w = world(app, sandbox, discord=False)
    view = schedule(w, ["tiktok"])
    sandbox.inject("tiktok.creator_info", "revoked_token")
    assert publication_jobs.run_publication(view.id) == "running"
    row = destinations(view.id)["tiktok"]
    assert row.status == "needs_reconnect" and "reconnect" in row.failure_reason
    assert status_of(view.id) == "running"  # the schedule is kept
    assert publication_jobs.run_publication(view.id) == "running"  # still waiting: nothing sent
    assert sandbox.state()["tiktok"]["published"] == []
    connect(sandbox, w.producer, "tiktok", persona="Paula on TikTok")
    assert publication_jobs.run_publication(view.id) == "done"
    assert len(sandbox.state()["tiktok"]["published"]) == 1


def test_a_run_killed_mid_upload_restarts_on_a_new_init_and_posts_once(app, sandbox):
    """What a killed consumer leaves: an init recorded, its upload step started with a chunk sent and not the rest."""
    w = world(app, sandbox, size=40 * 1024 * 1024, discord=False)
    view = schedule(w, ["tiktok"])
    sandbox.inject("tiktok.upload", "drop_connection", times=publication_jobs.MAX_ATTEMPTS)
    assert publication_jobs.run_publication(view.id) == "failed"
    first = destinations(view.id)["tiktok"].publish_id
    # As if the consumer had died there: the destination is set back to running with its lease gone.
    with session_scope() as session:
        from studio_app.models.publications import PublicationDestination

        row = session.get(PublicationDestination, destinations(view.id)["tiktok"].id)
        row.status, row.attempts = "running", 0
        publication = session.get(Publication, view.id)
        publication.status, publication.lease_until = "running", None
    assert publication_jobs.run_publication(view.id) == "done"
    row = destinations(view.id)["tiktok"]
    assert row.publish_id != first
    [published] = sandbox.state()["tiktok"]["published"]
    assert published["publish_id"] == row.publish_id


def test_an_announcement_that_may_have_been_posted_is_reported_not_sent_again(app, sandbox):
    w = world(app, sandbox, tiktok=False)
    view = schedule(w, ["discord"])
    # A consumer died between committing the step and recording Discord's answer.
    with session_scope() as session:
        run = claim(session, view.id)
    from studio_app.services import publishing

    with session_scope() as session:
        publishing.start_step(session, view.id, run.destinations[0].id, "announce")
    with session_scope() as session:
        session.get(Publication, view.id).lease_until = None
    assert publication_jobs.run_publication(view.id) == "failed"
    assert "check the channel" in destinations(view.id)["discord"].failure_reason
    assert sandbox.state()["discord"]["webhook_executions"] == []


def test_a_deleted_webhook_marks_the_channel_dead_and_is_not_retried(app, sandbox):
    w = world(app, sandbox, tiktok=False)
    view = schedule(w, ["discord"])
    for webhook in sandbox.state()["discord"]["webhooks"]:
        sandbox.delete_webhook(webhook["id"] if isinstance(webhook, dict) else webhook)
    assert publication_jobs.run_publication(view.id) == "failed"
    assert "gone" in destinations(view.id)["discord"].failure_reason
    calls = [c for c in sandbox.state()["calls"] if c["route"] == "discord.webhook"]
    assert len(calls) == 1


def test_cancel_wins_or_loses_against_the_start_but_never_both(app, sandbox):
    w = world(app, sandbox, discord=False)
    soon = schedule(w, ["tiktok"])
    cancelled = call(publications.cancel, w.producer, soon.id)
    assert cancelled.status == "cancelled"
    assert publication_jobs.run_publication(soon.id) is None
    assert sandbox.state()["tiktok"]["published"] == []
    started = schedule(w, ["tiktok"])
    assert publication_jobs.run_publication(started.id) == "done"
    with pytest.raises(InvalidInput, match="already started"):
        call(publications.cancel, w.producer, started.id)


def test_reschedule_moves_the_due_time(app, sandbox):
    from datetime import timedelta

    from studio_app.models.base import utcnow

    w = world(app, sandbox, discord=False)
    local = (utcnow() + timedelta(days=2)).strftime("%Y-%m-%dT%H:%M")
    view = schedule(w, ["tiktok"], when=local, time_zone="UTC")
    assert publication_jobs.run_publication(view.id) is None  # not due
    moved = call(publications.reschedule, w.producer, view.id, when="", time_zone="UTC")
    assert moved.scheduled_for <= utcnow()
    assert publication_jobs.run_publication(view.id) == "done"


@pytest.mark.parametrize("overrides, field", [
    ({"caption": "é" * 2000 + "😀" * 101}, "caption"),  # 2,202 UTF-16 units
    ({"tiktok": TikTokSettings(privacy_level="")}, "privacy_level"),
    ({"tiktok": TikTokSettings(privacy_level="PUBLIC_TO_EVERYONE ")}, "privacy_level"),
    ({"tiktok": TikTokSettings(privacy_level="SELF_ONLY", brand_content=True)}, "privacy_level"),
    ({"when": "2000-01-01T10:00"}, "when"),
    ({"time_zone": "Mars/Olympus"}, "time_zone"),
    ({"consent": False}, "consent"),
    ({"destinations": []}, "destinations"),
    ({"destinations": ["myspace"]}, "destinations"),
    ({"cover_ms": 999_999}, "cover_ms"),
])
def test_schedule_refuses_what_tiktok_or_common_sense_refuses(app, sandbox, overrides, field):
    w = world(app, sandbox, discord=False)
    overrides = dict(overrides)
    with pytest.raises(InvalidInput) as refused:
        schedule(w, overrides.pop("destinations", ["tiktok"]), **overrides)
    assert refused.value.field == field


def test_only_a_producer_schedules_and_only_an_approved_version(app, sandbox):
    from studio_app.security.policy import NotAllowed
    from tests.support.projects import add_editor, person

    w = world(app, sandbox, discord=False)
    editor = person(app, "eddie@example.com", role="editor")
    add_editor(w.producer, editor, w.project_id)
    with pytest.raises(NotAllowed):
        call(publications.schedule, editor, w.project_id, w.asset_id, destinations=["tiktok"], caption="x", when="",
             time_zone="UTC", tiktok=PRIVATE, consent=True)
    view = schedule(w, ["tiktok"], when="")
    assert [row.id for row in call(publications.project_publications, editor, w.project_id)] == [view.id]
    with session_scope() as session:
        from studio_app.models.media import MediaAsset

        session.get(MediaAsset, w.asset_id).approved_at = None
    with pytest.raises(InvalidInput, match="approved"):
        schedule(w, ["tiktok"])


def test_erasing_the_producer_cancels_what_they_scheduled_and_keeps_what_was_published(app, sandbox):
    from datetime import timedelta

    from studio_app.models.base import utcnow
    from studio_app.services import erasure
    from tests.support.accounts import STRONG_PASSWORD
    from tests.support.projects import add_editor, person

    w = world(app, sandbox)
    add_editor(w.producer, person(app, "eddie@example.com", role="editor"), w.project_id)  # the project stays
    published = schedule(w, ["tiktok"])
    assert publication_jobs.run_publication(published.id) == "done"
    later = schedule(w, when=(utcnow() + timedelta(days=1)).strftime("%Y-%m-%dT%H:%M"), time_zone="UTC")
    summary = call(erasure.deletion_summary, w.producer)
    assert "1 scheduled publication" in [item.label for item in summary.goes]
    with session_scope() as session:
        erasure.delete_account(session, app, w.producer, STRONG_PASSWORD, "DELETE")
    assert status_of(later.id) == "cancelled"
    assert {row.status for row in destinations(later.id).values()} == {"cancelled"}
    assert status_of(published.id) == "done"
    with session_scope() as session:
        assert session.get(Publication, published.id).created_by is None
        session.get(Publication, later.id).scheduled_for = utcnow()  # even once due, nothing is posted
    assert publication_jobs.run_publication(later.id) is None
    assert len(sandbox.state()["tiktok"]["published"]) == 1
    assert sandbox.state()["discord"]["webhook_executions"] == []
