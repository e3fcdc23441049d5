"""The queue's retry delays and its once-per-period rule, run by huey itself (in memory, no consumer)."""

import datetime

import pytest
from huey import MemoryHuey

from studio_app.jobs.queue import BackgroundTask, enqueue, periodic_task, register, retry_delays


def broken() -> None:
    raise RuntimeError("down")


def test_retries_wait_twice_as_long_each_time():
    huey = MemoryHuey(results=False, utc=True)
    task = BackgroundTask(broken, retries=3, base_delay_seconds=2)
    register(huey, task)()  # enqueued
    now = datetime.datetime(2026, 1, 1, 12, 0, 0)
    huey._get_timestamp = lambda: now  # huey's clock, read when it schedules the retry
    waits, queued = [], huey.dequeue()
    while queued is not None:
        huey.execute(queued, timestamp=now)
        scheduled = huey.scheduled()
        if not scheduled:
            break
        [queued] = scheduled
        waits.append((queued.eta - now).total_seconds())
        now = queued.eta
        huey.storage.flush_schedule()
    assert waits == [2, 4, 8] == retry_delays(3, 2)


def test_a_periodic_round_runs_once_per_period_however_often_it_is_enqueued():
    huey = MemoryHuey(results=False, utc=True)
    runs = []
    task = BackgroundTask(lambda: runs.append(1), every_minutes=5)
    wrapper = register(huey, task)
    for _ in range(3):  # three consumers' schedulers enqueued it in the same period
        wrapper()
        huey.execute(huey.dequeue())
    assert len(runs) == 1


def test_periods_divide_an_hour_and_arguments_are_plain_values():
    with pytest.raises(ValueError, match="divide an hour"):
        periodic_task(every_minutes=7)
    with pytest.raises(TypeError, match="plain JSON"):
        enqueue(BackgroundTask(broken), object())
