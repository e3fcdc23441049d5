"""The one error type for what a person can fix or needs to be told (stdlib only, importable by every layer).

Services, policy checks and validation raise it (or a subclass naming the case); the state layer shows
``message`` next to ``field`` (or the whole form when ``field`` is None) and needs to catch nothing else.
Anything else that escapes a handler is a bug: it is logged and the person sees a plain message.
"""

from __future__ import annotations


class UserError(Exception):
    """Something the person can act on; ``message`` is safe to show, ``field`` names the input it is about."""

    def __init__(self, message: str, field: str | None = None):
        super().__init__(message)
        self.message = message
        self.field = field


class NotFound(UserError):
    """What was asked for does not exist, or is not the person's to see (the same answer: ids are no oracle)."""
