"""Every KPI of the catalogue, checked against numbers computed by hand on a tiny fixture.

No expected value here is obtained from product code: each is written as the arithmetic that the
metric's catalogue definition (its `formula` text) gives on the records below. Settings are the
defaults: margins Meal Kits 0.38, Add-ons 0.55, Pantry 0.48, other types 0.40 (so COGS = list price
× (1 − margin)); shipping cost 8.50 per order; payment fee 2.9% of the amount charged + 0.30; CAD→USD
0.73; reporting days in America/New_York (EST = UTC−5 in Jan/Feb); as_of 2026-02-10.

Current period (C) 2026-02-01..2026-02-07, previous period (P) 2026-01-25..2026-01-31.

Orders (customer, channel, lines as type qty×price −discount; amounts USD unless CAD):
  early
    O1  2026-01-05  c1  meta     Meal Kits 2×45.00 −9.00                     net 81.00
    O2  2026-01-08  c2  organic  Pantry 1×30.00                              net 30.00
    O3  2025-12-30  c3  email    Add-ons 2×12.50                             net 25.00
  previous period
    O4  2026-01-26  c4  google   Meal Kits 1×60.00, shipping 5.00
    O5  2026-01-27  c3  email    Pantry 2×15.00 −3.00                        (c3 returning, day 28 of c3)
    O6  2026-01-28  c5  meta     CAD: Meal Kits 1×80.00, shipping 10.00
    O7  2026-02-01T03:30Z = 2026-01-31 22:30 New York; c6 direct; "Kitchen Tools" 1×25.00 (default margin)
    O8  2026-01-29  c7  meta     CANCELLED (excluded)
  current period
    O9  2026-02-01  c8  meta     Meal Kits 2×45.00 −9.00, Add-ons 1×10.00; Add-on refunded 10.00 (partial)
    O10 2026-02-02  c9  google   Pantry 3×20.00 −6.00, shipping 6.00
    O11 2026-02-03  c1  email    Meal Kits 1×50.00 −5.00                     (c1 returning, day 29 of c1)
    O12 2026-02-03  c10 meta     CAD: Meal Kits 1×60.00 −10.00, Pantry 1×20.00; Pantry refunded 20.00 CAD
    O13 2026-02-04  c4  organic  Add-ons 2×8.00                              (c4 returning: first order in P)
    O14 2026-02-04  c11 direct   Meal Kits 1×40.00, refunded in full 40.00
    O18 2026-02-05  c8  meta     TEST order (excluded) — 2026-02-05 has no counted order
    O15 2026-02-06  c12 unknown  (no customer journey) Kitchen Tools 1×35.00
    O16 2026-02-06  c8  meta     Meal Kits 1×45.00                           (c8's 2nd order in C)
    O17 2026-02-08T03:00Z = 2026-02-07 22:00 New York; c2 organic; Pantry 1×30.00 (day 30 of c2)

Per counted order, by hand (USD; COGS = Σ price×qty×(1−margin); fee = total charged×0.029 + 0.30;
contribution before marketing = net + shipping charged − COGS − 8.50 − fee):
  O4  gross 60.00            net 60.00  ship 5.00  total 65.00  COGS 60×0.62=37.20
      fee 65.00×0.029+0.30=2.185   contrib 60+5−37.20−8.50−2.185 = 17.115
  O5  gross 30.00 disc 3.00  net 27.00  total 27.00  COGS 30×0.52=15.60  fee 0.783+0.30=1.083
      contrib 27−15.60−8.50−1.083 = 1.817
  O6  gross 80×0.73=58.40    net 58.40  ship 10×0.73=7.30  total 90×0.73=65.70  COGS 80×0.62×0.73=36.208
      fee 65.70×0.029+0.30=2.2053  contrib 58.40+7.30−36.208−8.50−2.2053 = 18.7867
  O7  gross 25.00            net 25.00  COGS 25×0.60=15.00  fee 0.725+0.30=1.025  contrib 25−15−8.50−1.025 = 0.475
  O9  gross 2×45+10=100.00 disc 9.00 refund 10.00 net 81.00  total 91.00  COGS 90×0.62+10×0.45=55.80+4.50=60.30
      fee 91×0.029+0.30=2.939  contrib 81−60.30−8.50−2.939 = 9.261
  O10 gross 60.00 disc 6.00  net 54.00  ship 6.00  total 60.00  COGS 60×0.52=31.20  fee 1.74+0.30=2.04
      contrib 54+6−31.20−8.50−2.04 = 18.26
  O11 gross 50.00 disc 5.00  net 45.00  total 45.00  COGS 50×0.62=31.00  fee 1.305+0.30=1.605
      contrib 45−31−8.50−1.605 = 3.895
  O12 gross 80×0.73=58.40 disc 10×0.73=7.30 refund 20×0.73=14.60 net 36.50  total 70×0.73=51.10
      COGS (60×0.62+20×0.52)×0.73 = 47.60×0.73 = 34.748  fee 51.10×0.029+0.30=1.7819
      contrib 36.50−34.748−8.50−1.7819 = −8.5299
  O13 gross 16.00            net 16.00  COGS 16×0.45=7.20   fee 0.464+0.30=0.764  contrib 16−7.20−8.50−0.764 = −0.464
  O14 gross 40.00 refund 40  net 0.00   total 40.00  COGS 40×0.62=24.80  fee 1.16+0.30=1.46
      contrib 0−24.80−8.50−1.46 = −34.76
  O15 gross 35.00            net 35.00  COGS 35×0.60=21.00  fee 1.015+0.30=1.315  contrib 35−21−8.50−1.315 = 4.185
  O16 gross 45.00            net 45.00  COGS 45×0.62=27.90  fee 1.305+0.30=1.605  contrib 45−27.90−8.50−1.605 = 6.995
  O17 gross 30.00            net 30.00  COGS 30×0.52=15.60  fee 0.87+0.30=1.17    contrib 30−15.60−8.50−1.17 = 4.73

Ads (USD): Meta "Prospecting" C: 02-01 40.00 (4000 imp, 80 clk, purchase value 150.00), 02-02 30.00 (3000, 60,
value 70.00), 02-03 25.00 (2500, 50), 02-06 35.00 (3500, 70, value 45.00); Meta "Retargeting" 02-07 10.00 (1000, 0).
Google "Search - Generic" C: 02-01 12_500_000 micros (500, 25, value 60), 02-02 20_000_000 (800, 40, value 54),
02-05 7_250_000 (300, 15). No ad row on 2026-02-04 (zero-spend day).
P: Meta 01-26 20.00 (2000, 40), 01-28 50.00 (5000, 100, value 58.40); Google 01-26 15_000_000 (600, 30, value 60),
01-30 5_000_000 (200, 10).
GA4 sessions C: 02-01 google/cpc 30 + facebook/paid_social 50, 02-03 google/organic 40, 02-05 (direct) 20,
02-06 klaviyo/email 10 = 150; P: 01-26 google/organic 60, 01-28 facebook/paid_social 40 = 100.
"""

