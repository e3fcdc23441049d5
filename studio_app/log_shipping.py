"""Shipping log records to an external collector (``STUDIO_LOG_SINK``) without ever making a request wait.

A handler puts each record (its fields, already redacted: ``logs.record_fields``) on a bounded queue and returns;
a thread of its own sends them in batches. A slow or dead collector only fills the queue: what cannot be shipped
(queue full, a batch refused for longer than ``GIVE_UP_SECONDS``, records left at shutdown) is counted
(``dropped_records()``, for metrics) and reported on stdout as "log records dropped: N", never dropped silently.

Sinks:
- ``syslog+tcp://host:port``: RFC 5424 messages (https://www.rfc-editor.org/rfc/rfc5424) whose MSG is the
  record's JSON, framed by octet counting over TCP (RFC 6587 section 3.4.1,
  https://www.rfc-editor.org/rfc/rfc6587#section-3.4.1);
- ``syslog+tls://host:port``: the same over TLS (RFC 5425), the collector's certificate checked against
  ``STUDIO_LOG_SINK_CA`` (else the system's CAs);
- ``otlp+http(s)://host:port/v1/logs``: OpenTelemetry OTLP/HTTP with the JSON encoding
  (https://opentelemetry.io/docs/specs/otlp/#otlphttp-request, 64-bit integers as decimal strings).
"""

from __future__ import annotations

import contextlib
import logging
import os
import queue
import socket
import ssl
import sys
import threading
import time
from urllib.parse import urlsplit

import httpx

from studio_app import metrics
from studio_app.settings import Settings

CAPACITY = 10_000
BATCH = 200
GIVE_UP_SECONDS = 60.0
REPORT_SECONDS = 60.0
SHUTDOWN_SECONDS = 3.0
SEND_TIMEOUT_SECONDS = 5.0
APP_NAME = "azekia-studio"
# RFC 5424 section 6.2.1: facility 1 (user-level), severities by level.
_FACILITY = 1
_SYSLOG_SEVERITY = {"critical": 2, "error": 3, "warning": 4, "info": 6, "debug": 7}
# OpenTelemetry log data model, SeverityNumber: https://opentelemetry.io/docs/specs/otel/logs/data-model/
_OTLP_SEVERITY = {"debug": 5, "info": 9, "warning": 13, "error": 17, "critical": 21}

_dropped_lock = threading.Lock()
_dropped = 0
logger = logging.getLogger(__name__)


def dropped_records() -> int:
    """Records this process could not ship since it started."""
    return _dropped


def _count_dropped(count: int) -> None:
    global _dropped
    with _dropped_lock:
        _dropped += count
    metrics.count_log_dropped(count)


class SyslogTransport:
    def __init__(self, host: str, port: int, context: ssl.SSLContext | None, process: str):
        self.address, self.context, self.process = (host, port), context, process
        self.hostname = socket.gethostname()[:255] or "-"
        self.sock: socket.socket | None = None

    def after_fork(self) -> None:
        """In a forked child: the parent's connection stays the parent's."""
        self.sock = None

    def frame(self, fields: dict[str, str]) -> bytes:
        import json

        priority = _FACILITY * 8 + _SYSLOG_SEVERITY.get(fields["level"], 6)
        header = f"<{priority}>1 {fields['time']} {self.hostname} {APP_NAME} {os.getpid()} {self.process} -"
        message = f"{header} {json.dumps(fields, ensure_ascii=True)}".encode()
        return f"{len(message)} ".encode() + message

    def send(self, batch: list[dict[str, str]]) -> None:
        if self.sock is None:
            sock = socket.create_connection(self.address, timeout=SEND_TIMEOUT_SECONDS)
            if self.context is not None:
                sock = self.context.wrap_socket(sock, server_hostname=self.address[0])
            self.sock = sock
        try:
            self.sock.sendall(b"".join(self.frame(fields) for fields in batch))
        except OSError:
            self.close()
            raise

    def close(self) -> None:
        if self.sock is not None:
            try:
                self.sock.close()
            finally:
                self.sock = None


class OtlpTransport:
    def __init__(self, url: str, ca: str | None, process: str):
        self.url, self.process, self.ca = url, process, ca
        self.after_fork()

    def after_fork(self) -> None:
        verify = ssl.create_default_context(cafile=self.ca) if self.ca else True
        self.client = httpx.Client(timeout=SEND_TIMEOUT_SECONDS, verify=verify)

    def body(self, batch: list[dict[str, str]]) -> dict:
        records = [{
            "timeUnixNano": str(_unix_nanos(fields["time"])),
            "severityNumber": _OTLP_SEVERITY.get(fields["level"], 9),
            "severityText": fields["level"].upper(),
            "body": {"stringValue": fields["message"]},
            "attributes": [{"key": name, "value": {"stringValue": value}} for name, value in fields.items()
                           if name not in ("time", "level", "message")],
        } for fields in batch]
        resource = {"attributes": [{"key": "service.name", "value": {"stringValue": APP_NAME}},
                                   {"key": "process.pid", "value": {"intValue": str(os.getpid())}}]}
        return {"resourceLogs": [{"resource": resource,
                                  "scopeLogs": [{"scope": {"name": "studio_app"}, "logRecords": records}]}]}

    def send(self, batch: list[dict[str, str]]) -> None:
        try:
            self.client.post(self.url, json=self.body(batch)).raise_for_status()
        except httpx.HTTPError as error:
            raise OSError(f"collector answered {type(error).__name__}") from None

    def close(self) -> None:
        self.client.close()


