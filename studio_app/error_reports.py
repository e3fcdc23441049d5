"""Error monitoring with the Sentry SDK when ``STUDIO_SENTRY_DSN`` is set, with nothing personal in what it sends.

Sentry is a third party: an event leaves with the exception's types and frames (file, function, line, the code
around it) and the pseudonymous user id, nothing else:
- ``send_default_pii=False`` and ``include_local_variables=False`` (frame variables hold form data, tokens);
- ``before_send`` drops the request (URL, headers, cookies, body), exception messages (they may quote the data
  that failed), ``extra`` and every user field but the pseudonym; ``before_breadcrumb`` keeps a breadcrumb's
  category and redacted message, never its data (an HTTP breadcrumb's URL can hold a webhook token);
- then every string left goes through the log redaction (``security/log_redaction.py``), like log lines.
Options: https://docs.sentry.io/platforms/python/configuration/options/ and filtering:
https://docs.sentry.io/platforms/python/configuration/filtering/

Events come from exceptions: unhandled ones (threads, the process), failed websocket events
(``state/errors.py``), and every record logged with its exception (``logger.exception``), caught by the log
redaction before it drops the exception. Log lines themselves are breadcrumbs, not events.
"""

from __future__ import annotations

import contextlib
import logging

from studio_app.security import log_redaction
from studio_app.settings import Settings

_KEPT_BREADCRUMB_KEYS = ("type", "category", "level", "timestamp", "message")
# Identifiers Sentry needs as they are (random hex: the redaction would take them for secrets).
_IDENTIFIERS = {"event_id", "trace_id", "span_id", "parent_span_id", "release"}
_enabled = False


def init(settings: Settings, process: str) -> None:
    global _enabled
    if not settings.sentry_dsn:
        return
    import sentry_sdk
    from sentry_sdk.integrations.logging import LoggingIntegration

    sentry_sdk.init(
        dsn=settings.sentry_dsn,
        send_default_pii=False,
        include_local_variables=False,
        include_source_context=True,
        max_request_body_size="never",
        # Integrations that turn on by themselves for installed libraries (httpx, Starlette, Redis...) record
        # URLs, queries and request data: only the defaults, which before_breadcrumb and before_send cover.
        auto_enabling_integrations=False,
        integrations=[LoggingIntegration(level=logging.INFO, event_level=None)],
        before_send=scrub_event,
        before_breadcrumb=scrub_breadcrumb,
        server_name=process,
        shutdown_timeout=2,
    )
    _enabled = True
    log_redaction.set_exception_hook(capture)


def capture(error: BaseException) -> None:
    """Report an exception that was handled (so no integration sees it); never fails the caller."""
    if not _enabled:
        return
    import sentry_sdk

    with contextlib.suppress(Exception):  # error reporting must never become the error
        sentry_sdk.capture_exception(error)


def _redacted(value):
    if isinstance(value, str):
        return log_redaction.redact(value)
    if isinstance(value, dict):
        return {key: item if key in _IDENTIFIERS else _redacted(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [_redacted(item) for item in value]
    return value


def scrub_event(event: dict, _hint: dict | None = None) -> dict:
    from studio_app.logs import user_pseudonym

    for key in ("request", "extra", "user", "breadcrumbs_data"):
        event.pop(key, None)
    if (user := user_pseudonym.get()) is not None:
        event["user"] = {"id": user}
    for exception in (event.get("exception") or {}).get("values", []):
        exception.pop("value", None)
        exception.get("mechanism", {}).pop("data", None)
        for frame in (exception.get("stacktrace") or {}).get("frames", []):
            frame.pop("vars", None)
    if isinstance(event.get("logentry"), dict):
        event["logentry"].pop("params", None)
    breadcrumbs = event.get("breadcrumbs")
    if isinstance(breadcrumbs, dict):
        breadcrumbs["values"] = [scrub_breadcrumb(crumb) for crumb in breadcrumbs.get("values", [])]
    return _redacted(event)


def scrub_breadcrumb(crumb: dict, _hint: dict | None = None) -> dict:
    return _redacted({key: crumb[key] for key in _KEPT_BREADCRUMB_KEYS if key in crumb})
