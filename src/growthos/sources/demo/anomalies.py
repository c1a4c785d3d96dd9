"""The anomalies injected into the demo data: the ground truth that detectors are judged against."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from growthos.sources.demo.period import DEMO_DAYS, DEMO_END_DATE

QUIET_DAYS = 28
"""No anomaly in the first four weeks, so every anomaly has a clean baseline before it."""


@dataclass(frozen=True)
class Anomaly:
    """A real distortion of the generated data, on reporting days (America/New_York) start..end."""

    kind: str
    start: date
    end: date
    metrics: tuple[str, ...]
    """Catalogue metrics that show it."""
    description: str

    def covers(self, day: date) -> bool:
        return self.start <= day <= self.end

    def as_dict(self) -> dict[str, Any]:
        return {"kind": self.kind, "start": self.start.isoformat(), "end": self.end.isoformat(),
                "metrics": list(self.metrics), "description": self.description}


ANOMALIES: tuple[Anomaly, ...] = (
    Anomaly("checkout_conversion_drop", date(2025, 10, 14), date(2025, 10, 16), ("orders", "net_revenue",
            "conversion_rate"), "A broken payment step: about half of the checkouts fail for three days; "
            "sessions, add-to-carts and checkouts are normal, orders and revenue fall by about half."),
    Anomaly("ga4_tracking_outage", date(2025, 11, 6), date(2025, 11, 6), ("sessions", "conversion_rate"),
            "The GA4 tag was missing from the site for a day: GA4 reports about 5% of the normal sessions "
            "while Shopify orders are normal, so the conversion rate jumps."),
    Anomaly("viral_organic_day", date(2025, 12, 7), date(2025, 12, 7), ("sessions", "orders", "new_customers"),
            "A recipe video went viral on TikTok: organic social sessions about 8x normal, with extra orders "
            "and new customers from organic social."),
    Anomaly("google_ads_conversion_tracking_gap", date(2025, 12, 16), date(2025, 12, 17), ("platform_roas",),
            "Google Ads conversion tracking was broken for two days: the platform reports no conversions while "
            "spend, clicks and real orders from Google Ads are normal."),
    Anomaly("refund_spike", date(2026, 1, 13), date(2026, 1, 13), ("refunds", "refund_rate", "net_revenue"),
            "A supplier recall: about 30% of the day's orders were refunded within three days."),
    Anomaly("meta_spend_spike", date(2026, 2, 3), date(2026, 2, 3), ("ad_spend", "mer", "ncac"),
            "A Meta budget misconfiguration tripled the day's Meta spend with no lift in orders or revenue."),
)
"""Ground truth for the default period (DEMO_END_DATE, DEMO_DAYS)."""


def anomalies_for(end_date: date = DEMO_END_DATE, days: int = DEMO_DAYS) -> tuple[Anomaly, ...]:
    """The anomalies of a period: the default ones moved with its end date, kept when they fall after
    the period's first four weeks."""
    shift = end_date - DEMO_END_DATE
    first_allowed = end_date - timedelta(days=days - 1) + timedelta(days=QUIET_DAYS)
    moved = (Anomaly(a.kind, a.start + shift, a.end + shift, a.metrics, a.description) for a in ANOMALIES)
    return tuple(a for a in moved if a.start >= first_allowed and a.end <= end_date)


def anomalies_as_dicts(end_date: date = DEMO_END_DATE, days: int = DEMO_DAYS) -> list[dict[str, Any]]:
    """The anomalies as JSON-ready dicts (dates as ISO strings)."""
    return [a.as_dict() for a in anomalies_for(end_date, days)]


class AnomalyCalendar:
    """The generator's view of the anomalies: which distortion applies on which reporting day."""

    def __init__(self, anomalies: tuple[Anomaly, ...]) -> None:
        self._by_kind: dict[str, list[Anomaly]] = {}
        for a in anomalies:
            self._by_kind.setdefault(a.kind, []).append(a)

    def active(self, kind: str, day: date) -> bool:
        return any(a.covers(day) for a in self._by_kind.get(kind, ()))

    def checkout_success(self, day: date) -> float:
        """Share of checkouts that become orders (1.0 on normal days)."""
        return 0.5 if self.active("checkout_conversion_drop", day) else 1.0

    def ga4_capture(self, day: date) -> float:
        """Share of sessions GA4 records."""
        return 0.05 if self.active("ga4_tracking_outage", day) else 1.0

    def viral(self, day: date) -> bool:
        return self.active("viral_organic_day", day)

    def recall_share(self, day: date) -> float:
        """Share of the day's orders refunded in full by a recall (0.0 on normal days)."""
        return 0.3 if self.active("refund_spike", day) else 0.0

    def meta_spend_multiplier(self, day: date) -> float:
        return 3.0 if self.active("meta_spend_spike", day) else 1.0

    def google_conversions_tracked(self, day: date) -> bool:
        return not self.active("google_ads_conversion_tracking_gap", day)
