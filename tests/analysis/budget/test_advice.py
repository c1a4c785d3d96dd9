"""budget_advice on hand-planted fact_spend / fact_orders tables."""

from __future__ import annotations

import math
from datetime import date, timedelta

import pytest

from growthos.analysis.budget.advice import budget_advice
from growthos.analysis.budget.allocate import ChannelLimit
from growthos.core.errors import InvalidInput

END = date(2026, 3, 31)


def _plant(engine) -> None:
    # Each day a channel wins c new customers at spend s = kappa*(exp(c/beta)-1), i.e. exactly on the curve
    # c = beta*log(1+s/kappa): meta beta=10, kappa=100 (c cycles 1..6); google beta=5, kappa=20 (c 1..4).
    engine.execute("CREATE TABLE fact_spend (date DATE, channel VARCHAR, spend DOUBLE)")
    engine.execute("CREATE TABLE fact_orders (order_date DATE, acquisition_channel VARCHAR, is_first_order BOOLEAN)")
    spends, orders = [], []
    for i in range(30):
        day = END - timedelta(days=i)
        for channel, beta, kappa, c in (("meta", 10.0, 100.0, 1 + i % 6), ("google", 5.0, 20.0, 1 + i % 4)):
            spends.append(f"(DATE '{day}', '{channel}', {kappa * (math.exp(c / beta) - 1)!r})")
            orders += [f"(DATE '{day}', '{channel}', TRUE)"] * c
        orders.append(f"(DATE '{day}', 'meta', FALSE)")  # a repeat order: not a conversion
    for i in range(5):
        spends.append(f"(DATE '{END - timedelta(days=i)}', 'tiktok', {10.0 + i})")
    engine.execute("INSERT INTO fact_spend VALUES " + ", ".join(spends))
    engine.execute("INSERT INTO fact_orders VALUES " + ", ".join(orders))


def test_curves_recovered_and_total_reallocated(engine) -> None:
    _plant(engine)
    result = budget_advice(engine, END)
    curves = {c["channel"]: c for c in result["curves"]}
    assert curves["meta"]["beta"] == pytest.approx(10.0, rel=1e-3)
    assert curves["meta"]["kappa"] == pytest.approx(100.0, rel=1e-3)
    assert curves["google"]["beta"] == pytest.approx(5.0, rel=1e-3)
    assert curves["google"]["kappa"] == pytest.approx(20.0, rel=1e-3)
    assert result["rejected"] == [{"channel": "tiktok", "reason": "tiktok: 5 days of history, at least 14 needed"}]
    rows = {r["channel"]: r for r in result["channels"]}
    # current = mean spend of the last 28 days (days 0..27 back), computed independently here
    meta_now = sum(100 * (math.exp((1 + i % 6) / 10) - 1) for i in range(28)) / 28
    assert rows["meta"]["current_spend"] == pytest.approx(meta_now)
    assert result["total"] == pytest.approx(meta_now + rows["google"]["current_spend"])
    recommended = [r["recommended_spend"] for r in rows.values()]
    assert sum(recommended) == pytest.approx(result["total"])
    # interior optimum (or a bound): equal marginals 10/(100+s1) = 5/(20+s2) unless a channel sits on its ±50% bound
    m, g = rows["meta"], rows["google"]
    on_bound = any(
        r["recommended_spend"] == pytest.approx(r["current_spend"] * k) for r in (m, g) for k in (0.5, 1.5)
    )
    assert on_bound or m["marginal_recommended"] == pytest.approx(g["marginal_recommended"], rel=1e-6)
    assert result["effect"] >= -1e-9


def test_limit_on_unknown_channel_is_rejected(engine) -> None:
    _plant(engine)
    with pytest.raises(InvalidInput) as err:
        budget_advice(engine, END, limits={"tiktok": ChannelLimit(0.0, 10.0)})
    assert err.value.field == "limits"
