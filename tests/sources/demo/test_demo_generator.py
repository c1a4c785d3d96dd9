"""The demo generator: deterministic, streaming, realistic volumes, and records in the exact API shapes
with arithmetic that adds up. Everything is checked from the emitted records alone."""

from __future__ import annotations

import hashlib
import json
import os
import re
import statistics
import subprocess
import sys
import time
from collections import Counter, defaultdict
from datetime import date, datetime, timedelta
from decimal import Decimal
from functools import lru_cache
from itertools import islice
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from growthos.config import DEFAULT_CATEGORY_MARGINS, DEFAULT_CHANNEL_RULES
from growthos.sources.base import ENTITIES, RawRecord
from growthos.sources.demo import DEMO_DAYS, DEMO_END_DATE, DEMO_SEED, generate
from growthos.sources.ga4_report import DIMENSIONS, METRICS

NY = ZoneInfo("America/New_York")
FX = {"USD": Decimal(1), "CAD": Decimal("0.73")}
MONEY = re.compile(r"^\d+\.\d{2}$")
TIMESTAMP = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z$")
START = DEMO_END_DATE - timedelta(days=DEMO_DAYS - 1)


@lru_cache(maxsize=4)
def records(seed: int = DEMO_SEED, scale: float = 1.0) -> tuple[RawRecord, ...]:
    began = time.perf_counter()
    out = tuple(generate(seed=seed, scale=scale))
    print(f"\ngenerate(seed={seed}, scale={scale}): {len(out):,} records in {time.perf_counter() - began:.2f} s")
    return out


def fingerprint(recs: tuple[RawRecord, ...] | list[RawRecord]) -> str:
    digest = hashlib.sha256()
    for r in recs:
        stamp = r.updated_at.isoformat() if r.updated_at else ""
        digest.update(f"{r.source}|{r.entity}|{r.external_id}|{stamp}|".encode())
        digest.update(json.dumps(r.payload, sort_keys=True).encode())
    return digest.hexdigest()


def of(recs: tuple[RawRecord, ...], source: str, entity: str) -> list[dict[str, Any]]:
    return [r.payload for r in recs if r.source == source and r.entity == entity]


def current_orders(recs: tuple[RawRecord, ...]) -> dict[str, dict[str, Any]]:
    """The newest version of every order, as the warehouse keeps it."""
    out: dict[str, dict[str, Any]] = {}
    for p in of(recs, "shopify", "order"):
        if p["id"] not in out or p["updatedAt"] >= out[p["id"]]["updatedAt"]:
            out[p["id"]] = p
    return out


def ts(value: str) -> datetime:
    assert TIMESTAMP.match(value), value
    return datetime.fromisoformat(value.replace("Z", "+00:00"))


def ny_day(value: str) -> date:
    return ts(value).astimezone(NY).date()


def dec(money_set: dict[str, Any], currency: str) -> Decimal:
    shop, presentment = money_set["shopMoney"], money_set["presentmentMoney"]
    assert shop == presentment
    assert shop["currencyCode"] == currency
    assert MONEY.match(shop["amount"]), shop["amount"]
    return Decimal(shop["amount"])


# -- a Python reading of the warehouse's channel rules (config.DEFAULT_CHANNEL_RULES) ----------------

def classify(source: str | None, medium: str | None, referrer: str | None, click_id: str | None) -> str:
    for rule in DEFAULT_CHANNEL_RULES:
        if rule.click_id is not None and rule.click_id != click_id:
            continue
        ok = True
        for pattern, value in ((rule.source, source), (rule.medium, medium), (rule.referrer, referrer)):
            if pattern is not None and (value is None or not re.search(pattern, value, re.IGNORECASE)):
                ok = False
        if ok:
            return rule.channel
    return "direct"


