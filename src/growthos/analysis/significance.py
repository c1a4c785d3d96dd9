"""Significance tests for KPI changes between two periods, and the Benjamini–Hochberg adjustment.

Standard library only (no scipy): normal tails from ``math.erfc``, Student's t from the regularised
incomplete beta function (continued fraction), binomial tails from log-probabilities (``math.lgamma``).
Every test takes the *base* period first (a) and the *compared* period second (b) and returns a two-sided
p-value. Which test a KPI gets is decided by the snapshot (``Sample.test``), per the design's Statistics
decision:

- ``proportion``: two-proportion z-test (pooled) for rates whose counts are known (x successes of n).
- ``poisson``: counts compared as Poisson rates per exposure (days): conditional on the total, the
  compared period's count is binomial with p = t_b / (t_a + t_b); exact two-sided binomial test
  (the probabilities no larger than the observed one are summed, as R's ``poisson.test``).
- ``welch``: Welch's t-test for means when the per-unit variance is known (average order value).
- ``normal``: z-test on the difference of two totals with known variances (sums of order amounts: the
  variance of a compound-Poisson total is estimated by Σ x², the sum of squared order amounts).
- ``log_normal``: z-test on log(b / a) for a ratio whose random part has a known relative variance
  (MER: revenue ÷ fixed spend; nCAC: fixed spend ÷ Poisson new customers; CPM, CPC alike).

Conservative fallback: a KPI without a sampling model (ad spend, which the team sets; LTV and payback
without per-customer variance; margins of correlated sums) gets no p-value. The diff never calls such a
change significant; it only reports it as *material* when it exceeds ``diff.MATERIAL_CHANGE``.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence
from typing import Any

__all__ = [
    "TESTS",
    "benjamini_hochberg",
    "binomial_two_sided",
    "log_ratio_test",
    "normal_difference_test",
    "normal_two_sided",
    "poisson_test",
    "run_test",
    "student_t_two_sided",
    "two_proportion_test",
    "welch_test",
]


def normal_two_sided(z: float) -> float:
    """P(|Z| >= |z|) for a standard normal Z."""
    return math.erfc(abs(z) / math.sqrt(2.0))


def two_proportion_test(x_a: float, n_a: float, x_b: float, n_b: float) -> float | None:
    """Pooled two-proportion z-test of x_a/n_a against x_b/n_b; None without trials or with x > n."""
    if n_a <= 0 or n_b <= 0 or not (0 <= x_a <= n_a) or not (0 <= x_b <= n_b):
        return None
    pooled = (x_a + x_b) / (n_a + n_b)
    se = math.sqrt(pooled * (1.0 - pooled) * (1.0 / n_a + 1.0 / n_b))
    diff = x_b / n_b - x_a / n_a
    if se == 0.0:
        return 1.0 if diff == 0 else 0.0
    return normal_two_sided(diff / se)


def _binom_logpmf(k: int, n: int, p: float) -> float:
    if p <= 0.0:
        return 0.0 if k == 0 else -math.inf
    if p >= 1.0:
        return 0.0 if k == n else -math.inf
    return (math.lgamma(n + 1) - math.lgamma(k + 1) - math.lgamma(n - k + 1)
            + k * math.log(p) + (n - k) * math.log1p(-p))


def _tail_sum(logpmf: Callable[[int], float], start: int, stop: int, step: int, scale: float) -> float:
    """Σ exp(logpmf(i) - scale) for i from start towards stop (exclusive), stopping once terms are negligible
    (the pmf decreases monotonically away from the mode, so the rest is smaller still)."""
    total, i = 0.0, start
    while i != stop:
        term = math.exp(logpmf(i) - scale)
        total += term
        if term < 1e-17 * max(total, 1e-300) and abs(i - start) > 10:
            break
        i += step
    return total


def binomial_two_sided(k: int, n: int, p: float) -> float:
    """Exact two-sided binomial test: Σ P(X = i) over every i with P(X = i) <= P(X = k) (relative tolerance
    1e-7), X ~ Bin(n, p). Runs in time proportional to a few standard deviations, not n."""
    if n == 0:
        return 1.0
    lp = lambda i: _binom_logpmf(i, n, p)  # noqa: E731
    mode = min(n, max(0, int(math.floor((n + 1) * p))))
    observed = lp(k)
    if observed == -math.inf:
        return 0.0
    threshold = observed + math.log1p(1e-7)
    if k == mode or lp(mode) <= threshold:
        return 1.0
    # the observed side: from k away from the mode to its end
    if k < mode:
        near = _tail_sum(lp, k, -1, -1, observed)
        lo, hi = mode, n  # the other side: first j >= mode with lp(j) <= threshold (lp decreasing there)
        if lp(n) > threshold:
            far = 0.0
        else:
            while lo < hi:
                mid = (lo + hi) // 2
                if lp(mid) <= threshold:
                    hi = mid
                else:
                    lo = mid + 1
            far = _tail_sum(lp, lo, n + 1, 1, observed)
    else:
        near = _tail_sum(lp, k, n + 1, 1, observed)
        lo, hi = 0, mode  # the other side: last j <= mode with lp(j) <= threshold (lp increasing there)
        if lp(0) > threshold:
            far = 0.0
        else:
            while lo < hi:
                mid = (lo + hi + 1) // 2
                if lp(mid) <= threshold:
                    lo = mid
                else:
                    hi = mid - 1
            far = _tail_sum(lp, lo, -1, -1, observed)
    return min(1.0, math.exp(observed) * (near + far))


def poisson_test(x_a: float, t_a: float, x_b: float, t_b: float) -> float | None:
    """Exact test of equal Poisson rates x_a/t_a and x_b/t_b (exposures t > 0, e.g. days): conditional on
    x_a + x_b, x_b ~ Bin(x_a + x_b, t_b / (t_a + t_b)). Counts are rounded to integers; None if negative."""
    if t_a <= 0 or t_b <= 0 or x_a < 0 or x_b < 0:
        return None
    a, b = round(x_a), round(x_b)
    return binomial_two_sided(b, a + b, t_b / (t_a + t_b))


def _betacf(a: float, b: float, x: float) -> float:
    """Continued fraction of the incomplete beta function (modified Lentz)."""
    tiny, eps = 1e-300, 3e-16
    qab, qap, qam = a + b, a + 1.0, a - 1.0
    c, d = 1.0, 1.0 - qab * x / qap
    d = 1.0 / (d if abs(d) > tiny else tiny)
    h = d
    for m in range(1, 10_000):
        m2 = 2 * m
        aa = m * (b - m) * x / ((qam + m2) * (a + m2))
        d = 1.0 + aa * d
        d = 1.0 / (d if abs(d) > tiny else tiny)
        c = 1.0 + aa / c
        c = c if abs(c) > tiny else tiny
        h *= d * c
        aa = -(a + m) * (qab + m) * x / ((a + m2) * (qap + m2))
        d = 1.0 + aa * d
        d = 1.0 / (d if abs(d) > tiny else tiny)
        c = 1.0 + aa / c
        c = c if abs(c) > tiny else tiny
        delta = d * c
        h *= delta
        if abs(delta - 1.0) < eps:
            break
    return h


def _betainc(a: float, b: float, x: float) -> float:
    """Regularised incomplete beta I_x(a, b)."""
    if x <= 0.0:
        return 0.0
    if x >= 1.0:
        return 1.0
    front = math.exp(math.lgamma(a + b) - math.lgamma(a) - math.lgamma(b) + a * math.log(x) + b * math.log1p(-x))
    if x < (a + 1.0) / (a + b + 2.0):
        return front * _betacf(a, b, x) / a
    return 1.0 - front * _betacf(b, a, 1.0 - x) / b


def student_t_two_sided(t: float, df: float) -> float:
    """P(|T| >= |t|) for Student's t with ``df`` degrees of freedom (normal when df is infinite)."""
    if math.isinf(df):
        return normal_two_sided(t)
    return _betainc(df / 2.0, 0.5, df / (df + t * t))


