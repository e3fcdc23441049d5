"""Prometheus metrics of every process of ``serve`` (web workers, the queue consumer), served on their own address.

``serve`` empties ``<data>/metrics/`` and names it in ``PROMETHEUS_MULTIPROC_DIR`` before it starts its children:
prometheus-client's multiprocess mode then keeps each process's values in a file of its own there, and the
metrics server, a thread of ``serve`` itself, adds them up at each scrape (``MultiProcessCollector``). A
``worker`` started on its own does the same with a folder of its own. prometheus-client reads the variable when
it is first imported, so nothing here imports it at module level: the variable is set first.

The server listens on ``STUDIO_METRICS_ADDRESS`` (``127.0.0.1:9108`` by default, ``off`` for none): metrics say
how busy the app is and what fails, which is not for the internet; put it behind the scraper's network only.

Labels take only values from short fixed sets (route templates, handler names the app registered, task names,
provider names, reasons we name): never a path with ids, an address, an email or anything a client typed.
"""

from __future__ import annotations

import functools
import logging
import os
import re
import shutil
import threading
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from studio_app.settings import Settings

logger = logging.getLogger(__name__)
MULTIPROC_VARIABLE = "PROMETHEUS_MULTIPROC_DIR"
# Seconds; request and event latencies of an interactive app, from a cached read to a slow export page.
LATENCY_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0)
_PROVIDER_CODE = re.compile(r"[A-Za-z0-9_.-]{1,40}")
_MAX_PROVIDER_CODES = 60  # distinct codes per process before the rest count as "other"
_codes_seen: set[tuple[str, str]] = set()
_codes_lock = threading.Lock()


def prepare_multiprocess_dir(folder: Path) -> None:
    """Empty ``folder`` and name it for this process and its children (before prometheus-client is imported):
    values left by processes of an earlier run would be added to this one's."""
    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir(parents=True, mode=0o700)
    os.environ[MULTIPROC_VARIABLE] = str(folder)


class _Metrics:
    def __init__(self) -> None:
        from prometheus_client import Counter, Gauge, Histogram

        self.http = Histogram("studio_http_request_duration_seconds", "HTTP requests served by our routes",
                              ("route", "method", "status"), buckets=LATENCY_BUCKETS)
        self.events = Histogram("studio_event_duration_seconds", "Websocket events, from the middleware to the end "
                                "of the handler", ("handler",), buckets=LATENCY_BUCKETS)
        # livesum: the tabs of the workers alive now.
        self.tabs = Gauge("studio_connected_tabs", "Browser tabs with an open event socket",
                          multiprocess_mode="livesum")
        self.upload_bytes = Counter("studio_upload_bytes", "Bytes received by tus uploads")
        self.provider_errors = Counter("studio_provider_errors", "Provider calls that failed",
                                       ("provider", "code"))
        self.signin_failures = Counter("studio_signin_failures", "Sign-ins refused", ("reason",))
        self.mail_failures = Counter("studio_mail_failures", "Mails that could not be sent")
        self.job_failures = Counter("studio_job_failures", "Queue tasks that failed for good", ("task",))
        self.log_dropped = Counter("studio_log_records_dropped", "Log records the collector never received")


@functools.cache
def _metrics() -> _Metrics:
    return _Metrics()


def observe_http(route: str, method: str, status: int, seconds: float) -> None:
    _metrics().http.labels(route, method, str(status)).observe(seconds)


def observe_event(handler: str, seconds: float) -> None:
    _metrics().events.labels(handler).observe(seconds)


def set_connected_tabs(count: int) -> None:
    _metrics().tabs.set(count)


def count_upload_bytes(count: int) -> None:
    if count > 0:
        _metrics().upload_bytes.inc(count)


def count_provider_error(provider: str, code: str) -> None:
    """Providers name their codes (Discord's numbers, TikTok's words); a code of another shape, or past a bound
    of distinct ones, counts as ``other`` so a misbehaving provider cannot grow the label set without end."""
    provider = provider if provider in ("discord", "tiktok") else "other"
    code = code if _PROVIDER_CODE.fullmatch(code or "") else "other"
    with _codes_lock:
        if (provider, code) not in _codes_seen:
            if len(_codes_seen) >= _MAX_PROVIDER_CODES:
                code = "other"
            _codes_seen.add((provider, code))
    _metrics().provider_errors.labels(provider, code).inc()


def count_signin_failure(reason: str) -> None:
    _metrics().signin_failures.labels(reason).inc()


def count_mail_failure() -> None:
    _metrics().mail_failures.inc()


def count_job_failure(task_name: str) -> None:
    _metrics().job_failures.labels(task_name).inc()


def count_log_dropped(count: int) -> None:
    _metrics().log_dropped.inc(count)


def registry_of_all_processes():
    """A registry reading every process's values (multiprocess mode), or this process's own."""
    from prometheus_client import REGISTRY, CollectorRegistry
    from prometheus_client.multiprocess import MultiProcessCollector

    if not os.environ.get(MULTIPROC_VARIABLE):
        return REGISTRY
    registry = CollectorRegistry()
    MultiProcessCollector(registry)
    return registry


def totals(name: str) -> dict[tuple[tuple[str, str], ...], float]:
    """The current value of counter ``name`` (its ``_total`` samples) per label set, summed over processes: what
    the Operations view shows of provider errors, mail and sign-in failures since ``serve`` started."""
    _metrics()  # declared, so a counter nobody incremented yet reads as nothing rather than missing
    found: dict[tuple[tuple[str, str], ...], float] = {}
    for family in registry_of_all_processes().collect():
        if family.name != name:
            continue
        for sample in family.samples:
            if sample.name == f"{name}_total":
                labels = tuple(sorted(sample.labels.items()))
                found[labels] = found.get(labels, 0.0) + sample.value
    return found


def metrics_address(settings: Settings) -> tuple[str, int] | None:
    if not settings.metrics_address:
        return None
    host, _, port = settings.metrics_address.rpartition(":")
    return host.strip("[]"), int(port)


def start_server(settings: Settings, extra_collectors: tuple[Any, ...] = ()) -> Any | None:
    """Serve ``/metrics`` from a daemon thread of this process: every process's values plus ``extra_collectors``
    (read at each scrape). A port already taken is logged, and the app runs without metrics rather than not at
    all."""
    address = metrics_address(settings)
    if address is None:
        return None
    from prometheus_client import CollectorRegistry, start_http_server
    from prometheus_client.multiprocess import MultiProcessCollector

    registry = CollectorRegistry()
    if os.environ.get(MULTIPROC_VARIABLE):
        MultiProcessCollector(registry)
    for collector in extra_collectors:
        registry.register(collector)
    try:
        server, _thread = start_http_server(address[1], addr=address[0], registry=registry)
    except OSError as error:
        logger.warning("metrics not served: %s:%d is not available (%s)", *address, type(error).__name__,
                       extra={"event": "metrics not served"})
        return None
    logger.info("metrics served on %s:%d", *address, extra={"event": "metrics served"})
    return server