def order_channel(order: dict[str, Any]) -> str:
    journey = order["customerJourneySummary"]
    if journey is None:
        return "unknown"
    visit = journey["firstVisit"] or journey["lastVisit"]
    landing, referrer, utm = visit["landingPage"], visit["referrerUrl"], visit["utmParameters"] or {}
    host = re.match(r"^[A-Za-z][A-Za-z0-9+.-]*://([^/:?#]+)", referrer or "")
    click = next((c for c in ("gclid", "fbclid") if re.search(rf"[?&]{c}=", landing or "")), None)
    return classify(utm.get("source"), utm.get("medium"), host.group(1).lower() if host else None, click)


# -- determinism and streaming ---------------------------------------------------------------------

def test_same_seed_same_records_in_the_same_order() -> None:
    first = list(generate(seed=7, scale=0.2))
    second = list(generate(seed=7, scale=0.2))
    assert len(first) == len(second) > 0
    assert fingerprint(first) == fingerprint(second)
    assert [r.external_id for r in first] == [r.external_id for r in second]


def test_other_seed_other_records() -> None:
    assert fingerprint(list(generate(seed=7, scale=0.2))) != fingerprint(list(generate(seed=8, scale=0.2)))


def test_independent_of_hash_randomisation() -> None:
    code = ("import hashlib, json\nfrom growthos.sources.demo import generate\nh = hashlib.sha256()\n"
            "for r in generate(scale=0.05):\n    h.update(json.dumps(r.payload, sort_keys=True).encode())\n"
            "print(h.hexdigest())")
    outputs = {
        subprocess.run([sys.executable, "-c", code], env={**os.environ, "PYTHONHASHSEED": hash_seed},
                       capture_output=True, text=True, check=True).stdout
        for hash_seed in ("1", "2")
    }
    assert len(outputs) == 1


def test_default_arguments_are_the_demo() -> None:
    assert fingerprint(list(generate(scale=0.05))) == fingerprint(list(generate(DEMO_SEED, 0.05, DEMO_END_DATE,
                                                                                  DEMO_DAYS)))


def test_generation_streams() -> None:
    began = time.perf_counter()
    stream = generate(scale=100)
    first = list(islice(stream, 1000))
    stream.close()
    assert len(first) == 1000 and time.perf_counter() - began < 5


def test_small_scale_and_short_period() -> None:
    small = records(scale=0.05)
    orders = current_orders(small)
    assert 150 <= len(orders) <= 450
    assert of(small, "meta", "ads_insights") and of(small, "google_ads", "campaign_daily")
    short = list(generate(scale=0.2, end_date=date(2025, 6, 30), days=60))
    days = {ny_day(r.payload["createdAt"]) for r in short if r.entity == "order"}
    assert min(days) >= date(2025, 5, 2) and max(days) <= date(2025, 6, 30)


def test_records_are_grouped_by_stream() -> None:
    order = [(r.source, r.entity) for r in records()]
    groups = [k for i, k in enumerate(order) if i == 0 or order[i - 1] != k]
    shopify = [g for g in groups if g[0] == "shopify"]
    others = [g for g in groups if g[0] != "shopify"]
    assert groups[: len(shopify)] == shopify
    assert others == [("meta", "ads_insights"), ("google_ads", "campaign_daily"), ("ga4", "traffic_daily")]
    assert {(r.source, r.entity) for r in records()} == set(ENTITIES)


# -- volumes and realism ---------------------------------------------------------------------------

def test_volumes_at_scale_one() -> None:
    orders = current_orders(records())
    customers = of(records(), "shopify", "customer")
    assert 2400 * 0.95 <= len(customers) <= 2400 * 1.05
    assert 5400 * 0.95 <= len(orders) <= 5400 * 1.05
    assert 2.1 <= len(orders) / len(customers) <= 2.4
    days = {ny_day(o["createdAt"]) for o in orders.values()}
    assert min(days) == START and max(days) == DEMO_END_DATE and len(days) == DEMO_DAYS


def test_growth_and_weekly_rhythm() -> None:
    per_day = Counter(ny_day(o["createdAt"]) for o in current_orders(records()).values())
    first = sum(per_day[START + timedelta(days=i)] for i in range(28))
    last = sum(per_day[DEMO_END_DATE - timedelta(days=i)] for i in range(28))
    assert 2.0 <= last / first <= 4.0
    weekday = Counter()
    for day, n in per_day.items():
        weekday[day.weekday()] += n
    assert {d for d, _ in weekday.most_common(2)} == {6, 0}  # Sunday and Monday


