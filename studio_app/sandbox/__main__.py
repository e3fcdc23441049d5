"""``python -m studio_app.sandbox --host 127.0.0.1 --port N``: the provider sandbox on one port.

Granian (already the app's server) in one worker: the sandbox keeps its state in memory, so one process.
"""

from __future__ import annotations

import argparse

from granian import Granian
from granian.constants import Interfaces


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m studio_app.sandbox", description=__doc__.splitlines()[0])
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=3100)
    args = parser.parse_args(argv)
    Granian("studio_app.sandbox.app:app", address=args.host, port=args.port, interface=Interfaces.ASGI, workers=1,
            websockets=False, log_access=False).serve()


if __name__ == "__main__":
    main()
