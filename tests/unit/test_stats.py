"""The Mann-Whitney U test the timing tests rely on, against values computed by hand (and by scipy)."""

import pytest

from tests.support.stats import mann_whitney_p


def test_fully_separated_small_samples():
    # U = 0, mean 4.5, sigma 2.291: z = (4.5 - 0.5) / 2.291 = 1.746 (scipy's asymptotic p: 0.0809)
    assert mann_whitney_p([1, 2, 3], [4, 5, 6]) == pytest.approx(0.0809, abs=1e-4)


def test_identical_samples_show_no_difference():
    assert mann_whitney_p([0.3] * 30, [0.3] * 30) == 1.0
    assert mann_whitney_p([1, 2, 3, 4], [4, 3, 2, 1]) == 1.0


def test_a_shift_is_found_and_an_interleaving_is_not():
    slow, fast = [0.3 + i / 1000 for i in range(30)], [0.02 + i / 1000 for i in range(30)]
    assert mann_whitney_p(slow, fast) < 1e-9
    evens, odds = [i / 100 for i in range(0, 60, 2)], [i / 100 for i in range(1, 60, 2)]
    assert mann_whitney_p(evens, odds) > 0.5


def test_ties_across_samples_use_average_ranks():
    # Ranks 1, 2.5, 2.5, 4: U = 1 + 2.5 - 3 = 0.5, mean 2, sigma with the tie term 1.225: z = 0.816
    assert mann_whitney_p([1, 2], [2, 3]) == pytest.approx(0.414, abs=1e-3)
