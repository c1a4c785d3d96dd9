"""The acquisition table on a tiny shop and app built by hand (reporting days in New York; EDT = UTC−4 in April
2026, EST = UTC−5 in January-March). Channel groups are tested alone; the channel KPIs themselves are
metrics.channels' (tested there and compared row for row in tests/server/api/test_acquisition_api.py).

Range R = 2026-04-01..2026-04-07 (7 days, all in April: 30 days); previous period 03-25..03-31 is empty.
as_of 2026-04-12, so the last full day is 04-11 and 'now' is 04-12 00:00 New York.

Orders (customer, first-visit channel, net):
  O1 01-03 c1 meta 50.00     O2 02-15 c1 email 30.00 (c1's day 43)     O3 04-05 c1 meta 20.00 (day 92, in R)
  O4 01-06 c2 meta 40.00     O5 01-05 c3 google 60.00                 O6 03-01 c3 google 20.00 (day 55)
  O7 04-02 c4 google 25.00 (new in R)    O8 04-04 c5 organic search 35.00 (new in R)
Ads in R: Meta 04-01 70.00 (7000 imp, 140 clk, purchase value 250.00), 04-03 30.00 (3000, 60);
  Google 04-02 45_000_000 micros (900 imp, 45 clk, value 90.00).
  meta: spend 100, impressions 10000, clicks 200, orders 1 (O3), new customers 0 → CPA (nCAC) None,
        cost per conversion 100 / 1 = 100, ROAS 250 / 100 = 2.5
  google_ads: spend 45, impressions 900, clicks 45, orders 1, new 1 → CPA 45, cost/conv. 45, ROAS 90 / 45 = 2
  organic_search: no spend → cost per conversion None
LTV 90d: customers whose 90-day window [first day, first + 89] ends in R = first order 01-02..01-08:
  meta c1 (50 + 30; O3 on day 92 is outside) and c2 (40) → 120 / 2 = 60; google_ads c3 (60 + 20) → 80;
  organic_search: nobody → None.
Budgets (monthly): meta 3000 → 3000 × 7/30 = 700, utilisation 100 / 700, remaining 600; tiktok 600 → 140 with
  no row (nothing spent); google_ads none → None. Totals: 840, spent 100, 100 / 840, remaining 740.

Sign-ups (Signed Up in R; channel = first session in the 30 days before; activated = first Meal Plan Created
within 7 days, the default core definition):
  u1 04-01 12:00 from https://www.google.com/ (organic_search), plan 04-02 → activated
  u2 04-02 12:00 ?utm_source=google&utm_medium=cpc (google_ads), nothing; window closed 04-09 → not activated
  u3 04-02 10:00 ?gclid=abc (google_ads), 04-04 10:00 from google (organic_search), signs up then; plan 04-05
     → first touch google_ads, activated
  u4 04-06 20:00 ?fbclid=x (meta), signs up; window open until 04-13 → in progress
  u5 02-20 cpc (42 days before: outside the lookback), 04-03 11:59 no referrer (direct), signs up → not activated
  u6 03-30 signs up (before R) → not counted
  u7 04-07 23:30 New York (04-08 in UTC) ?utm_source=instagram&utm_medium=social (organic_social) → in progress
  organic_search 1 / 1 activated → quality 1.0; google_ads 2, 1 activated → 0.5; meta 1 in progress → None;
  without a commerce row: direct 1 → 0.0, organic_social 1 in progress → None. Total 6.
"""

from __future__ import annotations

import itertools
from datetime import UTC, date, datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from fixtures.events import track, write
from fixtures.shopify import customer, google_row, meta_row, order

from growthos.analysis.acquisition import acquisition, channel_group
from growthos.analysis.acquisition_budget import budget_for_range, budget_summary, utilisation
from growthos.core.errors import ConfigError
from growthos.core.periods import DateRange
from growthos.sources.collector import Event

R = DateRange(date(2026, 4, 1), date(2026, 4, 7))
LAST_FULL_DAY = date(2026, 4, 11)
NY = ZoneInfo("America/New_York")
SITE = "https://app.example"
META = "https://forkful.example/?utm_source=facebook&utm_medium=paid_social&fbclid=x1"
GOOGLE = "https://forkful.example/?utm_source=google&utm_medium=cpc&gclid=g1"
EMAIL = "https://forkful.example/?utm_source=klaviyo&utm_medium=email"
HOME = "https://forkful.example/"
_ids = itertools.count(1)


@pytest.mark.parametrize(
    ("channel", "is_paid", "group"),
    [
        ("meta", True, "paid"),
        ("google_ads", True, "paid"),
        ("organic_search", False, "organic"),
        ("email", False, "organic"),
        ("direct", False, "direct"),
        ("referral", False, "referral"),
        ("unknown", False, "unknown"),
    ],
)
def test_channel_group(channel, is_paid, group) -> None:
    assert channel_group(channel, is_paid) == group


