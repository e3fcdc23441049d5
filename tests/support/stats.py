"""A small Mann-Whitney U test (scipy is not a dependency): do two samples come from the same distribution?"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Sequence


def mann_whitney_p(first: Sequence[float], second: Sequence[float]) -> float:
    """Two-sided p-value, normal approximation with tie and continuity corrections (good from ~20 values each).

    Rank-based: a few slow outliers from a busy machine move it little, unlike a comparison of means.
    """
    n1, n2 = len(first), len(second)
    pooled = sorted([*first, *second])
    # Tied values share the average of the ranks they span.
    first_rank: dict[float, float] = {}
    for position, value in enumerate(pooled, start=1):
        first_rank.setdefault(value, position)
    ties = Counter(pooled)
    rank_of = {value: first_rank[value] + (ties[value] - 1) / 2 for value in ties}
    u = sum(rank_of[value] for value in first) - n1 * (n1 + 1) / 2
    n = n1 + n2
    tie_term = sum(count**3 - count for count in ties.values()) / (n * (n - 1))
    sigma = math.sqrt(n1 * n2 / 12 * ((n + 1) - tie_term))
    if sigma == 0:
        return 1.0
    z = max(0.0, abs(u - n1 * n2 / 2) - 0.5) / sigma
    return math.erfc(z / math.sqrt(2))
