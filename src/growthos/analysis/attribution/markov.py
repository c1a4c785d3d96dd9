"""The data-driven model: a first-order Markov chain over channel paths and each channel's removal effect.

Every journey is the path start → c1 → … → cn → conversion (converting) or → null (not converting); the
chain's transition probabilities are the observed transition counts out of each state, normalised. The
probability of reaching ``conversion`` from ``start`` is solved exactly from the absorbing chain's linear
system (I − Q) x = r, where Q holds the transitions among start and the channels and r those into conversion.

Removing a channel sends every transition into it to null; its removal effect is
RE(c) = 1 − P(conversion without c) / P(conversion). Each channel is credited RE(c) / Σ RE × the total
conversions (and × the total value).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import numpy as np

from growthos.analysis.attribution.journeys import Journey

START = "(start)"
CONVERSION = "(conversion)"
NULL = "(null)"


@dataclass(frozen=True)
class MarkovChain:
    transitions: dict[tuple[str, str], int]
    """(from, to) -> times observed."""

    @property
    def channels(self) -> list[str]:
        return sorted({a for a, _ in self.transitions if a != START})

    def conversion_probability(self, removed: str | None = None) -> float:
        """P(start reaches conversion), with ``removed`` (if any) turned into null."""
        states = [START] + [c for c in self.channels if c != removed]
        index = {s: i for i, s in enumerate(states)}
        out_total: Counter[str] = Counter()
        for (a, _), n in self.transitions.items():
            out_total[a] += n
        q = np.zeros((len(states), len(states)))
        r = np.zeros(len(states))
        for (a, b), n in self.transitions.items():
            if a not in index:
                continue
            p = n / out_total[a]
            if b == CONVERSION:
                r[index[a]] += p
            elif b in index:
                q[index[a], index[b]] += p
            # b is null or the removed channel: absorbed without converting
        x = np.linalg.solve(np.eye(len(states)) - q, r)
        return float(x[index[START]])

    def removal_effects(self) -> dict[str, float]:
        base = self.conversion_probability()
        if base <= 0:
            return {c: 0.0 for c in self.channels}
        return {c: 1.0 - self.conversion_probability(c) / base for c in self.channels}


def chain(journeys: Iterable[Journey]) -> MarkovChain:
    counts: Counter[tuple[str, str]] = Counter()
    for j in journeys:
        path = (START, *j.channels, CONVERSION if j.converted else NULL)
        counts.update(zip(path, path[1:], strict=False))
    return MarkovChain(dict(counts))


@dataclass(frozen=True)
class MarkovCredit:
    conversion_probability: float
    removal_effects: dict[str, float]
    shares: dict[str, float]
    """RE(c) / Σ RE."""


def markov_credit(converting: Sequence[Journey], non_converting: Sequence[Journey]) -> MarkovCredit:
    mc = chain([*converting, *non_converting])
    if not converting:
        return MarkovCredit(0.0, {c: 0.0 for c in mc.channels}, {})
    effects = mc.removal_effects()
    total = sum(effects.values())
    shares = {c: e / total for c, e in effects.items()} if total > 0 else {}
    return MarkovCredit(mc.conversion_probability(), effects, shares)