def welch_test(mean_a: float, var_a: float, n_a: float, mean_b: float, var_b: float, n_b: float) -> float | None:
    """Welch's unequal-variance t-test of two means (sample variances, n >= 2 each)."""
    if n_a < 2 or n_b < 2 or var_a < 0 or var_b < 0:
        return None
    sa, sb = var_a / n_a, var_b / n_b
    se2 = sa + sb
    if se2 == 0.0:
        return 1.0 if mean_a == mean_b else 0.0
    t = (mean_b - mean_a) / math.sqrt(se2)
    df = se2 * se2 / ((sa * sa) / (n_a - 1) + (sb * sb) / (n_b - 1)) if sa or sb else math.inf
    return student_t_two_sided(t, df)


def normal_difference_test(value_a: float, var_a: float, value_b: float, var_b: float) -> float | None:
    """z-test of value_b - value_a given each estimate's variance."""
    if var_a < 0 or var_b < 0:
        return None
    se2 = var_a + var_b
    if se2 == 0.0:
        return 1.0 if value_a == value_b else 0.0
    return normal_two_sided((value_b - value_a) / math.sqrt(se2))


def log_ratio_test(value_a: float, log_var_a: float, value_b: float, log_var_b: float) -> float | None:
    """z-test of log(value_b / value_a) given the variance of each log value (delta method); positive values."""
    if value_a <= 0 or value_b <= 0 or log_var_a < 0 or log_var_b < 0:
        return None
    return normal_difference_test(math.log(value_a), log_var_a, math.log(value_b), log_var_b)