# ---- budgets ------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("start", "end", "expected"),
    [
        (date(2026, 4, 1), date(2026, 4, 30), 3000.0),  # a whole month: the monthly budget
        (date(2026, 4, 1), date(2026, 4, 7), 3000 * 7 / 30),
        (date(2026, 1, 11), date(2026, 2, 9), 3000 * 21 / 31 + 3000 * 9 / 28),  # the demo's 30d
        (date(2024, 2, 1), date(2024, 2, 29), 3000.0),  # leap February
        (date(2025, 12, 20), date(2026, 1, 10), 3000 * 12 / 31 + 3000 * 10 / 31),
        (date(2026, 1, 1), date(2026, 3, 31), 9000.0),
        (date(2026, 5, 5), date(2026, 5, 5), 3000 / 31),
    ],
)
def test_monthly_budget_prorated_by_day(start, end, expected) -> None:
    assert budget_for_range(Decimal(3000), DateRange(start, end)) == pytest.approx(expected, rel=1e-12)


def test_utilisation_and_remaining() -> None:
    u = utilisation(Decimal(3000), 100.0, R)
    assert u.as_dict() == {"budget": 700.0, "utilisation": pytest.approx(1 / 7, abs=1e-6), "remaining": 600.0}
    over = utilisation(Decimal(300), 100.0, R)  # 300 × 7/30 = 70: overspent by 30
    assert over.as_dict() == {"budget": 70.0, "utilisation": pytest.approx(100 / 70, abs=1e-6), "remaining": -30.0}


def test_no_budget_is_null_not_zero() -> None:
    assert utilisation(None, 100.0, R).as_dict() == {"budget": None, "utilisation": None, "remaining": None}
    zero = utilisation(Decimal(0), 25.0, R).as_dict()  # a zero budget: nothing to divide by, all spend is over
    assert zero == {"budget": 0.0, "utilisation": None, "remaining": -25.0}
    assert budget_summary({}, {"meta": 10.0}, R) == {
        "period": "month", "days": 7, "budget": None, "spend": None, "utilisation": None, "remaining": None,
        "channels": [], "channels_without_rows": []}


def test_budget_setting_refuses_negative_amounts(make_settings) -> None:
    assert make_settings(budgets={"meta": "16000"}).budgets == {"meta": Decimal(16000)}
    with pytest.raises(ConfigError) as err:
        make_settings(budgets={"meta": "-1"})
    assert err.value.field == "budgets" and "budgets.meta" in err.value.message


# ---- the table on the hand-built shop and app ---------------------------------------------------------


def shop() -> list:
    orders = [
        order(1, "2026-01-03T15:00:00Z", 1, [("Meal Kits", 1, "50.00", "0")], landing_page=META),
        order(2, "2026-02-15T15:00:00Z", 1, [("Meal Kits", 1, "30.00", "0")], landing_page=EMAIL),
        order(3, "2026-04-05T15:00:00Z", 1, [("Meal Kits", 1, "20.00", "0")], landing_page=META),
        order(4, "2026-01-06T15:00:00Z", 2, [("Pantry", 1, "40.00", "0")], landing_page=META),
        order(5, "2026-01-05T15:00:00Z", 3, [("Meal Kits", 1, "60.00", "0")], landing_page=GOOGLE),
        order(6, "2026-03-01T15:00:00Z", 3, [("Pantry", 1, "20.00", "0")], landing_page=GOOGLE),
        order(7, "2026-04-02T15:00:00Z", 4, [("Pantry", 1, "25.00", "0")], landing_page=GOOGLE),
        order(8, "2026-04-04T15:00:00Z", 5, [("Pantry", 1, "35.00", "0")], landing_page=HOME,
              referrer="https://www.google.com/"),
    ]
    customers = [customer(n, at) for n, at in {1: "2026-01-03T14:00:00Z", 2: "2026-01-06T14:00:00Z",
                                                  3: "2026-01-05T14:00:00Z", 4: "2026-04-02T14:00:00Z",
                                                  5: "2026-04-04T14:00:00Z"}.items()]
    ads = [
        meta_row("ad1", "2026-04-01", "70.00", 7000, 140, purchases=2, purchase_value="250.00"),
        meta_row("ad1", "2026-04-03", "30.00", 3000, 60),
        google_row("2001", "2026-04-02", 45_000_000, 900, 45, conversions=1.0, value=90.0),
    ]
    return [*orders, *customers, *ads]


def at(month: int, day: int, hour: int = 12, minute: int = 0) -> datetime:
    return datetime(2026, month, day, hour, minute, tzinfo=NY).astimezone(UTC)


def landing(when: datetime, user: str, *, search: str = "", referrer: str = "") -> Event:
    page = {"path": "/", "search": search, "referrer": referrer, "url": f"{SITE}/{search}", "title": "Home"}
    return Event(message_id=f"acq{next(_ids)}", type="page", timestamp=when, received_at=when, user_id=user,
                 name="Home", properties=page, context={"page": page})


CPC = "?utm_source=google&utm_medium=cpc"


