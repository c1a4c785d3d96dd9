"""The allocator on two hand-solved log curves."""

from __future__ import annotations

import pytest

from growthos.analysis.budget.allocate import ChannelLimit, allocate
from growthos.analysis.budget.curves import ResponseCurve
from growthos.core.errors import InvalidInput

# Hand solution for B = 200: optimum has beta1/(kappa1+s1) = beta2/(kappa2+s2), s1 + s2 = 200.
# 100/(50+s1) = 60/(10+s2) -> 1000 + 100*s2 = 3000 + 60*s1; s2 = 200 - s1
# -> 21000 - 100*s1 = 3000 + 60*s1 -> s1 = 18000/160 = 112.5, s2 = 87.5; marginal 100/162.5 = 0.6154.
A = ResponseCurve("meta", beta=100.0, kappa=50.0, days=30)
B = ResponseCurve("google", beta=60.0, kappa=10.0, days=30)
CURRENT = {"meta": 100.0, "google": 100.0}


def test_optimum_equalises_marginal_returns() -> None:
    result = allocate([A, B], CURRENT)
    meta, google = result.channels
    assert meta.recommended_spend == pytest.approx(112.5, abs=1e-6)
    assert google.recommended_spend == pytest.approx(87.5, abs=1e-6)
    assert meta.marginal_recommended == pytest.approx(100 / 162.5, rel=1e-6)
    assert google.marginal_recommended == pytest.approx(100 / 162.5, rel=1e-6)
    # effect: 100*ln(162.5/150) + 60*ln(97.5/110) = 8.0043 - 7.2377 = 0.7666
    assert result.effect == pytest.approx(0.7666, abs=1e-3)
    assert result.effect > 0


def test_limits_are_respected() -> None:
    # meta capped at 90: the rest (110) goes to google; both within the ±50% default of google.
    result = allocate([A, B], CURRENT, limits={"meta": ChannelLimit(0.0, 90.0)})
    meta, google = result.channels
    assert meta.recommended_spend == pytest.approx(90.0, abs=1e-6)
    assert google.recommended_spend == pytest.approx(110.0, abs=1e-6)


def test_given_total_is_spent_exactly() -> None:
    # B = 240: 100*(10+s2) = 60*(50+s1), s2 = 240-s1 -> 25000 - 100*s1 = 3000 + 60*s1 -> s1 = 137.5
    result = allocate([A, B], CURRENT, total=240.0)
    assert result.channels[0].recommended_spend == pytest.approx(137.5, abs=1e-6)
    assert sum(c.recommended_spend for c in result.channels) == pytest.approx(240.0)


def test_interval_comes_from_bootstrap_draws() -> None:
    a = ResponseCurve("meta", 100.0, 50.0, 30, boot=((90.0, 50.0), (100.0, 50.0), (110.0, 50.0)))
    b = ResponseCurve("google", 60.0, 10.0, 30, boot=((60.0, 10.0),) * 3)
    result = allocate([a, b], CURRENT)
    assert result.effect_low < result.effect < result.effect_high


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [
        ({"total": -5.0}, "total"),
        ({"limits": {"meta": ChannelLimit(80.0, 20.0)}}, "limits.meta"),
        ({"limits": {"tiktok": ChannelLimit(0.0, 10.0)}}, "limits"),
        ({"total": 1000.0}, "total"),
    ],
)
def test_bad_input_names_the_field(kwargs, field) -> None:
    with pytest.raises(InvalidInput) as err:
        allocate([A, B], CURRENT, **kwargs)
    assert err.value.field == field
