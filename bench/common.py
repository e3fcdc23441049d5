"""What every benchmark reports: a ratio against a peer measured side by side in the same run."""

from __future__ import annotations

import contextlib
import dataclasses
import json
import os
import statistics
import tempfile
import time
from collections.abc import Callable, Iterator
from pathlib import Path

RESULTS = Path(__file__).parent / "results"


@dataclasses.dataclass(frozen=True)
class Result:
    """``ratio`` = measured / peer; it holds when it is at most ``target`` (lower is better) and every one of
    ``conditions`` (named requirements checked in the same run, e.g. a p99 limit) is true."""

    name: str
    measured: float
    peer: float
    target: float
    unit: str
    details: dict = dataclasses.field(default_factory=dict)
    conditions: dict[str, bool] = dataclasses.field(default_factory=dict)

    @property
    def ratio(self) -> float:
        return round(self.measured / self.peer, 3)

    @property
    def holds(self) -> bool:
        return self.ratio <= self.target and all(self.conditions.values())

    def as_json(self) -> dict:
        return {
            "name": self.name,
            "measured": round(self.measured, 4),
            "peer": round(self.peer, 4),
            "ratio": self.ratio,
            "target": self.target,
            "unit": self.unit,
            "holds": self.holds,
            "conditions": self.conditions,
            "details": self.details,
        }


def write_result(result: Result) -> Path:
    RESULTS.mkdir(exist_ok=True)
    path = RESULTS / f"{result.name}.json"
    path.write_text(json.dumps(result.as_json(), indent=2) + "\n")
    return path


def percentile(samples: list[float], fraction: float) -> float:
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, round(fraction * (len(ordered) - 1)))]


def summary_ms(samples_s: list[float]) -> dict:
    return _summary(samples_s, "ms", 1e3)


def summary_us(samples_s: list[float]) -> dict:
    return _summary(samples_s, "us", 1e6)


def _summary(samples_s: list[float], unit: str, scale: float) -> dict:
    return {
        f"p50_{unit}": round(percentile(samples_s, 0.50) * scale, 3),
        f"p99_{unit}": round(percentile(samples_s, 0.99) * scale, 3),
        f"mean_{unit}": round(statistics.fmean(samples_s) * scale, 3),
        "samples": len(samples_s),
    }


@contextlib.contextmanager
def temporary_app(database_url: str | None = None) -> Iterator[Path]:
    """Settings, keys and engine of this process pointed at a fresh folder (and SQLite database), migrated."""
    from studio_app import database
    from tests.support.app_env import clear_process_caches

    saved = {name: value for name, value in os.environ.items() if name.startswith("STUDIO_")}
    with tempfile.TemporaryDirectory() as folder:
        for name in saved:
            del os.environ[name]
        os.environ["STUDIO_DATA_DIR"] = folder
        os.environ["STUDIO_DATABASE_URL"] = database_url or f"sqlite:///{folder}/studio.db"
        clear_process_caches()
        database.upgrade_to_head(os.environ["STUDIO_DATABASE_URL"])
        try:
            yield Path(folder)
        finally:
            database.get_engine().dispose()
            for name in [name for name in os.environ if name.startswith("STUDIO_")]:
                del os.environ[name]
            os.environ.update(saved)
            clear_process_caches()


def interleaved(rounds: int, measured: Callable[[], object], peer: Callable[[], object]
                ) -> tuple[list[float], list[float]]:
    """Time both, alternating, so that machine noise hits them alike."""
    measured_times, peer_times = [], []
    for _ in range(rounds):
        started = time.perf_counter()
        measured()
        measured_times.append(time.perf_counter() - started)
        started = time.perf_counter()
        peer()
        peer_times.append(time.perf_counter() - started)
    return measured_times, peer_times


def tree_rss_bytes(root_pid: int) -> int:
    """Resident memory of a process and all its descendants: ``serve`` supervises the app and the queue consumer,
    each in a process group of its own, and the app's server runs its workers as children."""
    parents: dict[int, int] = {}
    sizes: dict[int, int] = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            parents[int(entry.name)] = int((entry / "stat").read_text().rsplit(")", 1)[1].split()[1])
            sizes[int(entry.name)] = int((entry / "statm").read_text().split()[1]) * os.sysconf("SC_PAGE_SIZE")
        except (OSError, ValueError, IndexError):
            continue
    tree, frontier = {root_pid}, [root_pid]
    while frontier:
        parent = frontier.pop()
        children = [pid for pid, ppid in parents.items() if ppid == parent and pid not in tree]
        tree.update(children)
        frontier.extend(children)
    return sum(sizes.get(pid, 0) for pid in tree)
