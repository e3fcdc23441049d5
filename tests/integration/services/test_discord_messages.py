"""Discord against the sandbox over real HTTP: notifications as direct messages (consent, split, 429, 5xx, 50007,
no part twice) and a project's announcements channel (the webhook.incoming flow, a 404 marks it dead)."""

from __future__ import annotations

import pytest
from sqlmodel import select

from studio_app.database import session_scope
from studio_app.integrations.providers import ProviderError
from studio_app.jobs import discord as discord_job
from studio_app.models.accounts import ConsentKind
from studio_app.models.connections import ConnectedAccount, DiscordOutbox, ProjectChannel
from studio_app.models.projects import Notification
from studio_app.services import (
    connections,
    discord_messages,
    notifications,
    privacy,
    project_channels,
    provider_clients,
)
from studio_app.services.validation import InvalidInput
from tests.support.app_env import app_environment
from tests.support.connections import connect, finish, sandbox_variables, start
from tests.support.projects import add_editor, call, new_project, person


@pytest.fixture
def settings(monkeypatch, tmp_path, database_url, sandbox):
    with app_environment(monkeypatch, tmp_path / "data", database_url, **sandbox_variables(sandbox)) as settings:
        yield settings


@pytest.fixture
def people(settings):
    return person(settings, "zoe@example.com"), person(settings, "eli@example.com", role="editor")


def outbox():
    with session_scope() as session:
        return session.exec(select(DiscordOutbox).order_by(DiscordOutbox.created_at)).all()


def dms(sandbox):
    return sandbox.state()["discord"]["dms"]


def invite(producer, editor):
    with session_scope() as session:
        notifications.notify(session, user_ids=[editor.user_id], kind="invitation", actor_id=producer.user_id)


def messages_on(sandbox, editor, *, refuses_dms=False):
    connect(sandbox, editor, "discord", refuses_dms=refuses_dms)
    call(connections.set_discord_messages, editor, True)


def test_without_consent_nothing_is_queued_and_with_it_the_message_is_sent_with_a_link(settings, sandbox, people):
    producer, editor = people
    connect(sandbox, editor, "discord")
    invite(producer, editor)
    assert outbox() == []
    call(connections.set_discord_messages, editor, True)
    invite(producer, editor)
    (row,) = outbox()
    assert discord_job.deliver(row.id) is None
    (dm,) = dms(sandbox)
    assert "invited you" in dm["content"] and settings.public_url in dm["content"]
    assert outbox()[0].status == "sent"
    assert discord_job.deliver(row.id) is None and len(dms(sandbox)) == 1  # a second run sends nothing


def test_a_long_message_is_split_and_no_part_is_sent_twice(settings, sandbox, people):
    _, editor = people
    messages_on(sandbox, editor)
    with session_scope() as session:
        (outbox_id,) = discord_messages.queue_messages(session, [(editor.user_id, "message", "word " * 700, "/x")])
    sandbox.inject("discord.message", "server_error", times=1)
    assert discord_job.deliver(outbox_id) > 0  # the first part failed: retried later
    assert dms(sandbox) == []
    # A consumer sent the first part and recorded it, then died before the second.
    state_before = len(dms(sandbox))
    with session_scope() as session:
        dispatch = discord_messages.prepare(session, outbox_id)
    assert len(dispatch.parts) == 2 and all(len(part) <= 2000 for part in dispatch.parts)
    client = provider_clients.discord()
    channel = client.open_dm(dispatch.recipient_id)
    client.send_message(channel, dispatch.parts[0])
    with session_scope() as session:
        discord_messages.record_part(session, outbox_id, 1)
    assert discord_job.deliver(outbox_id) is None
    contents = [dm["content"] for dm in dms(sandbox)][state_before:]
    assert contents == list(dispatch.parts)  # part one once, then part two
    assert outbox()[0].status == "sent"