def _proportion(a: Mapping[str, Any], b: Mapping[str, Any]) -> float | None:
    return two_proportion_test(a["successes"], a["trials"], b["successes"], b["trials"])


def _poisson(a: Mapping[str, Any], b: Mapping[str, Any]) -> float | None:
    return poisson_test(a["count"], a["exposure"], b["count"], b["exposure"])


def _welch(a: Mapping[str, Any], b: Mapping[str, Any]) -> float | None:
    return welch_test(a["mean"], a["variance"], a["n"], b["mean"], b["variance"], b["n"])


def _normal(a: Mapping[str, Any], b: Mapping[str, Any]) -> float | None:
    return normal_difference_test(a["value"], a["variance"], b["value"], b["variance"])


def _log_normal(a: Mapping[str, Any], b: Mapping[str, Any]) -> float | None:
    return log_ratio_test(a["value"], a["log_variance"], b["value"], b["log_variance"])


TESTS: dict[str, Callable[[Mapping[str, Any], Mapping[str, Any]], float | None]] = {
    "proportion": _proportion,
    "poisson": _poisson,
    "welch": _welch,
    "normal": _normal,
    "log_normal": _log_normal,
}
"""Test name -> function of the two periods' samples (the dicts a snapshot stores per KPI)."""


def run_test(test: str | None, a: Mapping[str, Any] | None, b: Mapping[str, Any] | None) -> float | None:
    """The p-value of ``test`` on two samples; None when there is no test or a sample is missing or unusable."""
    if test is None or a is None or b is None or test not in TESTS:
        return None
    try:
        p = TESTS[test](a, b)
    except (KeyError, TypeError, ValueError, ZeroDivisionError, OverflowError):
        return None
    return None if p is None or math.isnan(p) else max(0.0, min(1.0, p))


def benjamini_hochberg(p_values: Sequence[float | None]) -> list[float | None]:
    """Benjamini–Hochberg adjusted p-values (q-values), in the input order; None entries stay None and do
    not count towards m. q_(i) = min over j >= i of p_(j) · m / j, capped at 1."""
    indexed = sorted(((p, i) for i, p in enumerate(p_values) if p is not None), key=lambda pair: pair[0])
    m = len(indexed)
    out: list[float | None] = [None] * len(p_values)
    running = 1.0
    for rank in range(m, 0, -1):
        p, i = indexed[rank - 1]
        running = min(running, p * m / rank)
        out[i] = min(1.0, running)
    return out
