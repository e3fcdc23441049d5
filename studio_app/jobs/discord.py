"""Sending queued Discord direct messages (``services/discord_messages.py``), part by part.

The task reschedules itself after 429 and 5xx (``RetryTask`` with the delay Discord asked for, or a backoff with
jitter) until ``MAX_ATTEMPTS`` in a row failed; a minute sweep queues again what a killed consumer lost.
"""

from __future__ import annotations

import logging
from datetime import timedelta

from huey.exceptions import RetryTask

from studio_app.database import session_scope
from studio_app.integrations.providers import ProviderError
from studio_app.jobs.queue import background_task, enqueue, periodic_task
from studio_app.services import discord_messages, provider_clients

logger = logging.getLogger(__name__)
LOST_AFTER = timedelta(minutes=2)


@background_task(retries=0, timeout_seconds=120)
def send_discord_message_task(outbox_id: str) -> None:
    delay = deliver(outbox_id)
    if delay is not None:
        raise RetryTask(delay=delay)


@periodic_task(every_minutes=1)
def discord_sweep() -> None:
    with session_scope() as session:
        lost = discord_messages.lost_messages(session, older_than=LOST_AFTER)
    for outbox_id in lost:
        enqueue_message(outbox_id)


def enqueue_message(outbox_id: str) -> None:
    enqueue(send_discord_message_task, outbox_id)


def deliver(outbox_id: str) -> float | None:
    """Send what is left of the message; returns the delay before another try, or None when it is settled."""
    with session_scope() as session:
        dispatch = discord_messages.prepare(session, outbox_id)
    if dispatch is None:
        return None
    client = provider_clients.discord()
    try:
        channel_id = client.open_dm(dispatch.recipient_id)
        for index in range(dispatch.parts_sent, len(dispatch.parts)):
            client.send_message(channel_id, dispatch.parts[index])
            with session_scope() as session:
                discord_messages.record_part(session, outbox_id, index + 1)
    except ProviderError as error:
        logger.info("discord message %s not sent: %s", outbox_id, error.code)
        with session_scope() as session:
            return discord_messages.record_failure(session, outbox_id, error)
    with session_scope() as session:
        discord_messages.record_sent(session, outbox_id)
    return None
