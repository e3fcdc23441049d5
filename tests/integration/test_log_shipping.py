"""Log records shipped to real collectors: Debian's rsyslogd (RFC 5424 over TCP and TLS) and an OTLP/HTTP receiver
started here; what cannot be shipped is counted and reported, and a process never waits for its collector."""

from __future__ import annotations

import json
import logging
import os
import subprocess
import sys
import threading
import time
import uuid
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from studio_app import log_shipping
from studio_app.log_shipping import ShippingHandler, transport_for
from studio_app.settings import PROJECT_ROOT, load_settings
from tests.support.rsyslog import black_hole, rsyslog
from tests.support.tls import write_self_signed_certificate


def _shipping(tmp_path, sink: str, ca=None, **options) -> ShippingHandler:
    environ = {"STUDIO_DATA_DIR": str(tmp_path / "data"), "STUDIO_LOG_SINK": sink}
    if ca is not None:
        environ["STUDIO_LOG_SINK_CA"] = str(ca)
    return ShippingHandler(transport_for(load_settings(environ), "app"), "app", **options)


def _logger(handler: ShippingHandler) -> logging.Logger:
    logger = logging.getLogger(f"studio_app.test_shipping.{uuid.uuid4().hex[:8]}")
    logger.propagate, logger.level = False, logging.INFO
    logger.addHandler(handler)
    return logger


def test_records_reach_rsyslog_as_rfc5424_with_a_json_message(tmp_path):
    with rsyslog(tmp_path / "collector") as collector:
        handler = _shipping(tmp_path, f"syslog+tcp://{collector.url}")
        logger = _logger(handler)
        logger.info("export built for %s", "paula.producer@example.com")
        logger.error("mail failed", extra={"event": "mail failed"})
        handler.close()
        received = collector.wait_for(2)

    assert [message["version"] for message in received] == ["1", "1"]  # parsed as RFC 5424
    assert [(message["facility"], message["severity"]) for message in received] == [("1", "6"), ("1", "3")]
    assert {message["app"] for message in received} == {"azekia-studio"}
    assert {message["procid"] for message in received} == {str(os.getpid())}
    first, second = (json.loads(message["msg"]) for message in received)
    assert first["message"] == "export built for <email>" and first["event"] == "export built for"
    assert first["time"] == received[0]["timestamp"] and first["time"].endswith("Z")
    assert second["event"] == "mail failed" and second["level"] == "error"


def test_records_reach_rsyslog_over_tls_checked_against_the_given_ca(tmp_path):
    certificate = write_self_signed_certificate(tmp_path)
    (tmp_path / "other").mkdir()
    other_ca, _ = write_self_signed_certificate(tmp_path / "other")
    with rsyslog(tmp_path / "collector", certificate=certificate) as collector:
        trusted = _shipping(tmp_path, f"syslog+tls://{collector.url}", certificate[0])
        _logger(trusted).info("over tls")
        trusted.close()
        received = collector.wait_for(1)
        before = log_shipping.dropped_records()
        untrusted = _shipping(tmp_path, f"syslog+tls://{collector.url}", other_ca, give_up_seconds=0.2)
        _logger(untrusted).info("to an impostor")
        time.sleep(1)
        untrusted.close()

    assert [json.loads(message["msg"])["message"] for message in received] == ["over tls"]
    assert collector.messages() == received  # a collector whose certificate the CA did not sign gets nothing
    assert log_shipping.dropped_records() - before == 1  # and the record is counted


RECORDS = 20_000  # more than the queue holds


def test_records_that_cannot_be_shipped_are_counted_and_reported_on_stdout(tmp_path):
    """A whole process: set up as the app is, logging more than the queue holds to a collector that never reads.
    It exits within the flush limit, and says how many records it dropped."""
    script = (f"RECORDS = {RECORDS}\n"
              "import logging\n"
              "from studio_app import logs, log_shipping\n"
              "logs.setup('cli')\n"
              "log = logging.getLogger('studio_app.flood')\n"
              "for n in range(RECORDS):\n"
              "    log.info('record %d', n)\n"
              "print('dropped while running', log_shipping.dropped_records(), flush=True)\n")
    with black_hole() as port:
        started = time.monotonic()
        finished = subprocess.run(
            [sys.executable, "-c", script], cwd=PROJECT_ROOT, capture_output=True, text=True, timeout=60,
            env={**os.environ, "STUDIO_DATA_DIR": str(tmp_path / "data"), "STUDIO_LOG_FORMAT": "json",
                 "STUDIO_LOG_SINK": f"syslog+tcp://127.0.0.1:{port}"})
        elapsed = time.monotonic() - started

    assert finished.returncode == 0, finished.stderr
    lines = finished.stdout.splitlines()
    running = int(next(line for line in lines if line.startswith("dropped while running")).split()[-1])
    assert running >= RECORDS - log_shipping.CAPACITY - log_shipping.BATCH  # the queue is bounded
    reports = [json.loads(line) for line in lines if '"log records dropped"' in line]
    assert reports and reports[-1]["level"] == "warning"
    assert int(reports[-1]["message"].split()[-1]) >= running  # everything left at exit is counted too
    assert elapsed < 30  # shutdown flush is bounded


class _OtlpReceiver(BaseHTTPRequestHandler):
    bodies: list[dict] = []

    def do_POST(self):
        body = self.rfile.read(int(self.headers["Content-Length"]))
        type(self).bodies.append({"path": self.path, "type": self.headers["Content-Type"], "body": json.loads(body)})
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", "2")
        self.end_headers()
        self.wfile.write(b"{}")

    def log_message(self, *args):
        pass


def test_records_reach_an_otlp_http_receiver_as_otlp_json(tmp_path):
    _OtlpReceiver.bodies = []
    server = ThreadingHTTPServer(("127.0.0.1", 0), _OtlpReceiver)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        handler = _shipping(tmp_path, f"otlp+http://127.0.0.1:{server.server_port}/v1/logs")
        logger = _logger(handler)
        logger.warning("upload refused from 203.0.113.9", extra={"event": "upload refused"})
        handler.close()
    finally:
        server.shutdown()

    (request,) = _OtlpReceiver.bodies
    assert request["path"] == "/v1/logs" and request["type"] == "application/json"
    (resource,) = request["body"]["resourceLogs"]
    assert {"key": "service.name", "value": {"stringValue": "azekia-studio"}} in resource["resource"]["attributes"]
    (record,) = resource["scopeLogs"][0]["logRecords"]
    assert record["severityNumber"] == 13 and record["severityText"] == "WARNING"
    assert record["body"] == {"stringValue": "upload refused from 203.0.113.x"}
    assert int(record["timeUnixNano"]) > 1_600_000_000 * 10**9 and isinstance(record["timeUnixNano"], str)
    attributes = {item["key"]: item["value"]["stringValue"] for item in record["attributes"]}
    assert attributes["event"] == "upload refused" and attributes["process"] == "app"
