"""The log line format, the user pseudonym, the Sentry scrubbing and the settings that choose them."""

import json
import logging

import pytest

from studio_app import error_reports, logs
from studio_app.settings import SettingsError, load_settings


def _record(message: str, *args, **extra) -> logging.LogRecord:
    record = logging.LogRecord("studio_app.test", logging.WARNING, __file__, 1, message, args, None)
    record.__dict__.update(extra)
    return record


def test_a_record_is_one_json_object_with_every_field_redacted():
    token = logs.request_id.set("abc123")
    try:
        line = logs.JsonFormatter("app").format(
            _record("refused %s from %s", "ana@example.com", "198.51.100.23", event="refused ana@example.com"))
    finally:
        logs.request_id.reset(token)
    fields = json.loads(line)
    assert fields["time"].endswith("Z") and fields["level"] == "warning" and fields["logger"] == "studio_app.test"
    assert fields["message"] == "refused <email> from 198.51.100.x"
    assert fields["event"] == "refused <email>"  # given through extra, redacted all the same
    assert fields["request_id"] == "abc123" and fields["process"] == "app"


def test_the_user_pseudonym_is_stable_and_is_not_the_id(tmp_path, monkeypatch):
    monkeypatch.setattr(logs, "_pseudonym_key", lambda: b"k" * 32)
    logs.pseudonym.cache_clear()
    assert logs.pseudonym("42") == logs.pseudonym("42") != logs.pseudonym("43")
    assert len(logs.pseudonym("42")) == 16 and logs.pseudonym("42") != "42"
    logs.pseudonym.cache_clear()


def test_a_sentry_event_keeps_types_and_frames_and_loses_everything_personal():
    event = {
        "event_id": "0123456789abcdef0123456789abcdef",
        "request": {"url": "https://studio/x", "cookies": {"studio_session": "s3cr3t"}, "headers": {"Cookie": "x"}},
        "user": {"id": "42", "email": "ana@example.com", "ip_address": "198.51.100.23"},
        "extra": {"form": "Private text"},
        "exception": {"values": [{"type": "ValueError", "value": "bad ana@example.com",
                                  "stacktrace": {"frames": [{"function": "send", "vars": {"body": "Private text"}}]}}]},
        "breadcrumbs": {"values": [{"category": "httplib", "data": {"url": "https://discord.com/api/webhooks/1/tok"},
                                    "message": "mail to ana@example.com"}]},
    }
    scrubbed = json.dumps(error_reports.scrub_event(event))
    for personal in ("ana@", "198.51.100.23", "Private text", "s3cr3t", "webhooks", "\"42\""):
        assert personal not in scrubbed
    assert '"ValueError"' in scrubbed and '"send"' in scrubbed and "0123456789abcdef0123456789abcdef" in scrubbed


@pytest.mark.parametrize("sink", ["syslog+tcp://logs.example:6514", "syslog+tls://10.0.0.2:6514",
                                  "otlp+http://collector:4318/v1/logs", "otlp+https://collector.example/v1/logs"])
def test_log_sinks_are_accepted(tmp_path, sink):
    assert load_settings({"STUDIO_DATA_DIR": str(tmp_path), "STUDIO_LOG_SINK": sink}).log_sink == sink


@pytest.mark.parametrize(("variable", "value"), [("STUDIO_LOG_SINK", "syslog://logs:514"),
                                                 ("STUDIO_LOG_SINK", "syslog+tcp://logs"),
                                                 ("STUDIO_LOG_FORMAT", "xml"),
                                                 ("STUDIO_LOG_SINK_CA", "/no/such/ca.pem")])
def test_wrong_log_settings_name_their_variable(tmp_path, variable, value):
    with pytest.raises(SettingsError) as raised:
        load_settings({"STUDIO_DATA_DIR": str(tmp_path), variable: value})
    assert raised.value.variable == variable
