"""Detection's periodic work: verify the audit log's hash chain (a broken one opens an alert), sweep the counts of
the database counter store that every window has left behind and the admins' devices unused for long."""

from __future__ import annotations

import logging

from studio_app.database import session_scope
from studio_app.jobs.queue import periodic_task
from studio_app.services import audit, detection
from studio_app.settings import current_settings

AUDIT_CHECK_EVERY_MINUTES = 15
logger = logging.getLogger(__name__)


@periodic_task(every_minutes=AUDIT_CHECK_EVERY_MINUTES, timeout_seconds=1800)
def detection_round() -> None:
    run_detection_round()


def run_detection_round() -> audit.ChainReport:
    with session_scope() as session:
        report = detection.check_audit_chain(session)
    if not report.ok:
        logger.error("the audit log failed verification", extra={"event": "audit chain broken"})
    with session_scope() as session:
        detection.sweep(session, current_settings())
    return report