def test_channels_products_stores_and_discounts() -> None:
    orders = list(current_orders(records()).values())
    channels = Counter(order_channel(o) for o in orders)
    assert set(channels) == {"meta", "google_ads", "organic_search", "email", "direct", "referral",
                             "organic_social", "unknown"}
    assert 0.02 <= channels["unknown"] / len(orders) <= 0.04
    firsts = [o for o in orders if o["customerJourneySummary"] is None
              or o["customerJourneySummary"]["customerOrderIndex"] == 0]
    first_ids = {o["id"] for o in firsts}
    returning = [o for o in orders if o["id"] not in first_ids]
    first_channels = Counter(order_channel(o) for o in firsts)
    assert 0.35 <= (first_channels["meta"] + first_channels["google_ads"]) / len(firsts) <= 0.65
    back = Counter(order_channel(o) for o in returning)
    assert (back["email"] + back["direct"]) / len(returning) >= 0.6
    types = Counter(li["product"]["productType"] for o in orders for li in o["lineItems"]["nodes"])
    assert set(types) <= set(DEFAULT_CATEGORY_MARGINS)
    assert {"Meal Kits", "Family Boxes", "Add-ons", "Pantry"} <= set(types)
    cad = sum(o["currencyCode"] == "CAD" for o in orders) / len(orders)
    assert 0.05 <= cad <= 0.11
    shops = {o["currencyCode"]: o["shop"] for o in orders}
    assert shops == {"USD": "forkful-us", "CAD": "forkful-ca"}
    paid_firsts = [o for o in firsts if order_channel(o) in ("meta", "google_ads")]
    welcome = sum("WELCOME30" in o["discountCodes"] for o in paid_firsts) / len(paid_firsts)
    assert welcome >= 0.8
    assert sum(o["totalShippingPriceSet"]["shopMoney"]["amount"] == "0.00" for o in orders) / len(orders) >= 0.8


# -- Shopify shapes and arithmetic -----------------------------------------------------------------

def check_order(p: dict[str, Any]) -> None:
    cur = p["currencyCode"]
    assert p["presentmentCurrencyCode"] == cur
    assert p["cancelledAt"] is None and p["test"] is False
    created = ts(p["createdAt"])
    assert ts(p["processedAt"]) == created and ts(p["updatedAt"]) >= created
    assert 7 <= created.astimezone(NY).hour < 23
    gross = discounts = Decimal(0)
    lines = {}
    for li in p["lineItems"]["nodes"]:
        price = dec(li["originalUnitPriceSet"], cur)
        qty = li["quantity"]
        assert isinstance(qty, int) and qty >= 1
        allocated = sum((dec(a["allocatedAmountSet"], cur) for a in li["discountAllocations"]), Decimal(0))
        assert 0 <= allocated <= price * qty
        gross += price * qty
        discounts += allocated
        lines[li["id"]] = (qty, price * qty - allocated)
    assert dec(p["totalDiscountsSet"], cur) == discounts
    subtotal = dec(p["subtotalPriceSet"], cur)
    assert subtotal == gross - discounts
    total = dec(p["totalPriceSet"], cur)
    assert total == subtotal + dec(p["totalShippingPriceSet"], cur) + dec(p["totalTaxSet"], cur)
    assert dec(p["totalTaxSet"], cur) == 0
    assert bool(discounts) == bool(p["discountCodes"]) == bool(p["discountApplications"]["nodes"])
    refunded = Decimal(0)
    for refund in p["refunds"]:
        assert ts(refund["createdAt"]) > created
        items = Decimal(0)
        for item in refund["refundLineItems"]["nodes"]:
            qty, net = lines[item["lineItem"]["id"]]
            amount = dec(item["subtotalSet"], cur)
            assert 1 <= item["quantity"] <= qty and 0 <= amount <= net
            items += amount
        assert dec(refund["totalRefundedSet"], cur) == items
        refunded += items
    assert dec(p["totalRefundedSet"], cur) == refunded <= total
    expected_status = "PAID" if not refunded else "REFUNDED" if refunded == total else "PARTIALLY_REFUNDED"
    assert p["displayFinancialStatus"] == expected_status