from __future__ import annotations

from datetime import date

import pytest
from fixtures.shopify import customer, ga4_row, google_row, meta_row, order

from growthos.core.periods import DateRange
from growthos.metrics.catalogue import CATALOGUE
from growthos.metrics.evaluate import breakdown, summary, timeseries

CURRENT = DateRange(date(2026, 2, 1), date(2026, 2, 7))
PREVIOUS = DateRange(date(2026, 1, 25), date(2026, 1, 31))
LAST_FULL_DAY = date(2026, 2, 9)  # as_of 2026-02-10

META = "https://forkful.example/?utm_source=facebook&utm_medium=paid_social&utm_campaign=Prospecting&fbclid=x1"
GOOGLE = "https://forkful.example/?utm_source=google&utm_medium=cpc&utm_campaign=Search%20-%20Generic&gclid=g1"
EMAIL = "https://forkful.example/?utm_source=klaviyo&utm_medium=email&utm_campaign=winback"
HOME = "https://forkful.example/"
SEARCH_REFERRER = "https://www.google.com/"


def _journey(channel: str) -> dict:
    return {
        "meta": {"landing_page": META},
        "google": {"landing_page": GOOGLE},
        "email": {"landing_page": EMAIL},
        "organic": {"landing_page": HOME, "referrer": SEARCH_REFERRER},
        "direct": {"landing_page": HOME, "referrer": None},
        "unknown": {"journey": False},
    }[channel]


