"""The pieces that keep log lines free of personal data."""

import logging

from studio_app.security import log_redaction
from studio_app.security.log_redaction import describe_exception, install, library_line, redact


def test_an_exception_is_described_without_its_message():
    try:
        raise ValueError("the value was 'Marguerite Dupont <m.dupont@example.com>'")
    except ValueError as error:
        described = describe_exception(error)
    assert described.startswith("ValueError at test_log_redaction.py:") and "Dupont" not in described


def test_a_library_message_stops_where_its_data_starts():
    assert library_line("Error processing event queue entry for event x.y [txid=1]") == \
        "Error processing event queue entry for event x.y …"
    assert library_line("Received event data: {'body': 'secret'}") == "Received event data …"
    assert library_line("Lock for token abc was held too long") == "Lock for token abc was held too long"


def test_addresses_tokens_and_secrets_are_replaced():
    assert redact("from 203.0.113.7 token 0b7c2b8e-6a43-4d4a-9d8e-0c6a2f3b9e11 at m@x.io") == \
        "from 203.0.113.x token <token> at <email>"
    assert redact("Cookie: studio_session=abc; theme=dark") == "Cookie=<redacted> theme=dark"
    assert redact("secret aZ3_kLm9-QwErTy8uIoP1aSdFgHjKl0") == "secret <secret>"
    assert redact("handler reflex___state____state.studio_app___state___thread____thread_state.send") == \
        "handler reflex___state____state.studio_app___state___thread____thread_state.send"


def test_every_record_is_redacted_before_any_handler_sees_it(caplog, monkeypatch):
    monkeypatch.setattr(log_redaction, "_installed", False)
    original = logging.getLogRecordFactory()
    install()
    try:
        raise KeyError("Paula Producer")
    except KeyError:
        logging.getLogger("reflex.app").exception("failed for {'name': 'Paula Producer', 'ip': '198.51.100.4'}")
    finally:
        logging.setLogRecordFactory(original)
    (record,) = caplog.records
    assert record.getMessage().startswith("failed for … [KeyError at test_log_redaction.py:")
    assert record.exc_info is None and "Paula" not in caplog.text and "198.51.100.4" not in caplog.text
