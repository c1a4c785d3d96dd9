"""Seeded random streams and the few distributions the generator needs (standard library only)."""

from __future__ import annotations

import math
import random


def stream(seed: int, name: str) -> random.Random:
    """An independent, reproducible random stream: the same seed and name give the same numbers."""
    return random.Random(f"{seed}:{name}")


def poisson(rng: random.Random, lam: float) -> int:
    """A Poisson draw (Knuth's method for small means, a rounded normal for large ones)."""
    if lam <= 0.0:
        return 0
    if lam < 30.0:
        limit = math.exp(-lam)
        k = 0
        p = rng.random()
        while p > limit:
            k += 1
            p *= rng.random()
        return k
    return max(0, round(rng.gauss(lam, math.sqrt(lam))))


def binomial(rng: random.Random, n: int, p: float) -> int:
    """A binomial draw (exact for small n, a rounded normal for large n)."""
    if n <= 0 or p <= 0.0:
        return 0
    if p >= 1.0:
        return n
    if n < 60:
        return sum(1 for _ in range(n) if rng.random() < p)
    return min(n, max(0, round(rng.gauss(n * p, math.sqrt(n * p * (1 - p))))))


def noise(rng: random.Random, sigma: float) -> float:
    """A multiplicative noise factor with median 1."""
    return math.exp(rng.gauss(0.0, sigma))
