"""Transactions → both models fitted, and per customer: expected purchases, P(alive), expected value, CLV."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

import numpy as np

from growthos.analysis.ltv import bgnbd, gamma_gamma
from growthos.analysis.ltv.bgnbd import BgNbdParams
from growthos.analysis.ltv.clv import DAYS_PER_MONTH, clv
from growthos.analysis.ltv.gamma_gamma import GammaGammaParams
from growthos.analysis.ltv.summary import CustomerSummaries, days_per_period, summarise
from growthos.analysis.ltv.transactions import Transaction, read_transactions_csv
from growthos.core.errors import InvalidInput

MAX_HORIZON_MONTHS = 120
P_ALIVE_BINS = 10


@dataclass(frozen=True)
class LtvResult:
    summaries: CustomerSummaries
    bg_nbd: BgNbdParams
    bg_nbd_log_likelihood: float
    gamma_gamma: GammaGammaParams
    gamma_gamma_log_likelihood: float
    horizon_months: int
    monthly_discount_rate: float
    expected_purchases: np.ndarray
    p_alive: np.ndarray
    expected_value: np.ndarray
    clv: np.ndarray

    def customers(self, limit: int | None = None) -> list[dict[str, Any]]:
        """Customers by CLV, highest first (customers without a defined CLV last)."""
        s = self.summaries
        order = sorted(range(len(s)), key=lambda i: (np.isnan(self.clv[i]), -np.nan_to_num(self.clv[i]),
                                                     s.customer_ids[i]))
        return [{
            "customer_id": s.customer_ids[i], "first_purchase": s.first_purchase[i].isoformat(),
            "frequency": int(s.frequency[i]), "recency": rounded(s.recency[i]), "T": rounded(s.age[i]),
            "monetary_value": rounded(s.monetary_value[i]),
            "expected_purchases": rounded(self.expected_purchases[i]), "p_alive": rounded(self.p_alive[i]),
            "expected_value": rounded(self.expected_value[i]), "clv": rounded(self.clv[i]),
        } for i in order[:limit]]

    def overview(self) -> dict[str, Any]:
        s = self.summaries
        counts, edges = np.histogram(self.p_alive, bins=P_ALIVE_BINS, range=(0.0, 1.0))
        defined = self.clv[~np.isnan(self.clv)]
        return {
            "customers": len(s),
            "repeat_customers": int((s.frequency > 0).sum()),
            "expected_purchases": rounded(self.expected_purchases.sum()),
            "mean_expected_purchases": rounded(self.expected_purchases.mean()),
            "mean_p_alive": rounded(self.p_alive.mean()),
            "mean_clv": rounded(defined.mean()) if defined.size else None,
            "total_clv": rounded(defined.sum()) if defined.size else None,
            "p_alive_histogram": [{"from": rounded(lo), "to": rounded(hi), "customers": int(n)}
                                  for lo, hi, n in zip(edges[:-1], edges[1:], counts, strict=True)],
        }

    def as_dict(self, limit: int | None = None) -> dict[str, Any]:
        s = self.summaries
        return {
            "observation_end": s.observation_end.isoformat(),
            "time_unit": s.time_unit,
            "horizon_months": self.horizon_months,
            "horizon_periods": rounded(self.horizon_months * DAYS_PER_MONTH / days_per_period(s.time_unit)),
            "monthly_discount_rate": self.monthly_discount_rate,
            "bg_nbd": {**self.bg_nbd.as_dict(), "log_likelihood": rounded(self.bg_nbd_log_likelihood),
                       "customers": len(s)},
            "gamma_gamma": {**self.gamma_gamma.as_dict(), "log_likelihood": rounded(self.gamma_gamma_log_likelihood),
                            "customers": int(gamma_gamma.fittable(s.frequency, s.monetary_value).sum()),
                            "population_mean_value": rounded(self.gamma_gamma.population_mean),
                            "frequency_value_correlation": rounded(gamma_gamma.frequency_value_correlation(
                                s.frequency, s.monetary_value))},
            "summary": self.overview(),
            "customers": self.customers(limit),
        }


def predict_ltv(transactions: Iterable[Transaction], observation_end: date | None = None, time_unit: str = "week",
                horizon_months: int = 12, monthly_discount_rate: float = 0.0) -> LtvResult:
    """Fit BG/NBD on every customer and Gamma-Gamma on those with repeat purchases; predict each customer's
    purchases, P(alive), value per purchase and CLV over the next ``horizon_months``."""
    if not 1 <= horizon_months <= MAX_HORIZON_MONTHS:
        raise InvalidInput(f"horizon must be 1-{MAX_HORIZON_MONTHS} months, not {horizon_months}", field="horizon")
    if not 0 <= monthly_discount_rate < 1:
        raise InvalidInput(f"the monthly discount rate must be in [0, 1), not {monthly_discount_rate}",
                           field="discount_rate")
    s = summarise(transactions, observation_end, time_unit)
    x, t_x, age = s.frequency, s.recency, s.age
    bg, bg_ll = bgnbd.fit(x, t_x, age)
    gg, gg_ll = gamma_gamma.fit(x, s.monetary_value)
    per_month = DAYS_PER_MONTH / days_per_period(time_unit)
    purchases = bgnbd.expected_purchases(bg, horizon_months * per_month, x, t_x, age)
    value = gamma_gamma.expected_value(gg, x, s.monetary_value)
    lifetime = clv(bg, x, t_x, age, value, horizon_months, days_per_period(time_unit), monthly_discount_rate)
    return LtvResult(s, bg, bg_ll, gg, gg_ll, horizon_months, monthly_discount_rate, purchases,
                     bgnbd.probability_alive(bg, x, t_x, age), value, lifetime)


def predict_ltv_csv(path: Path | str, observation_end: date | None = None, time_unit: str = "week",
                    horizon_months: int = 12, monthly_discount_rate: float = 0.0) -> LtvResult:
    """predict_ltv on a CSV transaction log (customer_id, date, amount)."""
    return predict_ltv(read_transactions_csv(path), observation_end, time_unit, horizon_months,
                       monthly_discount_rate)


def rounded(value: float | None) -> float | None:
    return None if value is None or not np.isfinite(value) else round(float(value), 6)
