"""Mailings of the periodic round: notices of a significant privacy-policy change, then product news.

Each batch is its own transaction: what was sent is recorded before the next batch is chosen, so a crash
never sends anything twice, and the consent of each product-news batch is read when that batch is sent.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable

from studio_app.database import session_scope
from studio_app.services import announcements, policies
from studio_app.services.mailing import BatchResult
from studio_app.settings import Settings

# A round stops after this many batches of one kind; the next round carries on.
MAX_BATCHES_PER_ROUND = 200


@dataclasses.dataclass(frozen=True)
class MailingRound:
    policy_notices: int
    announcements: int


def run_mailing_round(settings: Settings) -> MailingRound:
    return MailingRound(policy_notices=send_policy_notices(settings), announcements=send_announcements(settings))


def send_policy_notices(settings: Settings) -> int:
    return _run(policies.mail_notice_batch, settings)


def send_announcements(settings: Settings) -> int:
    return _run(announcements.mail_announcement_batch, settings)


def _run(batch: Callable[..., BatchResult], settings: Settings) -> int:
    """Batches until nobody is left; people whose mail failed are skipped for the rest of the round."""
    sent, failed = 0, set()
    for _ in range(MAX_BATCHES_PER_ROUND):
        with session_scope() as session:
            result = batch(session, settings, skip=failed)
        sent += result.sent
        failed.update(result.failed)
        if not result.had_candidates:
            break
    return sent
