"""The job queue: background work runs in consumer processes, never in the process that serves the event socket.

One huey queue, chosen by the settings: ``SqliteHuey`` with its file in the data folder (``queue.sqlite3``, mode
0600) in the embedded default, ``RedisHuey`` when ``STUDIO_REDIS_URL`` is set. ``python -m studio_app serve``
starts one consumer next to the app; ``python -m studio_app worker`` starts more (``run_consumer``). Consumers
run their workers as processes (huey's "process" worker type): media jobs are CPU-heavy and must not stall each
other behind one interpreter lock.

Declare a task in a module of ``studio_app/jobs/`` (every module of the package is imported by the consumers, so
they know every task)::

    @background_task(retries=3, base_delay_seconds=2, timeout_seconds=3600, on_final_failure=mark_asset_failed)
    def process_asset_task(asset_id: str) -> None:
        process_asset(asset_id)

(``on_final_failure(asset_id, error)`` runs once the last try failed: say so where people look.)

and enqueue it once the transaction that made the work commits (a rollback must enqueue nothing, and a consumer
must find the rows the task reads)::

    after_commit(session, lambda: enqueue(process_asset_task, asset.id))

``enqueue`` writes to SQLite or Redis: call it from a thread (``after_commit`` inside ``SessionMixin._call`` or a
service runs on one), or ``await asyncio.to_thread(enqueue, ...)`` from async code. Arguments are ids and plain
values that JSON can hold, never personal data: they are stored in the queue and, if the task fails for good, in
``job_failure``. A task runs at least once (a consumer stopped mid-task puts it back on the queue; a killed one
loses it): make it safe to run again.

A task that raises is retried ``retries`` times, waiting ``base_delay_seconds`` and then twice as long each time
(``retry_delays``); after the last try it is recorded as a ``job_failure`` (type and redacted message), which admins
see on the admin console and may put back on the queue (``retry_failed_job``). Periodic tasks
(``periodic_task(every_minutes=5)``) are enqueued by every consumer's scheduler, and run once per period and one
at a time across all consumers: a claim per period and a huey lock.
"""

from __future__ import annotations

import contextlib
import dataclasses
import functools
import importlib
import json
import logging
import os
import pkgutil
import socket
import threading
import time
from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from typing import Any

from huey import RedisHuey, SqliteHuey, crontab
from huey import signals as huey_signals
from huey.api import Huey, TaskWrapper
from sqlmodel import Session

from studio_app import database, metrics
from studio_app.database import after_commit, session_scope
from studio_app.errors import NotFound
from studio_app.security.policy import Actor
from studio_app.services import job_failures
from studio_app.settings import Settings, current_settings

logger = logging.getLogger(__name__)
BACKOFF_FACTOR = 2
# How often an idle worker looks at the SQLite queue at most (Redis wakes it at once): an export asked for is
# started within this delay.
IDLE_POLL_SECONDS = 1.0
DEFAULT_LOCK_NAME = "periodic"
# Each consumer says it is alive this often (a thread of its own, in huey's key-value store, so every machine
# sharing the queue sees it); readiness and the Operations view count a consumer gone after a longer silence.
HEARTBEAT_SECONDS = 5
CONSUMER_SILENT_AFTER_SECONDS = 30
_CONSUMER_KEY = "studio.consumer."
_RUNNING_KEY = "studio.running."


@dataclasses.dataclass(frozen=True)
class BackgroundTask:
    """A function the queue runs; calling the object runs the function here and now (tests, command-line tools)."""

    function: Callable[..., Any]
    retries: int = 0
    base_delay_seconds: float = 0
    timeout_seconds: float | None = None
    every_minutes: int | None = None  # periodic tasks only
    # Called in the consumer with the task's arguments and the error once the last try failed (mark a row failed).
    on_final_failure: Callable[..., Any] | None = None

    @property
    def name(self) -> str:
        """How huey names it (module and function): the name stored in the queue and in ``job_failure``."""
        return f"{self.function.__module__}.{self.function.__name__}"

    def __call__(self, *args: Any) -> Any:
        return self.function(*args)


_TASKS: dict[str, BackgroundTask] = {}