def app_events() -> list[Event]:
    def signed_up(when: datetime, user: str) -> Event:
        return track("Signed Up", when, user=user)

    def plan(when: datetime, user: str) -> Event:
        return track("Meal Plan Created", when, user=user)

    return [
        landing(at(4, 1, 12), "u1", referrer="https://www.google.com/"), signed_up(at(4, 1, 12, 5), "u1"),
        plan(at(4, 2, 9), "u1"),
        landing(at(4, 2, 12), "u2", search=CPC), signed_up(at(4, 2, 12, 2), "u2"),
        landing(at(4, 2, 10), "u3", search="?gclid=abc"),
        landing(at(4, 4, 10), "u3", referrer="https://www.google.com/"), signed_up(at(4, 4, 10, 1), "u3"),
        plan(at(4, 5, 9), "u3"),
        landing(at(4, 6, 20), "u4", search="?fbclid=x"), signed_up(at(4, 6, 20, 1), "u4"),
        landing(at(2, 20, 12), "u5", search=CPC), landing(at(4, 3, 11, 59), "u5"), signed_up(at(4, 3, 12), "u5"),
        landing(at(3, 30, 12), "u6", search=CPC), signed_up(at(3, 30, 12, 1), "u6"),
        landing(at(4, 7, 23, 30), "u7", search="?utm_source=instagram&utm_medium=social"),
        signed_up(at(4, 7, 23, 35), "u7"),
    ]


@pytest.fixture
def settings(make_settings):
    return make_settings(as_of=date(2026, 4, 12), budgets={"meta": "3000", "tiktok": "600"})


@pytest.fixture
def built(engine, build_from, settings):
    build_from(shop(), settings)
    return engine


def rows_of(result: dict) -> dict[str, dict]:
    return {r["channel"]: r for r in result["rows"]}


def test_cost_performance_ltv_and_budgets_by_hand(built, settings) -> None:
    result = acquisition(built, settings, R, LAST_FULL_DAY)
    rows = rows_of(result)
    assert set(rows) == {"meta", "google_ads", "organic_search"}
    meta, google, organic = rows["meta"], rows["google_ads"], rows["organic_search"]
    kpis = {c: {k: v["value"] for k, v in r["kpis"].items()} for c, r in rows.items()}
    assert kpis["meta"]["ad_spend"] == 100.0 and kpis["meta"]["orders"] == 1 and kpis["meta"]["ncac"] is None
    assert kpis["meta"]["cpc"] == 0.5 and kpis["meta"]["ctr"] == 0.02 and kpis["meta"]["platform_roas"] == 2.5
    assert kpis["google_ads"]["ad_spend"] == 45.0 and kpis["google_ads"]["ncac"] == 45.0
    assert kpis["google_ads"]["cpc"] == 1.0 and kpis["google_ads"]["ctr"] == 0.05
    assert kpis["google_ads"]["platform_roas"] == 2.0
    assert (meta["group"], google["group"], organic["group"]) == ("paid", "paid", "organic")
    assert (meta["impressions"], meta["clicks"]) == (10000, 200)
    assert (google["impressions"], google["clicks"]) == (900, 45)
    assert meta["cost_per_conversion"] == 100.0 and google["cost_per_conversion"] == 45.0
    assert organic["cost_per_conversion"] is None
    assert meta["ltv"] == 60.0 and google["ltv"] == 80.0 and organic["ltv"] is None
    assert result["ltv_window_days"] == 90
    assert meta["budget_monthly"] == 3000.0
    assert (meta["budget"], meta["utilisation"], meta["remaining"]) == (700.0, round(100 / 700, 6), 600.0)
    for row in (google, organic):
        assert (row["budget_monthly"], row["budget"], row["utilisation"], row["remaining"]) == (None,) * 4
    assert result["budgets"] == {
        "period": "month", "days": 7, "budget": 840.0, "spend": 100.0, "utilisation": round(100 / 840, 6),
        "remaining": 740.0, "channels": ["meta", "tiktok"], "channels_without_rows": ["tiktok"]}


def test_without_product_events_signups_are_null(built, settings) -> None:
    result = acquisition(built, settings, R, LAST_FULL_DAY)
    assert result["signups"] is None
    for row in result["rows"]:
        assert (row["signups"], row["activated"], row["signups_in_progress"], row["user_quality"]) == (None,) * 4


def test_signups_by_first_touch_and_their_activation(built, settings) -> None:
    write(built, app_events())
    result = acquisition(built, settings, R, LAST_FULL_DAY)
    got = {c: (r["signups"], r["activated"], r["signups_in_progress"], r["user_quality"])
           for c, r in rows_of(result).items()}
    assert got == {"organic_search": (1, 1, 0, 1.0), "google_ads": (2, 1, 0, 0.5), "meta": (1, 0, 1, None)}
    assert result["signups"] == {
        "event": "Signed Up", "lookback_days": 30, "total": 6,
        "other_channels": {
            "direct": {"signups": 1, "activated": 0, "signups_in_progress": 0, "user_quality": 0.0},
            "organic_social": {"signups": 1, "activated": 0, "signups_in_progress": 1, "user_quality": None},
        }}
