"""Nothing personal in any log line, whoever wrote it: every record of the process passes through here.

Any client can make an event fail, and the libraries under us (Reflex, Socket.IO, the ASGI server) write what
they were handling into their messages: whole events with their router data (cookie, client token, IP, user
agent) and payload (message text, names). Patterns cannot recognise a name or a message text, so:
- a library's message is kept up to where data starts (the first quote, bracket, brace or ``=``);
- an exception keeps its type and where it was raised, never its message (which may quote the data);
- in every message, ours included: emails, client tokens (UUIDs), long secrets and session cookies are
  replaced, and IP addresses shortened to their network part.
"""

from __future__ import annotations

import logging
import re
import traceback
from pathlib import Path

# Loggers of code that is not ours (their messages may embed whatever they were handling).
LIBRARY_LOGGERS = ("reflex", "reflex_base", "socketio", "engineio", "asyncio", "granian", "_granian", "uvicorn",
                   "starlette", "websockets", "httpx", "httpcore", "redis", "sqlalchemy", "alembic")
_DATA_STARTS = re.compile(r"""[{\[(<'"=]|\bEvent data\b|\bwith value\b""")
_REPLACEMENTS = (
    (re.compile(r"(?i)(cookie|studio_session|authorization)\s*[:=]\s*\S+"), r"\1=<redacted>"),
    (re.compile(r"[\w.+-]+@[\w-]+(\.[\w-]+)+"), "<email>"),
    (re.compile(r"\b[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}\b", re.I), "<token>"),
    (re.compile(r"\b(\d{1,3}\.\d{1,3}\.\d{1,3})\.\d{1,3}\b"), r"\1.x"),
    (re.compile(r"\b(?:[0-9a-f]{1,4}:){2,7}[0-9a-f]{0,4}\b", re.I), "<ipv6>"),
    # Long runs mixing letters and digits (cookie secrets, ids); code names like handler names have no digits.
    (re.compile(r"\b(?=[\w-]*\d)(?=[\w-]*[A-Za-z])[\w-]{24,}"), "<secret>"),
)
_FRAMES_KEPT = 6
_EVENT_ENDS = re.compile(r"""%|[{\[(<'"=:]""")
_installed = False
# Called with the exception of a record that carries one, before it is dropped (error reports, ``error_reports.py``).
_exception_hook = None


def set_exception_hook(hook) -> None:
    global _exception_hook
    _exception_hook = hook


def redact(text: str) -> str:
    for pattern, replacement in _REPLACEMENTS:
        text = pattern.sub(replacement, text)
    return text


def library_line(message: str) -> str:
    """What a library's message says before the data it embeds."""
    found = _DATA_STARTS.search(message)
    return message if found is None else message[: found.start()].rstrip(" :,") + " …"


def describe_exception(error: BaseException) -> str:
    """The exception's type and the last frames it went through; its message (which may quote data) is left out."""
    frames = traceback.extract_tb(error.__traceback__)[-_FRAMES_KEPT:]
    where = " < ".join(f"{Path(frame.filename).name}:{frame.lineno} {frame.name}" for frame in reversed(frames))
    cause = error.__cause__ or error.__context__
    because = f" (from {type(cause).__name__})" if cause is not None else ""
    return f"{type(error).__name__}{because}" + (f" at {where}" if where else "")


def event_of(template: object) -> str:
    """A short event name from a message's fixed part: the words before its first placeholder or data."""
    if not isinstance(template, str):
        return "message"
    found = _EVENT_ENDS.search(template)
    words = (template if found is None else template[: found.start()]).strip(" ,.-…")
    return redact(words[:60].rstrip()) or "message"


def _is_library(name: str) -> bool:
    return name.split(".", 1)[0] in LIBRARY_LOGGERS


def install() -> None:
    """Every record created from now on, by any logger, is redacted before any handler sees it."""
    global _installed
    if _installed:
        return
    _installed = True
    create = logging.getLogRecordFactory()

    def redacted_record(*args, **kwargs) -> logging.LogRecord:
        record = create(*args, **kwargs)
        record.default_event, record.error = event_of(record.msg), None
        try:
            message = record.getMessage()
        except Exception:  # a bad format string: say so rather than guess
            message = f"unformattable message from {record.name}"
        if _is_library(record.name):
            message = library_line(message)
        message = redact(message)
        if record.exc_info and record.exc_info[1] is not None:
            if _exception_hook is not None:
                _exception_hook(record.exc_info[1])
            record.error = redact(describe_exception(record.exc_info[1]))
            message += f" [{record.error}]"  # a handler that knows no ``error`` field still says what failed
        record.msg, record.args = message, ()
        record.exc_info, record.exc_text, record.stack_info = None, None, None
        return record

    logging.setLogRecordFactory(redacted_record)
