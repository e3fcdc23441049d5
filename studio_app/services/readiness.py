"""Is each part the app needs working: the database, Redis (when configured), storage, the job queue.

``/api/ready`` (a load balancer sends no traffic to an instance that is not ready), the Operations view and the
metrics read the same checks. A problem is said in fixed words: an exception's text can hold a URL with its
password, a host name or a path, and the readiness answer is unauthenticated.
"""

from __future__ import annotations

import dataclasses
import logging
import tempfile
import time

import sqlalchemy as sa

from studio_app.database import get_engine
from studio_app.settings import Settings, current_settings

logger = logging.getLogger(__name__)
TIMEOUT_SECONDS = 3


@dataclasses.dataclass(frozen=True)
class PartStatus:
    part: str  # database, redis, storage, queue
    ok: bool
    problem: str = ""  # plain words, nothing from the environment
    used: bool = True  # False: not configured (Redis in the embedded default), nothing to check

    @property
    def state(self) -> str:
        return "ok" if self.ok and self.used else ("not used" if self.ok else "failing")


def check_database() -> PartStatus:
    try:
        with get_engine().connect() as connection:
            connection.execute(sa.text("SELECT 1"))
    except sa.exc.SQLAlchemyError as error:
        logger.warning("readiness: the database cannot be reached (%s)", type(error).__name__)
        return PartStatus("database", False, "The database cannot be reached.")
    return PartStatus("database", True)


def check_redis(settings: Settings) -> PartStatus:
    if not settings.redis_url:
        return PartStatus("redis", True, used=False)
    import redis

    client = redis.Redis.from_url(settings.redis_url, socket_connect_timeout=TIMEOUT_SECONDS,
                                  socket_timeout=TIMEOUT_SECONDS)
    try:
        client.ping()
    except redis.RedisError as error:
        logger.warning("readiness: Redis cannot be reached (%s)", type(error).__name__)
        return PartStatus("redis", False, "Redis cannot be reached.")
    finally:
        client.close()
    return PartStatus("redis", True)


def check_storage(settings: Settings) -> PartStatus:
    """Uploads in progress always wait in a local folder; media are in another local folder or in S3."""
    folders = [settings.uploads_dir] + ([] if settings.uses_s3 else [settings.media_dir])
    for folder in folders:
        try:
            folder.mkdir(parents=True, exist_ok=True)
            with tempfile.TemporaryFile(dir=folder) as probe:
                probe.write(b"ready?")
        except OSError as error:
            logger.warning("readiness: a storage folder is not writable (%s)", type(error).__name__)
            what = "media folder" if folder == settings.media_dir else "uploads folder"
            return PartStatus("storage", False, f"The {what} cannot be written to.")
    if settings.uses_s3:
        from studio_app.integrations.storage import S3Storage

        try:
            storage = S3Storage.from_settings(settings)
            storage.client.head_bucket(Bucket=storage.bucket)
        except Exception as error:  # botocore's errors have no one base class with the connection ones
            logger.warning("readiness: the S3 bucket cannot be reached (%s)", type(error).__name__)
            return PartStatus("storage", False, "The S3 bucket cannot be reached.")
    return PartStatus("storage", True)


def check_queue() -> PartStatus:
    from studio_app.jobs.queue import CONSUMER_SILENT_AFTER_SECONDS, queue_status

    try:
        status = queue_status()
    except Exception as error:  # SQLite or Redis errors alike
        logger.warning("readiness: the job queue cannot be read (%s)", type(error).__name__)
        return PartStatus("queue", False, "The job queue cannot be reached.")
    if status.consumers == 0:
        return PartStatus("queue", False, f"No queue consumer has reported in the last "
                                          f"{CONSUMER_SILENT_AFTER_SECONDS} seconds.")
    return PartStatus("queue", True)


def check_all(settings: Settings | None = None) -> list[PartStatus]:
    settings = settings or current_settings()
    return [check_database(), check_redis(settings), check_storage(settings), check_queue()]


def answer(parts: list[PartStatus]) -> tuple[int, dict]:
    """The readiness route's status code and body."""
    ready = all(part.ok for part in parts)
    body = {"status": "ready" if ready else "unavailable", "checked_at": int(time.time()),
            "parts": {part.part: {"state": part.state, **({"problem": part.problem} if part.problem else {})}
                      for part in parts}}
    return (200 if ready else 503), body


class ReadinessCollector:
    """Read at each scrape by the metrics server: each part's readiness, the queue's depth, running jobs and live
    consumers, and the failed jobs no admin has retried yet."""

    def collect(self):
        from prometheus_client.core import GaugeMetricFamily
        from sqlmodel import Session, func, select

        from studio_app.jobs.queue import queue_status
        from studio_app.models.jobs import JobFailure

        ready = GaugeMetricFamily("studio_ready", "1 when the part works (see /api/ready)", labels=("part",))
        for part in check_all():
            ready.add_metric((part.part,), 1.0 if part.ok else 0.0)
        yield ready
        try:
            status = queue_status()
        except Exception:  # studio_ready{part="queue"} already says 0
            status = None
        if status is not None:
            for name, value, text in (("waiting", status.waiting, "Tasks ready to run"),
                                      ("scheduled", status.scheduled, "Retries and delayed tasks not due yet"),
                                      ("running", len(status.running), "Tasks running now"),
                                      ("consumers", status.consumers, "Queue consumers alive")):
                yield GaugeMetricFamily(f"studio_queue_{name}", text, value=float(value))
        try:
            with Session(get_engine()) as session:
                failed = session.exec(select(func.count()).select_from(JobFailure).where(
                    JobFailure.retried_at.is_(None))).one()
        except sa.exc.SQLAlchemyError:
            return
        yield GaugeMetricFamily("studio_queue_failed_jobs", "Jobs that failed for good, not retried yet",
                                value=float(failed))
