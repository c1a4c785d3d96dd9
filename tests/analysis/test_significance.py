"""Significance tests against values computed independently (by hand, or by exact sums in the test)."""

from __future__ import annotations

import math
from fractions import Fraction

import pytest

from growthos.analysis.significance import (
    benjamini_hochberg,
    binomial_two_sided,
    poisson_test,
    run_test,
    student_t_two_sided,
    two_proportion_test,
    welch_test,
)


def _pooled_z_by_hand(x1: int, n1: int, x2: int, n2: int) -> float:
    p = Fraction(x1 + x2, n1 + n2)
    var = p * (1 - p) * (Fraction(1, n1) + Fraction(1, n2))
    return float(Fraction(x2, n2) - Fraction(x1, n1)) / math.sqrt(float(var))


def test_large_change_at_small_n_is_not_significant() -> None:
    # 20% -> 40% (doubling) on 10 trials each: z = 0.2 / sqrt(0.3 * 0.7 * 0.2) = 0.9759, p = 0.3291
    p = two_proportion_test(2, 10, 4, 10)
    assert p == pytest.approx(math.erfc(_pooled_z_by_hand(2, 10, 4, 10) / math.sqrt(2)), rel=1e-12)
    assert p == pytest.approx(0.32911, abs=1e-5)
    assert p > 0.05


def test_small_change_at_large_n_is_significant() -> None:
    # 20.0% -> 20.6% on 100,000 trials each: z = 0.006 / sqrt(0.203 * 0.797 * 2e-5) = 3.3356, p = 0.000852
    p = two_proportion_test(20_000, 100_000, 20_600, 100_000)
    assert _pooled_z_by_hand(20_000, 100_000, 20_600, 100_000) == pytest.approx(3.33557, abs=1e-4)
    assert p == pytest.approx(0.000852, abs=2e-6)
    assert p < 0.05


def _exact_binomial_two_sided(k: int, n: int, p: Fraction) -> float:
    pmf = [math.comb(n, i) * p**i * (1 - p) ** (n - i) for i in range(n + 1)]
    return float(sum(q for q in pmf if q <= pmf[k] * Fraction(10**7 + 1, 10**7)))


@pytest.mark.parametrize(("k", "n", "p"), [(3, 10, Fraction(1, 2)), (20, 30, Fraction(1, 2)), (0, 12, Fraction(1, 3)),
                                           (9, 40, Fraction(7, 31)), (55, 80, Fraction(4, 11))])
def test_binomial_matches_exact_sums(k: int, n: int, p: Fraction) -> None:
    assert binomial_two_sided(k, n, float(p)) == pytest.approx(_exact_binomial_two_sided(k, n, p), rel=1e-9)


def test_poisson_counts() -> None:
    # 10 vs 20 events in equal exposure: binomial test of 20 of 30 at 1/2: p = 0.098737
    assert poisson_test(10, 7, 20, 7) == pytest.approx(0.0987371, rel=1e-6)
    # a month of 31 days against 28: 310 vs 280 is the same daily rate
    assert poisson_test(280, 28, 310, 31) == pytest.approx(1.0)
    # large counts stay fast and agree with the normal approximation of the log rate ratio
    p = poisson_test(5_000_000, 7, 5_010_000, 7)
    z = math.log(5_010_000 / 5_000_000) / math.sqrt(1 / 5_000_000 + 1 / 5_010_000)
    assert p == pytest.approx(math.erfc(z / math.sqrt(2)), rel=0.02)


def test_student_t_critical_values() -> None:
    assert student_t_two_sided(2.228138852, 10) == pytest.approx(0.05, abs=1e-8)
    assert student_t_two_sided(12.70620474, 1) == pytest.approx(0.05, abs=1e-8)
    assert student_t_two_sided(1.959963985, math.inf) == pytest.approx(0.05, abs=1e-9)


def test_welch_by_hand() -> None:
    # means 10 and 12, variances 4 and 9, n 20 and 25: se² = 0.2 + 0.36, t = 2.6726, df = 0.3136 / (0.04/19 +
    # 0.1296/24) = 41.7840
    se2 = 4 / 20 + 9 / 25
    df = se2**2 / ((4 / 20) ** 2 / 19 + (9 / 25) ** 2 / 24)
    assert df == pytest.approx(41.7840, abs=1e-3)
    p = welch_test(10, 4, 20, 12, 9, 25)
    assert p == pytest.approx(student_t_two_sided(2 / math.sqrt(se2), df))
    assert 0.010 < p < 0.011  # t = 2.67 on ~42 df


def test_benjamini_hochberg_by_hand() -> None:
    # sorted: 0.005 (rank 1) 0.01 (2) 0.03 (3) 0.04 (4); p·m/rank = 0.02, 0.02, 0.04, 0.04; running minimum from
    # the top leaves them as they are
    assert benjamini_hochberg([0.01, 0.04, 0.03, 0.005, None]) == pytest.approx([0.02, 0.04, 0.04, 0.02, None])
    # a monotone correction: 0.04·3/2 = 0.06 > 0.045·3/3 = 0.045, so rank 2 takes 0.045
    assert benjamini_hochberg([0.045, 0.04, 0.001]) == pytest.approx([0.045, 0.045, 0.003])
    assert benjamini_hochberg([]) == []


def test_run_test_dispatch_and_unusable_samples() -> None:
    a, b = {"successes": 2, "trials": 10}, {"successes": 4, "trials": 10}
    assert run_test("proportion", a, b) == pytest.approx(two_proportion_test(2, 10, 4, 10))
    assert run_test(None, a, b) is None
    assert run_test("proportion", a, None) is None
    assert run_test("proportion", {"successes": 12, "trials": 10}, b) is None
    assert run_test("log_normal", {"value": 2.0, "log_variance": 0.01}, {"value": 2.0, "log_variance": 0.01}) == 1.0
