"""The registry of attribution models by name: each turns the journeys into conversions and value credited
per channel (the rule-based models journey by journey, the Markov model from the whole set of paths)."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from growthos.analysis.attribution.journeys import Journey
from growthos.analysis.attribution.markov import markov_credit
from growthos.analysis.attribution.rules import RULES, Weights


@dataclass(frozen=True)
class Credit:
    conversions: dict[str, float]
    value: dict[str, float]
    details: dict[str, object] = field(default_factory=dict)
    """Model-specific figures (the Markov model's conversion probability and removal effects)."""


Model = Callable[[Sequence[Journey], Sequence[Journey], float], Credit]
"""(converting journeys, non-converting journeys, half-life in days) -> credit."""


def rule_model(weights: Weights) -> Model:
    def credit(converting: Sequence[Journey], non_converting: Sequence[Journey], half_life_days: float) -> Credit:
        conv: dict[str, float] = defaultdict(float)
        value: dict[str, float] = defaultdict(float)
        for j in converting:
            for touch, w in zip(j.touches, weights(j, half_life_days), strict=True):
                if w <= 0:
                    continue
                conv[touch.channel] += w
                value[touch.channel] += w * j.value
        return Credit(dict(conv), dict(value))

    return credit


def markov_model(converting: Sequence[Journey], non_converting: Sequence[Journey], half_life_days: float
                 ) -> Credit:
    result = markov_credit(converting, non_converting)
    total_conv = float(len(converting))
    total_value = sum(j.value for j in converting)
    return Credit({c: s * total_conv for c, s in result.shares.items()},
                  {c: s * total_value for c, s in result.shares.items()},
                  {"conversion_probability": result.conversion_probability,
                   "removal_effects": dict(sorted(result.removal_effects.items()))})


MODELS: dict[str, Model] = {**{name: rule_model(w) for name, w in RULES.items()}, "markov": markov_model}
MODEL_LABELS: dict[str, str] = {
    "first_touch": "First touch",
    "last_touch": "Last touch",
    "linear": "Linear",
    "time_decay": "Time decay",
    "position_based": "Position based (40/20/40)",
    "markov": "Data-driven (Markov)",
}