def test_429_waits_at_least_retry_after_then_sends(settings, sandbox, people):
    producer, editor = people
    messages_on(sandbox, editor)
    invite(producer, editor)
    (row,) = outbox()
    sandbox.inject("discord.dm", "rate_limit", retry_after=7)
    delay = discord_job.deliver(row.id)
    assert delay >= 7
    assert outbox()[0].attempts == 1 and "429" in outbox()[0].last_error
    assert discord_job.deliver(row.id) is None and len(dms(sandbox)) == 1


def test_5xx_is_retried_until_the_last_attempt_then_failed(settings, sandbox, people):
    producer, editor = people
    messages_on(sandbox, editor)
    invite(producer, editor)
    (row,) = outbox()
    sandbox.inject("discord.dm", "server_error", times=discord_messages.MAX_ATTEMPTS)
    delays = [discord_job.deliver(row.id) for _ in range(discord_messages.MAX_ATTEMPTS)]
    assert all(delay > 0 for delay in delays[:-1]) and delays[-1] is None
    assert delays[1] > delays[0]  # backoff
    assert outbox()[0].status == "failed" and dms(sandbox) == []


def test_50007_turns_the_preference_off_and_tells_the_person_why(settings, sandbox, people):
    producer, editor = people
    messages_on(sandbox, editor, refuses_dms=True)
    invite(producer, editor)
    invite(producer, editor)
    first, second = outbox()
    assert discord_job.deliver(first.id) is None
    assert [row.status for row in outbox()] == ["failed", "cancelled"]
    with session_scope() as session:
        assert not privacy.has_consent(session, editor.user_id, ConsentKind.DISCORD_NOTIFICATIONS)
    page = call(connections.connections_page, editor)
    assert not page.discord_messages
    discord = next(view for view in page.connections if view.provider == "discord")
    assert discord.dm_problem.startswith("Discord refuses direct messages from the studio's bot")
    invite(producer, editor)
    assert len(outbox()) == 2  # nothing more queued
    assert discord_job.deliver(second.id) is None and dms(sandbox) == []


def test_withdrawing_the_consent_in_the_privacy_center_cancels_what_waits(settings, sandbox, people):
    producer, editor = people
    messages_on(sandbox, editor)
    invite(producer, editor)
    call(privacy.withdraw_consent, editor, ConsentKind.DISCORD_NOTIFICATIONS)
    assert discord_job.deliver(outbox()[0].id) is None
    assert outbox()[0].status == "cancelled" and dms(sandbox) == []


def test_the_publication_kinds_exist_with_their_texts(settings, sandbox, people):
    producer, _ = people
    project = new_project(producer)
    messages_on(sandbox, producer)
    with session_scope() as session:
        notifications.notify(session, user_ids=[producer.user_id], kind="published", project_id=project.id)
        notifications.notify(session, user_ids=[producer.user_id], kind="publication_failed", project_id=project.id)
    texts = [item.text for item in call(notifications.notification_center, producer).items]
    assert any("was published" in text for text in texts) and any("failed" in text for text in texts)
    assert len(outbox()) == 2


def test_messages_need_a_discord_connection(settings, people):
    _, editor = people
    with pytest.raises(InvalidInput, match="Connect your Discord"):
        call(connections.set_discord_messages, editor, True)


# -- the project's channel -------------------------------------------------------------------------


def connect_channel(sandbox, actor, project_id):
    url = start(actor, "discord", purpose="project_channel", project_id=project_id)
    assert "webhook.incoming" in url
    return finish(actor, "discord", sandbox.authorize("discord", url, channel="announcements"))


def test_a_producer_connects_the_channel_and_its_webhook_posts(settings, sandbox, people):
    producer, _ = people
    project = new_project(producer)
    finished = connect_channel(sandbox, producer, project.id)
    assert finished.outcome == "channel_connected" and finished.project_id == project.id
    hook = call(project_channels.channel_webhook, project.id)
    assert hook.sandbox and not hook.dead and hook.webhook_token not in repr(hook)
    provider_clients.discord().execute_webhook(hook.webhook_id, hook.webhook_token, "v2 is out")
    assert [m["content"] for m in sandbox.state()["discord"]["webhook_executions"]] == ["v2 is out"]
    with session_scope() as session:
        (row,) = session.exec(select(ProjectChannel)).all()
    assert hook.webhook_token.encode() not in bytes(row.webhook_token_encrypted)
    assert call(connections.connections_page, producer).connections[0].connected is False  # no account connected


