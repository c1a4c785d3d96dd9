"""COGS from Shopify unit costs where a variant has one, from the category margin otherwise — checked
against numbers computed by hand on three orders.

Settings are the defaults: margins Meal Kits 0.38, Add-ons 0.55, Pantry 0.48; shipping cost 8.50 per
order; payment fee 2.9% of the amount charged + 0.30; CAD→USD 0.73; as_of 2026-02-10.

Products (inventoryItem.unitCost per variant):
  P1  Meal Kits  variant 101 cost 20.00 USD (an older version said 25.00: superseded), variant 102 no cost
  P2  Pantry     variant 201 cost 6.50 USD
  P3  Meal Kits  variant 301 cost 30.00 CAD
  P4  Add-ons    variant 401 cost "n/a"      → quarantined (its lines fall back to the margin)
  P5  Pantry     variant 501 cost 4.00 EUR   → quarantined (no EUR rate configured)

Orders (2026-02-01..07), per line: source and COGS:
  OA 02-02 USD  v101 Meal Kits 2×45.00 −9.00  unit cost  2 × 20.00           = 40.00
                v102 Meal Kits 1×30.00        margin     30.00 × 0.62        = 18.60
                shipping 5.00; gross 120.00, net 111.00, total 116.00; COGS 58.60
                fee 116.00 × 0.029 + 0.30 = 3.664; contrib 111 + 5 − 58.60 − 8.50 − 3.664 = 45.236
  OB 02-03 USD  v201 Pantry 3×12.00           unit cost  3 × 6.50            = 19.50
                v999 Add-ons 1×10.00 (no such product)  margin 10.00 × 0.45 = 4.50
                gross = net = total 46.00; COGS 24.00
                fee 46.00 × 0.029 + 0.30 = 1.634; contrib 46 − 24 − 8.50 − 1.634 = 11.866
  OC 02-04 CAD  v301 Meal Kits 1×60.00        unit cost  30.00 CAD × 0.73    = 21.90
                v401 Add-ons 1×20.00          margin     20.00 × 0.45 × 0.73 = 6.57
                gross = net = total 80 CAD × 0.73 = 58.40; COGS 28.47
                fee 58.40 × 0.029 + 0.30 = 1.9936; contrib 58.40 − 28.47 − 8.50 − 1.9936 = 19.4364
Ad spend: Meta 20.00 on 02-02.

Without any product records every line uses its margin:
  OA 2×45×0.62 + 30×0.62 = 55.80 + 18.60 = 74.40; OB 3×12×0.52 + 10×0.45 = 18.72 + 4.50 = 23.22;
  OC (60×0.62 + 20×0.45) × 0.73 = (37.20 + 9.00) × 0.73 = 33.726; total 131.346.
"""

from __future__ import annotations

from datetime import date

import pytest
from fixtures.shopify import customer, meta_row, order, product

from growthos.core.periods import DateRange
from growthos.metrics.evaluate import summary
from growthos.warehouse.checks import run_checks

CURRENT = DateRange(date(2026, 2, 1), date(2026, 2, 7))
LAST_FULL_DAY = date(2026, 2, 9)

COGS = 58.60 + 24.00 + 28.47  # = 111.07
COGS_FROM_UNIT_COST = 40.00 + 19.50 + 21.90  # = 81.40
NET = 111.00 + 46.00 + 58.40  # = 215.40
CONTRIB_BEFORE_MARKETING = 45.236 + 11.866 + 19.4364  # = 76.5384
AD_SPEND = 20.00
COGS_MARGINS_ONLY = 74.40 + 23.22 + 33.726  # = 131.346


def orders() -> list:
    return [
        order(1, "2026-02-02T15:00:00Z", 1, [("Meal Kits", 2, "45.00", "9.00"), ("Meal Kits", 1, "30.00", "0")],
              shipping="5.00", variants=[101, 102]),
        order(2, "2026-02-03T15:00:00Z", 2, [("Pantry", 3, "12.00", "0"), ("Add-ons", 1, "10.00", "0")],
              variants=[201, 999]),
        order(3, "2026-02-04T15:00:00Z", 3, [("Meal Kits", 1, "60.00", "0"), ("Add-ons", 1, "20.00", "0")],
              currency="CAD", variants=[301, 401]),
        customer(1, "2026-02-02T14:00:00Z"),
        customer(2, "2026-02-03T14:00:00Z"),
        customer(3, "2026-02-04T14:00:00Z"),
        meta_row("ad1", "2026-02-02", "20.00", 1000, 10),
    ]


def products() -> list:
    return [
        product(1, "2026-01-20T10:00:00Z", "Meal Kits", [(101, "45.00", "20.00"), (102, "30.00", None)]),
        # an older version of P1 arriving later: staging keeps the newest updatedAt
        product(1, "2026-01-10T10:00:00Z", "Meal Kits", [(101, "45.00", "25.00"), (102, "30.00", None)]),
        product(2, "2026-01-20T10:00:00Z", "Pantry", [(201, "12.00", "6.50")]),
        product(3, "2026-01-20T10:00:00Z", "Meal Kits", [(301, "60.00", "30.00")], currency="CAD"),
        product(4, "2026-01-20T10:00:00Z", "Add-ons", [(401, "20.00", "n/a")]),
        product(5, "2026-01-20T10:00:00Z", "Pantry", [(501, "15.00", "4.00")], currency="EUR"),
    ]


