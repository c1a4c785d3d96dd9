"""Builds are all-or-nothing, models run in dependency order, malformed records are quarantined."""

from __future__ import annotations

import pytest
from fixtures.shopify import customer, ga4_row, google_row, meta_row, order

from growthos.core.errors import BuildError
from growthos.warehouse.build import run_models
from growthos.warehouse.models import load_models
from growthos.warehouse.raw import ingest


def _good_records():
    return [
        customer(1, "2026-02-01T14:00:00Z"),
        order(1, "2026-02-01T15:00:00Z", 1, [("Meal Kits", 2, "50.00", "10.00")]),
        meta_row("ad1", "2026-02-01", "30.00", 1000, 20),
        google_row("2001", "2026-02-01", 12_500_000, 500, 25),
        ga4_row("2026-02-01", "google", "organic", "(organic)", 100),
    ]


def test_models_run_after_the_tables_they_read():
    seen: set[str] = set()
    for model in load_models():
        assert model.depends_on <= seen, f"{model.name} runs before {model.depends_on - seen}"
        seen.add(model.name)
    assert {"stg_orders", "stg_customers", "stg_spend", "stg_traffic", "dim_date", "dim_channel", "dim_campaign",
            "dim_customer", "fact_orders", "fact_spend", "fact_traffic", "cohorts"} <= seen


def test_a_failing_build_leaves_the_previous_marts_in_place(engine, make_settings, monkeypatch):
    ingest(engine, _good_records())
    run_models(engine, make_settings())
    before = engine.query("SELECT * FROM fact_orders").to_pylist()
    ingest(engine, [order(2, "2026-02-02T15:00:00Z", 1, [("Meal Kits", 1, "40.00", "0")])])

    import growthos.warehouse.build as build_module

    real = build_module.load_models()
    broken = tuple(m if m.name != "cohorts" else type(m)(m.name, m.layer, "SELECT nonsense FROM fact_orders",
                                                        m.description, m.depends_on) for m in real)
    monkeypatch.setattr(build_module, "load_models", lambda: broken)
    with pytest.raises(BuildError, match="cohorts"):
        run_models(engine, make_settings())
    assert engine.query("SELECT * FROM fact_orders").to_pylist() == before

    monkeypatch.setattr(build_module, "load_models", lambda: real)
    run_models(engine, make_settings())
    assert engine.query("SELECT count(*) AS n FROM fact_orders").column("n")[0].as_py() == 2


def test_malformed_records_are_quarantined_and_the_build_completes(engine, build_from):
    no_id = order(90, "2026-02-01T15:00:00Z", 1, [("Meal Kits", 1, "50.00", "0")])
    no_id.payload["id"] = None
    from growthos.sources.base import RawRecord

    no_id = RawRecord("shopify", "order", None, no_id.payload, no_id.updated_at)
    bad_price = order(91, "2026-02-01T16:00:00Z", 1, [("Meal Kits", 1, "50.00", "0")])
    bad_price.payload["lineItems"]["nodes"][0]["originalUnitPriceSet"]["shopMoney"]["amount"] = "fifty"
    bad_currency = order(92, "2026-02-01T17:00:00Z", 1, [("Meal Kits", 1, "50.00", "0")], currency="XTS")
    bad_spend = meta_row("ad9", "2026-02-01", "1O.00", 100, 5)
    result = build_from([*_good_records(), no_id, bad_price, bad_currency, bad_spend])
    assert result.rows["fact_orders"] == 1
    reasons = {(r["source"], r["reason"]) for r in engine.query("SELECT * FROM stg_quarantine").to_pylist()}
    assert reasons == {
        ("shopify", "missing id"),
        ("shopify", "non-numeric or negative price in lineItems.originalUnitPriceSet"),
        ("shopify", "unknown currency XTS"),
        ("meta", "non-numeric spend"),
    }


def test_building_twice_from_the_same_raw_layer_gives_identical_marts(engine, build_from, make_settings):
    build_from(_good_records())
    marts = ["fact_orders", "fact_spend", "fact_traffic", "dim_customer", "dim_campaign", "dim_date", "cohorts"]
    first = {m: engine.query(f"SELECT * FROM {m} ORDER BY ALL").to_pylist() for m in marts}
    build_from(_good_records())
    second = {m: engine.query(f"SELECT * FROM {m} ORDER BY ALL").to_pylist() for m in marts}
    assert first == second
