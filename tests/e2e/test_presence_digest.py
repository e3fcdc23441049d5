"""Presence ends when the tab's socket closes: someone who left is mailed the digest of what they missed,
instead of counting as present for hours (the app's instance on Redis, read as its digest round reads it)."""

import asyncio
import time
from datetime import timedelta

import redis.asyncio
import sqlalchemy as sa
from reflex.utils.token_manager import RedisTokenManager

from studio_app.integrations.mail import read_outbox
from studio_app.jobs.digests import QUIET_PERIOD, run_digest_round
from studio_app.models.base import utcnow
from studio_app.models.projects import Notification
from studio_app.services import threads
from studio_app.state.live import RedisPresence
from studio_app.state.shell import ShellState
from tests.e2e.journeys import new_email
from tests.support.accounts import STRONG_PASSWORD
from tests.support.live_clients import LiveClient, handler_name, run_in_own_loop, services_of, session_cookie
from tests.support.liveapp import live_app
from tests.support.projects import add_editor, call, new_project, person


def test_a_closed_tab_ends_presence_and_the_digest_goes_out(tmp_path, redis_url):
    editor_email = new_email()
    with live_app(tmp_path, {"STUDIO_REDIS_URL": redis_url}, backend_only=True) as app:
        with services_of(app.data_dir):
            from studio_app.settings import current_settings

            producer = person(current_settings(), new_email(), name="Paula Producer")
            editor = person(current_settings(), editor_email, role="editor", name="Eddie Editor")
            project = new_project(producer, "Away teaser")
            add_editor(producer, editor, project.id)

        async def scenario() -> bool:
            registry = RedisPresence(redis_url)
            sockets = RedisTokenManager(redis.asyncio.Redis.from_url(redis_url))  # Reflex's record of every socket
            tab = await LiveClient(app.url, session_cookie(app.url, editor_email, STRONG_PASSWORD)).connect()
            closed = False
            try:
                await tab.call(handler_name(ShellState, "load"), {}, "/dashboard")  # any signed-in page
                while editor.user_id not in await registry.online_users(sockets.is_token_connected):
                    await asyncio.sleep(0.1)  # the page's registration lands with its event
                await tab.close()
                closed, deadline = True, time.monotonic() + 15
                while editor.user_id in await registry.online_users(sockets.is_token_connected):
                    assert time.monotonic() < deadline, "still present after the tab closed"
                    await asyncio.sleep(0.1)
                return True
            finally:
                if not closed:
                    await tab.close()
                await sockets.redis.aclose()

        assert run_in_own_loop(scenario())
        with services_of(app.data_dir):
            from studio_app.database import session_scope
            from studio_app.settings import current_settings

            call(threads.post_message, producer, project.id, "Are you there?", idempotency_key="away-1",
                 mention_ids=[editor.user_id])
            with session_scope() as session:  # the quiet period has passed
                session.execute(sa.update(Notification).values(created_at=utcnow() - QUIET_PERIOD - timedelta(
                    minutes=1)))
            online = run_in_own_loop(_online(redis_url))
            assert editor.user_id not in online
            assert run_digest_round(current_settings(), online) == 1
            digests = [mail for mail in read_outbox(current_settings()) if editor_email in mail.to]
            assert digests and "Paula Producer mentioned you" in digests[-1].text


async def _online(redis_url: str) -> set[str]:
    sockets = RedisTokenManager(redis.asyncio.Redis.from_url(redis_url))
    try:
        return await RedisPresence(redis_url).online_users(sockets.is_token_connected)
    finally:
        await sockets.redis.aclose()
