"""Work done after the answer: on one background thread, each piece in a transaction of its own.

For answers whose timing must not tell which path was taken (whether an address has an account): the
request does the same work on both paths, and what differs (writing a token, a mail) runs here once the
request's transaction has committed, so the answer never waits for it. Work handed over by a request
starts a moment later, once the answer has left: running at once, it would compete with the answer for
the interpreter and make it measurably slower (about 5 ms for a reset link, measured here). A failure is
logged by kind only (errors can quote SQL parameters or a mail server's reply naming the recipient).
"""

from __future__ import annotations

import concurrent.futures
import logging
import threading
import time
from collections.abc import Callable

from sqlmodel import Session

from studio_app.database import after_commit, session_scope

logger = logging.getLogger(__name__)
ANSWER_GRACE_SECONDS = 0.1
THREAD_NAME = "studio-after-response"
# One thread: work runs in the order it was handed over, and a slow mail server never holds more than one.
_worker = concurrent.futures.ThreadPoolExecutor(max_workers=1, thread_name_prefix=THREAD_NAME)
_pending: set[concurrent.futures.Future] = set()
_pending_lock = threading.Lock()


def after_response(session: Session, work: Callable[[Session], object], what: str) -> None:
    """Run ``work(new_session)`` in its own transaction on the background thread once ``session`` commits (never if
    it rolls back). ``what`` names the work in the log, without personal data."""
    after_commit(session, lambda: _submit(work, what))


def soon(work: Callable[[Session], object], what: str) -> None:
    """Run ``work(new_session)`` on the background thread now, for callers without a transaction of their own."""
    _submit(work, what)


def wait_until_idle(timeout: float = 30) -> None:
    """Return once everything handed over so far, and what it handed over in turn, is done (tests use it)."""
    while True:
        with _pending_lock:
            pending = list(_pending)
        if not pending:
            return
        done, _ = concurrent.futures.wait(pending, timeout)
        if len(done) < len(pending):
            raise TimeoutError(f"background work still running after {timeout} s")


def _submit(work: Callable[[Session], object], what: str) -> None:
    # Work handed over by background work itself (a mail after its token) answers nobody: no need to wait.
    by_request = not threading.current_thread().name.startswith(THREAD_NAME)
    start_at = time.monotonic() + (ANSWER_GRACE_SECONDS if by_request else 0)
    future = _worker.submit(_run, work, what, start_at)
    with _pending_lock:
        _pending.add(future)
    future.add_done_callback(_forget)


def _run(work: Callable[[Session], object], what: str, start_at: float) -> None:
    time.sleep(max(0.0, start_at - time.monotonic()))
    try:
        with session_scope() as session:
            work(session)
    except Exception as error:
        logger.error("background work failed: %s (%s)", what, type(error).__name__)


def _forget(future: concurrent.futures.Future) -> None:
    with _pending_lock:
        _pending.discard(future)