def background_task(*, retries: int = 3, base_delay_seconds: float = 2, timeout_seconds: float | None = None,
                    on_final_failure: Callable[..., Any] | None = None
                    ) -> Callable[[Callable[..., Any]], BackgroundTask]:
    """Declare a queue task: retried ``retries`` times with exponential backoff from ``base_delay_seconds``,
    interrupted (and counted as a failed try) after ``timeout_seconds`` when given. ``on_final_failure(*args,
    error)`` runs in the consumer after the last try failed, before the failure is recorded for admins."""

    def declare(function: Callable[..., Any]) -> BackgroundTask:
        return _declare(BackgroundTask(function, retries, base_delay_seconds, timeout_seconds,
                                       on_final_failure=on_final_failure))

    return declare


def periodic_task(*, every_minutes: int, timeout_seconds: float | None = None
                  ) -> Callable[[Callable[[], Any]], BackgroundTask]:
    """Declare a round run every ``every_minutes`` (a divisor of 60), once per period across all consumers. It is
    not retried: the next period is its retry (a failure is still recorded for admins)."""
    if every_minutes < 1 or 60 % every_minutes:
        raise ValueError("every_minutes must divide an hour (1, 2, 3, 5, 10, 15, 30, 60)")

    def declare(function: Callable[[], Any]) -> BackgroundTask:
        return _declare(BackgroundTask(function, timeout_seconds=timeout_seconds, every_minutes=every_minutes))

    return declare


def _declare(task: BackgroundTask) -> BackgroundTask:
    if task.name in _TASKS and _TASKS[task.name].function is not task.function:
        raise ValueError(f"two queue tasks are named {task.name}")
    _TASKS[task.name] = task
    return task


def retry_delays(retries: int, base_delay_seconds: float) -> list[float]:
    """The waits before each retry: ``base``, then twice as long each time (what huey's ``retry_backoff`` does)."""
    return [base_delay_seconds * BACKOFF_FACTOR ** attempt for attempt in range(retries)]


# One huey per configuration (tests point the settings at a new folder or Redis database between tests).
_queues: dict[tuple[str, str, str], Huey] = {}
_wrappers: dict[int, dict[str, TaskWrapper]] = {}
_queues_lock = threading.Lock()


def queue() -> Huey:
    """This process's huey, built from the settings, with every declared task registered on it."""
    settings = current_settings()
    key = (settings.redis_url or "", str(settings.queue_file), settings.queue_name)
    import_task_modules()
    with _queues_lock:
        huey = _queues.get(key)
        if huey is None:
            huey = _queues[key] = create_queue(settings)
        registered = _wrappers.setdefault(id(huey), {})
        for task in list(_TASKS.values()):
            if task.name not in registered:
                registered[task.name] = register(huey, task)
    return huey


def create_queue(settings: Settings) -> Huey:
    """``RedisHuey`` when Redis is configured, else ``SqliteHuey`` on a private file of the data folder."""
    if settings.redis_url:
        huey: Huey = RedisHuey(settings.queue_name, url=settings.redis_url, results=False, utc=True)
    else:
        _private_file(settings.queue_file)
        huey = SqliteHuey(settings.queue_name, filename=str(settings.queue_file), results=False, utc=True)
    huey.signal(huey_signals.SIGNAL_ERROR, huey_signals.SIGNAL_TIMEOUT)(_record_if_final)
    huey.signal(huey_signals.SIGNAL_INTERRUPTED)(_put_back)
    huey.signal(huey_signals.SIGNAL_EXECUTING)(_mark_running)
    huey.signal(huey_signals.SIGNAL_COMPLETE, huey_signals.SIGNAL_ERROR, huey_signals.SIGNAL_TIMEOUT,
                huey_signals.SIGNAL_INTERRUPTED, huey_signals.SIGNAL_LOCKED)(_mark_done)
    huey.on_startup("fresh-database-connections")(_fresh_database_connections)
    return huey


def _private_file(path: Path) -> None:
    """Created 0600 before SQLite opens it (its journal files take the same mode): job arguments stay private."""
    os.close(os.open(path, os.O_CREAT | os.O_RDWR, 0o600))
    os.chmod(path, 0o600)


def register(huey: Huey, task: BackgroundTask) -> TaskWrapper:
    """Register ``task`` on ``huey`` (tests register on a huey of their own)."""
    if task.every_minutes is not None:
        round_once = _once_per_period(huey, task)
        return huey.periodic_task(crontab(minute=f"*/{task.every_minutes}"), name=task.function.__name__,
                                  timeout=task.timeout_seconds)(round_once)
    return huey.task(retries=task.retries, retry_delay=task.base_delay_seconds, retry_backoff=BACKOFF_FACTOR,
                     timeout=task.timeout_seconds, name=task.function.__name__)(task.function)