def shop_records() -> list:
    orders = [
        # early orders (LTV 30 windows)
        order(1, "2026-01-05T15:00:00Z", 1, [("Meal Kits", 2, "45.00", "9.00")], **_journey("meta")),
        order(2, "2026-01-08T17:00:00Z", 2, [("Pantry", 1, "30.00", "0")], **_journey("organic")),
        order(3, "2025-12-30T16:00:00Z", 3, [("Add-ons", 2, "12.50", "0")], **_journey("email")),
        # previous period
        order(4, "2026-01-26T14:00:00Z", 4, [("Meal Kits", 1, "60.00", "0")], shipping="5.00",
              **_journey("google")),
        order(5, "2026-01-27T18:00:00Z", 3, [("Pantry", 2, "15.00", "3.00")], **_journey("email")),
        order(6, "2026-01-28T20:00:00Z", 5, [("Meal Kits", 1, "80.00", "0")], currency="CAD", shipping="10.00",
              **_journey("meta")),
        order(7, "2026-02-01T03:30:00Z", 6, [("Kitchen Tools", 1, "25.00", "0")], **_journey("direct")),
        order(8, "2026-01-29T15:00:00Z", 7, [("Meal Kits", 1, "50.00", "0")], cancelled=True, **_journey("meta")),
        # current period
        order(9, "2026-02-01T15:00:00Z", 8, [("Meal Kits", 2, "45.00", "9.00"), ("Add-ons", 1, "10.00", "0")],
              refunds=[("2026-02-03T12:00:00Z", 1, "10.00")], **_journey("meta")),
        order(10, "2026-02-02T16:00:00Z", 9, [("Pantry", 3, "20.00", "6.00")], shipping="6.00",
              **_journey("google")),
        order(11, "2026-02-03T14:00:00Z", 1, [("Meal Kits", 1, "50.00", "5.00")], **_journey("email")),
        order(12, "2026-02-03T19:00:00Z", 10, [("Meal Kits", 1, "60.00", "10.00"), ("Pantry", 1, "20.00", "0")],
              currency="CAD", refunds=[("2026-02-05T12:00:00Z", 1, "20.00")], **_journey("meta")),
        order(13, "2026-02-04T15:00:00Z", 4, [("Add-ons", 2, "8.00", "0")], **_journey("organic")),
        order(14, "2026-02-04T22:00:00Z", 11, [("Meal Kits", 1, "40.00", "0")],
              refunds=[("2026-02-06T12:00:00Z", 0, "40.00")], **_journey("direct")),
        order(18, "2026-02-05T17:00:00Z", 8, [("Meal Kits", 3, "45.00", "0")], test=True, **_journey("meta")),
        order(15, "2026-02-06T13:00:00Z", 12, [("Kitchen Tools", 1, "35.00", "0")], **_journey("unknown")),
        order(16, "2026-02-06T16:00:00Z", 8, [("Meal Kits", 1, "45.00", "0")], **_journey("meta")),
        order(17, "2026-02-08T03:00:00Z", 2, [("Pantry", 1, "30.00", "0")], **_journey("organic")),
    ]
    first_seen = {1: "2026-01-05T14:00:00Z", 2: "2026-01-08T16:00:00Z", 3: "2025-12-30T15:00:00Z",
                  4: "2026-01-26T13:00:00Z", 5: "2026-01-28T19:00:00Z", 6: "2026-02-01T03:00:00Z",
                  7: "2026-01-29T14:00:00Z", 8: "2026-02-01T14:00:00Z", 9: "2026-02-02T15:00:00Z",
                  10: "2026-02-03T18:00:00Z", 11: "2026-02-04T21:00:00Z", 12: "2026-02-06T12:00:00Z"}
    customers = [customer(n, at) for n, at in first_seen.items()]
    ads = [
        meta_row("ad1", "2026-02-01", "40.00", 4000, 80, purchases=2, purchase_value="150.00"),
        meta_row("ad1", "2026-02-02", "30.00", 3000, 60, purchases=1, purchase_value="70.00"),
        meta_row("ad1", "2026-02-03", "25.00", 2500, 50),
        meta_row("ad1", "2026-02-06", "35.00", 3500, 70, purchases=1, purchase_value="45.00"),
        meta_row("ad2", "2026-02-07", "10.00", 1000, 0, campaign="Retargeting"),
        google_row("2001", "2026-02-01", 12_500_000, 500, 25, conversions=1.0, value=60.0),
        google_row("2001", "2026-02-02", 20_000_000, 800, 40, conversions=1.0, value=54.0),
        google_row("2001", "2026-02-05", 7_250_000, 300, 15),
        meta_row("ad1", "2026-01-26", "20.00", 2000, 40),
        meta_row("ad1", "2026-01-28", "50.00", 5000, 100, purchases=1, purchase_value="58.40"),
        google_row("2001", "2026-01-26", 15_000_000, 600, 30, conversions=1.0, value=60.0),
        google_row("2001", "2026-01-30", 5_000_000, 200, 10),
    ]
    traffic = [
        ga4_row("2026-02-01", "google", "cpc", "Search - Generic", 30),
        ga4_row("2026-02-01", "facebook", "paid_social", "Prospecting", 50),
        ga4_row("2026-02-03", "google", "organic", "(organic)", 40),
        ga4_row("2026-02-05", "(direct)", "(none)", "(direct)", 20),
        ga4_row("2026-02-06", "klaviyo", "email", "winback", 10),
        ga4_row("2026-01-26", "google", "organic", "(organic)", 60),
        ga4_row("2026-01-28", "facebook", "paid_social", "Prospecting", 40),
    ]
    return [*orders, *customers, *ads, *traffic]


# ---- hand-computed totals -------------------------------------------------------------------------------
# Current period: O9, O10, O11, O12, O13, O14, O15, O16, O17 (O18 test excluded; O7 is on 01-31 in New York).
GROSS_C = 100.00 + 60.00 + 50.00 + 80.00 * 0.73 + 16.00 + 40.00 + 35.00 + 45.00 + 30.00  # = 434.40
DISC_C = 9.00 + 6.00 + 5.00 + 10.00 * 0.73  # O9, O10, O11, O12 (CAD 10 → 7.30) = 27.30
REFUNDS_C = 10.00 + 20.00 * 0.73 + 40.00  # O9 partial, O12 partial (CAD 20 → 14.60), O14 full = 64.60
NET_C = 81.00 + 54.00 + 45.00 + 36.50 + 16.00 + 0.00 + 35.00 + 45.00 + 30.00  # = 342.50 (= 434.40 − 27.30 − 64.60)
ORDERS_C = 9
COGS_C = 60.30 + 31.20 + 31.00 + 34.748 + 7.20 + 24.80 + 21.00 + 27.90 + 15.60  # = 253.748
CONTRIB_C = 9.261 + 18.26 + 3.895 - 8.5299 - 0.464 - 34.76 + 4.185 + 6.995 + 4.73  # = 3.5721
# cross-check: 342.50 + 6.00 shipping − 253.748 − 9×8.50 − (0.029×413.10 + 9×0.30 = 14.6799) = 3.5721
SPEND_C = (40.00 + 30.00 + 25.00 + 35.00 + 10.00) + (12.50 + 20.00 + 7.25)  # Meta 140 + Google 39.75 = 179.75
PLATFORM_VALUE_C = (150.00 + 70.00 + 45.00) + (60.00 + 54.00)  # Meta 265 + Google 114 = 379.00
IMPRESSIONS_C = (4000 + 3000 + 2500 + 3500 + 1000) + (500 + 800 + 300)  # = 15600
CLICKS_C = (80 + 60 + 50 + 70 + 0) + (25 + 40 + 15)  # = 340
SESSIONS_C = 30 + 50 + 40 + 20 + 10  # = 150
CUSTOMERS_C = 8  # c8, c9, c1, c10, c4, c11, c12, c2
NEW_C = 5  # c8, c9, c10, c11, c12 (first-ever order in C)
RETURNING_C = 3  # c1 (first 01-05), c4 (first 01-26), c2 (first 01-08)
REPEAT_C = 1  # c8: O9 and O16 (the test order O18 does not count)

