"""One logging set-up for every process: the app's server workers, the queue consumers and the CLI.

Each record becomes one JSON object a line on stdout (``STUDIO_LOG_FORMAT=text`` for people reading a terminal,
the default when stdout is one): ``time`` (RFC 3339, UTC), ``level``, ``logger``, ``event`` (a short name: the
fixed words of the message), ``message``, the ``request_id`` of the HTTP request or websocket event being
handled, ``user`` (a pseudonym, below), ``error`` (an exception's type and frames, never its message) and
``process``. Every field passes through the redaction of ``security/log_redaction.py`` last, whoever set it.

``STUDIO_LOG_SINK`` ships the same records to a collector too (``log_shipping.py``), from a thread of its own.

The pseudonymous user id is HMAC-SHA256 of the user id under a key derived from the index key:
- stable across processes and restarts, so one person's lines can be followed through an incident;
- not reversible from the logs alone (user ids are few and guessable: a plain hash of one is not a pseudonym);
- under a key of its own (derived, never the index key itself), so a log line cannot be matched against the
  blind indexes of the database; an operator who holds the keys can compute a given user's pseudonym to find
  their lines (``pseudonym(user_id)``), which is what an access request or an incident needs.
"""

from __future__ import annotations

import atexit
import contextvars
import datetime
import functools
import hashlib
import hmac
import json
import logging
import os
import secrets
import sys

from studio_app.security import log_redaction
from studio_app.settings import Settings, current_settings

request_id: contextvars.ContextVar[str | None] = contextvars.ContextVar("studio_request_id", default=None)
user_pseudonym: contextvars.ContextVar[str | None] = contextvars.ContextVar("studio_user", default=None)

# Loggers that bring handlers of their own (Reflex's console when run by its CLI, granian's): their records go
# through ours instead, so every line has one format and one redaction.
_TAKEN_OVER = ("reflex", "_granian", "granian.access")
_PSEUDONYM_PURPOSE = b"studio log pseudonyms v1"
_configured: str | None = None


@functools.cache
def _pseudonym_key() -> bytes:
    from studio_app.security.keyring import current_keys

    return hmac.new(current_keys().index_key, _PSEUDONYM_PURPOSE, hashlib.sha256).digest()


@functools.lru_cache(maxsize=4096)
def pseudonym(user_id: object) -> str:
    """16 hex characters standing for one user in logs and error reports."""
    return hmac.new(_pseudonym_key(), str(user_id).encode(), hashlib.sha256).hexdigest()[:16]


def new_request_id() -> str:
    return secrets.token_hex(8)


def bind_event(user_id: object | None) -> None:
    """For the websocket event being handled in this task: a fresh id, and who sent it (when signed in)."""
    request_id.set(new_request_id())
    user_pseudonym.set(pseudonym(user_id) if user_id else None)


class RequestContext:
    """ASGI middleware: each HTTP request gets an id that its log lines carry."""

    def __init__(self, app):
        self.app = app

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        token = request_id.set(new_request_id())
        try:
            return await self.app(scope, receive, send)
        finally:
            request_id.reset(token)


def _rfc3339(created: float) -> str:
    moment = datetime.datetime.fromtimestamp(created, tz=datetime.UTC)
    return moment.isoformat(timespec="milliseconds").replace("+00:00", "Z")


def record_fields(record: logging.LogRecord, process: str) -> dict[str, str]:
    """The record as shipped and printed; computed once per record, in the thread that logged it (where the
    request's context is), so every handler and the shipping thread see the same fields."""
    fields = getattr(record, "studio_fields", None)
    if fields is None:
        fields = {
            "time": _rfc3339(record.created),
            "level": record.levelname.lower(),
            "logger": record.name,
            "event": (getattr(record, "event", None) or getattr(record, "default_event", None)
                      or log_redaction.event_of(record.msg)),
            "message": record.getMessage(),
            "process": process,
        }
        error = getattr(record, "error", None)
        if error:
            fields["message"] = fields["message"].removesuffix(f" [{error}]")
            fields["error"] = error
        for name, value in (("request_id", request_id.get()), ("user", user_pseudonym.get())):
            if value:
                fields[name] = value
        # The last word on every field, those given through ``extra`` included.
        fields = {name: log_redaction.redact(str(value)) for name, value in fields.items()}
        record.studio_fields = fields
    return fields


class JsonFormatter(logging.Formatter):
    def __init__(self, process: str):
        super().__init__()
        self.process = process

    def format(self, record: logging.LogRecord) -> str:
        return json.dumps(record_fields(record, self.process), ensure_ascii=False)


class TextFormatter(logging.Formatter):
    def __init__(self, process: str):
        super().__init__()
        self.process = process

    def format(self, record: logging.LogRecord) -> str:
        fields = record_fields(record, self.process)
        context = " ".join(f"{name}={fields[name]}" for name in ("request_id", "user") if name in fields)
        error = f" [{fields['error']}]" if "error" in fields else ""
        return (f"{fields['time']} {fields['level'].upper()} {fields['logger']}: {fields['message']}{error}"
                + (f" ({context})" if context else ""))


def log_format(settings: Settings) -> str:
    """``STUDIO_LOG_FORMAT``, else JSON unless a person watches stdout (a terminal): collectors and container
    runtimes read pipes and files, people read terminals."""
    return settings.log_format or ("text" if sys.stdout.isatty() else "json")


def setup(process: str, settings: Settings | None = None) -> None:
    """Idempotent per process. ``process`` names it in every record: ``app``, ``worker`` or ``cli``."""
    global _configured
    if _configured is not None:
        return
    _configured = process
    settings = settings or current_settings()
    log_redaction.install()
    root = logging.getLogger()
    for handler in list(root.handlers):
        root.removeHandler(handler)
    console = logging.StreamHandler(sys.stdout)
    console.setFormatter((JsonFormatter if log_format(settings) == "json" else TextFormatter)(process))
    root.addHandler(console)
    root.setLevel(settings.log_level.upper())
    # Reflex's CLI marks its processes as owning their log output ("managed"), and re-attaches its console
    # handler whenever its configuration is read; unmarked, it leaves its records to the application's set-up.
    os.environ["REFLEX_MANAGED_LOGGING"] = "false"
    for name in _TAKEN_OVER:
        logger = logging.getLogger(name)
        for handler in list(logger.handlers):
            logger.removeHandler(handler)
        logger.propagate = True
    if settings.log_sink:
        from studio_app.log_shipping import start_shipping

        shipper = start_shipping(settings, process)
        root.addHandler(shipper)
        atexit.register(shipper.close)
    from studio_app import error_reports

    error_reports.init(settings, process)
