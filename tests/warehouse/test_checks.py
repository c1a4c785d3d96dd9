"""Data-quality checks: all of them pass on a small clean fixture, and each one catches the defect
planted for it. Defects that can arise in the sources are planted in the raw records; defects that
staging makes impossible (duplicate keys, NULLs, negative amounts, lost rows) by tampering with the
built tables."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import date, timedelta

import pytest
from fixtures.shopify import customer, ga4_row, google_row, meta_row, order
from support.engines import ENGINE_FACTORIES

from growthos.config import load_settings
from growthos.sources.base import RawRecord
from growthos.warehouse.build import run_models
from growthos.warehouse.checks.registry import CHECKS, run_checks
from growthos.warehouse.engine import Engine
from growthos.warehouse.raw import ingest

AS_OF = date(2026, 2, 10)  # make_settings' default: the last full day is 2026-02-09
DAYS = [(date(2026, 2, 3) + timedelta(days=i)).isoformat() for i in range(7)]  # 2026-02-03 .. 2026-02-09

META_LP = "https://forkful.example/?utm_source=facebook&utm_medium=paid_social&utm_campaign=Prospecting&fbclid=f1"
GOOGLE_LP = "https://forkful.example/?utm_source=google&utm_medium=cpc&utm_campaign=Search+-+Generic&gclid=g1"
HOME = "https://forkful.example/"
TOUCHES = [(META_LP, None), (GOOGLE_LP, None), (HOME, None), (HOME, "https://www.google.com/")]

ORDERS = 2 * len(DAYS)  # two orders a day: 1001 .. 1014


def _order_id(number: int) -> str:
    return f"gid://shopify/Order/{number}"


def clean_records() -> list[RawRecord]:
    """A week of consistent data from every source, up to the last full day (2026-02-09)."""
    records: list[RawRecord] = [customer(n, "2026-02-01T12:00:00Z") for n in range(1, 5)]
    number = 1000
    for day in DAYS:
        for hour in ("15", "21"):
            number += 1
            landing, referrer = TOUCHES[number % len(TOUCHES)]
            lines = [("Meal Kits", 2, "50.00", "10.00"), ("Pantry", 1, "12.50", "0")] if number % 2 else \
                [("Meal Kits", 1, "45.00", "0")]
            refunds = [(f"{DAYS[-1]}T18:00:00Z", 0, "20.00")] if number == 1003 else None
            records.append(order(number, f"{day}T{hour}:00:00Z", 1 + number % 4, lines, refunds=refunds,
                                 landing_page=landing, referrer=referrer, shipping="5.00"))
        records.append(meta_row("ad1", day, "30.00", 1000, 20))
        records.append(google_row("2001", day, 12_500_000, 500, 25))
        records.append(ga4_row(day, "google", "organic", "(organic)", 100, engaged=60, add_to_carts=10))
        records.append(ga4_row(day, "facebook", "paid_social", "Prospecting", 40, add_to_carts=4, purchases=1,
                               revenue="101.00"))
    return records


# --- planting defects in raw records -------------------------------------------------------------

def _record(records: list[RawRecord], source: str, external_id: str) -> RawRecord:
    (found,) = [r for r in records if r.source == source and r.external_id == external_id]
    return found


def _order(records: list[RawRecord], number: int) -> dict:
    return _record(records, "shopify", _order_id(number)).payload


def _without(records: list[RawRecord], source: str, keep: Callable[[str], bool]) -> list[RawRecord]:
    """The records minus those of `source` whose external id `keep` rejects."""
    return [r for r in records if r.source != source or keep(r.external_id or "")]


def _order_subtotal_off(records):
    """Order 1004's subtotal is 10.00 more than its line items add up to."""
    subtotal = _order(records, 1004)["subtotalPriceSet"]["shopMoney"]
    subtotal["amount"] = f"{float(subtotal['amount']) + 10:.2f}"
    return records


def _order_discount_off(records):
    """Order 1005's total discounts (15.00) disagree with its line discount allocations (10.00)."""
    _order(records, 1005)["totalDiscountsSet"]["shopMoney"]["amount"] = "15.00"
    return records


def _refund_exceeds_sale(records):
    """Order 1003 refunds 500.00 of a 102.50 sale (after discounts)."""
    _order(records, 1003)["refunds"][0]["refundLineItems"]["nodes"][0]["subtotalSet"]["shopMoney"]["amount"] = "500.00"
    return records


