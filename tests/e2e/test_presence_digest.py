"""Presence ends when the tab's socket closes: someone who left is mailed the digest of what they missed,
instead of counting as present for hours. The app's instance on Redis publishes who is connected; the digest
round, which runs on the job queue, reads what it published (jobs/presence.py)."""

import asyncio
import time
from datetime import timedelta

import sqlalchemy as sa

from studio_app.integrations.mail import read_outbox
from studio_app.jobs import presence
from studio_app.jobs.digests import QUIET_PERIOD, run_digest_round
from studio_app.models.base import utcnow
from studio_app.models.projects import Notification
from studio_app.services import threads
from studio_app.settings import load_settings
from studio_app.state.shell import ShellState
from tests.e2e.journeys import new_email
from tests.support.accounts import STRONG_PASSWORD
from tests.support.live_clients import LiveClient, handler_name, run_in_own_loop, services_of, session_cookie
from tests.support.liveapp import live_app
from tests.support.projects import add_editor, call, new_project, person

SAMPLES_SEEN_SECONDS = presence.WINDOW_SECONDS + 4 * presence.SAMPLE_SECONDS


def test_a_closed_tab_ends_presence_and_the_digest_goes_out(tmp_path, redis_url):
    editor_email = new_email()
    with live_app(tmp_path, {"STUDIO_REDIS_URL": redis_url}, backend_only=True) as app:
        published = load_settings({"STUDIO_DATA_DIR": str(app.data_dir), "STUDIO_REDIS_URL": redis_url})
        with services_of(app.data_dir):
            from studio_app.settings import current_settings

            producer = person(current_settings(), new_email(), name="Paula Producer")
            editor = person(current_settings(), editor_email, role="editor", name="Eddie Editor")
            project = new_project(producer, "Away teaser")
            add_editor(producer, editor, project.id)

        def seen_online() -> bool:
            return editor.user_id in (presence.recent_online_users(published) or ())

        async def scenario() -> None:
            tab = await LiveClient(app.url, session_cookie(app.url, editor_email, STRONG_PASSWORD)).connect()
            try:
                await tab.call(handler_name(ShellState, "load"), {}, "/dashboard")  # any signed-in page
                deadline = time.monotonic() + SAMPLES_SEEN_SECONDS
                while not seen_online():  # the app publishes a sample every few seconds
                    assert time.monotonic() < deadline, "the app never published the connected tab"
                    await asyncio.sleep(0.5)
            finally:
                await tab.close()

        run_in_own_loop(scenario())
        deadline = time.monotonic() + SAMPLES_SEEN_SECONDS
        while seen_online():
            assert time.monotonic() < deadline, "still present after the tab closed"
            time.sleep(1)
        with services_of(app.data_dir):
            from studio_app.database import session_scope
            from studio_app.settings import current_settings

            call(threads.post_message, producer, project.id, "Are you there?", idempotency_key="away-1",
                 mention_ids=[editor.user_id])
            with session_scope() as session:  # the quiet period has passed
                session.execute(sa.update(Notification).values(created_at=utcnow() - QUIET_PERIOD - timedelta(
                    minutes=1)))
            online = presence.recent_online_users(published)  # what the queue's digest round reads
            assert online is not None and editor.user_id not in online
            assert run_digest_round(current_settings(), online) == 1
            digests = [mail for mail in read_outbox(current_settings()) if editor_email in mail.to]
            assert digests and "Paula Producer mentioned you" in digests[-1].text
