"""The periodic round: technical data past its retention is erased, expired data exports are deleted, due
milestones are announced, people who are away get one summary of what they have not read yet, and the mailings
go out (privacy-policy notices, product news to those who consent).

It runs on the queue every 5 minutes, once per period across consumers (``digest_round``). Who is away comes from
the presence samples the web processes publish (``jobs/presence.py``): only they know which tabs are connected.
"""

from __future__ import annotations

import logging
from collections.abc import Collection
from datetime import timedelta

from studio_app.database import session_scope
from studio_app.integrations.storage import current_storage
from studio_app.jobs import presence
from studio_app.jobs.mailings import run_mailing_round
from studio_app.jobs.queue import periodic_task
from studio_app.models.base import utcnow
from studio_app.services import erasure, exports, forms, notifications, projects, retention
from studio_app.settings import Settings, current_settings

# Notifications wait this long before they are mailed: the person may read them in the app meanwhile,
# and several events in a row make one mail.
QUIET_PERIOD = timedelta(minutes=10)
DIGEST_EVERY_MINUTES = 5
logger = logging.getLogger(__name__)


@periodic_task(every_minutes=DIGEST_EVERY_MINUTES)
def digest_round() -> None:
    online = presence.recent_online_users()
    if online is None:
        logger.warning("no web process published who is connected lately: digests wait for the next round")
    run_digest_round(current_settings(), online)


def run_digest_round(settings: Settings, online_user_ids: Collection[str] | None) -> int:
    """Mail the people with pending notifications who have no tab open, then run the mailings; returns how many
    digests were sent. ``online_user_ids`` None (nobody knows who is connected) sends no digest this round."""
    created_before = utcnow() - QUIET_PERIOD
    with session_scope() as session:
        retention.purge_technical_data(session, settings)
        erasure.purge_old_proofs(session)
        forms.forget_old_submissions(session)
    with session_scope() as session:
        exports.expire_exports(session)
    current_storage().sweep_partial()
    with session_scope() as session:
        projects.notify_due_milestones(session)
    if online_user_ids is None:
        run_mailing_round(settings)
        return 0
    with session_scope() as session:
        waiting = notifications.users_awaiting_digest(session, created_before=created_before)
        offline = [user_id for user_id in waiting if user_id not in online_user_ids]
        digests = notifications.send_email_digests(session, settings, offline_user_ids=offline, now=created_before)
    run_mailing_round(settings)
    return digests.sent