# Previous period: O4, O5, O6, O7 (O8 cancelled excluded).
GROSS_P = 60.00 + 30.00 + 80.00 * 0.73 + 25.00  # = 173.40
DISC_P = 3.00
NET_P = 60.00 + 27.00 + 58.40 + 25.00  # = 170.40
ORDERS_P = 4
COGS_P = 37.20 + 15.60 + 36.208 + 15.00  # = 104.008
CONTRIB_P = 17.115 + 1.817 + 18.7867 + 0.475  # = 38.1937
# cross-check: 170.40 + (5.00 + 7.30) − 104.008 − 4×8.50 − (2.185 + 1.083 + 2.2053 + 1.025) = 38.1937
SPEND_P = (20.00 + 50.00) + (15.00 + 5.00)  # = 90.00
PLATFORM_VALUE_P = 58.40 + 60.00  # = 118.40
IMPRESSIONS_P = 2000 + 5000 + 600 + 200  # = 7800
CLICKS_P = 40 + 100 + 30 + 10  # = 180
SESSIONS_P = 60 + 40  # = 100
CUSTOMERS_P = 4  # c4, c3, c5, c6 (c7's only order is cancelled)
NEW_P = 3  # c4, c5, c6
RETURNING_P = 1  # c3 (first order 2025-12-30)

# value, previous
EXPECTED: dict[str, tuple[float | None, float | None]] = {
    "gross_sales": (GROSS_C, GROSS_P),
    "discounts": (DISC_C, DISC_P),
    "refunds": (REFUNDS_C, 0.0),
    "net_revenue": (NET_C, NET_P),
    "orders": (ORDERS_C, ORDERS_P),
    "aov": (342.50 / 9, 170.40 / 4),  # 38.0556; 42.60
    "new_customers": (NEW_C, NEW_P),
    "returning_customer_rate": (3 / 8, 1 / 4),
    "repeat_purchase_rate": (1 / 8, 0 / 4),
    "refund_rate": (64.60 / (434.40 - 27.30), 0.0 / (173.40 - 3.00)),  # 0.158683; 0
    "ad_spend": (179.75, 90.00),
    "platform_roas": (379.00 / 179.75, 118.40 / 90.00),
    "mer": (342.50 / 179.75, 170.40 / 90.00),
    "ncac": (179.75 / 5, 90.00 / 3),  # 35.95; 30.00
    "impressions": (15600, 7800),
    "clicks": (340, 180),
    "cpm": (179.75 / 15600 * 1000, 90.00 / 7800 * 1000),
    "cpc": (179.75 / 340, 90.00 / 180),
    "ctr": (340 / 15600, 180 / 7800),
    "sessions": (150, 100),
    "conversion_rate": (9 / 150, 4 / 100),
    "cogs": (COGS_C, COGS_P),
    "gross_margin": (342.50 - 253.748, 170.40 - 104.008),  # 88.752; 66.392
    "gross_margin_pct": ((342.50 - 253.748) / 342.50, (170.40 - 104.008) / 170.40),
    "contribution_margin": (3.5721 - 179.75, 38.1937 - 90.00),  # −176.1779; −51.8063
    "contribution_margin_pct": ((3.5721 - 179.75) / 342.50, (38.1937 - 90.00) / 170.40),
    # LTV 30, C: first orders in [02-01 − 29, 02-07 − 29] = [01-03, 01-09] → c1 (01-05), c2 (01-08).
    #   c1: O1 81.00 + O11 (02-03 = day 30 counting 01-05 as day 1) 45.00; c2: O2 30.00, O17 is on day 31 → out.
    #   (81.00 + 45.00 + 30.00) / 2 = 78.00
    # LTV 30, P: first orders in [12-27, 01-02] → c3 (12-30): O3 25.00 + O5 (01-27, day 29) 27.00 = 52.00 / 1
    "ltv_30": ((81.00 + 45.00 + 30.00) / 2, (25.00 + 27.00) / 1),
    # LTV 90: first orders in [11-04, 11-10] (C) / [10-28, 11-03] (P): nobody → no customers → None.
    "ltv_90": (None, None),
    # LTV 180: first orders in [2025-08-06, 2025-08-12] / [07-30, 08-05]: nobody → None.
    "ltv_180": (None, None),
    # LTV:CAC: no 90-day cohort and no acquisition spend → 0 ÷ 0 → None.
    "ltv_cac": (None, None),
    # payback: no 180-day cohort → None.
    "payback_days": (None, None),
}


def close(actual: float | None, expected: float | None) -> bool:
    if expected is None:
        return actual is None
    return actual is not None and actual == pytest.approx(expected, rel=1e-9, abs=1e-6)


def assert_kpis(kpis: dict, expected: dict[str, tuple[float | None, float | None]], where: str = "") -> None:
    wrong = {
        name: {"value": kpis[name]["value"], "previous": kpis[name]["previous"], "expected": exp}
        for name, exp in expected.items()
        if not (close(kpis[name]["value"], exp[0]) and close(kpis[name]["previous"], exp[1]))
    }
    assert not wrong, f"{where} KPIs disagree with the hand computation: {wrong}"


