"""``python -m bench.run [name]``: run every benchmark in bench/, or only the one named."""

from __future__ import annotations

import importlib
import json
import sys
from pathlib import Path

from bench.common import write_result

NOT_BENCHMARKS = {"__init__", "common", "run"}


def benchmark_names() -> list[str]:
    return sorted(path.stem for path in Path(__file__).parent.glob("*.py") if path.stem not in NOT_BENCHMARKS)


def main(argv: list[str]) -> int:
    names = benchmark_names()
    wanted = argv or names
    unknown = sorted(set(wanted) - set(names))
    if unknown:
        print(f"Unknown benchmark(s): {', '.join(unknown)}. Known: {', '.join(names)}", file=sys.stderr)
        return 2
    for name in wanted:
        result = importlib.import_module(f"bench.{name}").run()
        path = write_result(result)
        print(json.dumps(result.as_json()))
        verdict = "holds" if result.holds else "DOES NOT HOLD"
        print(f"-> {path}  ({verdict}: ratio {result.ratio} vs target {result.target})")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