def _once_per_period(huey: Huey, task: BackgroundTask) -> Callable[[], Any]:
    """Every consumer's scheduler enqueues a periodic task each period; the first run of a period claims it (the
    claim of the period before is then dropped, so claims do not pile up) and the others return at once. The huey
    lock keeps a round that outlasts its period from overlapping the next one."""
    lock = huey.lock_task(task.name)
    period_seconds = task.every_minutes * 60

    @functools.wraps(task.function)
    def run_once() -> Any:
        period = int(time.time() // period_seconds)
        if not huey.put_if_empty(f"{task.name}.period.{period}", "claimed"):
            logger.info("%s already ran in this period", task.name)
            return None
        huey.delete(f"{task.name}.period.{period - 1}")
        with lock:
            return task.function()

    return run_once


def enqueue(task: BackgroundTask, *args: Any) -> None:
    """Put ``task(*args)`` on the queue for a consumer to run (see the module's docstring for when to call it)."""
    _check_arguments(task, args)
    _wrapper(task)(*args)


def enqueue_at(task: BackgroundTask, eta: datetime, *args: Any) -> None:
    """Put ``task(*args)`` on the queue to run at ``eta`` (timezone-aware) or soon after; at once if it has passed."""
    _check_arguments(task, args)
    _wrapper(task).schedule(args, eta=eta)


def _wrapper(task: BackgroundTask) -> TaskWrapper:
    huey = queue()
    wrapper = _wrappers[id(huey)].get(task.name)
    if wrapper is None:
        raise ValueError(f"{task.name} is not a declared queue task")
    return wrapper


def _check_arguments(task: BackgroundTask, args: tuple) -> None:
    try:
        json.dumps(args)
    except (TypeError, ValueError):
        raise TypeError(f"{task.name}: queue task arguments must be plain JSON values (ids)") from None


def retry_failed_job(session: Session, actor: Actor | None, failure_id: object) -> None:
    """An admin puts a failed job back on the queue (admins only, checked by the service); it is enqueued once the
    transaction that marks it retried commits."""
    failure = job_failures.take_for_retry(session, actor, failure_id)
    task = declared_tasks().get(failure.task_name)
    if task is None:
        raise NotFound("This job no longer exists in this version of the app.")
    after_commit(session, lambda: enqueue(task, *failure.arguments))


def declared_tasks() -> dict[str, BackgroundTask]:
    import_task_modules()
    return dict(_TASKS)


@functools.cache
def import_task_modules() -> None:
    """Every module of ``studio_app.jobs`` declares its tasks when imported: a consumer must know all of them."""
    package = importlib.import_module("studio_app.jobs")
    for module in pkgutil.iter_modules(package.__path__, prefix="studio_app.jobs."):
        importlib.import_module(module.name)


def _task_of(huey_task: Any) -> BackgroundTask | None:
    return _TASKS.get(f"{type(huey_task).__module__}.{type(huey_task).__name__}")


def _record_if_final(signal: str, huey_task: Any, error: BaseException | None = None) -> None:
    """huey signals every failed try; the last one (no retry left) becomes a ``job_failure`` row."""
    if huey_task.retries:
        return
    task = _task_of(huey_task)
    name = task.name if task else f"{type(huey_task).__module__}.{type(huey_task).__name__}"
    attempts = (task.retries if task else 0) + 1
    if error is None and signal == huey_signals.SIGNAL_TIMEOUT:
        error = TimeoutError(f"took longer than {huey_task.timeout} s")
    if task is not None and task.on_final_failure is not None:
        try:
            task.on_final_failure(*huey_task.args, error)
        except Exception:
            logger.exception("the final-failure handler of %s failed", name)
    metrics.count_job_failure(name if task else "other")
    try:
        with session_scope() as session:
            job_failures.record_failure(session, name, list(huey_task.args), error, attempts)
    except Exception:  # the log says it failed; the database may be what is broken
        logger.exception("could not record the failure of %s", name)
    logger.error("%s failed for good after %d tries (%s)", name, attempts, type(error).__name__)


def _put_back(_signal: str, huey_task: Any) -> None:
    """A consumer stopping mid-task (Ctrl-C, a deployment) puts the task back: the next consumer runs it again.
    Periodic rounds are not put back (the next period runs them)."""
    task = _task_of(huey_task)
    if task is None or task.every_minutes is not None:
        return
    try:
        queue().enqueue(huey_task)
    except Exception:
        logger.exception("could not put %s back on the queue", task.name)


def _fresh_database_connections() -> None:
    """Each worker process starts with its own connection pool, never one inherited through fork."""
    database.get_engine.cache_clear()


def consumer_id(pid: int | None = None) -> str:
    return f"{socket.gethostname()}:{os.getpid() if pid is None else pid}"


def beat(huey: Huey, consumer: str) -> None:
    huey.put(_CONSUMER_KEY + consumer, time.time())


def _heartbeat(huey: Huey, consumer: str, stop: threading.Event) -> None:
    while not stop.wait(HEARTBEAT_SECONDS):
        try:
            beat(huey, consumer)
        except Exception:  # the queue's store is down: readiness says so once the beats are late
            logger.warning("the consumer's heartbeat could not be written", exc_info=True)


def _mark_running(_signal: str, huey_task: Any) -> None:
    """In the worker process (huey's process workers are children of the consumer that beats for them)."""
    try:
        queue().put(_RUNNING_KEY + huey_task.id, {"task": _name_of(huey_task), "started": time.time(),
                                                  "consumer": consumer_id(os.getppid())})
    except Exception:
        logger.warning("could not mark a job running", exc_info=True)


def _mark_done(_signal: str, huey_task: Any, *_error: Any) -> None:
    try:
        queue().delete(_RUNNING_KEY + huey_task.id)
    except Exception:
        logger.warning("could not mark a job done", exc_info=True)


def _name_of(huey_task: Any) -> str:
    task = _task_of(huey_task)
    return task.name if task else f"{type(huey_task).__module__}.{type(huey_task).__name__}"


@dataclasses.dataclass(frozen=True)
class RunningJob:
    task_name: str
    started_at: float  # epoch seconds


@dataclasses.dataclass(frozen=True)
class QueueStatus:
    waiting: int  # ready to run now
    scheduled: int  # retries and delayed tasks waiting for their time
    running: tuple[RunningJob, ...]
    consumers: int  # consumers heard from in the last CONSUMER_SILENT_AFTER_SECONDS


def queue_status(*, now: float | None = None) -> QueueStatus:
    """What the queue holds and who works on it, read from its store (SQLite or Redis); raises when the store
    cannot be reached. A running mark whose consumer went silent (killed) is not counted."""
    huey = queue()
    now = time.time() if now is None else now
    stored = {key: huey.serializer.deserialize(raw) for key, raw in huey.storage.result_items().items()
              if key.startswith((_CONSUMER_KEY, _RUNNING_KEY))}
    alive = {key.removeprefix(_CONSUMER_KEY) for key, beat_at in stored.items()
             if key.startswith(_CONSUMER_KEY) and now - beat_at < CONSUMER_SILENT_AFTER_SECONDS}
    running = sorted((RunningJob(mark["task"], mark["started"]) for key, mark in stored.items()
                      if key.startswith(_RUNNING_KEY) and mark.get("consumer") in alive),
                     key=lambda job: job.started_at)
    return QueueStatus(huey.pending_count(), huey.scheduled_count(), tuple(running), len(alive))


def run_consumer(*, workers: int, flush_locks: bool = False) -> None:
    """Run a consumer until SIGINT (finish running tasks, then stop) or SIGTERM (stop now: running tasks go back
    on the queue). ``flush_locks`` clears periodic locks a killed consumer left behind (the embedded default's only
    consumer does it at start; with several consumers, only when none is running a round)."""
    huey = queue()
    consumer = huey.create_consumer(workers=workers, worker_type="process", periodic=True, flush_locks=flush_locks,
                                    max_delay=IDLE_POLL_SECONDS, check_worker_health=True)
    me, stop = consumer_id(), threading.Event()
    beat(huey, me)
    threading.Thread(target=_heartbeat, args=(huey, me, stop), name="queue heartbeat", daemon=True).start()
    try:
        consumer.run()
    finally:
        stop.set()
        with contextlib.suppress(Exception):
            huey.delete(_CONSUMER_KEY + me)