def test_only_the_producer_manages_the_channel(settings, sandbox, people):
    producer, editor = people
    project = new_project(producer)
    add_editor(producer, editor, project.id)
    with pytest.raises(Exception, match="not allowed"):
        start(editor, "discord", purpose="project_channel", project_id=project.id)
    with pytest.raises(Exception, match="does not exist"):
        start(person(settings, "out@example.com"), "discord", purpose="project_channel", project_id=project.id)
    with pytest.raises(Exception, match="not allowed"):
        call(project_channels.disconnect_channel, editor, project.id)


def test_a_deleted_webhook_answers_404_and_is_marked_dead_and_the_producer_told(settings, sandbox, people):
    producer, _ = people
    project = new_project(producer)
    connect_channel(sandbox, producer, project.id)
    hook = call(project_channels.channel_webhook, project.id)
    sandbox.delete_webhook(hook.webhook_id)
    with pytest.raises(ProviderError) as failure:
        provider_clients.discord().execute_webhook(hook.webhook_id, hook.webhook_token, "hello")
    assert failure.value.code == "10015"
    call(project_channels.mark_channel_dead, project.id, "Discord says the webhook was deleted.")
    call(project_channels.mark_channel_dead, project.id, "again")
    assert call(project_channels.channel_webhook, project.id).dead
    with session_scope() as session:
        told = session.exec(select(Notification).where(Notification.kind == "channel_dead")).all()
    assert [n.user_id for n in told] == [producer.user_id]  # once
    assert connect_channel(sandbox, producer, project.id).outcome == "channel_connected"
    assert not call(project_channels.channel_webhook, project.id).dead


def test_disconnecting_the_channel_forgets_the_webhook(settings, sandbox, people):
    producer, _ = people
    project = new_project(producer)
    connect_channel(sandbox, producer, project.id)
    assert "forgot its webhook" in call(project_channels.disconnect_channel, producer, project.id)
    assert call(project_channels.channel_webhook, project.id) is None


def test_the_handle_is_shared_only_when_allowed(settings, sandbox, people):
    _, editor = people
    connect(sandbox, editor, "discord")
    assert call(connections.shared_handles, [editor.user_id]) == {}
    call(connections.set_share_handle, editor, True)
    (handle,) = call(connections.shared_handles, [editor.user_id]).values()
    with session_scope() as session:
        assert session.exec(select(ConnectedAccount)).one().share_handle
    assert handle


def test_the_queue_task_asks_huey_to_run_it_again_after_the_delay(settings, sandbox, people):
    from huey.exceptions import RetryTask

    producer, editor = people
    messages_on(sandbox, editor)
    invite(producer, editor)
    (row,) = outbox()
    sandbox.inject("discord.message", "rate_limit", retry_after=3)
    with pytest.raises(RetryTask) as retry:
        discord_job.send_discord_message_task(row.id)
    assert retry.value.delay >= 3
    discord_job.send_discord_message_task(row.id)
    assert len(dms(sandbox)) == 1


def test_the_sweep_queues_again_what_a_lost_task_left(settings, sandbox, people, monkeypatch):
    from datetime import timedelta

    import sqlalchemy as sa

    from studio_app.models.base import utcnow

    producer, editor = people
    messages_on(sandbox, editor)
    invite(producer, editor)
    (row,) = outbox()
    queued = []
    monkeypatch.setattr(discord_job, "enqueue_message", queued.append)
    discord_job.discord_sweep()
    assert queued == []  # not late yet
    with session_scope() as session:
        session.execute(sa.update(DiscordOutbox).values(next_attempt_at=utcnow() - timedelta(minutes=5)))
    discord_job.discord_sweep()
    assert queued == [row.id]
