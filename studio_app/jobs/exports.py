"""Building data exports: claim a queued one atomically, build it, repeat; give back those a dead worker left.

Runs on a worker thread (``asyncio.to_thread``): kicked when someone asks for an export, and by the periodic
loop in ``state/live.py`` for anything left over (a restart, a re-queued export).
"""

from __future__ import annotations

import threading

from studio_app.database import session_scope
from studio_app.services import exports

# One round at a time in a process: a second kick while one runs has nothing to add (the round loops
# until the queue is empty).
_round_lock = threading.Lock()
MAX_PER_ROUND = 20


def run_export_round(max_exports: int = MAX_PER_ROUND) -> int:
    """Build queued exports until none is left (or ``max_exports`` were built); returns how many were built."""
    if not _round_lock.acquire(blocking=False):
        return 0
    try:
        with session_scope() as session:
            exports.requeue_stale(session)
        built = 0
        while built < max_exports:
            with session_scope() as session:
                export_id = exports.claim_next(session)
            if export_id is None:
                break
            exports.build_export(export_id)
            built += 1
        return built
    finally:
        _round_lock.release()