def _orphan_customer(records):
    """Order 1006 belongs to customer 99, of whom there is no customer record."""
    _order(records, 1006)["customer"] = {"id": "gid://shopify/Customer/99"}
    return records


def _meta_clicks_over_impressions(records):
    _record(records, "meta", "ad1:2026-02-06").payload["clicks"] = "1500"  # of 1000 impressions
    return records


def _google_clicks_over_impressions(records):
    _record(records, "google_ads", "2001:2026-02-07").payload["metrics"]["clicks"] = "900"  # of 500 impressions
    return records


def _cad_line_in_usd_order(records):
    _order(records, 1002)["lineItems"]["nodes"][0]["originalUnitPriceSet"]["shopMoney"]["currencyCode"] = "CAD"
    return records


def _meta_account_reports_cad_one_day(records):
    _record(records, "meta", "ad1:2026-02-07").payload["account_currency"] = "CAD"
    return records


def _google_stale(records):
    """Google Ads stops at 2026-02-07: two days behind the last full day."""
    return _without(records, "google_ads", lambda key: key < "2001:2026-02-08")


def _ga4_stale(records):
    """GA4 stops at 2026-02-04: five days behind the last full day."""
    return _without(records, "ga4", lambda key: key < "2026-02-05")


def _meta_gap_day(records):
    return _without(records, "meta", lambda key: key != "ad1:2026-02-06")


def _ga4_gap_day(records):
    return _without(records, "ga4", lambda key: not key.startswith("2026-02-07|"))


def _no_journey(*numbers: int):
    def plant(records):
        for number in numbers:
            _order(records, number)["customerJourneySummary"] = None
        return records

    return plant


def _malformed_records(records):
    """A Meta row whose spend is not a number, and an order whose price is not a number."""
    bad_price = order(1090, "2026-02-05T16:00:00Z", 1, [("Meal Kits", 1, "50.00", "0")], landing_page=HOME)
    bad_price.payload["lineItems"]["nodes"][0]["originalUnitPriceSet"]["shopMoney"]["amount"] = "fifty"
    return [*records, meta_row("ad9", "2026-02-05", "1O.00", 100, 5), bad_price]


# --- the defects, one or more per check ----------------------------------------------------------

@dataclass(frozen=True)
class Defect:
    check: str
    status: str
    observed: float
    detail: tuple[str, ...]
    """Substrings the check's detail must contain: what is wrong, and where."""
    plant: Callable[[list[RawRecord]], list[RawRecord]] | None = None
    """Edits of the clean raw records before the build."""
    tamper: tuple[str, ...] = ()
    """Statements run on the built tables, for defects staging never lets through."""


def _case(id_: str, defect: Defect):
    return pytest.param(defect, id=f"{defect.check}-{id_}")


O3, O4, O5, O7 = (_order_id(n) for n in (1003, 1004, 1005, 1007))

