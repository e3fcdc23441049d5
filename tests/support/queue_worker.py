"""``python -m tests.support.queue_worker [worker options]``: the app's consumer (``python -m studio_app worker``),
also knowing the tests' own tasks (tests/support/queue_tasks.py)."""

import sys

import tests.support.queue_tasks  # noqa: F401  (declares the tasks before the consumer starts)
from studio_app.__main__ import main

if __name__ == "__main__":
    sys.exit(main(["worker", *sys.argv[1:]]))