def test_the_hand_totals_add_up():
    assert COGS == pytest.approx(111.07) and COGS_FROM_UNIT_COST == pytest.approx(81.40)
    assert CONTRIB_BEFORE_MARKETING == pytest.approx(
        NET + 5.00 - COGS - 3 * 8.50 - (0.029 * (116.00 + 46.00 + 58.40) + 3 * 0.30))


def test_order_lines_use_the_unit_cost_where_present_and_the_category_margin_otherwise(engine, build_from):
    build_from([*products(), *orders()])
    lines = engine.query(
        "SELECT order_id, variant_id, cost_source, CAST(cogs AS DOUBLE) AS cogs FROM stg_order_lines"
    ).to_pylist()
    got = {(r["order_id"][-1], r["variant_id"].rsplit("/", 1)[1]): (r["cost_source"], r["cogs"]) for r in lines}
    assert got == {
        ("1", "101"): ("unit_cost", pytest.approx(40.00)),
        ("1", "102"): ("category_margin", pytest.approx(18.60)),
        ("2", "201"): ("unit_cost", pytest.approx(19.50)),
        ("2", "999"): ("category_margin", pytest.approx(4.50)),
        ("3", "301"): ("unit_cost", pytest.approx(21.90)),
        ("3", "401"): ("category_margin", pytest.approx(6.57)),
    }
    facts = engine.query(
        "SELECT order_id, CAST(cogs AS DOUBLE) AS cogs, CAST(cogs_from_unit_cost AS DOUBLE) AS from_unit_cost, "
        "CAST(contribution_before_marketing AS DOUBLE) AS contrib FROM fact_orders ORDER BY order_id"
    ).to_pylist()
    assert [(f["cogs"], f["from_unit_cost"], f["contrib"]) for f in facts] == [
        (pytest.approx(58.60), pytest.approx(40.00), pytest.approx(45.236)),
        (pytest.approx(24.00), pytest.approx(19.50), pytest.approx(11.866)),
        (pytest.approx(28.47), pytest.approx(21.90), pytest.approx(19.4364)),
    ]


def test_cogs_and_contribution_margin_kpis_use_unit_costs(engine, build_from):
    build_from([*products(), *orders()])
    kpis = summary(engine, CURRENT, LAST_FULL_DAY)["kpis"]
    assert kpis["net_revenue"]["value"] == pytest.approx(NET)
    assert kpis["cogs"]["value"] == pytest.approx(COGS)
    assert kpis["gross_margin"]["value"] == pytest.approx(NET - COGS)  # 104.33
    assert kpis["contribution_margin"]["value"] == pytest.approx(CONTRIB_BEFORE_MARKETING - AD_SPEND)  # 56.5384
    assert kpis["contribution_margin_pct"]["value"] == pytest.approx((CONTRIB_BEFORE_MARKETING - AD_SPEND) / NET)


def test_without_products_every_line_falls_back_to_its_category_margin(engine, build_from):
    build_from(orders())
    kpis = summary(engine, CURRENT, LAST_FULL_DAY)["kpis"]
    assert kpis["cogs"]["value"] == pytest.approx(COGS_MARGINS_ONLY)
    # contribution rises by exactly the COGS difference: 76.5384 + (111.07 − 131.346) = 56.2624 before ads
    assert kpis["contribution_margin"]["value"] == pytest.approx(
        CONTRIB_BEFORE_MARKETING + COGS - COGS_MARGINS_ONLY - AD_SPEND)
    sources = engine.query("SELECT DISTINCT cost_source FROM stg_order_lines").to_pylist()
    assert sources == [{"cost_source": "category_margin"}]


def test_variant_costs_are_staged_once_and_bad_products_are_quarantined_and_reconciled(engine, build_from):
    build_from([*products(), *orders()])
    costs = engine.query(
        "SELECT variant_id, CAST(unit_cost_source AS DOUBLE) AS source, cost_currency, "
        "CAST(unit_cost AS DOUBLE) AS cost, has_unit_cost FROM stg_variant_costs ORDER BY variant_id"
    ).to_pylist()
    assert [(c["variant_id"].rsplit("/", 1)[1], c["source"], c["cost_currency"], c["cost"], c["has_unit_cost"])
            for c in costs] == [
        ("101", 20.00, "USD", 20.00, True),  # the newest version, not the older 25.00
        ("102", None, None, None, False),
        ("201", 6.50, "USD", 6.50, True),
        ("301", 30.00, "CAD", pytest.approx(21.90), True),
    ]
    quarantined = engine.query(
        "SELECT external_id, reason FROM stg_quarantine WHERE entity = 'product' ORDER BY external_id"
    ).to_pylist()
    assert quarantined == [
        {"external_id": "gid://shopify/Product/4",
         "reason": "non-numeric or negative amount in variants.inventoryItem.unitCost"},
        {"external_id": "gid://shopify/Product/5", "reason": "unit cost in a currency without a configured rate"},
    ]
    checks = {c.name: c for c in run_checks(engine)}
    for name in ("row_reconciliation", "unique_keys", "not_null", "non_negative_amounts", "revenue_reconciliation",
                 "referential_integrity", "order_totals_consistent"):
        assert checks[name].status == "pass", (name, checks[name].detail)
    assert checks["quarantined_records"].observed == 2
