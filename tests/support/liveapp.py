"""The whole app (frontend and backend) built once and served on a free port, as ``make run`` does."""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from tests.support.servers import free_port, python_command, running_process

BUILD_AND_START_TIMEOUT = 900


@dataclasses.dataclass(frozen=True)
class LiveApp:
    url: str
    port: int
    data_dir: Path
    log: Path
    pid: int  # of the server process, leader of its process group
    metrics_url: str = ""  # serve's Prometheus endpoint (STUDIO_METRICS_ADDRESS), on a free port of its own

    @property
    def websocket_url(self) -> str:
        return f"ws://localhost:{self.port}/_event/?EIO=4&transport=websocket"


@contextmanager
def live_app(work_dir: Path, extra_env: dict[str, str] | None = None, *, backend_only: bool = False,
             public_url: str | None = None) -> Iterator[LiveApp]:
    """``backend_only`` instances skip the frontend build; give them the ``public_url`` of the instance
    whose pages the clients opened (the socket's allowed origin)."""
    port, metrics_port = free_port(), free_port()
    url = f"http://localhost:{port}"
    data_dir = work_dir / "data"
    env = {
        "STUDIO_DATA_DIR": str(data_dir),
        "STUDIO_PORT": str(port),
        "STUDIO_PUBLIC_URL": public_url or url,
        "STUDIO_DATABASE_URL": "",
        "STUDIO_ALLOWED_ORIGINS": "",
        "PYTHONUNBUFFERED": "1",  # tests read the log while the app runs
        "STUDIO_SANDBOX_PORT": str(free_port()),  # the provider sandbox serve starts (unless extra_env names one)
        "STUDIO_METRICS_ADDRESS": f"127.0.0.1:{metrics_port}",  # apps of parallel tests never share the default
        **(extra_env or {}),
    }
    log = work_dir / f"app-{port}.log"
    command = ["-m", "studio_app", "serve"] + (["--backend-only"] if backend_only else [])
    with running_process(
        python_command(*command),
        env=env,
        ready_url=f"{url}/api/health" if backend_only else f"{url}/",
        log=log,
        timeout=BUILD_AND_START_TIMEOUT,
    ) as process:
        metrics_address = env["STUDIO_METRICS_ADDRESS"]
        yield LiveApp(url=url, port=port, data_dir=data_dir, log=log, pid=process.pid,
                      metrics_url=f"http://{metrics_address}/metrics" if metrics_address != "off" else "")