@pytest.fixture
def shop(engine, build_from):
    build_from(shop_records())
    return engine


def test_every_catalogue_metric_has_a_hand_computed_expectation():
    assert set(EXPECTED) == set(CATALOGUE)
    assert set(LTV_EXPECTED) <= set(CATALOGUE)


def test_the_hand_totals_add_up():
    # internal consistency of the arithmetic above (not product code)
    assert GROSS_C - DISC_C - REFUNDS_C == pytest.approx(NET_C)
    assert NET_C == pytest.approx(342.50) and GROSS_C == pytest.approx(434.40)
    assert CONTRIB_C == pytest.approx(342.50 + 6.00 - 253.748 - 9 * 8.50 - (0.029 * 413.10 + 9 * 0.30))
    assert CONTRIB_P == pytest.approx(170.40 + 5.00 + 7.30 - 104.008 - 4 * 8.50 - (2.185 + 1.083 + 2.2053 + 1.025))
    assert GROSS_P - DISC_P == pytest.approx(NET_P)
    assert COGS_C == pytest.approx(253.748) and COGS_P == pytest.approx(104.008)
    assert (SPEND_C, SPEND_P) == (pytest.approx(179.75), pytest.approx(90.00))
    assert (PLATFORM_VALUE_C, PLATFORM_VALUE_P) == (pytest.approx(379.00), pytest.approx(118.40))
    assert (IMPRESSIONS_C, CLICKS_C, SESSIONS_C) == (15600, 340, 150)
    assert (IMPRESSIONS_P, CLICKS_P, SESSIONS_P) == (7800, 180, 100)
    assert (CUSTOMERS_C, NEW_C, RETURNING_C, REPEAT_C) == (8, 5, 3, 1)
    assert (CUSTOMERS_P, NEW_P, RETURNING_P) == (4, 3, 1)


def test_summary_matches_the_hand_computation_for_every_kpi(shop):
    result = summary(shop, CURRENT, LAST_FULL_DAY)
    assert (result["from"], result["to"]) == ("2026-02-01", "2026-02-07")
    assert (result["previous_from"], result["previous_to"]) == ("2026-01-25", "2026-01-31")
    assert set(result["kpis"]) == set(CATALOGUE)
    assert_kpis(result["kpis"], EXPECTED, "summary")


def test_summary_changes_and_undefined_ratios(shop):
    kpis = summary(shop, CURRENT, LAST_FULL_DAY)["kpis"]
    # net revenue: 342.50 − 170.40 = 172.10; 172.10 / 170.40
    assert kpis["net_revenue"]["change"] == pytest.approx(342.50 - 170.40, abs=1e-6)
    assert kpis["net_revenue"]["change_pct"] == pytest.approx((342.50 - 170.40) / 170.40, abs=1e-6)
    # orders: 9 − 4 = 5; 5 / 4 = 1.25
    assert kpis["orders"]["change"] == pytest.approx(5)
    assert kpis["orders"]["change_pct"] == pytest.approx(1.25)
    # nCAC: 35.95 − 30.00 = 5.95; 5.95 / 30 = 0.198333
    assert kpis["ncac"]["change"] == pytest.approx(35.95 - 30.00, abs=1e-6)
    assert kpis["ncac"]["change_pct"] == pytest.approx(5.95 / 30.00, abs=1e-6)
    # contribution margin: −176.1779 − (−51.8063) = −124.3716; relative to |−51.8063|
    assert kpis["contribution_margin"]["change"] == pytest.approx(-176.1779 + 51.8063, abs=1e-6)
    assert kpis["contribution_margin"]["change_pct"] == pytest.approx(-124.3716 / 51.8063, abs=1e-6)
    # refunds went from 0 → relative change undefined
    assert kpis["refunds"]["change"] == pytest.approx(64.60, abs=1e-6)
    assert kpis["refunds"]["change_pct"] is None
    # LTV 90 / 180, LTV:CAC, payback have no cohort: None everywhere, never 0
    for name in ("ltv_90", "ltv_180", "ltv_cac", "payback_days"):
        assert kpis[name] == {"value": None, "previous": None, "change": None, "change_pct": None}, name


