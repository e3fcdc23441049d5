"""The admin console's Operations view, read in one transaction: health of each part, the job queue (waiting,
running, failed), providers (sandbox or real, errors by code), mail and sign-in failures, recent security events.
Admins only.

Error counts come from the metrics counters (``metrics.totals``: every process of this machine's ``serve``, since
it started); failed jobs and security events from the database (``job_failure``, ``audit_event``).
"""

from __future__ import annotations

import dataclasses
from datetime import UTC, datetime

from sqlalchemy import or_
from sqlmodel import Session, select

from studio_app import metrics
from studio_app.models.audit import AuditEvent
from studio_app.security.policy import Action, Actor, require
from studio_app.services import job_failures, readiness
from studio_app.services.job_failures import FailureView
from studio_app.services.readiness import PartStatus
from studio_app.settings import current_settings

SECURITY_EVENTS_SHOWN = 25
# Security events: refused sign-ins and re-authentications, changes of credentials, sessions ended everywhere,
# accounts deleted, admin work; the prefixes cover the kinds admin and detection features record.
SECURITY_KINDS = ("signin.failure", "signin.throttled", "signin.ceiling_reached", "signin.link_refused",
                  "reauthentication.failure", "password.changed", "password.reset", "email.changed",
                  "session.revoked_all", "account.admin_created", "account.deleted", "job.retried")
SECURITY_PREFIXES = ("admin.", "alert.", "incident.", "disclosure.", "role.")


@dataclasses.dataclass(frozen=True)
class RunningView:
    task_name: str
    started_at: datetime


@dataclasses.dataclass(frozen=True)
class QueueView:
    reachable: bool
    waiting: int = 0
    scheduled: int = 0
    consumers: int = 0
    running: tuple[RunningView, ...] = ()


@dataclasses.dataclass(frozen=True)
class ProviderView:
    name: str
    is_sandbox: bool
    errors: tuple[tuple[str, int], ...]  # (code, count), most frequent first


@dataclasses.dataclass(frozen=True)
class SecurityEventView:
    kind: str
    at: datetime
    actor: str  # the first characters of the acting account's id, or "" (the system, or nobody signed in)


@dataclasses.dataclass(frozen=True)
class OperationsView:
    parts: tuple[PartStatus, ...]
    queue: QueueView
    failures: tuple[FailureView, ...]
    providers: tuple[ProviderView, ...]
    mail_failures: int
    signin_failures: tuple[tuple[str, int], ...]
    security_events: tuple[SecurityEventView, ...]


def operations_overview(session: Session, actor: Actor | None) -> OperationsView:
    actor = require(actor, Action.VIEW_OPERATIONS)
    settings = current_settings()
    parts = tuple(readiness.check_all(settings))
    provider_errors = _by_label("studio_provider_errors", "provider", "code")
    providers = tuple(ProviderView(name, endpoints.is_sandbox, tuple(provider_errors.get(endpoints.provider, ())))
                      for name, endpoints in (("Discord", settings.discord), ("TikTok", settings.tiktok)))
    signins = _by_label("studio_signin_failures", "", "reason").get("", [])
    mail = sum(metrics.totals("studio_mail_failures").values())
    return OperationsView(parts, _queue(), tuple(job_failures.failed_jobs(session, actor)), providers, int(mail),
                          tuple(signins), tuple(_security_events(session)))


def _queue() -> QueueView:
    from studio_app.jobs.queue import queue_status

    try:
        status = queue_status()
    except Exception:  # the health section says the queue cannot be reached
        return QueueView(reachable=False)
    running = tuple(RunningView(job.task_name, datetime.fromtimestamp(job.started_at, tz=UTC))
                    for job in status.running)
    return QueueView(True, status.waiting, status.scheduled, status.consumers, running)


def _by_label(counter: str, group: str, key: str) -> dict[str, list[tuple[str, int]]]:
    """``{group label value: [(key label value, count), ...]}``, most frequent first, zeros left out."""
    grouped: dict[str, list[tuple[str, int]]] = {}
    for labels, value in metrics.totals(counter).items():
        named = dict(labels)
        if value >= 1:
            grouped.setdefault(named.get(group, ""), []).append((named.get(key, ""), int(value)))
    return {name: sorted(rows, key=lambda row: (-row[1], row[0])) for name, rows in grouped.items()}


def _security_events(session: Session) -> list[SecurityEventView]:
    rows = session.exec(
        select(AuditEvent.kind, AuditEvent.created_at, AuditEvent.actor_id)
        .where(or_(AuditEvent.kind.in_(SECURITY_KINDS), *(AuditEvent.kind.startswith(prefix)
                                                           for prefix in SECURITY_PREFIXES)))
        .order_by(AuditEvent.sequence.desc()).limit(SECURITY_EVENTS_SHOWN)).all()
    return [SecurityEventView(kind, at, (actor_id or "")[:8]) for kind, at, actor_id in rows]