def test_every_order_version_adds_up() -> None:
    versions = [r for r in records() if r.entity == "order"]
    for r in versions:
        assert r.external_id == r.payload["id"]
        assert r.updated_at == ts(r.payload["updatedAt"]) and r.updated_at.tzinfo is not None
        check_order(r.payload)
    names = Counter((r.payload["shop"], r.payload["name"]) for r in versions if not r.payload["refunds"])
    assert max(names.values()) == 1


def test_refunded_orders_come_twice() -> None:
    versions: dict[str, list[RawRecord]] = defaultdict(list)
    for r in records():
        if r.entity == "order":
            versions[r.external_id].append(r)
    twice = {k: v for k, v in versions.items() if len(v) == 2}
    assert all(len(v) <= 2 for v in versions.values())
    share = len(twice) / len(versions)
    assert 0.04 <= share <= 0.07
    for before, after in twice.values():
        assert before.payload["refunds"] == [] and before.payload["displayFinancialStatus"] == "PAID"
        assert before.payload["totalRefundedSet"]["shopMoney"]["amount"] == "0.00"
        assert after.payload["refunds"] and after.updated_at > before.updated_at
        assert after.payload["displayFinancialStatus"] in ("PARTIALLY_REFUNDED", "REFUNDED")
        delay = (ny_day(after.payload["refunds"][0]["createdAt"]) - ny_day(before.payload["createdAt"])).days
        assert 1 <= delay <= 10
        assert ny_day(after.payload["updatedAt"]) <= DEMO_END_DATE
        assert {k: v for k, v in before.payload.items() if k not in ("refunds", "updatedAt", "totalRefundedSet",
                                                                     "displayFinancialStatus")} == \
               {k: v for k, v in after.payload.items() if k not in ("refunds", "updatedAt", "totalRefundedSet",
                                                                    "displayFinancialStatus")}
    assert all(len(v) == 1 and not v[0].payload["refunds"] for v in versions.values() if len(v) == 1)


def test_customers_exist_and_match_their_orders() -> None:
    orders = current_orders(records())
    customers = {r.external_id: r for r in records() if r.entity == "customer"}
    assert len(customers) == sum(1 for r in records() if r.entity == "customer")
    by_customer: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for o in orders.values():
        by_customer[o["customer"]["id"]].append(o)
    assert set(by_customer) == set(customers)
    for cid, rec in customers.items():
        c = rec.payload
        assert c["id"] == cid and rec.updated_at == ts(c["updatedAt"])
        mine = sorted(by_customer[cid], key=lambda o: o["createdAt"])
        assert c["numberOfOrders"] == str(len(mine))
        assert ts(c["createdAt"]) <= ts(mine[0]["createdAt"]) <= ts(c["createdAt"]) + timedelta(hours=1)
        assert ny_day(c["createdAt"]) == ny_day(mine[0]["createdAt"])
        cur = mine[0]["currencyCode"]
        assert {o["currencyCode"] for o in mine} == {cur} and c["amountSpent"]["currencyCode"] == cur
        spent = sum(Decimal(o["totalPriceSet"]["shopMoney"]["amount"])
                    - Decimal(o["totalRefundedSet"]["shopMoney"]["amount"]) for o in mine)
        assert Decimal(c["amountSpent"]["amount"]) == spent
        assert c["defaultAddress"]["countryCodeV2"] == ("CA" if cur == "CAD" else "US")
        assert c["email"] == f"cust{cid.rsplit('/', 1)[1]}@example.com" and c["state"] == "ENABLED"
        assert ts(c["updatedAt"]) >= max(ts(o["updatedAt"]) for o in mine)
        for index, o in enumerate(mine):
            if o["customerJourneySummary"] is not None:
                assert o["customerJourneySummary"]["customerOrderIndex"] == index


