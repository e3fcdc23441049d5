"""A real consumer killed (SIGKILL) during the chunk upload, then a new one started: exactly one post."""

from __future__ import annotations

import os
import signal

from studio_app.database import session_scope
from studio_app.models.publications import PublicationStep
from tests.support.projects import call
from tests.support.publications import destinations, status_of, world
from tests.support.queue import running_consumer, wait_until


def test_a_consumer_killed_mid_upload_is_resumed_by_another_and_posts_once(app, sandbox, tmp_path):
    from sqlmodel import select

    from studio_app.services import publications

    w = world(app, sandbox, size=40 * 1024 * 1024, discord=False)
    env = {"STUDIO_DATA_DIR": str(app.data_dir), "STUDIO_DATABASE_URL": app.database_url,
           "STUDIO_QUEUE_NAME": app.queue_name} | sandbox.settings_env()
    if app.redis_url:
        env["STUDIO_REDIS_URL"] = app.redis_url
    sandbox.inject("tiktok.upload", "timeout", seconds=120)  # the first chunk hangs: the consumer is mid-upload
    with running_consumer(tmp_path / "first.log", env) as first:
        view = call(publications.schedule, w.producer, w.project_id, w.asset_id, destinations=["tiktok"],
                    caption="killed", when="", time_zone="UTC",
                    tiktok=publications.TikTokSettings(privacy_level="SELF_ONLY"), consent=True)

        def uploading() -> bool:
            with session_scope() as session:
                return session.exec(select(PublicationStep).where(PublicationStep.name == "upload")).first() \
                    is not None

        wait_until(uploading, timeout=60)
        os.killpg(first.pid, signal.SIGKILL)
    first_init = destinations(view.id)["tiktok"].publish_id
    sandbox.clear_faults()
    with running_consumer(tmp_path / "second.log", env):
        # The sweep finds it once the dead consumer's lease has run out.
        wait_until(lambda: status_of(view.id) == "done", timeout=240, every=1)
    row = destinations(view.id)["tiktok"]
    assert row.publish_id != first_init
    [published] = sandbox.state()["tiktok"]["published"]
    assert published["publish_id"] == row.publish_id
