"""What every benchmark reports: a ratio against a peer measured side by side in the same run."""

from __future__ import annotations

import dataclasses
import json
import statistics
from pathlib import Path

RESULTS = Path(__file__).parent / "results"


@dataclasses.dataclass(frozen=True)
class Result:
    """``ratio`` = measured / peer; it holds when it is at most ``target`` (lower is better)."""

    name: str
    measured: float
    peer: float
    target: float
    unit: str
    details: dict = dataclasses.field(default_factory=dict)

    @property
    def ratio(self) -> float:
        return round(self.measured / self.peer, 3)

    @property
    def holds(self) -> bool:
        return self.ratio <= self.target

    def as_json(self) -> dict:
        return {
            "name": self.name,
            "measured": round(self.measured, 4),
            "peer": round(self.peer, 4),
            "ratio": self.ratio,
            "target": self.target,
            "unit": self.unit,
            "holds": self.holds,
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
    return {
        "p50_ms": round(percentile(samples_s, 0.50) * 1000, 3),
        "p99_ms": round(percentile(samples_s, 0.99) * 1000, 3),
        "mean_ms": round(statistics.fmean(samples_s) * 1000, 3),
        "samples": len(samples_s),
    }