# ---- breakdowns -----------------------------------------------------------------------------------------
# Order channels in C: meta O9, O12, O16 (new c8, c10); google_ads O10 (new c9); email O11 (c1 returning);
# organic_search O13, O17 (both returning); direct O14 (new c11); unknown O15 (new c12).
# In P: google_ads O4 (new c4); email O5 (c3 returning); meta O6 (new c5); direct O7 (new c6).
# Spend by channel C: meta 40+30+25+35+10 = 140.00, google_ads 12.50+20+7.25 = 39.75; P: meta 70, google_ads 20.
CHANNELS: dict[str, dict[str, tuple[float | None, float | None]]] = {
    "meta": {
        "net_revenue": (81.00 + 36.50 + 45.00, 58.40),  # 162.50
        "ad_spend": (140.00, 70.00),
        "mer": (162.50 / 140.00, 58.40 / 70.00),
        "ncac": (140.00 / 2, 70.00 / 1),
        "orders": (3, 1),
        "new_customers": (2, 1),
        # acquisition channel of c1 (LTV 30 cohort of C) is meta: (81 + 45) / 1; none in P's cohort (c3 is email)
        "ltv_30": (126.00, None),
    },
    "google_ads": {
        "net_revenue": (54.00, 60.00),
        "ad_spend": (39.75, 20.00),
        "mer": (54.00 / 39.75, 60.00 / 20.00),
        "ncac": (39.75 / 1, 20.00 / 1),
        "orders": (1, 1),
        "new_customers": (1, 1),
    },
    "email": {  # a channel with no spend: MER undefined; no new customers: nCAC = 0 ÷ 0 undefined
        "net_revenue": (45.00, 27.00),
        "ad_spend": (0.0, 0.0),
        "mer": (None, None),
        "ncac": (None, None),
        "orders": (1, 1),
        "new_customers": (0, 0),
        "platform_roas": (None, None),
        "cpc": (None, None),
        "ltv_30": (None, 52.00 / 1),  # c3 acquired by email: (25 + 27) / 1 in P
    },
    "organic_search": {
        "net_revenue": (16.00 + 30.00, 0.0),
        "ad_spend": (0.0, 0.0),
        "mer": (None, None),
        "ncac": (None, None),
        "orders": (2, 0),
        "new_customers": (0, 0),
        "ltv_30": (30.00 / 1, None),  # c2 acquired by organic search, O17 outside the 30 days
    },
    "direct": {
        "net_revenue": (0.00, 25.00),  # O14 fully refunded; O7 on 01-31 New York time
        "ad_spend": (0.0, 0.0),
        "mer": (None, None),
        "ncac": (0.0 / 1, 0.0 / 1),  # no spend, one new customer: 0.00
        "orders": (1, 1),
        "new_customers": (1, 1),
    },
    "unknown": {
        "net_revenue": (35.00, 0.0),
        "ad_spend": (0.0, 0.0),
        "mer": (None, None),
        "ncac": (0.0 / 1, None),
        "orders": (1, 0),
        "new_customers": (1, 0),
    },
}

# Campaign keys: channel:lower(utm_campaign) for orders, platform:lower(campaign name) for spend.
CAMPAIGNS: dict[str | None, dict[str, tuple[float | None, float | None]]] = {
    "meta:prospecting": {
        "net_revenue": (81.00 + 36.50 + 45.00, 58.40),
        "ad_spend": (40.00 + 30.00 + 25.00 + 35.00, 20.00 + 50.00),  # 130; 70
        "mer": (162.50 / 130.00, 58.40 / 70.00),  # 1.25; 0.834286
        "ncac": (130.00 / 2, 70.00 / 1),
        "orders": (3, 1),
        "cpc": (130.00 / (80 + 60 + 50 + 70), 70.00 / (40 + 100)),  # 0.50; 0.50
        "platform_roas": ((150.00 + 70.00 + 45.00) / 130.00, 58.40 / 70.00),
    },
    "meta:retargeting": {  # spend but no clicks, orders or new customers
        "net_revenue": (0.0, 0.0),
        "ad_spend": (10.00, 0.0),
        "mer": (0.0 / 10.00, None),
        "ncac": (None, None),
        "orders": (0, 0),
        "cpc": (None, None),
        "cpm": (10.00 / 1000 * 1000, None),
        "ctr": (0 / 1000, None),
    },
    "google_ads:search - generic": {
        "net_revenue": (54.00, 60.00),
        "ad_spend": (12.50 + 20.00 + 7.25, 15.00 + 5.00),
        "mer": (54.00 / 39.75, 60.00 / 20.00),
        "ncac": (39.75 / 1, 20.00 / 1),
        "orders": (1, 1),
        "cpc": (39.75 / (25 + 40 + 15), 20.00 / (30 + 10)),
        "platform_roas": ((60.00 + 54.00) / 39.75, 60.00 / 20.00),
    },
    "email:winback": {
        "net_revenue": (45.00, 27.00),
        "ad_spend": (0.0, 0.0),
        "mer": (None, None),
        "ncac": (None, None),
        "orders": (1, 1),
    },
    None: {  # orders without a UTM campaign: O13, O14, O15, O17 (C); O7 (P)
        "net_revenue": (16.00 + 0.00 + 35.00 + 30.00, 25.00),
        "ad_spend": (0.0, 0.0),
        "mer": (None, None),
        "ncac": (0.0 / 2, 0.0 / 1),  # new: c11, c12 (C); c6 (P)
        "orders": (4, 1),
    },
}


def test_breakdown_by_channel(shop):
    result = breakdown(shop, CURRENT, "channel", LAST_FULL_DAY)
    assert result["by"] == "channel"
    rows = {row["channel"]: row["kpis"] for row in result["rows"]}
    assert set(rows) == set(CHANNELS)
    for channel, expected in CHANNELS.items():
        assert_kpis(rows[channel], expected, channel)
    # rows are ordered by net revenue, highest first
    assert [row["channel"] for row in result["rows"]][:3] == ["meta", "google_ads", "organic_search"]
    # the channels add up to the totals: 162.50 + 54 + 45 + 46 + 0 + 35 = 342.50; 3+1+1+2+1+1 = 9
    assert sum(r["net_revenue"]["value"] for r in rows.values()) == pytest.approx(NET_C, abs=1e-6)
    assert sum(r["orders"]["value"] for r in rows.values()) == ORDERS_C
    assert sum(r["new_customers"]["value"] for r in rows.values()) == NEW_C