DEFECTS = [
    _case("duplicate-order", Defect(
        "unique_keys", "fail", 1, ("fact_orders.order_id: 1",),
        tamper=(f"INSERT INTO fact_orders SELECT * FROM fact_orders WHERE order_id = '{O7}'",))),
    _case("duplicate-customer", Defect(
        "unique_keys", "fail", 1, ("dim_customer.customer_id: 1",),
        tamper=("INSERT INTO dim_customer SELECT * FROM dim_customer LIMIT 1",))),
    _case("duplicate-spend-row", Defect(
        "unique_keys", "fail", 1, ("fact_spend (date, campaign_key, campaign_id): 1",),
        tamper=("INSERT INTO fact_spend SELECT * FROM fact_spend WHERE platform = 'meta' AND date = '2026-02-05'",))),
    _case("null-cogs-and-sessions", Defect(
        "not_null", "fail", 2, ("fact_orders: 1 rows", "fact_traffic: 1 rows"),
        tamper=(f"UPDATE fact_orders SET cogs = NULL WHERE order_id = '{O7}'",
                "UPDATE fact_traffic SET sessions = NULL WHERE date = '2026-02-06' AND source = 'google'"))),
    _case("null-customer-id", Defect(
        "not_null", "fail", 1, ("dim_customer: 1 rows",),
        tamper=("UPDATE dim_customer SET customer_id = NULL WHERE customer_id = 'gid://shopify/Customer/2'",))),
    _case("order-of-unknown-customer", Defect(
        "referential_integrity", "fail", 1, ("fact_orders.customer_id -> dim_customer: 1",),
        plant=_orphan_customer)),
    _case("spend-of-unknown-campaign", Defect(
        "referential_integrity", "fail", 1, ("fact_spend.campaign_key -> dim_campaign: 1",),
        tamper=("UPDATE fact_spend SET campaign_key = 'meta:gone' WHERE platform = 'meta' AND date = '2026-02-05'",))),
    _case("raw-row-lost-before-staging", Defect(
        "row_reconciliation", "fail", 1, ("ga4.traffic_daily: 1",),
        tamper=("DELETE FROM stg_traffic WHERE traffic_date = '2026-02-06' AND session_source = 'google'",))),
    _case("staged-order-lost-before-fact", Defect(
        "row_reconciliation", "fail", 1, ("stg_orders (counted) -> fact_orders: 1",),
        tamper=(f"DELETE FROM fact_orders WHERE order_id = '{O7}'",))),
    _case("fact-net-revenue-off", Defect(
        "revenue_reconciliation", "fail", 5, ("net revenue: orders", "vs fact"),
        tamper=(f"UPDATE fact_orders SET net_revenue = net_revenue + 5 WHERE order_id = '{O7}'",))),
    _case("fact-revenue-errors-that-cancel-out", Defect(
        "revenue_reconciliation", "fail", 10, ("per-order abs. diff. 10.00",),
        tamper=(f"UPDATE fact_orders SET net_revenue = net_revenue + 5 WHERE order_id = '{O7}'",
                f"UPDATE fact_orders SET net_revenue = net_revenue - 5 WHERE order_id = '{O4}'"))),
    _case("fact-spend-off", Defect(
        "revenue_reconciliation", "fail", 2.5, ("ad spend: raw 297.50 vs fact 300.00",),
        tamper=("UPDATE fact_spend SET spend = spend + 2.5 WHERE platform = 'google_ads' AND date = '2026-02-05'",))),
    _case("subtotal-not-sum-of-lines", Defect(
        "order_totals_consistent", "warn", 1, (O4,), plant=_order_subtotal_off)),
    _case("discounts-not-sum-of-allocations", Defect(
        "order_totals_consistent", "warn", 1, (O5,), plant=_order_discount_off)),
    _case("refund-exceeds-sale", Defect(
        "non_negative_amounts", "fail", 1, ("fact_orders refunds > gross sales - discounts: 1",),
        plant=_refund_exceeds_sale)),
    _case("negative-spend", Defect(
        "non_negative_amounts", "fail", 1, ("fact_spend negative spend, impressions or clicks: 1",),
        tamper=("UPDATE fact_spend SET spend = -12.5 WHERE platform = 'meta' AND date = '2026-02-05'",))),
    _case("negative-sessions", Defect(
        "non_negative_amounts", "fail", 1, ("fact_traffic negative counts: 1",),
        tamper=("UPDATE fact_traffic SET sessions = -3 WHERE date = '2026-02-06' AND source = 'google'",))),
    _case("negative-discounts", Defect(
        "non_negative_amounts", "fail", 1, ("fact_orders negative amounts: 1",),
        tamper=(f"UPDATE fact_orders SET discounts = -1 WHERE order_id = '{O3}'",))),
    _case("meta", Defect(
        "clicks_within_impressions", "fail", 1, ("meta c-Prospecting 2026-02-06",),
        plant=_meta_clicks_over_impressions)),
    _case("google", Defect(
        "clicks_within_impressions", "fail", 1, ("google_ads 2001 2026-02-07",),
        plant=_google_clicks_over_impressions)),
    _case("two-days-behind", Defect(
        "freshness", "warn", 2, ("google_ads 2026-02-07 (2d)",), plant=_google_stale)),
    _case("five-days-behind", Defect(
        "freshness", "fail", 5, ("ga4 2026-02-04 (5d)",), plant=_ga4_stale)),
    _case("spend-gap", Defect(
        "missing_days", "warn", 1, ("meta: 1 days",), plant=_meta_gap_day)),
    _case("traffic-gap", Defect(
        "missing_days", "warn", 1, ("ga4 traffic: 1 days",), plant=_ga4_gap_day)),
    _case("cad-line-in-usd-order", Defect(
        "currency_consistency", "fail", 1,
        ("orders with mixed currencies: 1", "ad accounts with several currencies: 0"), plant=_cad_line_in_usd_order)),
    _case("ad-account-in-two-currencies", Defect(
        "currency_consistency", "fail", 1,
        ("orders with mixed currencies: 0", "ad accounts with several currencies: 1"),
        plant=_meta_account_reports_cad_one_day)),
    _case("one-in-fourteen", Defect(
        "unknown_channel_share", "warn", 1 / ORDERS, (f"1 of {ORDERS} orders in the last 30 days",),
        plant=_no_journey(1004))),
    _case("three-in-fourteen", Defect(
        "unknown_channel_share", "fail", 3 / ORDERS, (f"3 of {ORDERS} orders in the last 30 days",),
        plant=_no_journey(1004, 1008, 1012))),
    _case("malformed-spend-and-price", Defect(
        "quarantined_records", "warn", 2,
        ("meta.ads_insights non-numeric spend: 1",
         "shopify.order non-numeric or negative price in lineItems.originalUnitPriceSet: 1"),
        plant=_malformed_records)),
]