def test_landing_pages_carry_the_touch() -> None:
    for o in current_orders(records()).values():
        journey = o["customerJourneySummary"]
        if journey is None:
            continue
        for visit in (journey["firstVisit"], journey["lastVisit"]):
            ts(visit["occurredAt"])
            utm, landing = visit["utmParameters"], visit["landingPage"]
            assert landing.startswith("https://forkful.example/")
            if utm is None:
                assert "utm_" not in landing
                continue
            assert f"utm_source={utm['source']}&utm_medium={utm['medium']}&utm_campaign=" in landing
            if utm["medium"] == "paid_social":
                assert utm["source"] == "facebook" and "&fbclid=" in landing
            if utm["medium"] == "cpc":
                assert utm["source"] == "google" and "&gclid=" in landing


def test_paid_orders_join_to_live_campaigns() -> None:
    meta_live = defaultdict(set)
    for p in of(records(), "meta", "ads_insights"):
        meta_live[p["date_start"]].add(p["campaign_name"])
    google_live = defaultdict(set)
    for p in of(records(), "google_ads", "campaign_daily"):
        google_live[p["segments"]["date"]].add(p["campaign"]["name"])
    checked = Counter()
    for o in current_orders(records()).values():
        journey = o["customerJourneySummary"]
        utm = journey and journey["firstVisit"]["utmParameters"]
        if not utm or utm["medium"] not in ("paid_social", "cpc"):
            continue
        live = meta_live if utm["medium"] == "paid_social" else google_live
        assert utm["campaign"] in live[ny_day(o["createdAt"]).isoformat()]
        checked[utm["medium"]] += 1
    assert checked["paid_social"] > 300 and checked["cpc"] > 300


# -- ads and GA4 -----------------------------------------------------------------------------------

def test_ads_rows_shapes() -> None:
    meta = [r for r in records() if r.source == "meta"]
    for r in meta:
        p = r.payload
        assert r.external_id == f"{p['ad_id']}:{p['date_start']}" and r.updated_at is None
        assert p["date_start"] == p["date_stop"] and p["account_currency"] == "USD"
        assert MONEY.match(p["spend"]) and int(p["clicks"]) <= int(p["impressions"])
        for a in p.get("actions", []) + p.get("action_values", []):
            assert isinstance(a["value"], str)
    per_day_ads = Counter(r.payload["date_start"] for r in meta)
    assert min(per_day_ads.values()) >= 8 and max(per_day_ads.values()) <= 16
    assert len({r.payload["campaign_name"] for r in meta}) >= 3
    google = [r for r in records() if r.source == "google_ads"]
    for r in google:
        p = r.payload
        assert r.external_id == f"{p['campaign']['id']}:{p['segments']['date']}" and r.updated_at is None
        assert p["customer"]["currencyCode"] == "USD"
        m = p["metrics"]
        assert all(isinstance(m[k], str) and m[k].isdigit() for k in ("impressions", "clicks", "costMicros"))
        assert isinstance(m["conversions"], float) and isinstance(m["conversionsValue"], float)
        assert int(m["clicks"]) <= int(m["impressions"])
    assert 3 <= len({r.payload["campaign"]["name"] for r in google}) <= 5
    assert {r.payload["campaign"]["status"] for r in google} == {"ENABLED", "PAUSED"}