def _unix_nanos(rfc3339: str) -> int:
    import datetime

    moment = datetime.datetime.fromisoformat(rfc3339.replace("Z", "+00:00"))
    return int(moment.timestamp() * 1_000) * 1_000_000


def transport_for(settings: Settings, process: str):
    url = urlsplit(settings.log_sink)
    ca = str(settings.log_sink_ca) if settings.log_sink_ca else None
    if url.scheme.startswith("otlp+"):
        return OtlpTransport(settings.log_sink.removeprefix("otlp+"), ca, process)
    context = ssl.create_default_context(cafile=ca) if url.scheme == "syslog+tls" else None
    return SyslogTransport(url.hostname, url.port, context, process)


class ShippingHandler(logging.Handler):
    def __init__(self, transport, process: str, *, capacity: int = CAPACITY, give_up_seconds: float = GIVE_UP_SECONDS,
                 report_seconds: float = REPORT_SECONDS):
        super().__init__()
        self.transport, self.process, self.capacity = transport, process, capacity
        self.give_up_seconds, self.report_seconds = give_up_seconds, report_seconds
        self._start()
        # The queue consumer forks its workers: a child gets this handler but not its thread, nor a usable queue
        # (its lock may have been held by the parent's thread at the fork).
        os.register_at_fork(after_in_child=self._after_fork)

    def _start(self) -> None:
        self.records: queue.Queue[dict[str, str]] = queue.Queue(self.capacity)
        self.stopping = threading.Event()
        self.reported = 0
        self.thread = threading.Thread(target=self._run, name="log-shipping", daemon=True)
        self.thread.start()

    def _after_fork(self) -> None:
        global _dropped, _dropped_lock
        if self.stopping.is_set():
            return
        _dropped_lock, _dropped = threading.Lock(), 0
        self.transport.after_fork()
        self._start()
        import atexit
        import multiprocessing.util

        # A multiprocessing child ends with os._exit, after its finalizers but without atexit.
        atexit.register(self.close)
        multiprocessing.util.Finalize(self, self.close, exitpriority=10)

    def emit(self, record: logging.LogRecord) -> None:
        if getattr(record, "local_only", False):
            return
        from studio_app.logs import record_fields

        try:
            self.records.put_nowait(record_fields(record, self.process))
        except queue.Full:
            _count_dropped(1)

    def _run(self) -> None:
        pending: list[dict[str, str]] = []
        failing_since, backoff, next_report = None, 0.1, time.monotonic() + self.report_seconds
        while not self.stopping.is_set():
            if not pending:
                pending = self._take(timeout=0.5)
            if pending:
                try:
                    self.transport.send(pending)
                    pending, failing_since, backoff = [], None, 0.1
                except OSError:
                    now = time.monotonic()
                    failing_since = failing_since or now
                    if now - failing_since > self.give_up_seconds:
                        _count_dropped(len(pending))
                        pending, failing_since = [], now  # still down: the next batch gets its own allowance
                    self.stopping.wait(backoff)
                    backoff = min(backoff * 2, 10.0)
            if time.monotonic() >= next_report:
                self.report()
                next_report = time.monotonic() + self.report_seconds
        self._flush(pending)

    def _take(self, timeout: float) -> list[dict[str, str]]:
        try:
            batch = [self.records.get(timeout=timeout)]
        except queue.Empty:
            return []
        while len(batch) < BATCH:
            try:
                batch.append(self.records.get_nowait())
            except queue.Empty:
                break
        return batch

    def _flush(self, pending: list[dict[str, str]]) -> None:
        """At shutdown: what is queued gets one more try, within ``SHUTDOWN_SECONDS``; the rest is counted."""
        deadline = time.monotonic() + SHUTDOWN_SECONDS
        while time.monotonic() < deadline:
            pending = pending or self._take(timeout=0)
            if not pending:
                break
            try:
                self.transport.send(pending)
                pending = []
            except OSError:
                break
        _count_dropped(len(pending) + self.records.qsize())
        self.transport.close()

    def report(self) -> None:
        """One line on stdout (never shipped: it would feed itself while the collector is down)."""
        total = dropped_records()
        if total > self.reported:
            logger.warning("log records dropped: %d", total, extra={"event": "log records dropped",
                                                                    "local_only": True})
            self.reported = total

    def close(self) -> None:
        if not self.stopping.is_set():
            self.stopping.set()
            self.thread.join(SHUTDOWN_SECONDS + SEND_TIMEOUT_SECONDS)
            self.report()
            for handler in logging.getLogger().handlers:
                with contextlib.suppress(ValueError, OSError):  # a console already closed has nothing to flush
                    handler.flush()
            with contextlib.suppress(ValueError, OSError):
                sys.stdout.flush()
        super().close()


def start_shipping(settings: Settings, process: str) -> ShippingHandler:
    return ShippingHandler(transport_for(settings, process), process)