def _outcomes(engine) -> dict:
    outcomes = {o.name: o for o in run_checks(engine)}
    assert set(outcomes) == set(CHECKS)
    return outcomes


class _Rollback(Exception):
    """Raised to undo the tampering with the shared clean warehouse."""


@pytest.fixture(scope="module", params=sorted(ENGINE_FACTORIES))
def clean_engine(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Engine]:
    """The clean fixture, built once per engine; tests that tamper with it roll their changes back."""
    tmp = tmp_path_factory.mktemp(f"checks-{request.param}")
    with pytest.MonkeyPatch.context() as mp:  # as the autouse _isolated_environment, which is function-scoped
        for var in ("GROWTHOS_DATA_DIR", "GROWTHOS_APP_DB_URL", "GROWTHOS_ENGINE", "GROWTHOS_TIMEZONE",
                    "GROWTHOS_CURRENCY", "GROWTHOS_AS_OF"):
            mp.delenv(var, raising=False)
        eng = ENGINE_FACTORIES[request.param](tmp)
        ingest(eng, clean_records())
        result = run_models(eng, load_settings(data_dir=tmp / "data", as_of=AS_OF))
    assert result.rows["fact_orders"] == ORDERS
    assert result.rows["stg_quarantine"] == 0
    yield eng
    eng.close()


def test_every_check_passes_on_clean_data(clean_engine):
    outcomes = _outcomes(clean_engine)
    failing = {n: (o.status, o.observed, o.detail) for n, o in outcomes.items() if o.status != "pass"}
    assert failing == {}
    assert {n: o.observed for n, o in outcomes.items()} == dict.fromkeys(CHECKS, 0.0)


def _assert_caught(outcome, defect: Defect) -> None:
    assert (outcome.status, outcome.observed) == (defect.status, pytest.approx(defect.observed)), outcome.detail
    for part in defect.detail:
        assert part in outcome.detail


@pytest.mark.parametrize("defect", [p for p in DEFECTS if p.values[0].plant])
def test_check_catches_defect_planted_in_raw_records(engine, build_from, defect: Defect):
    build_from(defect.plant(clean_records()))
    _assert_caught(_outcomes(engine)[defect.check], defect)


@pytest.mark.parametrize("defect", [p for p in DEFECTS if not p.values[0].plant])
def test_check_catches_defect_planted_in_built_tables(clean_engine, defect: Defect):
    assert _outcomes(clean_engine)[defect.check].status == "pass"
    with pytest.raises(_Rollback), clean_engine.transaction():
        for statement in defect.tamper:
            clean_engine.execute(statement)
        outcome = _outcomes(clean_engine)[defect.check]
        raise _Rollback
    _assert_caught(outcome, defect)
    assert _outcomes(clean_engine)[defect.check].status == "pass"


def test_registry_has_enough_checks_and_every_one_is_tested():
    assert len(CHECKS) >= 10
    tested = {p.values[0].check for p in DEFECTS}
    assert tested == set(CHECKS)
    for check in CHECKS.values():
        assert check.description
        assert check.warn_above is not None or check.fail_above is not None
    for p in DEFECTS:
        defect = p.values[0]
        check = CHECKS[defect.check]
        assert bool(defect.plant) != bool(defect.tamper), p.id
        level = {"warn": check.warn_above, "fail": check.fail_above}[defect.status]
        assert level is not None, f"{p.id}: {check.name} never reaches {defect.status}"