def test_breakdown_by_campaign(shop):
    result = breakdown(shop, CURRENT, "campaign", LAST_FULL_DAY)
    rows = {row["campaign"]: row["kpis"] for row in result["rows"]}
    assert set(rows) == set(CAMPAIGNS)
    for campaign, expected in CAMPAIGNS.items():
        assert_kpis(rows[campaign], expected, str(campaign))
    assert sum(r["ad_spend"]["value"] for r in rows.values()) == pytest.approx(SPEND_C, abs=1e-6)


# Customer segments: a customer's first order is 'new', later ones 'returning' (no guest orders here).
#   C new O9 O10 O12 O14 O15: net 81 + 54 + 36.50 + 0 + 35 = 206.50, AOV 206.50 / 5 = 41.30;
#     refunds 10 + 14.60 + 40 = 64.60 over gross 100 + 60 + 58.40 + 40 + 35 = 293.40 less discounts
#     9 + 6 + 7.30 = 22.30 → 64.60 / 271.10
#   C returning O11 O13 O16 O17: net 45 + 16 + 45 + 30 = 136, AOV 34, refund rate 0
#   P new O4 O6 O7: net 60 + 58.40 + 25 = 143.40, AOV 47.80; P returning O5: net 27, AOV 27
SEGMENTS: dict[str, dict[str, tuple[float | None, float | None]]] = {
    "new": {"net_revenue": (206.50, 143.40), "orders": (5, 3), "aov": (41.30, 47.80),
            "refund_rate": (64.60 / 271.10, 0.0), "ad_spend": (None, None), "mer": (None, None),
            "conversion_rate": (None, None)},
    "returning": {"net_revenue": (136.00, 27.00), "orders": (4, 1), "aov": (34.00, 27.00),
                  "refund_rate": (0.0, 0.0), "ad_spend": (None, None)},
}


def test_breakdown_by_customer_segment(shop):
    result = breakdown(shop, CURRENT, "segment", LAST_FULL_DAY)
    rows = {row["segment"]: row["kpis"] for row in result["rows"]}
    assert set(rows) == set(SEGMENTS)
    for segment, expected in SEGMENTS.items():
        assert_kpis(rows[segment], expected, segment)  # ad spend is not split by segment: undefined
    assert [row["segment"] for row in result["rows"]] == ["new", "returning"]


# ---- daily series ---------------------------------------------------------------------------------------
def test_daily_series_of_the_current_period(shop):
    names = ["orders", "net_revenue", "ad_spend", "mer", "cpc", "conversion_rate"]
    result = timeseries(shop, CURRENT, LAST_FULL_DAY, names)
    assert result["dates"] == [f"2026-02-0{d}" for d in range(1, 8)]
    s = result["series"]
    # 02-01 O9; 02-02 O10; 02-03 O11+O12; 02-04 O13+O14; 02-05 only the test order; 02-06 O15+O16;
    # 02-07 O17 (placed 2026-02-08T03:00Z, 22:00 in New York)
    assert s["orders"] == [1, 1, 2, 2, 0, 2, 1]
    expected_net = [81.00, 54.00, 45.00 + 36.50, 16.00 + 0.00, 0.0, 35.00 + 45.00, 30.00]
    assert s["net_revenue"] == pytest.approx(expected_net, abs=1e-6)
    expected_spend = [40.00 + 12.50, 30.00 + 20.00, 25.00, 0.0, 7.25, 35.00, 10.00]
    assert s["ad_spend"] == pytest.approx(expected_spend, abs=1e-6)
    assert s["mer"][3] is None  # 02-04: 16.00 of revenue, no spend
    assert s["mer"][:3] == pytest.approx([81.00 / 52.50, 54.00 / 50.00, 81.50 / 25.00], abs=1e-6)
    assert s["mer"][4:] == pytest.approx([0.0 / 7.25, 80.00 / 35.00, 30.00 / 10.00], abs=1e-6)
    # cpc: 02-04 no clicks and no spend; 02-07 spend 10.00 and 0 clicks → None
    expected_cpc = [52.50 / (80 + 25), 50.00 / (60 + 40), 25.00 / 50, None, 7.25 / 15, 35.00 / 70, None]
    for got, want in zip(s["cpc"], expected_cpc, strict=True):
        assert close(got, want), (s["cpc"], expected_cpc)
    # sessions 80, 0, 40, 0, 20, 10, 0
    expected_cr = [1 / 80, None, 2 / 40, None, 0 / 20, 2 / 10, None]
    for got, want in zip(s["conversion_rate"], expected_cr, strict=True):
        assert close(got, want), (s["conversion_rate"], expected_cr)
    assert sum(s["net_revenue"]) == pytest.approx(NET_C, abs=1e-6)


def test_daily_series_of_the_previous_period_puts_the_utc_order_on_the_new_york_day(shop):
    result = timeseries(shop, PREVIOUS, LAST_FULL_DAY, ["orders", "net_revenue"])
    assert result["dates"][-1] == "2026-01-31"
    # 01-26 O4; 01-27 O5; 01-28 O6 (CAD 80 × 0.73); 01-29 only the cancelled O8; 01-31 O7 (2026-02-01T03:30Z)
    assert result["series"]["orders"] == [0, 1, 1, 1, 0, 0, 1]
    assert result["series"]["net_revenue"] == pytest.approx([0.0, 60.00, 27.00, 58.40, 0.0, 0.0, 25.00], abs=1e-6)


