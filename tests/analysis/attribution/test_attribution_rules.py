"""The rule-based models and the Markov removal effect on hand-built journeys, every credit worked by hand."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from growthos.analysis.attribution.conversions import Conversion
from growthos.analysis.attribution.journeys import Journey, converting_journeys, non_converting_journeys
from growthos.analysis.attribution.markov import chain, markov_credit
from growthos.analysis.attribution.models import MODELS
from growthos.analysis.attribution.rules import position_based, time_decay
from growthos.analysis.attribution.touchpoints import Touch

T0 = datetime(2024, 5, 20, 12, tzinfo=UTC)


def journey(*channels_days: tuple[str, float], converted: bool = True, value: float = 0.0) -> Journey:
    """Touches given as (channel, days before the conversion at T0)."""
    touches = tuple(Touch(T0 - timedelta(days=d), c) for c, d in channels_days)
    return Journey(touches, converted, T0, value)


def test_time_decay_weights_halve_every_half_life():
    # half-life 7 days; touches 14, 7 and 0 days before: raw 2^-2, 2^-1, 2^0 = 0.25, 0.5, 1 (sum 1.75)
    # → 0.25/1.75 = 1/7, 0.5/1.75 = 2/7, 1/1.75 = 4/7
    j = journey(("a", 14), ("b", 7), ("c", 0))
    assert time_decay(j, 7.0) == pytest.approx([1 / 7, 2 / 7, 4 / 7])
    # half-life 3.5 days: raw 2^-4, 2^-2, 1 = 1/16, 4/16, 16/16 (sum 21/16) → 1/21, 4/21, 16/21
    assert time_decay(j, 3.5) == pytest.approx([1 / 21, 4 / 21, 16 / 21])


def test_position_based_with_one_two_and_four_touches():
    assert position_based(journey(("a", 1)), 7) == [1.0]                    # one touch: all of it
    assert position_based(journey(("a", 2), ("b", 1)), 7) == [0.5, 0.5]     # two: half each
    # four: 40% first, 40% last, the 20% left shared by the 2 between → 10% each
    assert position_based(journey(("a", 4), ("b", 3), ("c", 2), ("d", 1)), 7) == pytest.approx([0.4, 0.1, 0.1, 0.4])
    # three: the one between gets the whole 20%
    assert position_based(journey(("a", 3), ("b", 2), ("c", 1)), 7) == pytest.approx([0.4, 0.2, 0.4])


def test_rule_models_credit_conversions_and_value():
    # J1 a→b→a worth 30, J2 b worth 10.
    journeys = [journey(("a", 2), ("b", 1), ("a", 0), value=30.0), journey(("b", 0), value=10.0)]
    credit = {name: MODELS[name](journeys, [], 7.0) for name in ("first_touch", "last_touch", "linear")}
    assert credit["first_touch"].conversions == {"a": 1.0, "b": 1.0}
    assert credit["first_touch"].value == {"a": 30.0, "b": 10.0}
    assert credit["last_touch"].conversions == {"a": 1.0, "b": 1.0}
    # linear: J1 gives a 2/3 and b 1/3 (value 20 and 10); J2 gives b 1 (value 10)
    assert credit["linear"].conversions == pytest.approx({"a": 2 / 3, "b": 4 / 3})
    assert credit["linear"].value == pytest.approx({"a": 20.0, "b": 20.0})


def test_markov_removal_effect_two_channels_by_hand():
    # Paths: A→B→conv, A→null, B→conv (values 10 and 20).
    # Transitions: start→A 2/3, start→B 1/3; A→B 1/2, A→null 1/2; B→conv 1.
    # P(conv) = 2/3·(1/2·1) + 1/3·1 = 2/3.
    # Without A (start→A goes to null): P = 1/3·1 = 1/3 → RE(A) = 1 − (1/3)/(2/3) = 1/2.
    # Without B: A→B and start→B go to null → P = 0 → RE(B) = 1.
    # Shares: A 0.5/1.5 = 1/3, B 1/1.5 = 2/3; × 2 conversions → A 2/3, B 4/3; × value 30 → A 10, B 20.
    converting = [journey(("A", 2), ("B", 1), value=10.0), journey(("B", 1), value=20.0)]
    lost = [journey(("A", 1), converted=False)]
    mc = chain([*converting, *lost])
    assert mc.conversion_probability() == pytest.approx(2 / 3)
    assert mc.conversion_probability("A") == pytest.approx(1 / 3)
    assert mc.conversion_probability("B") == pytest.approx(0.0)
    result = markov_credit(converting, lost)
    assert result.removal_effects == pytest.approx({"A": 0.5, "B": 1.0})
    credit = MODELS["markov"](converting, lost, 7.0)
    assert credit.conversions == pytest.approx({"A": 2 / 3, "B": 4 / 3})
    assert credit.value == pytest.approx({"A": 10.0, "B": 20.0})
    assert credit.details["conversion_probability"] == pytest.approx(2 / 3)


def test_markov_self_loops_and_cycles_are_solved_exactly():
    # Path A→A→B→A→conv and B→null. Transitions out of A: A→A 1, A→B 1, A→conv 1 (1/3 each);
    # B: B→A 1, B→null 1 (1/2 each); start→A 1/2, start→B 1/2.
    # x_A = 1/3 x_A + 1/3 x_B + 1/3, x_B = 1/2 x_A → x_A = 1/3 x_A + 1/6 x_A + 1/3 → x_A·(1/2) = 1/3 → x_A = 2/3,
    # x_B = 1/3; P = 1/2·2/3 + 1/2·1/3 = 1/2. Without A: P = 0 (RE 1). Without B: x_A = 1/3 x_A + 1/3 → x_A = 1/2,
    # P = 1/2·1/2 = 1/4 → RE(B) = 1/2.
    converting = [journey(("A", 4), ("A", 3), ("B", 2), ("A", 1))]
    lost = [journey(("B", 1), converted=False)]
    mc = chain([*converting, *lost])
    assert mc.conversion_probability() == pytest.approx(0.5)
    assert mc.removal_effects() == pytest.approx({"A": 1.0, "B": 0.5})


def test_lookback_keeps_only_touches_within_the_window():
    conv = [Conversion("p1", T0, 5.0)]
    touches = {"p1": [Touch(T0 - timedelta(days=31), "old"), Touch(T0 - timedelta(days=30), "edge"),
                      Touch(T0, "now"), Touch(T0 + timedelta(hours=1), "after")]}
    (j,) = converting_journeys(conv, touches, 30)
    assert j.channels == ("edge", "now")   # 31 days before: out; exactly 30: in; after the conversion: out
    (j,) = converting_journeys(conv, {}, 30)
    assert j.channels == ("unknown",)      # no touch at all: one unknown touch keeps the conversion counted


def test_non_converting_journeys_are_people_without_a_conversion_in_the_range():
    lo = T0 - timedelta(days=5)
    touches = {"buyer": [Touch(T0, "a")], "browser": [Touch(lo - timedelta(days=1), "before"), Touch(lo, "b"),
                                                      Touch(T0, "c")],
               "gone": [Touch(lo - timedelta(days=2), "x")]}
    out = non_converting_journeys([Conversion("buyer", T0, 0.0)], touches, lo, 30)
    assert [(j.channels, j.converted) for j in out] == [(("b", "c"), False)]  # touches before the range left out
