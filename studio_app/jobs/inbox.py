"""The privacy mailbox is polled every minute, once per minute across consumers (``services/mail_inbox.py``)."""

from __future__ import annotations

from studio_app.jobs.queue import periodic_task
from studio_app.services import mail_inbox
from studio_app.settings import current_settings


@periodic_task(every_minutes=1, timeout_seconds=50)
def poll_privacy_mailbox() -> None:
    mail_inbox.poll(current_settings())