# ---- second scenario: 90- and 180-day cohorts -----------------------------------------------------------
# 90-day cohort of C: first orders in [02-01 − 89, 02-07 − 89] = [2025-11-04, 2025-11-10];
#   c21 2025-11-10 meta  Meal Kits 2×50.00: net 100.00, COGS 62.00, fee 3.20, contrib 100−62−8.50−3.20 = 26.30
#       2026-01-20 (day 72, i.e. 71 days later) email Add-ons 4×15.00: net 60.00, COGS 60×0.45=27.00,
#       fee 1.74+0.30=2.04, contrib 60−27−8.50−2.04 = 22.46
#       2026-02-08 (90 days later, day 91) Meal Kits 1×50.00 → outside the 90-day window
#   c22 2025-11-10 organic Pantry 1×40.00: net 40.00, COGS 20.80, fee 1.16+0.30=1.46, contrib 40−20.80−8.50−1.46 = 9.24
#   Meta spend on 2025-11-10: 60.00 (the only spend in the acquisition days).
#   LTV 90 = (100 + 60 + 40) / 2 = 100.00
#   LTV:CAC = (contribution per customer (26.30 + 22.46 + 9.24) / 2 = 29.00) ÷ (nCAC 60.00 / 2 = 30.00) = 0.966667
# 90-day cohort of P: first orders in [2025-10-28, 2025-11-03];
#   c23 2025-11-03 google Meal Kits 1×80.00: net 80, COGS 49.60, fee 2.32+0.30=2.62, contrib 80−49.60−8.50−2.62 = 19.28
#   Google spend on 2025-11-03: 40.00 → LTV 90 = 80.00; LTV:CAC = 19.28 ÷ (40.00 / 1) = 0.482
# 180-day cohort of C: first orders in [2025-08-06, 2025-08-12];
#   c31 2025-08-10 Meal Kits 1×50.00 (contrib 50−31−8.50−1.75 = 8.75), 2025-09-09 (+30 days) Meal Kits 2×50.00 (26.30)
#   c32 2025-08-10 Meal Kits 1×50.00 (8.75), 2025-10-09 (+60 days) Add-ons 4×15.00 (22.46)
#   Meta spend on 2025-08-10: 30.00 → nCAC = 30.00 / 2 = 15.00
#   cumulative contribution per customer: +0 days (8.75 + 8.75) / 2 = 8.75 < 15; +30 days (17.50 + 26.30) / 2 = 21.90
#   ≥ 15 → payback 30 days. LTV 180 = (50 + 50 + 100 + 60) / 2 = 130.00
# P has no 180-day cohort ([2025-07-30, 2025-08-05]) → ltv_180 and payback None.
LTV_EXPECTED: dict[str, tuple[float | None, float | None]] = {
    "ltv_30": (None, None),
    "ltv_90": ((100.00 + 60.00 + 40.00) / 2, 80.00 / 1),
    "ltv_180": ((50.00 + 50.00 + 100.00 + 60.00) / 2, None),
    "ltv_cac": (((26.30 + 22.46 + 9.24) / 2) / (60.00 / 2), (19.28 / 1) / (40.00 / 1)),
    "payback_days": (30, None),
}


def cohort_records() -> list:
    return [
        order(101, "2025-11-10T15:00:00Z", 21, [("Meal Kits", 2, "50.00", "0")], **_journey("meta")),
        order(102, "2026-01-20T15:00:00Z", 21, [("Add-ons", 4, "15.00", "0")], **_journey("email")),
        order(103, "2026-02-08T15:00:00Z", 21, [("Meal Kits", 1, "50.00", "0")], **_journey("email")),
        order(104, "2025-11-10T18:00:00Z", 22, [("Pantry", 1, "40.00", "0")], **_journey("organic")),
        order(105, "2025-11-03T15:00:00Z", 23, [("Meal Kits", 1, "80.00", "0")], **_journey("google")),
        order(106, "2025-08-10T15:00:00Z", 31, [("Meal Kits", 1, "50.00", "0")], **_journey("meta")),
        order(107, "2025-08-10T16:00:00Z", 32, [("Meal Kits", 1, "50.00", "0")], **_journey("meta")),
        order(108, "2025-09-09T15:00:00Z", 31, [("Meal Kits", 2, "50.00", "0")], **_journey("direct")),
        order(109, "2025-10-09T15:00:00Z", 32, [("Add-ons", 4, "15.00", "0")], **_journey("email")),
        meta_row("ad1", "2025-11-10", "60.00", 6000, 120),
        google_row("2001", "2025-11-03", 40_000_000, 1000, 50),
        meta_row("ad1", "2025-08-10", "30.00", 3000, 60),
    ]


def test_ltv_ltv_cac_and_payback_on_90_and_180_day_cohorts(engine, build_from):
    build_from(cohort_records())
    kpis = summary(engine, CURRENT, LAST_FULL_DAY)["kpis"]
    assert_kpis(kpis, LTV_EXPECTED, "cohorts")
    # the period itself has no orders and no spend: every base-level ratio is undefined, not 0
    for name in ("aov", "mer", "ncac", "platform_roas", "cpc", "cpm", "ctr", "conversion_rate", "refund_rate",
                 "gross_margin_pct", "returning_customer_rate"):
        assert kpis[name]["value"] is None, name
    assert kpis["orders"]["value"] == 0 and kpis["net_revenue"]["value"] == 0
