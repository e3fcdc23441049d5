"""The job queue on real consumer processes, real SQLite and real Redis: retries, failures kept for admins, periodic
rounds once per period across consumers, and the export built by a consumer."""

from __future__ import annotations

import uuid
from collections import Counter

import pytest
from sqlmodel import select

from studio_app.database import session_scope
from studio_app.errors import NotFound
from studio_app.jobs import exports as export_jobs
from studio_app.jobs.queue import enqueue, retry_failed_job
from studio_app.models.jobs import JobFailure
from studio_app.models.privacy import DataExport
from studio_app.security.policy import NotAllowed
from studio_app.services import accounts, job_failures
from tests.support.accounts import STRONG_PASSWORD, signed_in
from tests.support.app_env import app_environment
from tests.support.projects import call, person
from tests.support.queue import running_consumer, wait_until
from tests.support.queue_tasks import TICK_EVERY_MINUTES, TICKS_VARIABLE, always_fails, fails_twice, runs_of


@pytest.fixture(params=["sqlite", pytest.param("redis", marks=pytest.mark.redis)])
def queue_env(request, monkeypatch, tmp_path):
    """The app's settings in this process and the same variables for its consumers: one database, one queue."""
    variables = {"QUEUE_NAME": f"test-{uuid.uuid4().hex[:12]}"}
    if request.param == "redis":
        variables["REDIS_URL"] = request.getfixturevalue("redis_url")
    database_url = f"sqlite:///{tmp_path / 'studio.db'}"
    with app_environment(monkeypatch, tmp_path / "data", database_url, **variables) as settings:
        yield settings, {"STUDIO_DATA_DIR": str(settings.data_dir), "STUDIO_DATABASE_URL": database_url} | {
            f"STUDIO_{name}": value for name, value in variables.items()}


def failures_of(task_name: str) -> list[JobFailure]:
    with session_scope() as session:
        return list(session.exec(select(JobFailure).where(JobFailure.task_name == task_name)
                                 .order_by(JobFailure.failed_at)).all())


def test_a_task_that_fails_twice_then_succeeds_runs_three_times(queue_env, tmp_path):
    settings, env = queue_env
    marker = str(tmp_path / "runs")
    with running_consumer(tmp_path / "consumer.log", env) as _consumer:
        enqueue(fails_twice, marker)
        wait_until(lambda: len(runs_of(marker)) >= 3)
        # A fourth run would come a few seconds after the third, were the third a failure: none comes.
        with pytest.raises(TimeoutError):
            wait_until(lambda: len(runs_of(marker)) > 3, timeout=5)
    assert len(runs_of(marker)) == 3
    assert failures_of(fails_twice.name) == []
    if not settings.redis_url:
        assert settings.queue_file.stat().st_mode & 0o777 == 0o600


@pytest.mark.parametrize("queue_env", ["sqlite"], indirect=True)
def test_a_task_that_always_fails_is_kept_with_a_safe_reason_and_an_admin_retries_it(queue_env, tmp_path):
    settings, env = queue_env
    with session_scope() as session:
        accounts.create_admin(session, "ada@example.com", STRONG_PASSWORD, "Ada Admin")
    admin = signed_in(settings, "ada@example.com")[1]
    producer = person(settings, "paula@example.com")
    marker = str(tmp_path / "runs")
    with running_consumer(tmp_path / "consumer.log", env):
        enqueue(always_fails, marker)
        wait_until(lambda: failures_of(always_fails.name))
        assert len(runs_of(marker)) == 2  # the first try and its one retry
        assert runs_of(f"{marker}.final") == ["ValueError"]  # the task's own handler heard of it, once
        [failure] = call(job_failures.failed_jobs, admin)
        assert (failure.task_name, failure.arguments, failure.attempts) == (always_fails.name, [marker], 2)
        assert failure.error_type == "ValueError"
        assert "Zoé" not in failure.error_message and "zoe@" not in failure.error_message
        with pytest.raises(NotAllowed):
            call(job_failures.failed_jobs, producer)
        with pytest.raises(NotAllowed):
            call(retry_failed_job, producer, failure.id)

        call(retry_failed_job, admin, failure.id)
        wait_until(lambda: len(failures_of(always_fails.name)) == 2)
        assert len(runs_of(marker)) == 4
    first, again = failures_of(always_fails.name)
    assert first.id == failure.id and first.retried_at is not None and again.retried_at is None
    with pytest.raises(NotFound):
        call(retry_failed_job, admin, failure.id)  # once is enough: the new failure is the one to retry


@pytest.mark.parametrize("queue_env", ["redis"], indirect=True)
def test_a_periodic_task_runs_once_per_period_with_two_consumers(queue_env, tmp_path):
    _settings, env = queue_env
    ticks = tmp_path / "ticks"
    env = env | {TICKS_VARIABLE: str(ticks)}
    logs = [tmp_path / "consumer-1.log", tmp_path / "consumer-2.log"]
    with running_consumer(logs[0], env), running_consumer(logs[1], env):
        # Each consumer's scheduler enqueues the round as it starts, then every minute.
        wait_until(lambda: all("Enqueueing periodic task tests.support.queue_tasks.tick" in log.read_text()
                               for log in logs))
        # Then the copy enqueued by the other consumer finds the period taken (unless they started a minute apart).
        wait_until(lambda: "already ran in this period" in "".join(log.read_text() for log in logs)
                   or len(runs_of(ticks)) >= 2, timeout=90)
    period = TICK_EVERY_MINUTES * 60
    runs_per_period = Counter(int(float(line.split()[0]) // period) for line in runs_of(ticks))
    assert runs_per_period and set(runs_per_period.values()) == {1}


@pytest.mark.parametrize("queue_env", ["sqlite"], indirect=True)
def test_an_export_asked_for_is_built_by_the_consumer(queue_env, tmp_path):
    settings, env = queue_env
    producer = person(settings, "paula@example.com")
    with running_consumer(tmp_path / "consumer.log", env):
        view = call(export_jobs.request_export, producer)

        def status() -> str:
            with session_scope() as session:
                return session.get(DataExport, view.id).status

        wait_until(lambda: status() in ("ready", "failed"))
        assert status() == "ready"
    assert "studio_app.jobs.exports.build_queued_exports" in (tmp_path / "consumer.log").read_text()
