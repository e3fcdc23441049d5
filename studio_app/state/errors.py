"""When an event fails (any client can make one fail: an unknown handler, a malformed payload, a handler that
raises), the log gets one useful line and nothing personal; the person gets a plain message with its reference.

Reflex logs a failed event with its whole router data (cookie, client token, IP, user agent) and payload, and
its default handler prints the exception with its message. Here: every log record is redacted
(``security/log_redaction.py``), an event prints as its name only, and a handler that raised is logged as its
state and handler, the exception's type and where it was raised, and a short reference.
"""

from __future__ import annotations

import re
import traceback

from reflex_base.event import Event

from studio_app.security.log_redaction import install
from studio_app.state.session import ProblemState, log_failure

_HANDLER_NAME = re.compile(r"[a-z0-9_]+(\.[a-z0-9_]+)*")


def event_name(name: object) -> str:
    """A client-given event name as it may be logged: a handler-like name, else a placeholder."""
    return name[:200] if isinstance(name, str) and _HANDLER_NAME.fullmatch(name) else "<malformed name>"


def _event_repr(event: Event) -> str:
    return f"event {event_name(event.name)}"


def _failed_handler(error: BaseException) -> str:
    """The innermost function of ours the exception went through (``ThreadState.send``), else the handler
    Reflex was calling when it failed (arguments that do not fit, for example)."""
    frames = [frame for frame, _ in traceback.walk_tb(error.__traceback__)]
    ours = [frame for frame in frames if frame.f_globals.get("__name__", "").startswith("studio_app.")]
    if ours:
        return ours[-1].f_code.co_qualname
    handlers = [frame.f_locals["handler"] for frame in frames if hasattr(frame.f_locals.get("handler"), "fn")]
    return f"Reflex, calling {handlers[-1].fn.__qualname__}" if handlers else "Reflex"


def backend_exception_handler(exception: Exception):
    """Given to ``rx.App``: Reflex checks the argument's name and type."""
    reference = log_failure(_failed_handler(exception), exception)
    # A toast would need eval, which the Content-Security-Policy refuses: the frame shows ProblemState instead.
    return ProblemState.show_reference(reference)


def install_safe_logging() -> None:
    install()
    Event.__repr__ = Event.__str__ = _event_repr  # Reflex formats whole events into its messages