def test_spend_and_platform_attribution_are_plausible() -> None:
    orders = current_orders(records())
    net = sum((Decimal(o["subtotalPriceSet"]["shopMoney"]["amount"])
               - Decimal(o["totalRefundedSet"]["shopMoney"]["amount"])) * FX[o["currencyCode"]]
              for o in orders.values())
    meta = of(records(), "meta", "ads_insights")
    google = of(records(), "google_ads", "campaign_daily")
    meta_spend = sum(Decimal(p["spend"]) for p in meta)
    google_spend = sum(Decimal(p["metrics"]["costMicros"]) for p in google) / 10**6
    spend = meta_spend + google_spend
    customers = sum(1 for r in records() if r.entity == "customer")
    assert 0.25 <= spend / net <= 0.35
    assert 40 <= spend / customers <= 80
    real: dict[str, Decimal] = defaultdict(Decimal)
    for o in orders.values():
        channel = order_channel(o)
        real[channel] += Decimal(o["subtotalPriceSet"]["shopMoney"]["amount"]) * FX[o["currencyCode"]]
    meta_claimed = sum(Decimal(a["value"]) for p in meta for a in p.get("action_values", [])
                       if a["action_type"] == "purchase")
    google_claimed = sum(Decimal(str(p["metrics"]["conversionsValue"])) for p in google)
    assert real["meta"] < meta_claimed < Decimal("2.5") * real["meta"]
    assert real["google_ads"] < google_claimed < Decimal("2.5") * real["google_ads"]


def test_ga4_rows_match_orders() -> None:
    rows = [r for r in records() if r.source == "ga4"]
    sessions = add_to_carts = checkouts = purchases = 0
    channels: dict[str, int] = Counter()
    per_day: Counter[str] = Counter()
    for r in rows:
        p = r.payload
        dims = [d["value"] for d in p["dimensionValues"]]
        values = [m["value"] for m in p["metricValues"]]
        assert len(dims) == len(DIMENSIONS) and len(values) == len(METRICS) and r.updated_at is None
        day = datetime.strptime(dims[0], "%Y%m%d").date()
        assert r.external_id == f"{day.isoformat()}|{dims[1]}|{dims[2]}|{dims[3]}"
        assert all(v.isdigit() for v in values[:6]) and MONEY.match(values[6])
        s, users, engaged = int(values[0]), int(values[1]), int(values[2])
        assert users <= s and engaged <= s
        sessions += s
        add_to_carts += int(values[3])
        checkouts += int(values[4])
        purchases += int(values[5])
        channels[classify(dims[1], dims[2], None, None)] += s
        per_day[dims[0]] += 1
    assert len(per_day) == DEMO_DAYS
    orders = len(current_orders(records()))
    assert 0.02 <= orders / sessions <= 0.03
    assert 0.075 <= add_to_carts / sessions <= 0.105
    assert 0.038 <= checkouts / sessions <= 0.055
    assert 0.85 <= purchases / orders <= 1.0
    assert set(channels) == {"meta", "google_ads", "organic_search", "email", "direct", "referral",
                             "organic_social"}
    assert classify("instagram.com", "referral", None, None) == "organic_social"
    assert classify("seriouseats-blog.example", "referral", None, None) == "referral"


def test_ga4_purchases_follow_each_source() -> None:
    ga4 = Counter()
    for p in of(records(), "ga4", "traffic_daily"):
        dims = [d["value"] for d in p["dimensionValues"]]
        ga4[(dims[1], dims[2])] += int(p["metricValues"][5]["value"])
    orders = Counter()
    for o in current_orders(records()).values():
        journey = o["customerJourneySummary"]
        utm = journey and journey["lastVisit"]["utmParameters"]
        if utm:
            orders[(utm["source"], utm["medium"])] += 1
    for key in (("facebook", "paid_social"), ("google", "cpc"), ("klaviyo", "email")):
        assert 0.8 <= ga4[key] / orders[key] <= 1.05, key


def test_timing_at_scale_one(capsys: pytest.CaptureFixture[str]) -> None:
    began = time.perf_counter()
    n = sum(1 for _ in generate(seed=3, scale=1.0))
    elapsed = time.perf_counter() - began
    with capsys.disabled():
        print(f"\ndemo generation at scale 1: {n:,} records in {elapsed:.2f} s")
    assert elapsed < 30


def test_json_ready() -> None:
    for r in records(scale=0.05):
        json.dumps(r.payload)
    assert statistics.mean(len(json.dumps(r.payload)) for r in records(scale=0.05) if r.entity == "order") > 1000
